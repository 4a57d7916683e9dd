import FERData
import Foundation
import Synchronization
import XCTest
@testable import FERTraining

/// `ferdash train --headless`'s log: the exact lines for each event. (The end-to-end scripts
/// read these lines, so a change here is a change of the command's output.)
final class TrainingLogTests: XCTestCase {
    /// 2026-11-29 22:06:40.123456 UTC.
    static let instant = Date(timeIntervalSince1970: 1_795_990_000.123456)

    /// The log and what it wrote, piece by piece.
    func makeLog() -> (TrainingLog, () -> [String]) {
        let written = Mutex<[String]>([])
        let log = TrainingLog(timeZone: TimeZone(identifier: "UTC")!, clock: { Self.instant }) { text in
            written.withLock { $0.append(text) }
        }
        return (log, { written.withLock { $0 } })
    }

    func dataset(train: Int, validation: Int, test: Int) -> Dataset {
        func set(_ n: Int) -> ImageSet { ImageSet(pixels: [], labels: [Int8](repeating: 0, count: n)) }
        return Dataset(name: "d", train: set(train), validation: set(validation), test: set(test))
    }

    func testTheSeedSaysOnlyTheSplitSizes() {
        let (log, written) = makeLog()
        log.begin(dataset: dataset(train: 28709, validation: 3589, test: 3589), configuration: TrainingConfiguration(runDirectory: "r"),
                  now: 0)
        XCTAssertEqual(written(), ["Train size: 28709\nValidation size: 3589\nTest size: 3589\n"])
    }

    func testOtherRecipesSayWhatTheyRunAndTheTimeLeft() {
        var c = TrainingConfiguration(runDirectory: "r")
        c.architecture = .vgg7
        c.totalSteps = 500
        c.batchSize = 64
        c.schedule = .cosine
        c.warmupSteps = 20
        c.hyperparameters.learningRate = 0.002
        c.hyperparameters.weightDecay = 0.05
        c.hyperparameters.labelSmoothing = 0.1
        c.weightAverageDecay = 0.999
        c.mixup = Mixup(alpha: 0.2)
        c.deadline = 10_000_000_000 + 90_000_000_000   // 1.5 minutes after "now"
        let (log, written) = makeLog()
        log.begin(dataset: dataset(train: 3, validation: 2, test: 1), configuration: c, now: 10_000_000_000)
        XCTAssertEqual(written(), ["""
            Train size: 3
            Validation size: 2
            Test size: 1
            Recipe: vgg7, 500 steps of 64, cosine lr 0.002 (warm-up 20 steps), weight decay 0.05, label smoothing 0.1, augmentation: none, weight average: decay 0.999, mixup α 0.2
            Time budget: 1.5 minutes left; the run's length is planned from the pace of its first minute

            """])
    }

    func testARunsEventsAsLines() {
        let (log, written) = makeLog()
        let events: [TrainingEvent] = [
            .started(SessionInfo(architecture: "seed", datasetName: "d", trainCount: 3, validationCount: 2, testCount: 1,
                                 batchSize: 8, totalSteps: 40, firstStep: 0, runDirectory: "runs/a")),
            .step(StepReport(step: 9, epoch: 0.9, loss: 1.9, learningRate: 0.001, imagesPerSecond: 100, elapsed: 1)),
            .step(StepReport(step: 10, epoch: 1.0, loss: 1.875, learningRate: 0.001, imagesPerSecond: 123.9, elapsed: 1.1)),
            .evaluated(EvaluationReport(step: 10, validationLoss: 1.5, confusion: ConfusionMatrix(counts: [[2, 1], [0, 1]]),
                                        misclassified: [])),
            .checkpointSaved(CheckpointReport(step: 10, path: "runs/a/checkpoint-latest.ferdash", isBest: false)),
            .checkpointSaved(CheckpointReport(step: 10, path: "runs/a/checkpoint-best.ferdash", isBest: true)),
            .paused(step: 10), .resumed(step: 10), .prediction(tag: 1, probabilities: []),
            .planned(BudgetPlan(step: 8, totalSteps: 40, recipeSteps: 60, stepsPerEpoch: 10, imagesPerSecond: 371.6,
                                measuredSeconds: 59.7, secondsLeft: 3408, evaluationSeconds: 3.14, evaluationMeasured: false)),
            .replanned(totalSteps: 30, reason: "the pace says 40 steps would overrun the budget"),
            .finished(FinishReport(step: 30, elapsed: 12.345, stoppedEarly: false)),
        ]
        events.forEach(log.record)
        XCTAssertEqual(written(), [
            "Run directory: runs/a\n",
            "Training Loss: 1.875000  (step 10, epoch 1.00, lr 0.001, 123 img/s)\n",
            "2026-11-29 22:06:40.123456 Validation Loss: 1.500000  (step 10, accuracy 75.00%)\n",
            "Saved best checkpoint: runs/a/checkpoint-best.ferdash\n",
            "Plan: 4 of 6 epochs fit the time budget, so the schedule is made for 4 (372 img/s over the first 60 s, 56.8 min left, evaluations ≈ 3.1 s each)\n",
            "Replanned: the pace says 40 steps would overrun the budget\n",
            "Finished at step 30 after 12.3 s of training\n",
        ])
        XCTAssertNil(log.failure)
    }

    func testAResumedRunSaysWhereItContinues() {
        let (log, _) = makeLog()
        let info = SessionInfo(architecture: "seed", datasetName: "d", trainCount: 3, validationCount: 2, testCount: 1,
                               batchSize: 8, totalSteps: 2000, firstStep: 1001, runDirectory: "runs/a")
        XCTAssertEqual(log.lines(for: .started(info)),
                       ["Resuming runs/a from step 1001 (until step 2000)", "Run directory: runs/a"])
    }

    func testAStoppedRunAndAFailedOne() {
        let (log, written) = makeLog()
        log.record(.finished(FinishReport(step: 7, elapsed: 0.04, stoppedEarly: true)))
        log.record(.failed(message: "out of memory"))
        XCTAssertEqual(written(), ["Stopped at step 7 after 0.0 s of training\n"], "a failure is not logged: the command ends with it")
        XCTAssertEqual(log.failure, "out of memory")
    }

    func testTimestampsAreLocalTimeToTheMicrosecond() {
        let plusOne = TrainingLog(timeZone: TimeZone(secondsFromGMT: 3600)!, clock: { Self.instant }) { _ in }
        XCTAssertEqual(plusOne.timestamp(), "2026-11-29 23:06:40.123456")
        let almost = Date(timeIntervalSince1970: 1_795_990_000.9999997)
        let utc = TrainingLog(timeZone: TimeZone(identifier: "UTC")!, clock: { almost }) { _ in }
        XCTAssertEqual(utc.timestamp(), "2026-11-29 22:06:41.000000", "a fraction that rounds up carries into the seconds")
    }
}
