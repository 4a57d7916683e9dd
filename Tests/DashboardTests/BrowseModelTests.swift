import FERData
import FERTraining
import Foundation
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// `browse --model`: the model scored on each split as it comes on screen, the gallery and the
/// Confusion panel reading that split's evaluation, and the Loss panel the run's own curves.
final class BrowseModelTests: XCTestCase {
    static let modelStep = 13050

    /// The served model's evaluation of `split`: every third sample predicted as the next class.
    static func evaluation(_ split: SplitName, step: Int = modelStep) -> EvaluationReport {
        let labels = Fixture.dataset[split].labels
        var cm = ConfusionMatrix()
        var predicted: [Int8] = [], wrong: [Int] = []
        for (i, l) in labels.enumerated() {
            let p = i % 3 == 0 ? (Int(l) + 1) % 7 : Int(l)
            cm.add(truth: Int(l), predicted: p)
            predicted.append(Int8(p))
            if p != Int(l) { wrong.append(i) }
        }
        return EvaluationReport(step: step, validationLoss: 0.85, confusion: cm, misclassified: wrong, predicted: predicted,
                                split: split)
    }

    /// The run the model came from, as its metrics.jsonl reads back: 300 steps, three evaluations.
    static func history() -> ModelHistory {
        var summary = RunSummary()
        var start = RunStart()
        start.stepsPerEpoch = 5
        summary.apply(.started(start))
        for i in 1...300 {
            let r = Fixture.step(i)
            summary.apply(.step(StepLine(step: i, epoch: r.epoch, loss: r.loss, learningRate: r.learningRate, trainSeconds: r.elapsed)))
            if i % 100 == 0 {
                summary.apply(.evaluation(EvaluationLine(step: i, loss: Float(1.2 - Double(i) / 1000),
                                                         accuracy: 0.3 + Double(i) / 1000, confusion: nil)))
            }
        }
        return ModelHistory(summary: summary)
    }

    /// Browsing with a model at w×h, as the loop starts it.
    static func browsing(_ w: Int = 120, _ h: Int = 40, model: Bool = true) -> (AppState, [Effect]) {
        var s = AppState(dataset: Fixture.dataset, training: false, hasModel: model)
        s = Fixture.apply(s, [GalleryTests.screen(w, h)])
        return reduce(s, .appeared)
    }

    func keys(_ s: AppState, _ ks: [Key]) -> (AppState, [Effect]) {
        ks.reduce((s, [Effect]())) { acc, k in let (n, fx) = reduce(acc.0, .key(k)); return (n, acc.1 + fx) }
    }

    static func evaluations(_ fx: [Effect]) -> [SplitName] {
        fx.compactMap { if case .evaluate(let split) = $0 { return split }; return nil }
    }

    // MARK: the reducer

    func testEachSplitIsScoredOnceWhenItComesOnScreen() {
        let (start, fx) = Self.browsing()
        XCTAssertEqual(start.split, .train)
        XCTAssertEqual(Self.evaluations(fx), [.train], "the split on screen at the start")
        XCTAssertEqual(start.evaluating, [.train])
        XCTAssertNil(start.message, "nothing said over the first screen")
        let (onValidation, vfx) = keys(start, [.char("v")])
        XCTAssertEqual(Self.evaluations(vfx), [], "the session scores validation as it starts")
        let (onTest, tfx) = keys(onValidation, [.char("T")])
        XCTAssertEqual(Self.evaluations(tfx), [.test])
        XCTAssertEqual(onTest.evaluating, [.train, .test])
        XCTAssertEqual(onTest.message, "evaluating the test split with the model…")
        XCTAssertEqual(Self.evaluations(keys(onTest, [.char("v"), .char("T"), .char("t")]).1), [], "asked for once")
        // The report arrives: kept for its split, said once, and no point of a training curve.
        let scored = Fixture.apply(onTest, [.event(.evaluated(Self.evaluation(.test)))])
        XCTAssertEqual(scored.evaluations[.test], Self.evaluation(.test))
        XCTAssertNil(scored.latestEval, "validation's has not come yet")
        XCTAssertEqual(scored.evaluating, [.train])
        XCTAssertEqual(scored.message, "the model (step 13050) scores 60.0% on the test split")
        XCTAssertEqual(scored.evals, [], "the run's curves come from its metrics")
        XCTAssertEqual(Self.evaluations(keys(scored, [.char("v"), .char("T")]).1), [], "kept")
        // Validation's own report (the session's, from the start) is kept beside it.
        let both = Fixture.apply(scored, [.event(.evaluated(Self.evaluation(.validation)))])
        XCTAssertEqual(both.evaluations.count, 2)
        XCTAssertEqual(both.message, scored.message, "validation was not asked for by a key")
        XCTAssertEqual(both.shownEval?.split, .test, "the split on screen")
        XCTAssertEqual(keys(both, [.char("v")]).0.shownEval?.split, .validation)
    }

