import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

/// The plan's arithmetic, on the numbers of a real slow-machine run: vgg9 at 0.344 s a step of
/// 128 (372 img/s), FER2013's 225 steps an epoch and 3 589 validation faces, 3 400 s left.
final class BudgetPlannerTests: XCTestCase {
    private func plan(secondsPerStep: Double = 0.344, evaluationSeconds: Double? = nil, secondsLeft: Double = 3_400,
                      validationCount: Int = 3_589) -> BudgetPlan {
        BudgetPlanner.plan(step: 180, recipeSteps: 13_458, stepsPerEpoch: 225, batchSize: 128, evalEvery: 225,
                           validationCount: validationCount, secondsPerStep: secondsPerStep, trainingSeconds: 61.9,
                           evaluationSeconds: evaluationSeconds, secondsLeft: secondsLeft)
    }

    func testTheLengthThatFitsCountsEvaluationsAndKeepsTheLastOne() {
        // An evaluation is estimated at a third of a training image's time per face:
        // 3 589 × 0.344 / 128 / 3 = 3.215 s, 0.0143 s a step; (0.98 × 3 400 − 3.215) / 0.35829 = 9 290.
        let p = plan()
        XCTAssertEqual(p.totalSteps, 180 + 9_290)
        XCTAssertEqual(p.evaluationSeconds, 3.215, accuracy: 0.001)
        XCTAssertFalse(p.evaluationMeasured)
        XCTAssertEqual(p.imagesPerSecond, 128 / 0.344, accuracy: 1e-9)
        XCTAssertEqual(p.epochs, 9_470 / 225, accuracy: 1e-12)
        XCTAssertFalse(p.isFullLength)
        // A measured evaluation is taken as it is: (3 332 − 2.5) / (0.344 + 2.5 / 225) = 9 375.
        let measured = plan(evaluationSeconds: 2.5)
        XCTAssertEqual(measured.totalSteps, 180 + 9_375)
        XCTAssertTrue(measured.evaluationMeasured)
        // Without a validation split nothing is evaluated: 3 332 / 0.344 = 9 686.
        XCTAssertEqual(plan(validationCount: 0).totalSteps, 180 + 9_686)
    }

    func testAFastMachineKeepsTheRecipesLengthAndNeverMore() {
        let p = plan(secondsPerStep: 0.2)
        XCTAssertEqual(p.totalSteps, 13_458)
        XCTAssertTrue(p.isFullLength)
        XCTAssertEqual(p.sentence, "the recipe's 59.8 epochs fit the time budget (640 img/s over the first 62 s, 56.7 min left, evaluations ≈ 1.9 s each)")
    }

    func testNoTimeLeftPlansNoMoreSteps() {
        XCTAssertEqual(plan(secondsLeft: 0).totalSteps, 180)
        XCTAssertEqual(plan(secondsLeft: -5).totalSteps, 180)
        XCTAssertEqual(plan(secondsLeft: 2).totalSteps, 180, "2 s do not hold the last evaluation")
    }

    func testTheSentenceSaysHowLongAndWhy() {
        XCTAssertEqual(plan().sentence,
                       "42 of 59.8 epochs fit the time budget, so the schedule is made for 42 (372 img/s over the first 62 s, 56.7 min left, evaluations ≈ 3.2 s each)")
        XCTAssertEqual(BudgetPlan.epochText(44), "44")
        XCTAssertEqual(BudgetPlan.epochText(44.29), "44.2", "tenths, rounded down: never more than planned")
    }

