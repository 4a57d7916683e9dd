import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// Tab, the confusion cursor, Enter on a cell, `m`, `1`–`7`, `0` and Esc: what the reducer
/// keeps and the screens it draws.
final class DrillDownTests: XCTestCase {
    /// An evaluation that knows each validation sample's prediction: every third one is
    /// predicted as the next class, the rest correctly.
    static func evaluation(step: Int = 400) -> EvaluationReport {
        let labels = Fixture.dataset.validation.labels
        var cm = ConfusionMatrix()
        var predicted: [Int8] = [], wrong: [Int] = []
        for (i, l) in labels.enumerated() {
            let p = i % 3 == 0 ? (Int(l) + 1) % 7 : Int(l)
            cm.add(truth: Int(l), predicted: p)
            predicted.append(Int8(p))
            if p != Int(l) { wrong.append(i) }
        }
        return EvaluationReport(step: step, validationLoss: 0.9, confusion: cm, misclassified: wrong, predicted: predicted)
    }

    static func evaluatedState() -> AppState {
        Fixture.apply(Fixture.runningState(), [.event(.evaluated(evaluation()))])
    }

    func keys(_ s: AppState, _ ks: [Key]) -> (AppState, [Effect]) {
        ks.reduce((s, [Effect]())) { acc, k in let (n, fx) = reduce(acc.0, .key(k)); return (n, acc.1 + fx) }
    }

    /// The first off-diagonal cell with samples in it.
    static func wrongCell() -> ConfusionCell {
        let c = evaluation().confusion.counts
        for t in 0..<7 { for p in 0..<7 where t != p && c[t][p] > 0 { return ConfusionCell(truth: t, predicted: p) } }
        fatalError("fixture has no errors")
    }

    func testTabMovesTheFocusAndArrowsMoveTheCursorNotTheSample() {
        let s = Self.evaluatedState()
        let (focused, _) = keys(s, [.tab])
        XCTAssertEqual(focused.focus, .confusion)
        let (moved, fx) = keys(focused, [.right, .right, .down, .left])
        XCTAssertEqual(moved.confusionCursor, ConfusionCell(truth: 1, predicted: 1))
        XCTAssertEqual(moved.position, s.position, "the sample stays")
        XCTAssertEqual(fx, [])
        XCTAssertEqual(keys(moved, [.up, .up, .left, .left]).0.confusionCursor, ConfusionCell(truth: 0, predicted: 0), "clamped")
        XCTAssertEqual(keys(moved, [.tab]).0.focus, .sample)
    }

    func testEnterFiltersToTheCellsValidationSamples() {
        let cell = Self.wrongCell()
        var s = keys(Self.evaluatedState(), [.tab]).0
        s.confusionCursor = cell
        let (filtered, fx) = keys(s, [.enter])
        XCTAssertEqual(filtered.filter, .cell(cell))
        XCTAssertEqual(filtered.focus, .sample, "back to browsing the filtered samples")
        let eval = Self.evaluation()
        let expected = Fixture.dataset.validation.labels.indices.filter {
            Int(Fixture.dataset.validation.labels[$0]) == cell.truth && Int(eval.predicted[$0]) == cell.predicted
        }
        XCTAssertEqual(filtered.browseCount, expected.count)
        XCTAssertEqual(expected.count, eval.confusion.counts[cell.truth][cell.predicted], "the cell's count")
        XCTAssertEqual(filtered.currentSplit, .validation)
        XCTAssertEqual(filtered.currentIndex, expected[0])
        XCTAssertEqual(fx, [.requestPrediction(pixels: Array(Fixture.dataset.validation.image(expected[0])), tag: filtered.requestedTag!, saliency: false)])
        // Walking stays inside the filter.
        if expected.count > 1 { XCTAssertEqual(keys(filtered, [.right]).0.currentIndex, expected[1]) }
        // Esc clears it.
        let cleared = keys(filtered, [.escape]).0
        XCTAssertNil(cleared.filter)
        XCTAssertEqual(cleared.currentSplit, cleared.split)
    }

    func testAnEmptyCellOrNoEvaluationSaysSoAndKeepsTheBrowser() {
        var s = keys(Self.evaluatedState(), [.tab]).0
        let counts = Self.evaluation().confusion.counts
        let empty = (0..<7).flatMap { t in (0..<7).map { ConfusionCell(truth: t, predicted: $0) } }.first { counts[$0.truth][$0.predicted] == 0 }!
        s.confusionCursor = empty
        let after = keys(s, [.enter]).0
        XCTAssertNil(after.filter)
        XCTAssertTrue(after.message!.hasPrefix("no validation samples are true"), after.message!)

        var fresh = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        fresh = keys(fresh, [.tab, .enter]).0
        XCTAssertNil(fresh.filter)
        XCTAssertEqual(fresh.message, "no evaluation yet: nothing to filter")
    }

    func testDigitsBrowseOneTrueClassAndZeroClears() {
        let s = Self.evaluatedState()
        let (happy, _) = keys(s, [.char("4")])
        XCTAssertEqual(happy.filter, .trueClass(3))
        let labels = Fixture.dataset.train.labels
        XCTAssertEqual(happy.browseCount, labels.filter { $0 == 3 }.count)
        XCTAssertEqual(happy.currentIndex, labels.firstIndex(of: 3))
        XCTAssertEqual(happy.currentSplit, .train, "a class filter stays on the split")
        XCTAssertNil(keys(happy, [.char("0")]).0.filter)
    }

    func testFocusedCursorAndFilterTitleScreens() {
        let cell = Self.wrongCell()
        var s = keys(Self.evaluatedState(), [.tab]).0
        s.confusionCursor = cell
        for (w, h) in [(120, 40), (80, 24)] {
            let g = Fixture.render(s, w, h)
            assertSnapshot(g, "confusion-focus-\(w)x\(h)")
            XCTAssertTrue(g.text.contains("▶ Confusion"))
            let n = Self.evaluation().confusion.counts[cell.truth][cell.predicted]
            XCTAssertTrue(g.text.contains("[\(n)]"), "the cursor cell in brackets")
        }
        let filtered = keys(s, [.enter]).0
        let title = "filter: true \(DashboardView.classNames[cell.truth]) → pred \(DashboardView.classNames[cell.predicted])"
        for (w, h) in [(120, 40), (80, 24)] {
            let g = Fixture.render(filtered, w, h)
            assertSnapshot(g, "filter-cell-\(w)x\(h)")
            if w == 120 { XCTAssertTrue(g.text.contains(title), "title: \(title)") }
        }
        let miscl = keys(Self.evaluatedState(), [.char("m")]).0
        XCTAssertTrue(Fixture.render(miscl, 120, 40).text.contains("filter: misclassified"))
        let ascii = Fixture.render(filtered, 120, 40, .plain)
        XCTAssertTrue(ascii.text.contains("-> pred"), "ASCII arrow in the title")
    }
}
