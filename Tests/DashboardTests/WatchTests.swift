import FERData
import FERTraining
import Foundation
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// `ferdash watch` and `--compare`: the reducer and screens fed from a run's metrics records.
final class WatchTests: XCTestCase {
    static let written = Date(timeIntervalSince1970: 1_795_990_000)   // 2026-11-29 22:06:40 UTC

    static func status(_ state: RunState, checkpoint: Int? = 200) -> WatchStatus {
        var w = WatchStatus(run: "runs/20261129-2120", state: state, lastWrite: written,
                            checkedAt: written.addingTimeInterval(185), timeZone: TimeZone(identifier: "UTC")!)
        w.trainer = "pid 4242 on box"
        w.checkpointStep = checkpoint
        return w
    }

    /// Records as the session writes them, for 240 steps of a 1000-step run with evaluations every 100.
    static func records(through last: Int = 240) -> [MetricsRecord] {
        var start = RunStart()
        start.dataset = "fer2013.csv"
        start.datasetPath = "/data/fer2013.csv"
        start.architecture = "vgg7"
        start.totalSteps = 1000
        start.batchSize = 8
        start.trainCount = 40
        start.validationCount = 20
        start.testCount = 10
        start.pid = 4242
        var out: [MetricsRecord] = [.started(start)]
        for i in 1...last {
            let r = Fixture.step(i)
            out.append(.step(StepLine(step: i, epoch: r.epoch, loss: r.loss, learningRate: 0.002, trainSeconds: Double(i) * 0.5)))
            if i % 100 == 0 {
                let e = Fixture.evaluation(i)
                out.append(.evaluation(EvaluationLine(step: i, loss: e.validationLoss, accuracy: e.accuracy, confusion: e.confusion)))
            }
        }
        return out
    }

    static func watchedState(dataset: Dataset = Fixture.dataset, records: [MetricsRecord] = records(),
                             status: WatchStatus = status(.running)) -> AppState {
        var s = AppState(dataset: dataset, training: true, hasModel: false)
        s.watch = status
        s.watch?.checkpointStep = nil   // as the watcher starts: the checkpoint comes with the first poll
        var translator = RunEventTranslator(runDirectory: status.run, dataset: dataset)
        s = Fixture.apply(s, [.appeared] + records.flatMap { translator.events(for: $0) }.map(Action.event) + [.watch(status)])
        return s
    }

    func testTranslatorGivesTheSessionsEvents() {
        var t = RunEventTranslator(runDirectory: "runs/r", dataset: Fixture.dataset)
        let events = Self.records(through: 100).flatMap { t.events(for: $0) }
        guard case .started(let info) = events.first else { return XCTFail("\(events.first!)") }
        XCTAssertEqual(info.totalSteps, 1000)
        XCTAssertEqual(info.batchSize, 8)
        XCTAssertEqual(info.runDirectory, "runs/r")
        guard case .step(let last) = events[events.count - 2] else { return XCTFail() }
        // 8 images a step, half a second a step.
        XCTAssertEqual(last.imagesPerSecond, 16, accuracy: 1e-9)
        XCTAssertEqual(last.elapsed, 50)
        guard case .evaluated(let e) = events.last else { return XCTFail() }
        XCTAssertEqual(e.step, 100)
        XCTAssertEqual(e.confusion, Fixture.evaluation(100).confusion)
        guard case .finished(let f) = t.events(for: .ended(RunEnding(kind: .stopped, step: 100))).first else { return XCTFail() }
        XCTAssertTrue(f.stoppedEarly)
        guard case .failed(let m) = t.events(for: .ended(RunEnding(kind: .failed, step: 100, message: "disk full"))).first else {
            return XCTFail()
        }
        XCTAssertEqual(m, "disk full")
    }

