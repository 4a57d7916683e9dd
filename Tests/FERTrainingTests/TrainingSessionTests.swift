import FERData
import FERModel
import XCTest
@testable import FERTraining

/// Collects events from the training queue; tests wait on it with timeouts.
final class EventRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [TrainingEvent] = []

    func record(_ event: TrainingEvent) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    var all: [TrainingEvent] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits until `predicate` holds for the events so far; fails the test on timeout.
    @discardableResult
    func wait(_ what: String, timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line,
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
}

extension TrainingEvent {
    var kind: String {
        switch self {
        case .started: return "started"
        case .step: return "step"
        case .evaluated: return "evaluated"
        case .checkpointSaved: return "checkpoint"
        case .paused: return "paused"
        case .resumed: return "resumed"
        case .replanned: return "replanned"
        case .prediction: return "prediction"
        case .saliency: return "saliency"
        case .finished: return "finished"
        case .failed: return "failed"
        }
    }
    var stepLoss: (Int, Float)? {
        if case .step(let r) = self { return (r.step, r.loss) }
        return nil
    }
}

/// A small learnable dataset: each class is a bright horizontal band at its own height.
func bandDataset(train: Int = 48, validation: Int = 14) -> Dataset {
    func make(_ count: Int, offset: Int) -> ImageSet {
        var set = ImageSet()
        for i in 0..<count {
            let label = (i + offset) % 7
            var image = [UInt8](repeating: 20, count: 2304)
            for row in (label * 6)..<(label * 6 + 6) {
                for col in 0..<48 { image[row * 48 + col] = UInt8(200 + (i * 7 + col) % 50) }
            }
            set.pixels += image
            set.labels.append(Int8(label))
        }
        return set
    }
    return Dataset(name: "bands", train: make(train, offset: 0), validation: make(validation, offset: 3), test: ImageSet())
}

