import FERData

/// One face the detector found in a frame, before it has an id.
public struct TrackedDetection: Sendable, Equatable {
    /// In source pixels of the displayed frame.
    public var box: PixelRect
    /// The detector's confidence, 0...1.
    public var confidence: Double

    public init(box: PixelRect, confidence: Double) {
        self.box = box; self.confidence = confidence
    }
}

/// Gives each detected face an id that follows the same person from frame to frame.
///
/// A detection continues a face seen before when their boxes overlap or lie close relative to
/// the face's size, and have about the same size: a small face passing in front of a large one
/// is a different person even where their centres meet. Pairs are taken best first, one
/// detection per face, so the clearest matches are never lost to a weaker one. A face unseen for
/// `maxGap` seconds or more is forgotten (the detector missing a few frames must not split a
/// person in two, but someone leaving and another entering should not merge); its id is never
/// given again. State is one entry per face currently tracked, nothing per frame.
public struct FaceTracker: Sendable {
    private struct Track: Sendable {
        var id: Int
        var box: PixelRect
        var lastSeen: Double
    }

    /// Seconds a face may go unseen and keep its id.
    public let maxGap: Double
    private var tracks: [Track] = []
    private var nextID = 0

    public init(maxGap: Double = 1.0) {
        self.maxGap = maxGap
    }

    /// Associates this frame's detections with faces seen before (overlap (IoU) and centre
    /// distance relative to size, greedy best-first, one detection per face); unmatched
    /// detections get new ids 0, 1, 2, … in order of appearance. A face unseen for less than
    /// maxGap seconds keeps its id. Returns each detection's id, in the order given.
    public mutating func assign(_ detections: [TrackedDetection], at timestamp: Double) -> [Int] {
        tracks.removeAll { timestamp - $0.lastSeen >= maxGap }

        var candidates: [(score: Double, track: Int, detection: Int)] = []
        for (t, track) in tracks.enumerated() {
            for (d, detection) in detections.enumerated() {
                if let score = Self.similarity(track.box, detection.box) { candidates.append((score, t, d)) }
            }
        }
        // Best first; equal scores resolved by the older face, then the earlier detection, so the
        // result never depends on the sort's stability.
        candidates.sort {
            $0.score != $1.score ? $0.score > $1.score
                : tracks[$0.track].id != tracks[$1.track].id ? tracks[$0.track].id < tracks[$1.track].id
                : $0.detection < $1.detection
        }

        var ids = [Int?](repeating: nil, count: detections.count)
        var trackTaken = [Bool](repeating: false, count: tracks.count)
        for candidate in candidates where !trackTaken[candidate.track] && ids[candidate.detection] == nil {
            trackTaken[candidate.track] = true
            ids[candidate.detection] = tracks[candidate.track].id
            tracks[candidate.track].box = detections[candidate.detection].box
            tracks[candidate.track].lastSeen = timestamp
        }
        return ids.enumerated().map { d, id in
            if let id { return id }
            let fresh = nextID
            nextID += 1
            tracks.append(Track(id: fresh, box: detections[d].box, lastSeen: timestamp))
            return fresh
        }
    }

    /// Faces seen within maxGap before `timestamp`, with their last box and time (the pipeline
    /// re-detects around them between full detections). By id.
    public func activeFaces(at timestamp: Double) -> [(id: Int, box: PixelRect, lastSeen: Double)] {
        tracks.filter { timestamp - $0.lastSeen < maxGap }
            .sorted { $0.id < $1.id }
            .map { (id: $0.id, box: $0.box, lastSeen: $0.lastSeen) }
    }

    /// Centres further apart than this many face sizes are never the same face.
    static let maxCentreDistance = 2.0
    /// Boxes whose sides (square roots of their areas) differ more than this ratio are never the same face.
    static let minSizeRatio = 0.5

    /// How well `box` continues the face last seen at `previous`, 0...2 (higher is better), or
    /// nil when it cannot: size agreement × (overlap + closeness of centres).
    static func similarity(_ previous: PixelRect, _ box: PixelRect) -> Double? {
        let previousSide = side(previous), side = side(box)
        guard previousSide > 0, side > 0 else { return nil }
        let sizeRatio = min(previousSide, side) / max(previousSide, side)
        guard sizeRatio >= minSizeRatio else { return nil }
        let dx = (Double(box.x) + Double(box.width) / 2) - (Double(previous.x) + Double(previous.width) / 2)
        let dy = (Double(box.y) + Double(box.height) / 2) - (Double(previous.y) + Double(previous.height) / 2)
        // Relative to the mean of the two sizes, so the measure is symmetric.
        let distance = (dx * dx + dy * dy).squareRoot() / ((previousSide + side) / 2)
        guard distance < maxCentreDistance else { return nil }
        return sizeRatio * (intersectionOverUnion(previous, box) + (1 - distance / maxCentreDistance))
    }

    static func side(_ box: PixelRect) -> Double {
        (Double(max(0, box.width)) * Double(max(0, box.height))).squareRoot()
    }

    static func intersectionOverUnion(_ a: PixelRect, _ b: PixelRect) -> Double {
        let width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
        let height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
        guard width > 0, height > 0 else { return 0 }
        let intersection = Double(width) * Double(height)
        let union = Double(a.width) * Double(a.height) + Double(b.width) * Double(b.height) - intersection
        return union > 0 ? intersection / union : 0
    }
}