    /// The warm-up's rates do not depend on the run's length, so the session measures through it;
    /// a minute is enough when the warm-up is longer; 20 steps at least either way.
    func testWhenThePaceIsKnownEnough() {
        XCTAssertFalse(BudgetPlanner.ready(stepsDone: 19, step: 300, warmupSteps: 225, trainingSeconds: 90))
        XCTAssertFalse(BudgetPlanner.ready(stepsDone: 100, step: 100, warmupSteps: 225, trainingSeconds: 34))
        XCTAssertTrue(BudgetPlanner.ready(stepsDone: 225, step: 225, warmupSteps: 225, trainingSeconds: 40), "the warm-up is over")
        XCTAssertTrue(BudgetPlanner.ready(stepsDone: 180, step: 180, warmupSteps: 225, trainingSeconds: 60), "a minute has passed")
        XCTAssertTrue(BudgetPlanner.ready(stepsDone: 20, step: 1_020, warmupSteps: 225, trainingSeconds: 5), "a resumed run, past its warm-up")
    }
}

/// The plan inside a real session, on a manual clock that moves only when a step (or an
/// evaluation) says so, so every figure is exact.
final class BudgetPlanSessionTests: XCTestCase {
    let dir = TempDir()
    let clock = ManualClock()

    private func configuration(deadlineIn seconds: Double, warmup: Int = 0, evalEvery: Int = 100_000) -> TrainingConfiguration {
        var c = TrainingConfiguration(runDirectory: dir.path)
        c.totalSteps = 1_000_000
        c.batchSize = 2
        c.evalEvery = evalEvery
        c.seed = 5
        c.threads = 1
        c.schedule = .cosine
        c.warmupSteps = warmup
        c.hyperparameters.learningRate = 1e-3
        c.deadline = UInt64(Int64(clock.now) + Int64(seconds * 1e9))
        return c
    }

    private func run(_ c: TrainingConfiguration, step: Double, evaluation: Double = 0) -> EventRecorder {
        run(c, stepTime: { _ in step }, evaluation: evaluation)
    }

