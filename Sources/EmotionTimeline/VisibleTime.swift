/// How long each analysed frame counts as showing a face: the one rule behind the summary's
/// seconds and shares and the segments' ends, so the two always agree.
///
/// The rule. A frame of a face lasts until that face's next analysed frame, when that comes
/// within `gapFactor` (1.5) × the typical analysed-frame interval; a longer wait is a gap (the
/// detector missed the face, or it left), and the frame before it counts as one typical interval,
/// so a gap is never counted as visible. A face's last frame (at the end, or before it is gone
/// for good) counts as long as its previous frame did; a face seen in one frame only counts one
/// typical interval; a video of one frame counts nothing.
///
/// The typical interval is the median of the last `recentCount` intervals between successive
/// analysed frames (with or without faces): it follows `--every`/`--fps` sampling and a variable
/// frame rate, ignores the odd dropped frame, and is O(1) memory however long the video.
/// Jitter below the gap threshold counts in full, so an unbroken run of frames counts exactly
/// its span.
struct VisibleTime: Sendable {
    static let gapFactor = 1.5
    static let recentCount = 31

    private var recent: [Double] = []
    private var nextSlot = 0
    private var lastFrameTime: Double?
    private(set) var typicalInterval: Double?
    private var faces: [Int: (lastSeen: Double, lastDuration: Double?)] = [:]

    /// Notes an analysed frame; call before `sighting` for the faces in it.
    mutating func frame(at timestamp: Double) {
        defer { lastFrameTime = timestamp }
        // Repeated or backward timestamps (damaged streams) say nothing about the interval.
        guard let last = lastFrameTime, timestamp > last else { return }
        if recent.count < Self.recentCount { recent.append(timestamp - last) } else { recent[nextSlot] = timestamp - last }
        nextSlot = (nextSlot + 1) % Self.recentCount
        let sorted = recent.sorted()
        typicalInterval = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The face `id` was seen at `timestamp`. Returns how long its previous frame counts and
    /// whether that frame ran up to this one (false: a gap came between), or nil on its first
    /// sighting.
    mutating func sighting(of id: Int, at timestamp: Double) -> (duration: Double, continuous: Bool)? {
        defer { faces[id, default: (timestamp, nil)].lastSeen = timestamp }
        guard let previous = faces[id] else { return nil }
        let waited = max(0, timestamp - previous.lastSeen)
        let result: (duration: Double, continuous: Bool)
        if let typical = typicalInterval, waited > Self.gapFactor * typical {
            result = (typical, false)
        } else {
            result = (waited, true)
        }
        faces[id]!.lastDuration = result.duration
        return result
    }

    /// How long the face's last frame counts when no further frame of it follows.
    func closingDuration(of id: Int) -> Double {
        faces[id]?.lastDuration ?? typicalInterval ?? 0
    }

    func lastSeen(of id: Int) -> Double? { faces[id]?.lastSeen }
}
