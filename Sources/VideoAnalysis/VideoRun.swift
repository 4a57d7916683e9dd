import EmotionTimeline
import Foundation
import Synchronization
import VideoDecoding

/// How a run over one video ended.
public struct VideoRunOutcome: Sendable {
    /// Frames decoded (analysed or not) and frames analysed.
    public var decodedFrames = 0
    public var analysedFrames = 0
    /// The last analysed frame's index and timestamp: where the results end.
    public var lastFrame: Int?
    public var lastTimestamp: Double?
    /// Stopped from outside (the person, a signal) before the end of the video.
    public var stopped = false
    /// Why reading stopped early, when it did: rows up to `lastTimestamp` are still good.
    public var error: VideoError?
    /// The decoder's notes (damaged packets skipped, a truncated end).
    public var warnings: [String] = []
    public var seconds = 0.0
}

/// Decodes on one thread and analyses on the caller's, so decoding one frame overlaps analysing
/// the one before it (the two take about the same time). A short queue between them keeps the
/// memory flat however long the video is.
///
/// Sendable so that `stop()` can come from any thread. The decoder and the analyzer are not
/// thread-safe: while `run` runs, only its decode thread touches the decoder (the caller reads
/// `info`, a constant, and calls `interrupt()`, which is thread-safe) and only the caller the
/// analyzer; the caller reads the decoder's warnings after the decode thread has ended.
public final class VideoRun: @unchecked Sendable {   // unchecked: decoder and analyzer are each used by one thread at a time, as above
    public let decoder: VideoDecoder
    public let analyzer: VideoAnalyzer
    private let stopRequested = Atomic<Bool>(false)

    public init(decoder: VideoDecoder, analyzer: VideoAnalyzer) {
        self.decoder = decoder
        self.analyzer = analyzer
    }

    /// Asks the run to end after the frame in hand; safe from any thread (a signal handler's queue).
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        decoder.interrupt()
    }

    public var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    private enum Item { case frame(VideoFrame), end, failed(VideoError) }

    /// Runs to the end of the video (or a stop, or a read error) and calls `onFrame` with each
    /// analysed frame in order. An error thrown by `onFrame` (the table could not be written)
    /// stops the run and is rethrown.
    public func run(onFrame: (FrameAnalysis, VideoFrame) throws -> Void) throws -> VideoRunOutcome {
        let queue = BoundedQueue<Item>(capacity: 3)
        let selection = analyzer.options.selection
        let started = DispatchTime.now().uptimeNanoseconds
        let decoded = FrameCount()
        let threadDone = DispatchSemaphore(value: 0)
        let thread = Thread { [weak self] in
            defer { threadDone.signal() }
            self?.decode(selection: selection, into: queue, counting: decoded)
        }
        thread.name = "ferdash.video.decode"
        thread.stackSize = 1 << 20
        thread.start()

        var outcome = VideoRunOutcome()
        var writeFailure: Error?
        var streamEnd: String?
        loop: while true {
            switch queue.pop() {
            case .frame(let frame):
                if isStopping { outcome.stopped = true; break loop }
                let analysis = analyzer.analyse(frame)
                outcome.analysedFrames += 1
                outcome.lastFrame = frame.index
                outcome.lastTimestamp = frame.timestamp
                do { try onFrame(analysis, frame) } catch {
                    writeFailure = error
                    stop()
                    break loop
                }
            case .end, nil:
                break loop
            case .failed(let error):
                if error.kind == .interrupted && isStopping {
                    outcome.stopped = true
                } else if error.kind == .interrupted && decoder.info.isLive {
                    // A stream that falls silent has ended: its table is complete, not cut short.
                    streamEnd = "the stream ended: \(error.message)"
                } else {
                    outcome.error = error
                }
                break loop
            }
        }
        if isStopping { outcome.stopped = true }
        // The decode thread leaves once the queue is closed (or the decoder interrupted): wait for
        // it, so its count and the decoder's warnings are final and the decoder is free again.
        queue.close()
        if isStopping { decoder.interrupt() }
        _ = threadDone.wait(timeout: .now() + 10)
        analyzer.settle()
        if let writeFailure { throw writeFailure }
        outcome.decodedFrames = decoded.value
        outcome.warnings = decoder.warnings + [streamEnd].compactMap { $0 }
        outcome.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return outcome
    }

    /// The decode thread's loop: the frames `selection` picks go into `queue` until the end, a
    /// stop, a read error, or the queue's closing (the caller has gone).
    private func decode(selection: FrameSelection, into queue: BoundedQueue<Item>, counting decoded: FrameCount) {
        var lastSelected: Double?
        var index = 0
        do {
            while !isStopping {
                guard let frame = try decoder.nextFrame(wantImage: selection.wantsImage(index: index)) else { break }
                index = frame.index + 1
                decoded.set(index)
                guard selection.selects(index: frame.index, timestamp: frame.timestamp, lastSelected: lastSelected) else { continue }
                lastSelected = frame.timestamp
                if !queue.push(.frame(frame)) { return }
            }
            _ = queue.push(.end)
        } catch let error as VideoError {
            _ = queue.push(.failed(error))
        } catch {
            _ = queue.push(.failed(VideoError(.damaged, file: decoder.info.source, message: String(describing: error))))
        }
    }
}

/// The decode thread's frame count, read by the caller.
private final class FrameCount: Sendable {
    private let count = Atomic<Int>(0)
    func set(_ value: Int) { count.store(value, ordering: .releasing) }
    var value: Int { count.load(ordering: .acquiring) }
}

/// A blocking first-in-first-out queue of at most `capacity` items, closable from either side.
/// Both sides wait (for an item, for room), which needs a condition variable: Synchronization's
/// `Mutex` has none, so this keeps an `NSCondition`.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {   // unchecked: `items` and `closed` are only touched while holding `condition`
    private let condition = NSCondition()
    private var items: [Element] = []
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false once the queue is closed (the consumer has gone).
    func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Waits for an item; nil once closed and empty.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