    func testNothingIsScoredWithoutAModelAnUnlabelledSplitOrWhileTraining() {
        XCTAssertEqual(Self.evaluations(Self.browsing(model: false).1), [])
        XCTAssertEqual(Self.evaluations(keys(Self.browsing(model: false).0, [.char("T")]).1), [])
        var unlabelled = Fixture.dataset
        unlabelled.test.labels = unlabelled.test.labels.map { _ in -1 }
        let s = Fixture.apply(AppState(dataset: unlabelled, training: false, hasModel: true), [.appeared, .key(.char("T"))])
        XCTAssertTrue(s.evaluating.isEmpty || s.evaluating == [.train])
        XCTAssertFalse(s.evaluating.contains(.test))
        XCTAssertTrue(Fixture.render(s, 120, 40).text.contains("the test split has no labels to score against"))
        // Training evaluates validation only: its panels and filters read that, on any split.
        let (training, fx) = keys(DrillDownTests.evaluatedState(), [.char("T")])
        XCTAssertEqual(Self.evaluations(fx), [])
        XCTAssertEqual(training.evaluatedSplit, .validation)
        XCTAssertEqual(training.shownEval, DrillDownTests.evaluation())
        XCTAssertEqual(keys(training, [.char("m")]).0.currentSplit, .validation)
    }

    func testTheGalleryNoteSaysWhoseLabelsItShows() {
        func note(_ s: AppState) -> String {
            GalleryPanel.note(s, predicted: s.currentSplit == s.evaluatedSplit && s.evaluatedPredictions != nil, unicode: true)
        }
        let (start, _) = Self.browsing()
        let evaluatingTest = keys(start, [.char("T"), .char("g")]).0
        XCTAssertEqual(note(evaluatingTest), "test: true labels only for now, evaluating the test split…")
        let test = Fixture.apply(evaluatingTest, [.event(.evaluated(Self.evaluation(.test)))])
        XCTAssertEqual(note(test), "test: true → predicted, by the model (step 13050)")
        let validation = Fixture.apply(keys(test, [.char("v")]).0, [.event(.evaluated(Self.evaluation(.validation)))])
        XCTAssertEqual(note(validation), "validation: true → predicted, by the model (step 13050)")
        XCTAssertEqual(note(keys(Self.browsing(model: false).0, [.char("g")]).0),
                       "train: true labels only (no model: browse --model RUN predicts)")
        XCTAssertEqual(note(Fixture.apply(start, [.key(.char("v"))])), "validation: true labels only, no evaluation yet",
                       "validation's report, from the session's start, has not come")
    }

    func testFiltersAndDrillDownReadTheSplitOnScreen() {
        let (start, _) = Self.browsing()
        let test = Fixture.apply(keys(start, [.char("T")]).0, [.event(.evaluated(Self.evaluation(.test)))])
        let (missed, _) = keys(test, [.char("m")])
        let wrong = Self.evaluation(.test).misclassified
        XCTAssertEqual(missed.filter, .misclassified)
        XCTAssertEqual(missed.currentSplit, .test)
        XCTAssertEqual(missed.browseCount, wrong.count)
        XCTAssertEqual(missed.currentIndex, wrong[0])
        XCTAssertEqual(missed.message, "\(wrong.count) misclassified test samples")
        // Enter on a wrong cell of the test matrix: that cell's test samples.
        let eval = Self.evaluation(.test), labels = Fixture.dataset.test.labels
        let i = wrong[0], cell = ConfusionCell(truth: Int(labels[i]), predicted: Int(eval.predicted[i]))
        var focused = keys(test, [.tab]).0
        focused.confusionCursor = cell
        let (drilled, _) = keys(focused, [.enter])
        XCTAssertEqual(drilled.filter, .cell(cell))
        XCTAssertEqual(drilled.currentSplit, .test)
        XCTAssertEqual(drilled.browseCount, eval.confusion.counts[cell.truth][cell.predicted])
        XCTAssertTrue(drilled.message?.hasSuffix("test samples true \(DashboardView.classNames[cell.truth]) → pred \(DashboardView.classNames[cell.predicted]) (Esc shows all)") == true,
                      drilled.message ?? "")
        // Before its report, the filters say the split is on its way.
        let waiting = keys(start, [.char("T")]).0
        XCTAssertEqual(keys(waiting, [.char("m")]).0.message, "still evaluating the test split: nothing to filter yet")
        XCTAssertEqual(keys(waiting, [.tab]).0.message, "still evaluating the test split: the confusion matrix fills in when it is done")
    }

