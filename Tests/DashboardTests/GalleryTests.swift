import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// `g`: the grid's geometry, what the keys do in it, and its screens.
final class GalleryTests: XCTestCase {
    static func screen(_ w: Int, _ h: Int, _ caps: Capabilities = .full) -> Action {
        .screen(ScreenInfo(width: w, height: h, caps: caps))
    }

    /// The evaluated fixture on the validation split with the gallery open at a w×h screen.
    static func galleryState(_ w: Int, _ h: Int, keys: [Key] = []) -> AppState {
        Fixture.apply(DrillDownTests.evaluatedState(), [screen(w, h), .key(.char("v")), .key(.char("g"))] + keys.map { .key($0) })
    }

    // MARK: layout

    func testAsManyFacesAsFitAtEachSize() {
        let small = DashboardLayout(width: 80, height: 24).galleryFaces
        XCTAssertEqual(small.scale, 4, "a third of full size would fit only 4 faces at 80×24")
        XCTAssertEqual([small.face.width, small.face.height, small.columns, small.rows], [12, 6, 6, 2])
        let large = DashboardLayout(width: 120, height: 40).galleryFaces
        XCTAssertEqual(large.scale, 3)
        XCTAssertEqual([large.face.width, large.face.height, large.columns, large.rows, large.perPage], [16, 8, 7, 3, 21])
        // Every face and label lies inside the area, and none overlaps the next.
        for faces in [small, large] {
            for slot in 0..<faces.perPage {
                let o = faces.faceOrigin(slot), label = faces.labelRect(slot)
                XCTAssertEqual(Rect(x: o.x, y: o.y, width: faces.face.width, height: faces.face.height + 1)
                                .intersection(faces.area).width, faces.face.width, "slot \(slot) inside")
                XCTAssertLessThan(label.maxY - 1, faces.area.maxY)
                if slot % faces.columns > 0 { XCTAssertEqual(o.x - faces.faceOrigin(slot - 1).x, faces.face.width + 1) }
            }
        }
        // Centred: the margins left and right differ by at most one column.
        let right = large.area.maxX - (large.faceOrigin(large.columns - 1).x + large.face.width)
        XCTAssertLessThanOrEqual(abs((large.left - large.area.x) - right), 1)
    }

    func testEveryCellOfAFaceOrItsLabelFindsItsSlotAndTheGapsNone() {
        for (w, h) in [(80, 24), (120, 40), (200, 60)] {
            let faces = DashboardLayout(width: w, height: h).galleryFaces
            var hits = 0
            for y in faces.area.y..<faces.area.maxY {
                for x in faces.area.x..<faces.area.maxX {
                    guard let slot = faces.slot(atX: x, y: y) else { continue }
                    hits += 1
                    let o = faces.faceOrigin(slot)
                    XCTAssertTrue((o.x..<o.x + faces.face.width).contains(x) && (o.y...o.y + faces.face.height).contains(y),
                                  "(\(x),\(y)) is not in slot \(slot) at \(o) (\(w)×\(h))")
                }
            }
            XCTAssertEqual(hits, faces.perPage * faces.face.width * (faces.face.height + 1), "\(w)×\(h): each cell of each slot once")
            XCTAssertNil(faces.slot(atX: faces.left - 1, y: faces.area.y))
            XCTAssertNil(faces.slot(atX: faces.left + faces.face.width, y: faces.area.y), "the gap between two faces")
            XCTAssertNil(faces.slot(atX: faces.left, y: faces.area.y - 1))
        }
    }

    func testPagesStartAtMultiplesOfAPage() {
        let faces = DashboardLayout(width: 80, height: 24).galleryFaces
        XCTAssertEqual([0, 11, 12, 23, 24, 311].map { faces.pageStart(of: $0) }, [0, 0, 12, 12, 24, 300])
        // A degenerate area never divides by zero.
        let none = GalleryLayout(area: Rect(x: 0, y: 0, width: 3, height: 1))
        XCTAssertEqual([none.columns, none.perPage, none.rowStep, none.pageStart(of: 5)], [0, 1, 1, 5])
    }

    // MARK: keys