final class TrainingSessionTests: XCTestCase {
    var root: String!

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "ferdash-session-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func bandDataset(train: Int = 48, validation: Int = 14) -> Dataset {
        FERTrainingTests.bandDataset(train: train, validation: validation)
    }

    func configuration(steps: Int, evalEvery: Int = 5, run: String = "run") -> TrainingConfiguration {
        var c = TrainingConfiguration(runDirectory: root + "/" + run)
        c.totalSteps = steps
        c.batchSize = 8
        c.evalEvery = evalEvery
        c.seed = 3
        c.threads = 1
        return c
    }

    func testEventsArriveInOrderAndNothingFollowsFinished() throws {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 12)) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))
        let kinds = recorder.all.map(\.kind)
        XCTAssertEqual(kinds.first, "started")
        XCTAssertEqual(kinds.last, "finished")
        XCTAssertEqual(kinds.filter { $0 == "step" }.count, 12)
        XCTAssertEqual(recorder.all.compactMap(\.stepLoss).map(\.0), Array(1...12), "steps in order")
        // Evaluations after steps 5, 10 and the last (12), each followed by its checkpoint.
        let evaluatedSteps = recorder.all.compactMap { e -> Int? in if case .evaluated(let r) = e { return r.step }; return nil }
        XCTAssertEqual(evaluatedSteps, [5, 10, 12])
        if case .evaluated(let r) = recorder.all.first(where: { $0.kind == "evaluated" })! {
            XCTAssertEqual(r.confusion.total, 14)
            XCTAssertEqual(r.misclassified.count, 14 - r.confusion.correct)
        }
        let run = RunDirectory(path: root + "/run")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.latestCheckpoint))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.bestCheckpoint))
        let (model, metadata) = try RunDirectory.loadCheckpoint(run.latestCheckpoint)
        XCTAssertEqual(model.step, 12)
        XCTAssertEqual(metadata["step"], "12")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(recorder.all.last?.kind, "finished", "nothing after finished")
    }

    func testPauseStopsStepsAndResumeContinues() {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 100_000, evalEvery: 1000)) { recorder.record($0) }
        session.start()
        recorder.wait("a step") { $0.contains { $0.kind == "step" } }
        session.pause()
        recorder.wait("paused") { $0.contains { $0.kind == "paused" } }
        let stepsAtPause = recorder.all.filter { $0.kind == "step" }.count
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(recorder.all.filter { $0.kind == "step" }.count, stepsAtPause, "no steps while paused")
        // Predictions are still answered while paused.
        session.requestPrediction(pixels: Array(bandDataset().train.image(0)), tag: 7)
        recorder.wait("prediction while paused") { $0.contains { if case .prediction(7, let p) = $0 { return abs(p.reduce(0, +) - 1) < 1e-4 }; return false } }
        // So is a saliency request: the prediction, then the map for the predicted class.
        session.requestPrediction(pixels: Array(bandDataset().train.image(1)), tag: 8, saliency: true)
        recorder.wait("saliency while paused") { $0.contains { if case .saliency(8, _, let map) = $0 { return map.count == 2304 }; return false } }
        let predicted = recorder.all.compactMap { event -> Int? in if case .prediction(8, let p) = event { return argmax(p) }; return nil }.first
        let mapped = recorder.all.compactMap { event -> Int? in if case .saliency(8, let c, _) = event { return c }; return nil }.first
        XCTAssertNotNil(predicted)
        XCTAssertEqual(predicted, mapped, "the map is for the class the prediction names")
        session.resume()
        recorder.wait("steps after resume") { $0.filter { $0.kind == "step" }.count > stepsAtPause + 3 }
        XCTAssertTrue(recorder.all.contains { $0.kind == "resumed" })
        session.stop()
        XCTAssertTrue(session.wait(timeout: 30))
    }

    func testStopEndsWithinABatchAndSavesACheckpoint() throws {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 100_000, evalEvery: 1000)) { recorder.record($0) }
        session.start()
        recorder.wait("three steps") { $0.filter { $0.kind == "step" }.count >= 3 }
        session.stop()
        XCTAssertTrue(session.wait(timeout: 10), "stop ends the run promptly")
        guard case .finished(let report) = recorder.all.last else { return XCTFail("last event is not finished") }
        XCTAssertTrue(report.stoppedEarly)
        let (model, _) = try RunDirectory.loadCheckpoint(RunDirectory(path: root + "/run").latestCheckpoint)
        XCTAssertEqual(model.step, report.step, "the checkpoint holds the last completed step")
    }

    func testResumedRunRepeatsTheUninterruptedOneExactly() throws {
        let whole = EventRecorder()
        let a = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 10, run: "whole")) { whole.record($0) }
        a.start()
        XCTAssertTrue(a.wait(timeout: 120))

        let part1 = EventRecorder()
        let b = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 5, run: "split")) { part1.record($0) }
        b.start()
        XCTAssertTrue(b.wait(timeout: 120))
        let part2 = EventRecorder()
        var resumed = configuration(steps: 10, run: "split")
        resumed.resume = true
        let c = TrainingSession(dataset: bandDataset(), configuration: resumed) { part2.record($0) }
        c.start()
        XCTAssertTrue(c.wait(timeout: 120))

        guard case .started(let info) = part2.all.first else { return XCTFail("no started event") }
        XCTAssertEqual(info.firstStep, 5)
        let expected = whole.all.compactMap(\.stepLoss).filter { $0.0 > 5 }
        let actual = part2.all.compactMap(\.stepLoss)
        XCTAssertEqual(actual.map(\.0), expected.map(\.0))
        XCTAssertEqual(actual.map(\.1), expected.map(\.1), "same batches, same dropout, same optimizer state")
    }

    func testBadDatasetBecomesAFailedEventNotATrap() {
        let recorder = EventRecorder()
        let empty = Dataset(name: "empty.csv", train: ImageSet(), validation: ImageSet(), test: ImageSet())
        let session = TrainingSession(dataset: empty, configuration: configuration(steps: 5)) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 10))
        guard case .failed(let message) = recorder.all.last else { return XCTFail("expected failed, got \(recorder.all.map(\.kind))") }
        XCTAssertTrue(message.contains("empty.csv") && message.contains("empty"), message)
    }

    func testResumeWithoutCheckpointFailsClearly() {
        let recorder = EventRecorder()
        var c = configuration(steps: 5)
        c.resume = true
        let session = TrainingSession(dataset: bandDataset(), configuration: c) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 10))
        guard case .failed(let message) = recorder.all.last else { return XCTFail("expected failed") }
        XCTAssertTrue(message.contains("checkpoint-latest.ferdash"), message)
    }

    func testServingSessionScoresTheValidationSetAndAnswersPredictions() {
        let recorder = EventRecorder()
        let model = Classifier(architecture: .seed, seed: 1)
        let validation = bandDataset().validation
        let session = TrainingSession.serving(model, evaluationSet: validation) { recorder.record($0) }
        session.requestPrediction(pixels: [UInt8](repeating: 128, count: 2304), tag: 1)
        recorder.wait("evaluation and prediction") { events in
            events.contains { $0.kind == "prediction" } && events.contains { $0.kind == "evaluated" }
        }
        guard case .evaluated(let report) = recorder.all.first(where: { $0.kind == "evaluated" }) else { return }
        XCTAssertEqual(report.confusion.total, validation.count)
    }
}