    /// A watched run shows its time budget's plan as the trainer's own screen does.
    func testAWatchedRunShowsItsPlan() {
        let plan = BudgetPlan(step: 20, totalSteps: 700, recipeSteps: 1000, stepsPerEpoch: 5, imagesPerSecond: 16,
                              measuredSeconds: 10, secondsLeft: 330, evaluationSeconds: 0.4, evaluationMeasured: false)
        var t = RunEventTranslator(runDirectory: "runs/r", dataset: Fixture.dataset)
        guard case .planned(let read)? = t.events(for: .planned(plan)).first else { return XCTFail() }
        XCTAssertEqual(read, plan)
        let s = Self.watchedState(records: Self.records(through: 20) + [.planned(plan)])
        XCTAssertEqual(s.info?.totalSteps, 700, "progress follows the plan")
        let screen = DashboardView.render(s, width: 120, height: 40, caps: .plain).lines.joined(separator: "\n")
        XCTAssertTrue(screen.contains("plan 140 of 200 epochs (16 img/s over the first 10 s, 5.5 min left"), screen)
    }

    func testKeysForTheTrainerSayTheyNeedItAndQuitLeavesAtOnce() {
        let s = Self.watchedState()
        XCTAssertEqual(s.phase, .running)
        var (after, fx) = reduce(s, .key(.char(" ")))
        XCTAssertEqual(fx, [])
        XCTAssertEqual(after.message, "pause needs the training process (pid 4242 on box): watch only reads the run")
        (after, fx) = reduce(s, .key(.char("s")))
        XCTAssertEqual(fx, [])
        XCTAssertTrue(after.message!.hasPrefix("saving a checkpoint needs the training process"))
        (after, fx) = reduce(s, .key(.char("q")))
        XCTAssertEqual(fx, [.exit(0)], "quitting a watch never stops the trainer and never asks")
        XCTAssertEqual(after.overlay, .none)
        XCTAssertEqual(reduce(s, .terminate).1, [.exit(0)])
    }

    func testANewCheckpointTurnsPredictionsOnAndAsksAgain() {
        var s = Self.watchedState(status: Self.status(.running, checkpoint: nil))
        XCTAssertFalse(s.hasModel)
        var w = Self.status(.running, checkpoint: 200)
        var fx: [Effect]
        (s, fx) = reduce(s, .watch(w))
        XCTAssertTrue(s.hasModel)
        XCTAssertEqual(s.message, "predicting with the run's checkpoint of step 200")
        guard case .requestPrediction(_, let tag, _)? = fx.first else { return XCTFail("\(fx)") }
        // The same status again asks nothing; a newer checkpoint asks again with a fresh tag.
        XCTAssertEqual(reduce(s, .watch(w)).1, [])
        w.checkpointStep = 300
        guard case .requestPrediction(_, let tag2, _)? = reduce(s, .watch(w)).1.first else { return XCTFail() }
        XCTAssertGreaterThan(tag2, tag)
    }

    func testACorruptLineIsNamedOnce() {
        var s = Self.watchedState()
        var w = Self.status(.running)
        w.problemCount = 2
        w.firstProblem = "metrics.jsonl line 57: not valid JSON: {\"step\":5"
        s = reduce(s, .watch(w)).0
        XCTAssertEqual(s.message, "skipped metrics.jsonl line 57: not valid JSON: {\"step\":5 (and 1 more); showing the rest")
        XCTAssertTrue(s.messageIsError)
        XCTAssertEqual(s.losses.count, 240, "the other lines are all shown")
    }

    func testAResumeDropsTheCurveAfterItsCheckpoint() {
        var s = Self.watchedState()
        s = Fixture.apply(s, [.event(.finished(FinishReport(step: 240, elapsed: 120, stoppedEarly: true)))])
        XCTAssertEqual(s.phase, .finished(stoppedEarly: true))
        var resumed = RunStart()
        resumed.resumed = true
        resumed.step = 150
        resumed.totalSteps = 1000
        var t = RunEventTranslator(runDirectory: "r", dataset: Fixture.dataset)
        s = Fixture.apply(s, t.events(for: .started(resumed)).map(Action.event))
        XCTAssertEqual(s.lossSteps.last, 150)
        XCTAssertEqual(s.evals.map(\.step), [100])
        XCTAssertNil(s.latestEval, "the evaluation at 200 was lost with the old process")
        XCTAssertEqual(s.phase, .running, "resumed by another process: running again")
    }