    func testGOpensArrowsMoveByFaceRowAndPageAndEnterOpensTheFace() {
        let s = Self.galleryState(80, 24)
        XCTAssertNotNil(s.gallery)
        XCTAssertEqual(s.position, 0)
        let columns = 6, page = 12
        XCTAssertEqual(Fixture.apply(s, [.key(.right), .key(.right)]).position, 2)
        XCTAssertEqual(Fixture.apply(s, [.key(.down)]).position, columns)
        XCTAssertEqual(Fixture.apply(s, [.key(.down), .key(.left), .key(.up)]).position, 0, "clamped at the first")
        XCTAssertEqual(Fixture.apply(s, [.key(.pageDown)]).position, page)
        XCTAssertEqual(Fixture.apply(s, [.key(.pageDown), .key(.pageDown)]).position, 19, "clamped at the last of 20")
        XCTAssertEqual(Fixture.apply(s, [.key(.end), .key(.pageUp)]).position, 19 - page)
        XCTAssertNil(Fixture.apply(s, [.key(.down)]).filter)
        let (opened, fx) = reduce(Fixture.apply(s, [.key(.down), .key(.right)]), .key(.enter))
        XCTAssertNil(opened.gallery, "Enter leaves the gallery")
        XCTAssertEqual(opened.currentSplit, .validation)
        XCTAssertEqual(opened.currentIndex, columns + 1, "…showing the selected face")
        XCTAssertEqual(fx, [], "its prediction was asked for when the selection reached it")
        XCTAssertTrue(Fixture.render(opened, 80, 24).text.contains("validation #7/20"))
    }

    func testGOrEscReturnsToTheSampleShownBefore() {
        let before = Fixture.apply(DrillDownTests.evaluatedState(), [Self.screen(80, 24), .key(.char("v")), .key(.right), .key(.right)])
        let browsing = Fixture.apply(before, [.key(.char("g")), .key(.down), .key(.right)])
        XCTAssertEqual(browsing.position, 9)
        for back in [Key.char("g"), .escape] {
            let s = Fixture.apply(browsing, [.key(back)])
            XCTAssertNil(s.gallery)
            XCTAssertEqual(s.position, 2, "\(back): the sample from before")
        }
        // After a change of filter, "before" is gone: stay on the gallery's selection.
        let refiltered = Fixture.apply(browsing, [.key(.char("m")), .key(.right), .key(.escape)])
        XCTAssertNil(refiltered.gallery)
        XCTAssertEqual(refiltered.filter, .misclassified, "Esc closed the gallery, not the filter")
        XCTAssertEqual(refiltered.position, 1)
    }

    func testTheGalleryFollowsTheSplitAndFiltersAndSaysWhatItCannotDo() {
        var s = Self.galleryState(120, 40, keys: [.char("4")])
        XCTAssertEqual(s.filter, .trueClass(3))
        XCTAssertNotNil(s.gallery)
        XCTAssertEqual(s.browseCount, Fixture.dataset.validation.labels.filter { $0 == 3 }.count)
        s = Fixture.apply(s, [.key(.tab)])
        XCTAssertEqual(s.focus, .sample)
        XCTAssertEqual(s.message, "the gallery covers the Confusion panel: g or Esc returns first")
        // A file predicted from the gallery (`p`) shows in the Sample panel: the gallery closes.
        let file = FilePrediction(path: "/tmp/face.png", pixels: Array(repeating: 128, count: 2304), note: "")
        let loaded = Fixture.apply(s, [.key(.char("p")), .fileLoaded(path: "/tmp/face.png", result: .success(file))])
        XCTAssertNil(loaded.gallery)
        XCTAssertEqual(loaded.file, file)
        let empty = Fixture.apply(AppState(dataset: Dataset(name: "none", train: ImageSet(), validation: ImageSet(), test: ImageSet()),
                                           training: false, hasModel: false), [.key(.char("g"))])
        XCTAssertNil(empty.gallery)
        XCTAssertEqual(empty.message, "no samples to show in a gallery")
    }

    // MARK: screens

    /// The cells drawn in reverse video above the key bar (itself all reversed): the gallery's
    /// selection, or the focused confusion cell.
    static func reversed(_ g: CellGrid) -> [(x: Int, y: Int)] {
        (0..<g.height - 1).flatMap { y in (0..<g.width).filter { g[$0, y].style.reverse }.map { (x: $0, y: y) } }
    }