    /// `stepTime(k)`: the seconds step k takes.
    private func run(_ c: TrainingConfiguration, stepTime: @escaping @Sendable (Int) -> Double,
                     evaluation: Double = 0) -> EventRecorder {
        let recorder = EventRecorder(), clock = self.clock
        let session = TrainingSession(dataset: bandDataset(), configuration: c, clock: clock.reading) { event in
            switch event {
            case .step(let r): clock.advance(seconds: stepTime(r.step))
            case .evaluated: clock.advance(seconds: evaluation)
            default: break
            }
            recorder.record(event)
        }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))
        return recorder
    }

    private func plans(_ recorder: EventRecorder) -> [BudgetPlan] {
        recorder.all.compactMap { if case .planned(let p) = $0 { return p }; return nil }
    }

    /// 10 s, 0.1 s a step, a 40-step warm-up: the plan comes when the warm-up ends (4 s in), for
    /// (0.98 × 6 − 0.23) / 0.1 = 56 more steps; the warm-up ran the same rates as any run, and
    /// the cosine then made for 96 steps ends near zero.
    func testThePlanIsMadeWhenTheWarmUpEndsAndTheCosineIsMadeForIt() throws {
        let started = clock.now
        let recorder = run(configuration(deadlineIn: 10, warmup: 40), step: 0.1)
        let plan = try XCTUnwrap(plans(recorder).first)
        XCTAssertEqual(plans(recorder).count, 1)
        XCTAssertEqual(plan.step, 40)
        XCTAssertEqual(plan.totalSteps, 96)
        XCTAssertEqual(plan.measuredSeconds, 4, accuracy: 1e-6)
        XCTAssertEqual(plan.imagesPerSecond, 20, accuracy: 1e-6)
        XCTAssertFalse(recorder.all.contains { $0.kind == "replanned" }, "the pace held: no re-plan")
        let rates = recorder.steps.map(\.learningRate)
        XCTAssertEqual(rates.count, 96)
        for k in 1...40 { XCTAssertEqual(rates[k - 1], 1e-3 * Float(k) / 40, accuracy: 1e-9, "warm-up step \(k)") }
        XCTAssertLessThan(rates.last!, 1e-3 * 0.01, "annealed at the planned end")
        XCTAssertLessThanOrEqual(Double(clock.now - started) / 1e9, 10)
        // The plan is in the run's metrics, whole, for `watch` and `runs`.
        let (summary, _) = try RunSummary.read(RunDirectory(path: dir.path).metrics)
        let read = try XCTUnwrap(summary.plan)
        XCTAssertEqual([read.step, read.totalSteps, read.recipeSteps, read.stepsPerEpoch],
                       [plan.step, plan.totalSteps, plan.recipeSteps, plan.stepsPerEpoch])
        XCTAssertEqual(read.evaluationSeconds, plan.evaluationSeconds, accuracy: 1e-9)
        XCTAssertEqual(read.sentence, plan.sentence)
        XCTAssertEqual(summary.totalSteps, 96)
    }

    /// A warm-up longer than a minute: the plan is made after 60 s of training (1 s a step,
    /// 200 s budget): (0.98 × 140 − 2.3) / 1 = 134 more steps.
    func testALongWarmUpIsMeasuredForAMinute() throws {
        let recorder = run(configuration(deadlineIn: 200, warmup: 10_000), step: 1)
        let plan = try XCTUnwrap(plans(recorder).first)
        XCTAssertEqual(plan.step, 60)
        XCTAssertEqual(plan.totalSteps, 194)
        XCTAssertEqual(recorder.steps.count, 194)
    }

    /// Evaluations take time too: 0.5 s each, every 10 steps of 0.1 s. By the plan (step 20) two
    /// have been timed, so each further step costs 0.15 s: (0.98 × 7 − 0.5) / 0.15 = 42 more.
    /// The whole run, its last evaluation included, ends inside the 10 s.
    func testMeasuredEvaluationsArePartOfThePlan() throws {
        let started = clock.now
        let recorder = run(configuration(deadlineIn: 10, evalEvery: 10), step: 0.1, evaluation: 0.5)
        let plan = try XCTUnwrap(plans(recorder).first)
        XCTAssertTrue(plan.evaluationMeasured)
        XCTAssertEqual(plan.evaluationSeconds, 0.5, accuracy: 1e-6)
        XCTAssertEqual(plan.measuredSeconds, 2, accuracy: 1e-6, "evaluations are not training time")
        XCTAssertEqual(plan.totalSteps, 62)
        XCTAssertEqual(recorder.evaluations.map(\.step), [10, 20, 30, 40, 50, 60, 62])
        XCTAssertLessThanOrEqual(Double(clock.now - started) / 1e9, 10)
    }

    /// The plan keeps 2% of the time to spare, so steps 1% slower than measured leave it as it
    /// is (no re-plan shaving it every 25 steps) and it still ends in time; steps 10% slower make
    /// the check shorten it (at step 25: 95 steps would fit all of the 7.45 s left, not 96).
    func testAPlanAbsorbsJitterButNotASlowdown() throws {
        var started = clock.now
        let jitter = run(configuration(deadlineIn: 10), stepTime: { $0 <= 20 ? 0.1 : 0.101 })
        XCTAssertEqual(plans(jitter).map(\.totalSteps), [96])
        XCTAssertFalse(jitter.all.contains { $0.kind == "replanned" })
        XCTAssertEqual(jitter.steps.count, 96)
        XCTAssertLessThanOrEqual(Double(clock.now - started) / 1e9, 10)

        started = clock.now
        var second = configuration(deadlineIn: 10)
        second.runDirectory = dir.path + "/slower"
        let slower = run(second, stepTime: { $0 <= 20 ? 0.1 : 0.11 })
        let replans = slower.all.compactMap { if case .replanned(let t, _) = $0 { return t }; return nil }
        XCTAssertEqual(replans.first, 94, "shortened at step 25, to what 98% of the time holds")
        XCTAssertLessThanOrEqual(Double(clock.now - started) / 1e9, 10)
    }

    /// A run without a deadline plans nothing and runs its length.
    func testNoDeadlineNoPlan() {
        var c = configuration(deadlineIn: 1)
        c.deadline = nil
        c.totalSteps = 30
        let recorder = run(c, step: 0.1)
        XCTAssertTrue(plans(recorder).isEmpty)
        XCTAssertEqual(recorder.steps.count, 30)
    }
}