    func testTheRunsCurvesOrWhyThereAreNone() {
        guard case .curves(let steps, let losses, let evals) = Self.history() else { return XCTFail("curves expected") }
        XCTAssertEqual(steps, Array(1...300))
        XCTAssertEqual(losses.count, 300)
        XCTAssertEqual(evals.map(\.step), [100, 200, 300])
        XCTAssertEqual(ModelHistory(summary: RunSummary()), .none("no training curves: the run's metrics.jsonl holds no steps yet"))
        let (start, _) = Self.browsing()
        let shown = Fixture.apply(start, [.history(Self.history())])
        XCTAssertEqual(shown.losses, losses)
        XCTAssertEqual(shown.evals, evals)
        XCTAssertEqual(shown.phase, .browsing, "curves are no training")
        let none = Fixture.apply(start, [.history(.noMetrics)])
        XCTAssertEqual(none.historyNote, "no training curves: the model's run folder has no metrics.jsonl")
        XCTAssertTrue(none.losses.isEmpty)
    }

    /// The loop hands the reducer's requests to the session and shows what comes back.
    func testTheLoopAsksTheSessionAndShowsItsAnswer() {
        let term = ScriptedTerminal(width: 120, height: 40), control = RecordingControl(), mailbox = EventMailbox()
        var loop = DashboardLoop(terminal: term, dataset: Fixture.dataset, control: control, mailbox: mailbox,
                                 predictFile: { _ in .failure(FileLoadError("unused")) }, training: false,
                                 clock: { Date().timeIntervalSinceReferenceDate })
        loop.start()
        XCTAssertEqual(control.calls, ["evaluate train"])
        term.keys = [.char("T")]
        loop.tick()
        XCTAssertEqual(control.calls, ["evaluate train", "evaluate test"])
        XCTAssertTrue(term.screen.screen.text.contains("evaluating the test split…"))
        mailbox.post(.evaluated(Self.evaluation(.test)))
        Thread.sleep(forTimeInterval: DashboardLoop.eventFrameInterval)   // events alone redraw at most this often
        loop.tick()
        XCTAssertTrue(term.screen.screen.text.contains("Confusion  test  step 13050  acc 60.0%  counts"))
    }

    // MARK: screens

    func testBrowseWithAModelOnValidation120x40() {
        let (start, _) = Self.browsing()
        var s = Fixture.apply(start, [.history(Self.history()), .key(.char("v")), .event(.evaluated(Self.evaluation(.validation)))])
        s = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(2)))])
        let g = Fixture.render(s, 120, 40)
        assertSnapshot(g, "browse-model-validation-120x40")
        XCTAssertTrue(g.text.contains("Confusion  validation  step 13050  acc 65.0%  counts"))
        XCTAssertTrue(g.text.contains("validation"), "the loss chart's legend")
        XCTAssertTrue(g.text.contains("val acc 60.0%  best 60.0%"), "the run's evaluations under its curves")
        XCTAssertFalse(g.text.contains("no training in this session"))
    }

    func testBrowseWithAModelOnTest80x24AndItsGallery120x40() {
        let (start, _) = Self.browsing(80, 24)
        var s = Fixture.apply(start, [.history(Self.history()), .key(.char("T")), .event(.evaluated(Self.evaluation(.test)))])
        s = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(4)))])
        let g = Fixture.render(s, 80, 24)
        assertSnapshot(g, "browse-model-test-80x24")
        XCTAssertTrue(g.text.contains("Confusion  test  step 13050  acc 60.0%"))
        XCTAssertTrue(g.text.contains("test loss 0.8500") || !g.text.contains("val loss"), "the split's own loss, if the foot fits")
        let gallery = Fixture.apply(s, [GalleryTests.screen(120, 40), .key(.char("g"))])
        let gg = Fixture.render(gallery, 120, 40)
        assertSnapshot(gg, "browse-model-test-gallery-120x40")
        XCTAssertTrue(gg.text.contains("test: true → predicted, by the model (step 13050)"))
        XCTAssertTrue(gg.text.contains("✓") && gg.text.contains("→"), "right and wrong predictions labelled")
    }

    func testWhileEvaluatingAndWithoutCurves80x24() {
        let (start, _) = Self.browsing(80, 24)
        let s = Fixture.apply(start, [.history(.noMetrics), .key(.char("T"))])
        let g = Fixture.render(s, 80, 24)
        assertSnapshot(g, "browse-model-evaluating-no-curves-80x24")
        XCTAssertTrue(g.text.contains("evaluating the test split…"))
        XCTAssertTrue(g.text.contains("no training curves: the model's run"), "wrapped in the narrow Loss panel")
    }
}