    func testGalleryWithPredictions() {
        let eval = DrillDownTests.evaluation()
        for (w, h) in [(120, 40), (80, 24)] {
            let s = Self.galleryState(w, h, keys: [.right])
            let g = Fixture.render(s, w, h)
            assertSnapshot(g, "gallery-\(w)x\(h)")
            let perPage = w == 120 ? 20 : 12   // 21 fit at 120×40, but the split has 20
            XCTAssertTrue(g.text.contains("Gallery 1–\(perPage) of 20"), g.lines[w == 120 ? 5 : 4])
            XCTAssertTrue(g.text.contains("validation: true → predicted, from the evaluation at step 400"))
            // Sample 0 is one the fixture's evaluation got wrong; sample 1 one it got right.
            let names = DashboardView.classNames, labels = Fixture.dataset.validation.labels
            let wrong = names[Int(labels[0])] + "→" + names[Int(eval.predicted[0])]
            let short = String(names[Int(labels[0])].prefix(3)) + "→" + String(names[Int(eval.predicted[0])].prefix(3))
            XCTAssertTrue(g.text.contains(wrong) || g.text.contains(short), "a wrong prediction's label")
            XCTAssertTrue(g.text.contains(String(names[Int(labels[1])].prefix(3))) && g.text.contains("✓"), "a right one's")
            // The selection (position 1) is the reversed label under the second face.
            let faces = DashboardLayout(width: w, height: h).galleryFaces
            let sel = Self.reversed(g)
            XCTAssertEqual(sel.count, faces.face.width)
            XCTAssertTrue(sel.allSatisfy { faces.slot(atX: $0.x, y: $0.y) == 1 && $0.y == faces.labelRect(1).y })
        }
    }

    func testGalleryWithoutPredictionsAndWithAFilter() {
        // Training has not evaluated yet: true labels only, and the screen says why.
        var fresh = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        fresh = Fixture.apply(fresh, [.appeared, .event(.started(Fixture.info)), Self.screen(120, 40), .key(.char("g"))])
        for (w, h) in [(120, 40), (80, 24)] {
            let g = Fixture.render(fresh, w, h)
            assertSnapshot(g, "gallery-no-evaluation-\(w)x\(h)")
            XCTAssertTrue(g.text.contains("train: true labels only, no evaluation yet"))
            let body = g.lines.dropLast().joined()   // the key bar has its own arrows
            XCTAssertFalse(body.contains("→") || body.contains("✓"), "no prediction is invented")
        }
        XCTAssertTrue(Fixture.render(fresh, 120, 40).text.contains("Gallery 1–21 of 40"))
        // A confusion cell's samples, drilled into, then shown as a gallery.
        let cell = DrillDownTests.wrongCell()
        var s = Fixture.apply(DrillDownTests.evaluatedState(), [Self.screen(80, 24), .key(.tab)])
        s.confusionCursor = cell
        s = Fixture.apply(s, [.key(.enter), .key(.char("g"))])
        let n = DrillDownTests.evaluation().confusion.counts[cell.truth][cell.predicted]
        for (w, h) in [(120, 40), (80, 24)] {
            let g = Fixture.render(s, w, h)
            assertSnapshot(g, "gallery-filter-cell-\(w)x\(h)")
            XCTAssertTrue(g.text.contains("Gallery 1–\(n) of \(n)  filter: true \(DashboardView.classNames[cell.truth])"))
        }
        // A class filter on the train split: true labels, and why there are no predictions.
        let happy = Fixture.apply(DrillDownTests.evaluatedState(), [Self.screen(80, 24), .key(.char("4")), .key(.char("g"))])
        let g = Fixture.render(happy, 80, 24, .plain)
        assertSnapshot(g, "gallery-class-80x24-ascii")
        XCTAssertTrue(g.text.contains("Gallery 1-"), "ASCII dash")
        XCTAssertTrue(g.text.contains("filter: true happy"))
        XCTAssertTrue(g.text.contains("train: true labels only (evaluations predict the validation split: v)"))
        XCTAssertTrue(g.text.unicodeScalars.allSatisfy { $0.isASCII })
    }

    func testLabels() {
        // Full names where every label fits (16 columns at a third of full size), else all short.
        XCTAssertEqual(GalleryPanel.label(truth: 3, predicted: 3, width: 16, unicode: true), "happy ✓")
        XCTAssertEqual(GalleryPanel.label(truth: 5, predicted: 1, width: 16, unicode: true), "surprise→disgust")
        XCTAssertEqual(GalleryPanel.label(truth: 0, predicted: 4, width: 15, unicode: true), "ang→sad")
        XCTAssertEqual(GalleryPanel.label(truth: 0, predicted: 4, width: 12, unicode: false), "ang->sad")
        XCTAssertEqual(GalleryPanel.label(truth: 0, predicted: 0, width: 12, unicode: false), "ang ok")
        XCTAssertEqual(GalleryPanel.label(truth: 1, predicted: nil, width: 12, unicode: true), "dis")
        XCTAssertEqual(GalleryPanel.label(truth: nil, predicted: 2, width: 16, unicode: true), "?→fear")
    }
}
