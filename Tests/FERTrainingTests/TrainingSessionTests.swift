import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

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
    let dir = TempDir()
    var root: String { dir.path }

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
        XCTAssertEqual(recorder.evaluations.map(\.step), [5, 10, 12])
        let r = try XCTUnwrap(recorder.evaluations.first)
        XCTAssertEqual(r.confusion.total, 14)
        XCTAssertEqual(r.misclassified.count, 14 - r.confusion.correct)
        let run = RunDirectory(path: root + "/run")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.latestCheckpoint))
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.bestCheckpoint))
        let (model, metadata) = try RunDirectory.loadCheckpoint(run.latestCheckpoint, engine: Engine(threads: 2))
        XCTAssertEqual(model.step, 12)
        XCTAssertEqual(metadata["step"], "12")
        session.close()   // the queue has gone idle: whatever it was going to send, it has sent
        XCTAssertEqual(recorder.all.last?.kind, "finished", "nothing after finished")
    }

    func testPauseStopsStepsAndResumeContinues() {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(), configuration: configuration(steps: 100_000, evalEvery: 1000)) { recorder.record($0) }
        session.start()
        recorder.wait("a step") { $0.contains { $0.kind == "step" } }
        session.pause()
        recorder.wait("paused") { $0.contains { $0.kind == "paused" } }
        let stepsAtPause = recorder.steps.count
        // Predictions are still answered while paused: the answer comes from the paused loop,
        // so once it is here the loop has gone round its pause at least once without a step.
        session.requestPrediction(pixels: Array(bandDataset().train.image(0)), tag: 7)
        recorder.wait("prediction while paused") { $0.contains { if case .prediction(7, let p) = $0 { return abs(p.reduce(0, +) - 1) < 1e-4 }; return false } }
        XCTAssertEqual(recorder.steps.count, stepsAtPause, "no steps while paused")
        XCTAssertFalse(recorder.kinds.contains("resumed"))
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
        let report = try XCTUnwrap(recorder.all.last?.finish, "last event is not finished")
        XCTAssertTrue(report.stoppedEarly)
        let (model, _) = try RunDirectory.loadCheckpoint(RunDirectory(path: root + "/run").latestCheckpoint, engine: Engine(threads: 2))
        XCTAssertEqual(model.step, report.step, "the checkpoint holds the last completed step")
    }

    /// Runs 10 steps in one go (run "whole") and as 5 steps then a resume to 10 (run "split");
    /// returns the events of the whole run and of the resumed part.
    func wholeAndResumed(_ make: (_ steps: Int, _ run: String) -> TrainingConfiguration) -> (whole: EventRecorder, part2: EventRecorder) {
        let whole = EventRecorder(), part2 = EventRecorder()
        var resumed = make(10, "split")
        resumed.resume = true
        for (configuration, recorder) in [(make(10, "whole"), whole), (make(5, "split"), EventRecorder()), (resumed, part2)] {
            let session = TrainingSession(dataset: bandDataset(), configuration: configuration) { recorder.record($0) }
            session.start()
            XCTAssertTrue(session.wait(timeout: 120))
        }
        return (whole, part2)
    }

    func testResumedRunRepeatsTheUninterruptedOneExactly() throws {
        let (whole, part2) = wholeAndResumed { configuration(steps: $0, run: $1) }
        guard case .started(let info) = part2.all.first else { return XCTFail("the first event is not started") }
        XCTAssertEqual(info.firstStep, 5)
        let expected = whole.all.compactMap(\.stepLoss).filter { $0.0 > 5 }
        let actual = part2.all.compactMap(\.stepLoss)
        XCTAssertEqual(actual.map(\.0), expected.map(\.0))
        XCTAssertEqual(actual.map(\.1), expected.map(\.1), "same batches, same dropout, same optimizer state")
    }

    /// With a weight average the evaluations score the average, the metrics log the raw
    /// weights' accuracy beside it, the best checkpoint is the average alone, and a resumed run
    /// goes on with the same average (its evaluations match the uninterrupted run's).
    func testAnAveragingRunEvaluatesSavesAndResumesItsAverage() throws {
        let (whole, part2) = wholeAndResumed {
            var c = configuration(steps: $0, run: $1)
            c.weightAverageDecay = 0.9
            return c
        }
        XCTAssertEqual(part2.evaluations.map(\.step), [10])
        XCTAssertEqual(part2.evaluations.map(\.validationLoss), whole.evaluations.filter { $0.step == 10 }.map(\.validationLoss))

        let run = RunDirectory(path: root + "/whole")
        let lines = try String(contentsOfFile: run.metrics, encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["val_accuracy"] != nil }
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines.allSatisfy { $0["raw_val_accuracy"] is Double }, "the raw weights' accuracy beside the average's")

        let (best, _) = try RunDirectory.loadCheckpoint(run.bestCheckpoint, engine: Engine(threads: 2))
        XCTAssertTrue(best.isInferenceOnly, "the best checkpoint is a model, not a training state")
        let (latest, metadata) = try RunDirectory.loadCheckpoint(run.latestCheckpoint, engine: Engine(threads: 2), trainingState: true)
        XCTAssertEqual(latest.weightAverageDecay, 0.9)
        XCTAssertEqual(metadata[Classifier.averageDecayKey], "0.9")
        let (model, _) = try RunDirectory.loadCheckpoint(run.latestCheckpoint, engine: Engine(threads: 2))
        XCTAssertNil(model.weightAverageDecay, "used as a model, a checkpoint's average is its weights")
        let set = bandDataset().validation
        let scored = Evaluator.evaluate(model, on: set)
        XCTAssertEqual(scored.loss, try XCTUnwrap(whole.evaluations.last).validationLoss)
    }

    func testBadDatasetBecomesAFailedEventNotATrap() throws {
        let recorder = EventRecorder()
        let empty = Dataset(name: "empty.csv", train: ImageSet(), validation: ImageSet(), test: ImageSet())
        let session = TrainingSession(dataset: empty, configuration: configuration(steps: 5)) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 10))
        let message = try XCTUnwrap(recorder.all.last?.failure, "expected failed, got \(recorder.kinds)")
        XCTAssertTrue(message.contains("empty.csv") && message.contains("empty"), message)
    }

    func testResumeWithoutCheckpointFailsClearly() throws {
        let recorder = EventRecorder()
        var c = configuration(steps: 5)
        c.resume = true
        let session = TrainingSession(dataset: bandDataset(), configuration: c) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 10))
        let message = try XCTUnwrap(recorder.all.last?.failure, "expected failed, got \(recorder.kinds)")
        XCTAssertTrue(message.contains("checkpoint-latest.ferdash"), message)
    }

    func testServingSessionScoresTheValidationSetAndAnswersPredictions() throws {
        let recorder = EventRecorder()
        let model = Classifier(architecture: .seed, seed: 1, engine: Engine(threads: 2))
        let validation = bandDataset().validation
        let session = TrainingSession.serving(model, evaluationSet: validation) { recorder.record($0) }
        session.requestPrediction(pixels: [UInt8](repeating: 128, count: 2304), tag: 1)
        recorder.wait("evaluation and prediction") { events in
            events.contains { $0.kind == "prediction" } && events.contains { $0.kind == "evaluated" }
        }
        let report = try XCTUnwrap(recorder.evaluations.first)
        XCTAssertEqual(report.confusion.total, validation.count)
        XCTAssertEqual(report.split, .validation)
    }

    /// Browsing: the split on screen is scored when asked for, the report says which split it
    /// is, and asking again answers with the same report instead of scoring it again.
    func testServingSessionScoresTheSplitItIsAskedForOnce() throws {
        let recorder = EventRecorder()
        let model = Classifier(architecture: .seed, seed: 1, engine: Engine(threads: 2))
        var data = bandDataset(train: 20, validation: 14)
        data.test = bandDataset(train: Evaluator.chunk + 9, validation: 0).train   // more than one chunk
        let session = TrainingSession.serving(model, dataset: data) { recorder.record($0) }
        defer { session.close() }
        session.requestEvaluation(of: .test)
        session.requestPrediction(pixels: [UInt8](repeating: 128, count: 2304), tag: 7)
        recorder.wait("the test split's evaluation and the prediction") { events in
            events.contains { $0.kind == "prediction" } && events.contains { $0.kind == "evaluated" }
        }
        let report = try XCTUnwrap(recorder.evaluations.first)
        XCTAssertEqual(report.split, .test)
        XCTAssertEqual(report.step, model.step)
        XCTAssertEqual(report.confusion.total, data.test.count)
        XCTAssertEqual(report.predicted.count, data.test.count)
        XCTAssertEqual(report.confusion, Evaluator.evaluate(model, on: data.test).confusion)
        XCTAssertEqual(recorder.evaluations.map(\.split), [.test], "nothing but what was asked for")
        session.requestEvaluation(of: .test)
        session.requestEvaluation(of: .train)
        recorder.wait("the cached test report and the train split's") { $0.compactMap(\.evaluation).count == 3 }
        XCTAssertEqual(recorder.evaluations[1], report, "the same report again")
        XCTAssertEqual(recorder.evaluations[2].split, .train)
        XCTAssertEqual(recorder.evaluations[2].confusion.total, data.train.count)
    }
}