    func testStaleRunWithItsDatasetGone120x40() {
        let empty = Dataset(name: "none", train: ImageSet(), validation: ImageSet(), test: ImageSet())
        var w = Self.status(.stale(since: Self.written), checkpoint: nil)
        w.datasetNote = "dataset /data/fer2013.csv is gone: nothing to browse (--data PATH if it moved); the curves are the run's own"
        let g = Fixture.render(Self.watchedState(dataset: empty, status: w), 120, 40)
        assertSnapshot(g, "watch-stale-dataset-gone-120x40")
        let t = g.text
        for needle in ["ferdash watch", "stale since 22:06:40", "step 240/1000", "written 3m ago", "/data/fer2013.csv is gone",
                       "Confusion  step 200"] {
            XCTAssertTrue(t.contains(needle), needle)
        }
        XCTAssertFalse(g.lines[39].contains("pause"), "no pause hint: watch cannot pause")
        XCTAssertFalse(t.contains("ETA 0:"), "no ETA for a run that is not progressing")
    }

    func testStoppedWatch80x24() {
        var records = Self.records()
        records.append(.ended(RunEnding(kind: .stopped, step: 240)))
        var s = Self.watchedState(records: records, status: Self.status(.stopped))
        s = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(3)))])
        let g = Fixture.render(s, 80, 24)
        assertSnapshot(g, "watch-stopped-80x24")
        XCTAssertTrue(g.lines[1].hasPrefix("│stopped  step 240/1000"), g.lines[1])
        XCTAssertTrue(g.text.contains("pred hap 55%"), "predictions from the run's checkpoint")
    }

    static let comparisons = [
        ComparedRun(name: "yesterday", points: (1...8).map { ComparedRun.Point(epoch: Double($0) * 20, loss: 1.3 - Double($0) * 0.08, accuracy: 0.3 + Double($0) * 0.05) }),
        ComparedRun(name: "lr-1e-4", points: (1...4).map { ComparedRun.Point(epoch: Double($0) * 40, loss: 1.6 - Double($0) * 0.05, accuracy: 0.2 + Double($0) * 0.03) }),
    ]

    func testCompareLegendAndOverlay120x40() {
        var s = Fixture.runningState()
        s.comparisons = Self.comparisons
        let g = Fixture.render(s, 120, 40)
        assertSnapshot(g, "compare-120x40")
        let t = g.text
        XCTAssertTrue(t.contains("━ this run 65.0%  ━ yesterday 70.0%  ━ lr-1e-4 32.0%"), "legend names every run with its best accuracy")
        XCTAssertTrue(t.contains("validation accuracy"), "accuracy chart under the loss chart")
    }

    func testCompareColoursDifferAndTheLiveRunIsInFront() {
        var s = Fixture.runningState()
        s.comparisons = Self.comparisons
        let g = Fixture.render(s, 120, 40)
        let legendRow = g.lines.firstIndex { $0.contains("this run") }!
        var styles: [Style] = []
        for x in 0..<g.width where g[x, legendRow].char == "━" { styles.append(g[x, legendRow].style) }
        XCTAssertEqual(styles.count, 3)
        XCTAssertEqual(Set(styles.map(\.fg)).count, 3, "each run its own colour: \(styles)")
        // A compared run identical to the live one is hidden behind it: the live curves are drawn last.
        let twin = ComparedRun(name: "twin", points: [100, 200, 300].map {
            let e = Fixture.evaluation($0)
            return ComparedRun.Point(epoch: Double($0) / 5, loss: Double(e.validationLoss), accuracy: e.accuracy)
        })
        func compareCells(_ runs: [ComparedRun]) -> Int {
            var s = Fixture.runningState()
            s.comparisons = runs
            let g = Fixture.render(s, 120, 40)
            var n = 0
            for y in 6..<(legendRow) { for x in 9..<69 where g[x, y].style.fg == .magenta { n += 1 } }
            return n
        }
        XCTAssertEqual(compareCells([twin]), 0)
        XCTAssertGreaterThan(compareCells([Self.comparisons[0]]), 10, "a different run shows")
    }

    func testCompareNeedsNoAccuracyRoomAt80x24() {
        var s = Fixture.runningState()
        s.comparisons = Self.comparisons
        let g = Fixture.render(s, 80, 24, .plain)
        assertSnapshot(g, "compare-80x24-ascii")
        XCTAssertTrue(g.text.contains("+ yesterday 70.0%"), g.text)
    }
}
