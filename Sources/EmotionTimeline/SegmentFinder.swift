import FERData

/// A stretch of time in which one face kept one label.
public struct EmotionSegment: Sendable, Equatable {
    public var faceID: Int
    /// Seconds: the timestamp of the segment's first frame.
    public var start: Double
    /// Seconds: the segment's last frame's timestamp plus that frame's duration (`VisibleTime`):
    /// the next frame's timestamp when the face's next frame follows without a gap (so segments
    /// of one face meet, happy 0–3 then sad 3–5); before a gap, one typical frame interval after
    /// the last frame; at the end of the video (or a face gone for good), the last frame lasts as
    /// long as the face's frame before it.
    public var end: Double
    public var emotion: Emotion
    /// The probability of `emotion`, averaged over the segment's frames (each counts once).
    public var meanProbability: Double

    public init(faceID: Int, start: Double, end: Double, emotion: Emotion, meanProbability: Double) {
        self.faceID = faceID; self.start = start; self.end = end; self.emotion = emotion; self.meanProbability = meanProbability
    }
}

/// Cuts each face's frames into segments of one label, as the frames go by (`--segments`).
///
/// A segment closes when the face's label changes, or when the face has been gone longer than
/// `maxGap` seconds (noticed at the first frame after that, with or without the face, so an
/// endless stream still gets it). A shorter gap does not split a segment: it runs across it,
/// since a detector missing a face for a moment says nothing about its expression. Frames should
/// come smoothed (`ProbabilitySmoother`), or a flickering label makes a segment per frame.
/// State is one open segment per face.
public struct SegmentFinder: Sendable {
    private struct Open: Sendable {
        var start: Double
        var emotion: Emotion
        var lastFrame: Double
        var probabilitySum: Double
        var frames: Int
    }

    /// Seconds a face may go unseen without closing its segment.
    public let maxGap: Double
    private var time = VisibleTime()
    private var open: [Int: Open] = [:]

    public init(maxGap: Double = 1.0) {
        self.maxGap = maxGap
    }

    /// Returns the segments that this frame closed, by face id.
    public mutating func add(_ frame: FrameAnalysis) -> [EmotionSegment] {
        let now = frame.timestamp
        time.frame(at: now)
        var closed: [EmotionSegment] = []
        var present = Set<Int>()
        for face in frame.faces {
            let id = face.faceID, label = face.label
            present.insert(id)
            let previous = time.sighting(of: id, at: now)
            if let segment = open[id] {
                if now - segment.lastFrame > maxGap {
                    closed.append(close(id, segment, end: segment.lastFrame + (previous?.duration ?? 0)))
                } else if label != segment.emotion {
                    let end = previous.map { $0.continuous ? now : segment.lastFrame + $0.duration } ?? now
                    closed.append(close(id, segment, end: end))
                } else {
                    open[id]!.lastFrame = now
                    open[id]!.probabilitySum += Double(face.probabilities[label.rawValue])
                    open[id]!.frames += 1
                    continue
                }
            }
            open[id] = Open(start: now, emotion: label, lastFrame: now,
                            probabilitySum: Double(face.probabilities[label.rawValue]), frames: 1)
        }
        for (id, segment) in open where !present.contains(id) && now - segment.lastFrame > maxGap {
            closed.append(close(id, segment, end: segment.lastFrame + time.closingDuration(of: id)))
        }
        return closed.sorted { ($0.faceID, $0.start) < ($1.faceID, $1.start) }
    }

    /// Closes every open segment (the end of the video, or an interruption), by face id; each
    /// face's last frame counts as long as its previous frame did.
    public mutating func finish() -> [EmotionSegment] {
        let rest = open.keys.sorted().map { id in
            close(id, open[id]!, end: open[id]!.lastFrame + time.closingDuration(of: id))
        }
        open.removeAll()
        return rest
    }

    private mutating func close(_ id: Int, _ segment: Open, end: Double) -> EmotionSegment {
        open[id] = nil
        return EmotionSegment(faceID: id, start: segment.start, end: end, emotion: segment.emotion,
                              meanProbability: segment.probabilitySum / Double(segment.frames))
    }

    public static let csvHeader = "face_id,start,end,emotion,mean_probability"

    /// `0,3.0,5.0,sad,0.8123`: seconds as in the frame table (up to 6 decimals, one kept), the
    /// probability to 4 decimals; no newline. Nothing needs quoting.
    public static func csvRow(_ s: EmotionSegment) -> String {
        [String(s.faceID), TableNumbers.seconds(s.start) ?? "", TableNumbers.seconds(s.end) ?? "",
         s.emotion.name, TableNumbers.fraction(s.meanProbability) ?? ""].joined(separator: ",")
    }
}