/// A deadline shortens the run (and its schedule) instead of letting it overrun. The session
/// reads a manual clock that moves 0.1 s with every step and otherwise stands still, so the
/// plan it makes is exact: 3 s leave room for 30 steps; at step 20 (the plan, after 20 measured
/// steps; no warm-up) 1 s remains, of which 98% less the last evaluation (14 faces at a third of
/// a training image's 0.05 s: 0.23 s) holds 7 more steps at 0.1 s: 27.
final class TrainingDeadlineTests: XCTestCase {
    let dir = TempDir()
    let clock = ManualClock()
    let stepTime = 0.1

    private func configuration(deadlineIn seconds: Double) -> TrainingConfiguration {
        var c = TrainingConfiguration(runDirectory: dir.path)
        c.totalSteps = 1_000_000
        c.batchSize = 2
        c.evalEvery = 100_000
        c.seed = 5
        c.threads = 1
        c.schedule = .cosine
        c.hyperparameters.learningRate = 1e-3
        c.deadline = UInt64(Int64(clock.now) + Int64(seconds * 1e9))
        return c
    }

    /// A session on the manual clock whose steps each take `stepTime`.
    private func session(deadlineIn seconds: Double, recorder: EventRecorder) -> TrainingSession {
        let clock = self.clock, stepTime = self.stepTime
        return TrainingSession(dataset: bandDataset(), configuration: configuration(deadlineIn: seconds),
                               clock: clock.reading) { event in
            if case .step = event { clock.advance(seconds: stepTime) }
            recorder.record(event)
        }
    }

