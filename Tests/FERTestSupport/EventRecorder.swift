import FERTraining
import Foundation
import Synchronization
import XCTest

/// Collects a training session's events from its queue; tests wait on it with timeouts. A test
/// blocks until an event arrives, which needs a condition variable (Synchronization's `Mutex`
/// has none), so this keeps an `NSCondition`.
public final class EventRecorder: @unchecked Sendable {   // unchecked: `events` is only touched while holding `condition`
    private let condition = NSCondition()
    private var events: [TrainingEvent] = []

    public init() {}

    public func record(_ event: TrainingEvent) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    public var all: [TrainingEvent] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits until `predicate` holds for the events so far; fails the test on timeout.
    @discardableResult
    public func wait(_ what: String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line,
                     until predicate: ([TrainingEvent]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(events) {
            if !condition.wait(until: deadline) {
                XCTFail("timed out waiting for \(what)", file: file, line: line)
                return false
            }
        }
        return true
    }

    public var steps: [StepReport] { all.compactMap(\.stepReport) }
    public var evaluations: [EvaluationReport] { all.compactMap(\.evaluation) }
    public var kinds: [String] { all.map(\.kind) }
}

/// A monotonic clock that moves only when told to, so time-dependent behaviour (the time
/// budget, time spent paused) is tested without sleeping and gives the same answer every run.
public final class ManualClock: Sendable {
    private let nanoseconds: Atomic<UInt64>

    public init(start: UInt64 = 1_000_000_000_000) { nanoseconds = Atomic(start) }

    public var now: UInt64 { nanoseconds.load(ordering: .acquiring) }

    public func advance(seconds: Double) {
        nanoseconds.add(UInt64(seconds * 1e9), ordering: .acquiringAndReleasing)
    }

    /// The clock as a `TrainingSession` reads it.
    public var reading: @Sendable () -> UInt64 { { [self] in now } }
}

extension TrainingEvent {
    public var kind: String {
        switch self {
        case .started: return "started"
        case .step: return "step"
        case .evaluated: return "evaluated"
        case .checkpointSaved: return "checkpoint"
        case .paused: return "paused"
        case .resumed: return "resumed"
        case .planned: return "planned"
        case .replanned: return "replanned"
        case .prediction: return "prediction"
        case .saliency: return "saliency"
        case .finished: return "finished"
        case .failed: return "failed"
        }
    }

    public var stepReport: StepReport? {
        if case .step(let r) = self { return r }
        return nil
    }

    public var stepLoss: (Int, Float)? { stepReport.map { ($0.step, $0.loss) } }

    public var evaluation: EvaluationReport? {
        if case .evaluated(let r) = self { return r }
        return nil
    }

    public var finish: FinishReport? {
        if case .finished(let r) = self { return r }
        return nil
    }

    public var failure: String? {
        if case .failed(let message) = self { return message }
        return nil
    }
}