/// A deadline shortens the run (and its schedule) instead of letting it overrun.
final class TrainingDeadlineTests: XCTestCase {
    var root: String!
    override func setUpWithError() throws { root = NSTemporaryDirectory() + "ferdash-deadline-\(UUID().uuidString)" }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    private func configuration(deadlineIn seconds: Double) -> TrainingConfiguration {
        var c = TrainingConfiguration(runDirectory: root)
        c.totalSteps = 1_000_000
        c.batchSize = 2   // quick steps even in a debug build: the plan needs 25 before the deadline
        c.evalEvery = 100_000
        c.seed = 5
        c.threads = 1
        c.schedule = .cosine
        c.hyperparameters.learningRate = 1e-3
        c.deadline = UInt64(Int64(DispatchTime.now().uptimeNanoseconds) + Int64(seconds * 1e9))
        return c
    }

    private func steps(_ events: [TrainingEvent]) -> [StepReport] {
        events.compactMap { if case .step(let r) = $0 { return r }; return nil }
    }

    func testAPassedDeadlineEndsTheRunAfterOneStepWithACheckpoint() throws {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(),
                                      configuration: configuration(deadlineIn: -1)) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 60))
        XCTAssertEqual(steps(recorder.all).count, 1)
        XCTAssertTrue(recorder.all.contains { if case .replanned(1, let reason) = $0 { return reason.contains("time budget") }; return false })
        guard case .finished(let report) = recorder.all.last else { return XCTFail("last event is not finished") }
        XCTAssertFalse(report.stoppedEarly, "the shortened plan was completed")
        XCTAssertTrue(recorder.all.contains { $0.kind == "evaluated" }, "the last step is evaluated")
        let (_, metadata) = try RunDirectory.loadCheckpoint(RunDirectory(path: root).latestCheckpoint)
        XCTAssertEqual(metadata["total_steps"], "1", "a resumed run continues the shortened plan")
    }

    func testARunShrinksToItsDeadlineAndStillAnnealsTheLearningRate() {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(),
                                      configuration: configuration(deadlineIn: 3)) { recorder.record($0) }
        session.start()
        // Generous: without the deadline this run would take hours.
        XCTAssertTrue(session.wait(timeout: 60))
        let reports = steps(recorder.all)
        let plans = recorder.all.compactMap { if case .replanned(let t, _) = $0 { return t }; return nil }
        XCTAssertGreaterThan(reports.count, 25, "ran until the deadline, not just the first steps")
        XCTAssertFalse(plans.isEmpty)
        XCTAssertEqual(plans, plans.sorted(by: >), "the plan only shrinks")
        XCTAssertEqual(plans.last, reports.last?.step, "ended on the final plan")
        // The cosine followed the new total: the last rate is near the floor, not mid-curve.
        XCTAssertLessThan(reports.last!.learningRate, 1e-3 * 0.05)
    }

    func testTimeSpentPausedDoesNotCountAgainstTheDeadline() {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(),
                                      configuration: configuration(deadlineIn: 2.5)) { recorder.record($0) }
        session.pause()
        session.start()
        recorder.wait("paused") { $0.contains { $0.kind == "paused" } }
        Thread.sleep(forTimeInterval: 3)   // past the deadline while paused
        session.resume()
        XCTAssertTrue(session.wait(timeout: 60))
        XCTAssertGreaterThan(steps(recorder.all).count, 25, "the pause moved the deadline")
    }
}
