/// Steadies each face's probabilities over time, so one odd frame does not flip the label.
///
/// A centred moving average per face id: a face's probabilities in a frame at time t become the
/// mean of that face's probabilities over its frames within t ± window/2 (each frame weighs the
/// same; timestamps within a microsecond of the edge count as inside, as pts are microseconds).
/// Centred, so a change shows at the time it happened rather than half a window late; the price
/// is that a frame leaves `push` only once a frame at or past its window's end has arrived. Frames, boxes, ids,
/// confidences and frames without faces pass through unchanged apart from the probabilities, one
/// out for every one in, in the order given. Memory: the frames of one window.
public struct ProbabilitySmoother: Sendable {
    /// Seconds.
    public let window: Double
    private static let edgeTolerance = 1e-6

    /// Frames still needed: those already returned that are within half a window before the
    /// first pending one, then the pending ones (from `firstPending` on), in time order.
    private var frames: [FrameAnalysis] = []
    private var firstPending = 0

    public init(window: Double) {
        self.window = max(0, window)
    }

    private var half: Double { window / 2 }

    /// Takes frames in time order; returns the frames whose whole window has been seen (delayed
    /// by window/2), with probabilities averaged.
    public mutating func push(_ frame: FrameAnalysis) -> [FrameAnalysis] {
        frames.append(frame)
        var ready: [FrameAnalysis] = []
        // A frame at the window's end completes it, as timestamps only grow.
        while firstPending < frames.count, frame.timestamp >= frames[firstPending].timestamp + half - Self.edgeTolerance {
            ready.append(smoothed(firstPending))
            firstPending += 1
        }
        dropFramesBehindWindows()
        return ready
    }

    /// The rest, at the end or on interruption (their windows truncated at the last frame seen).
    public mutating func flush() -> [FrameAnalysis] {
        let rest = (firstPending..<frames.count).map(smoothed)
        frames.removeAll()
        firstPending = 0
        return rest
    }

    private func smoothed(_ index: Int) -> FrameAnalysis {
        var frame = frames[index]
        guard !frame.faces.isEmpty, window > 0 else { return frame }
        // The window's frames are contiguous around `index`, as timestamps only grow.
        var low = index, high = index
        while low > 0, frame.timestamp - frames[low - 1].timestamp <= half + Self.edgeTolerance { low -= 1 }
        while high + 1 < frames.count, frames[high + 1].timestamp - frame.timestamp <= half + Self.edgeTolerance { high += 1 }
        for f in frame.faces.indices {
            let id = frame.faces[f].faceID
            var sums = [Double](repeating: 0, count: frame.faces[f].probabilities.count)
            var count = 0
            for neighbour in frames[low...high] {
                for face in neighbour.faces where face.faceID == id {
                    for k in sums.indices { sums[k] += Double(face.probabilities[k]) }
                    count += 1
                }
            }
            frame.faces[f].probabilities = sums.map { Float($0 / Double(count)) }
        }
        return frame
    }

    private mutating func dropFramesBehindWindows() {
        // The next frame to leave is the oldest pending one; with none pending, the next frame
        // pushed (no earlier than the newest) will be.
        guard let horizon = (firstPending < frames.count ? frames[firstPending] : frames.last)?.timestamp else { return }
        var drop = 0
        while drop < firstPending, horizon - frames[drop].timestamp > half + Self.edgeTolerance { drop += 1 }
        if drop > 0 {
            frames.removeFirst(drop)
            firstPending -= drop
        }
    }
}
