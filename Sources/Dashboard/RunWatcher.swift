import Dispatch
import FERData
import FERModel
import FERTraining
import Foundation
import Synchronization

/// Predictions from a watched run's checkpoint (`ferdash watch`). The watcher swaps in a new
/// model when a newer checkpoint appears; answers from the old one are ignored by the dashboard
/// (by their tag).
public final class WatchControl: DashboardSessionControl, Sendable {
    private let session = Mutex<TrainingSession?>(nil)
    private let mailbox: EventMailbox
    /// The viewer leaves the cores to the trainer: one thread is plenty for single predictions.
    private let engine = Engine(threads: 1)

    public init(mailbox: EventMailbox) { self.mailbox = mailbox }

    /// Answers predictions from the checkpoint at `path` from now on; its training step.
    /// A file that does not decode throws and leaves the current model in place.
    @discardableResult
    public func serve(checkpointAt path: String) throws -> Int {
        let (classifier, _) = try RunDirectory.loadCheckpoint(path, engine: engine)
        let step = classifier.step
        let mailbox = self.mailbox
        let fresh = TrainingSession.serving(classifier) { mailbox.post($0) }
        let old = session.withLock { current in
            let old = current
            current = fresh
            return old
        }
        old?.close()
        return step
    }

    public func requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool) {
        session.withLock { $0 }?.requestPrediction(pixels: pixels, tag: tag, saliency: saliency)
    }

    // The trainer is another process: the reducer answers these keys itself and never asks.
    public func pause() {}
    public func resume() {}
    public func stop() {}
    public func saveCheckpointNow() {}

    public func close() {
        let current = session.withLock { current in
            let old = current
            current = nil
            return old
        }
        current?.close()
    }
}

/// One look at a watched run's files: new metrics lines as session events, the run's state,
/// and a newer checkpoint handed to the `WatchControl`. Only ever opens files for reading.
/// The clock is the caller's (`poll(now:)`), so a test decides what "stale" and "a second
/// later" mean.
public struct RunPoller {
    /// The status is posted when it changes, and at least this often so "written 3s ago" moves.
    public static let statusRefresh: TimeInterval = 1

    private let run: RunDirectory
    private let dataset: Dataset
    private let control: WatchControl
    private var follower: MetricsFollower
    private var translator: RunEventTranslator
    private var summary = RunSummary()
    private var checkpoints: CheckpointWatch
    /// The run's state as of the last poll (the dashboard starts with it before the first).
    public private(set) var status: WatchStatus
    private var posted: WatchStatus?
    private var postedAt = Date.distantPast

    public init(run path: String, dataset: Dataset, datasetNote: String?, control: WatchControl, now: Date = Date(),
                timeZone: TimeZone = .current) {
        run = RunDirectory(path: path)
        self.dataset = dataset
        self.control = control
        follower = MetricsFollower(path: run.metrics)
        checkpoints = CheckpointWatch(run: run)
        translator = RunEventTranslator(runDirectory: path, dataset: dataset)
        status = WatchStatus(run: path, state: .running, lastWrite: nil, checkedAt: now, timeZone: timeZone)
        status.datasetNote = datasetNote
    }

    /// Reads what was appended since the last poll; the actions for the dashboard, in order.
    public mutating func poll(now: Date) -> [Action] {
        var actions: [Action] = []
        do {
            let chunk = try follower.poll()
            if chunk.restarted { translator = RunEventTranslator(runDirectory: run.path, dataset: dataset) }
            summary.apply(chunk)
            for record in chunk.records { actions += translator.events(for: record).map(Action.event) }
        } catch {
            status.fileNote = "\(error)"   // the metrics file went away: keep showing what was read
        }
        status.state = summary.state(lastWrite: follower.lastWrite, now: now)
        status.lastWrite = follower.lastWrite
        status.checkedAt = now
        status.problemCount = summary.problems.count
        status.firstProblem = summary.problems.first?.description
        if let start = summary.start, let pid = start.pid {
            status.trainer = "pid \(pid)" + (start.host.map { " on \($0)" } ?? "")
        }
        checkCheckpoint()
        var comparable = status
        comparable.checkedAt = posted?.checkedAt ?? now
        if comparable != posted || now.timeIntervalSince(postedAt) >= Self.statusRefresh {
            actions.append(.watch(status))
            posted = status
            postedAt = now
        }
        return actions
    }

    /// Serves the newest checkpoint when its file changed (a file that does not decode is
    /// reported and not used; the next replacement is tried again).
    private mutating func checkCheckpoint() {
        guard let path = checkpoints.changed() else { return }
        do {
            status.checkpointStep = try control.serve(checkpointAt: path)
            status.fileNote = nil
        } catch {
            status.fileNote = "cannot load the run's checkpoint: \(error)"
        }
    }
}

/// Polls a run on its own thread, four times a second, and posts what each poll finds into the
/// dashboard's inbox.
public final class RunWatcher: Sendable {
    public static let pollInterval = 0.25

    private let poller: Mutex<RunPoller>
    private let inbox: ActionInbox
    /// Signalled once by `stop()`: wakes the thread from its wait between polls.
    private let stopRequest = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    /// Signalled by the thread as it leaves.
    private let left = DispatchSemaphore(value: 0)
    /// The status before the first poll (the dashboard starts with it).
    public let initialStatus: WatchStatus

    public init(poller: sending RunPoller, inbox: ActionInbox) {
        initialStatus = poller.status
        self.poller = Mutex(poller)
        self.inbox = inbox
    }

    public func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Thread.detachNewThread { [self] in
            while !stopping.load(ordering: .acquiring) {
                let actions = poller.withLock { $0.poll(now: Date()) }
                inbox.post(contentsOf: actions)
                _ = stopRequest.wait(timeout: .now() + Self.pollInterval)
            }
            left.signal()
        }
    }

    /// Waits (briefly) for the thread to leave its current poll; the thread is not started again.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        stopRequest.signal()
        if started.load(ordering: .acquiring) { _ = left.wait(timeout: .now() + 5) }
    }
}