    /// The budget's plan, then every re-plan, as run lengths.
    private func plans(_ recorder: EventRecorder) -> [Int] {
        recorder.all.compactMap {
            switch $0 {
            case .planned(let plan): return plan.totalSteps
            case .replanned(let total, _): return total
            default: return nil
            }
        }
    }

    func testAPassedDeadlineEndsTheRunAfterOneStepWithACheckpoint() throws {
        let recorder = EventRecorder()
        let session = session(deadlineIn: -1, recorder: recorder)
        session.start()
        XCTAssertTrue(session.wait(timeout: 60))
        XCTAssertEqual(recorder.steps.count, 1)
        XCTAssertTrue(recorder.all.contains { if case .replanned(1, let reason) = $0 { return reason.contains("time budget") }; return false })
        let report = try XCTUnwrap(recorder.all.last?.finish, "last event is not finished")
        XCTAssertFalse(report.stoppedEarly, "the shortened plan was completed")
        XCTAssertEqual(recorder.evaluations.map(\.step), [1], "the last step is evaluated")
        let (_, metadata) = try RunDirectory.loadCheckpoint(RunDirectory(path: dir.path).latestCheckpoint, engine: Engine(threads: 2))
        XCTAssertEqual(metadata["total_steps"], "1", "a resumed run continues the shortened plan")
    }

    func testARunShrinksToItsDeadlineAndStillAnnealsTheLearningRate() throws {
        let recorder = EventRecorder()
        let session = session(deadlineIn: 3, recorder: recorder)
        session.start()
        XCTAssertTrue(session.wait(timeout: 60))
        XCTAssertEqual(plans(recorder), [27], "one plan, at step 20, to the steps that fit")
        XCTAssertEqual(recorder.steps.map(\.step), Array(1...27))
        XCTAssertEqual(recorder.evaluations.map(\.step), [27], "the last step of the plan is evaluated")
        XCTAssertFalse(try XCTUnwrap(recorder.all.last?.finish).stoppedEarly)
        // The cosine followed the new total: the last rate is near the floor, not mid-curve.
        XCTAssertLessThan(recorder.steps.last!.learningRate, 1e-3 * 0.05)
    }

    /// A busy start shrinks the plan; when the steps get faster the plan grows back, step by
    /// step, up to the run's own length and never beyond it, and the run still ends in time.
    /// (Steps take 0.3 s for the first 30, then 0.05 s; 30 s budget; 300 steps planned.)
    func testAPlanShrunkByABusySpellGrowsBackToTheOriginalLength() throws {
        let recorder = EventRecorder()
        var c = configuration(deadlineIn: 30)
        c.totalSteps = 300
        let clock = self.clock, started = clock.now
        let session = TrainingSession(dataset: bandDataset(), configuration: c, clock: clock.reading) { event in
            if case .step(let r) = event { clock.advance(seconds: r.step <= 30 ? 0.3 : 0.05) }
            recorder.record(event)
        }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))
        let plans = plans(recorder)
        XCTAssertEqual(plans.first, 96, "at step 20: 24 s left at 0.3 s a step, less the last evaluation")
        XCTAssertEqual(plans, plans.sorted(), "after the busy spell the plan only grows: \(plans)")
        XCTAssertEqual(plans.last, 300, "back to the run's own length, not beyond: \(plans)")
        XCTAssertEqual(recorder.steps.count, 300)
        XCTAssertLessThanOrEqual(Double(clock.now - started) / 1e9, 30)
        XCTAssertFalse(try XCTUnwrap(recorder.all.last?.finish).stoppedEarly)
    }

    func testTimeSpentPausedDoesNotCountAgainstTheDeadline() {
        let recorder = EventRecorder()
        let session = session(deadlineIn: 3, recorder: recorder)
        session.pause()
        session.start()
        recorder.wait("paused") { $0.contains { $0.kind == "paused" } }
        clock.advance(seconds: 10)   // far past the deadline, all of it paused
        session.resume()
        XCTAssertTrue(session.wait(timeout: 60))
        XCTAssertEqual(plans(recorder), [27], "the same plan as a run that never paused")
        XCTAssertEqual(recorder.steps.count, 27)
    }
}
