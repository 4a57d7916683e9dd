import FERData
import Foundation

/// One face over a whole video.
public struct FaceSummary: Sendable, Equatable {
    public var faceID: Int
    /// Timestamps (seconds) of the face's first and last analysed frames.
    public var firstSeen: Double
    public var lastSeen: Double
    /// Seconds the face was visible, by `VisibleTime`'s rule: gaps in which it was not seen do
    /// not count, so this can be well below lastSeen - firstSeen.
    public var secondsVisible: Double
    /// Analysed frames that showed it.
    public var framesSeen: Int
    /// The share of visible time each emotion was the label, in `Emotion` order; sums to 1.
    /// (By frames when the face has no visible time, i.e. a video of one frame.)
    public var shares: [Double]
    /// Each emotion's probability averaged over the face's frames (each frame counts once), in
    /// `Emotion` order.
    public var meanProbabilities: [Double]
    /// The emotion with the largest share (the first of equals).
    public var dominant: Emotion

    public init(faceID: Int, firstSeen: Double, lastSeen: Double, secondsVisible: Double, framesSeen: Int,
                shares: [Double], meanProbabilities: [Double], dominant: Emotion) {
        self.faceID = faceID; self.firstSeen = firstSeen; self.lastSeen = lastSeen
        self.secondsVisible = secondsVisible; self.framesSeen = framesSeen
        self.shares = shares; self.meanProbabilities = meanProbabilities; self.dominant = dominant
    }
}

/// Sums up a video's analysis per face as the frames go by: how long each face was visible and
/// how that time divides among the emotions. State is a few numbers per face and nothing per
/// frame, so an hour-long video (or an endless stream) never grows it.
public struct TimelineSummary: Sendable {
    private struct Tally: Sendable {
        var firstSeen: Double
        var lastSeen: Double
        var frames = 0
        var seconds = 0.0
        var secondsByLabel = [Double](repeating: 0, count: Emotion.allCases.count)
        var framesByLabel = [Int](repeating: 0, count: Emotion.allCases.count)
        var probabilitySums = [Double](repeating: 0, count: Emotion.allCases.count)
        /// The label of the face's newest frame, whose duration is known only at its next frame.
        var pendingLabel: Emotion

        mutating func credit(_ duration: Double) {
            seconds += duration
            secondsByLabel[pendingLabel.rawValue] += duration
        }

        mutating func record(_ face: FaceObservation, label: Emotion, at timestamp: Double) {
            lastSeen = timestamp
            frames += 1
            framesByLabel[label.rawValue] += 1
            for k in probabilitySums.indices { probabilitySums[k] += Double(face.probabilities[k]) }
            pendingLabel = label
        }
    }

    private var time = VisibleTime()
    private var tallies: [Int: Tally] = [:]

    public init() {}

    public mutating func add(_ frame: FrameAnalysis) {
        time.frame(at: frame.timestamp)
        for face in frame.faces {
            let label = face.label
            if let previous = time.sighting(of: face.faceID, at: frame.timestamp) {
                tallies[face.faceID]!.credit(previous.duration)
            }
            tallies[face.faceID, default: Tally(firstSeen: frame.timestamp, lastSeen: frame.timestamp, pendingLabel: label)]
                .record(face, label: label, at: frame.timestamp)
        }
    }

    /// Every face seen so far, by id; the newest frame of each counts as its previous one did.
    public func faces() -> [FaceSummary] {
        tallies.keys.sorted().map { id in
            var tally = tallies[id]!
            tally.credit(time.closingDuration(of: id))
            let shares: [Double] = tally.seconds > 0
                ? tally.secondsByLabel.map { $0 / tally.seconds }
                : tally.framesByLabel.map { Double($0) / Double(tally.frames) }
            return FaceSummary(faceID: id, firstSeen: tally.firstSeen, lastSeen: tally.lastSeen,
                               secondsVisible: tally.seconds, framesSeen: tally.frames, shares: shares,
                               meanProbabilities: tally.probabilitySums.map { $0 / Double(tally.frames) },
                               dominant: Emotion(mostLikelyIn: shares))
        }
    }

    /// A human summary, one block per face:
    ///
    ///     Face 0: visible 00:05 (0:00.0–0:04.9, 50 frames), mostly happy
    ///       happy      60%  ████████████
    ///       sad        40%  ████████
    ///
    /// Emotions that held the label for under half a percent of the time are left out; bars are
    /// 20 cells for 100%, in eighths (or `#` with `ascii`).
    public func text(ascii: Bool = false) -> String {
        let summaries = faces()
        guard !summaries.isEmpty else { return "No faces found.\n" }
        var out = ""
        for (n, face) in summaries.enumerated() {
            if n > 0 { out += "\n" }
            let span = "\(TimeText.position(face.firstSeen))–\(TimeText.position(face.lastSeen))"
            out += "Face \(face.faceID): visible \(TimeText.clock(face.secondsVisible)) "
                + "(\(ascii ? span.replacingOccurrences(of: "–", with: "-") : span), "
                + "\(face.framesSeen) frame\(face.framesSeen == 1 ? "" : "s")), mostly \(face.dominant.name)\n"
            let order = Emotion.allCases.sorted { face.shares[$0.rawValue] > face.shares[$1.rawValue] }
            for emotion in order where face.shares[emotion.rawValue] >= 0.005 {
                let share = face.shares[emotion.rawValue]
                let name = emotion.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                let percent = String(Int((share * 100).rounded()))
                out += "  \(name) \(String(repeating: " ", count: 3 - percent.count))\(percent)%  \(Self.bar(share, ascii: ascii))\n"
            }
        }
        return out
    }

    static let barCells = 20

    /// `fraction` of `barCells` cells, to an eighth of a cell.
    static func bar(_ fraction: Double, ascii: Bool) -> String {
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        if ascii { return String(repeating: "#", count: Int((clamped * Double(barCells)).rounded())) }
        let eighths = Int((clamped * Double(barCells * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
        return String(repeating: "█", count: eighths / 8) + partial
    }
}
