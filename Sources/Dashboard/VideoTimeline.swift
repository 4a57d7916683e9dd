import EmotionTimeline
import FERData

/// Every analysed frame of a video, kept lean: an hour at 30 frames a second is ~100 000 frames,
/// so faces live in flat arrays (frame i's faces are `faceStart[i]..<faceStart[i+1]`) rather than
/// one array of structs per frame. Frames arrive in time order and are only ever appended.
public struct VideoTimeline: Equatable, Sendable {
    public private(set) var times: [Double] = []
    public private(set) var frameNumbers: [Int] = []
    private var faceStart: [Int32] = [0]
    private var faceIDs: [Int32] = []
    /// x, y, width, height per face, in source pixels.
    private var boxes: [Int32] = []
    private var confidences: [Float] = []
    /// Seven per face, in `Emotion` order.
    private var probabilities: [Float] = []
    /// Distinct face ids seen so far, in order of first appearance.
    public private(set) var faceIDsSeen: [Int] = []
    private var seen: Set<Int> = []

    static let classes = Emotion.allCases.count

    public init() {}

    public var count: Int { times.count }
    public var isEmpty: Bool { times.isEmpty }
    public var lastTime: Double? { times.last }

    /// Appends a frame later than every frame so far; false (and nothing kept) otherwise, so a
    /// stray late frame (or a timestamp that is not a number) cannot break the order every
    /// lookup relies on.
    @discardableResult
    public mutating func append(_ frame: FrameAnalysis) -> Bool {
        guard frame.timestamp.isFinite else { return false }
        if let last = times.last, frame.timestamp <= last { return false }
        times.append(frame.timestamp)
        frameNumbers.append(frame.frame)
        for f in frame.faces {
            faceIDs.append(Int32(truncatingIfNeeded: f.faceID))
            boxes += [f.box.x, f.box.y, f.box.width, f.box.height].map { Int32(truncatingIfNeeded: $0) }
            confidences.append(Float(f.confidence))
            probabilities += f.probabilities
            if seen.insert(f.faceID).inserted { faceIDsSeen.append(f.faceID) }
        }
        faceStart.append(Int32(faceIDs.count))
        return true
    }

    /// The index of the first frame at or after `t` (`count` when none).
    public func firstIndex(atOrAfter t: Double) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The last frame at or before `t`, if any.
    public func lastIndex(atOrBefore t: Double) -> Int? {
        let i = firstIndex(atOrAfter: t)
        if i < times.count && times[i] == t { return i }
        return i > 0 ? i - 1 : nil
    }

    /// The faces of frame `i`, as the analysis reported them.
    public func faces(at i: Int) -> [FaceObservation] {
        faceRange(i).map(observation)
    }

    /// The face `id` in frame `i`, if it is there.
    public func face(_ id: Int, at i: Int) -> FaceObservation? {
        faceRange(i).first { Int(faceIDs[$0]) == id }.map(observation)
    }

    /// The mean probabilities of face `id` over frames `range`, looking at no more than
    /// `maxSamples` of them (evenly spread), so a column of a long video stays cheap to draw;
    /// nil when the face is in none of the frames looked at.
    public func meanProbabilities(of id: Int, in range: Range<Int>, maxSamples: Int = 32) -> [Float]? {
        guard !range.isEmpty else { return nil }
        let stride = max(1, (range.count + maxSamples - 1) / maxSamples)
        var sum = [Float](repeating: 0, count: Self.classes)
        var n = 0
        for i in Swift.stride(from: range.lowerBound, to: range.upperBound, by: stride) {
            guard let k = faceRange(i).first(where: { Int(faceIDs[$0]) == id }) else { continue }
            for c in 0..<Self.classes { sum[c] += probabilities[k * Self.classes + c] }
            n += 1
        }
        return n == 0 ? nil : sum.map { $0 / Float(n) }
    }

    private func faceRange(_ i: Int) -> Range<Int> {
        guard i >= 0 && i < times.count else { return 0..<0 }
        return Int(faceStart[i])..<Int(faceStart[i + 1])
    }

    private func observation(_ k: Int) -> FaceObservation {
        FaceObservation(faceID: Int(faceIDs[k]),
                        box: PixelRect(x: Int(boxes[4 * k]), y: Int(boxes[4 * k + 1]),
                                       width: Int(boxes[4 * k + 2]), height: Int(boxes[4 * k + 3])),
                        confidence: Double(confidences[k]),
                        probabilities: Array(probabilities[k * Self.classes..<(k + 1) * Self.classes]))
    }
}
