import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// Clicks and the wheel: the pure mapping from a cell of the screen to what it points at,
/// checked against where the renderer really drew things, and what the reducer does with it.
final class MouseTests: XCTestCase {
    func click(_ x: Int, _ y: Int) -> MouseEvent { MouseEvent(x: x, y: y, button: .left) }

    func target(_ s: AppState, _ m: MouseEvent) -> MouseTarget? {
        s.layout.target(of: m, in: s)
    }

    func testEveryCellOfEveryConfusionCellClicksThatCell() {
        for (w, h, caps) in [(120, 40, Capabilities.full), (80, 24, .full), (80, 24, .plain)] {
            var s = Fixture.apply(DrillDownTests.evaluatedState(), [GalleryTests.screen(w, h, caps)])
            for t in 0..<7 {
                for p in 0..<7 {
                    // Focused on (t, p), the renderer draws that cell, and only it, in reverse video.
                    s.focus = .confusion
                    s.confusionCursor = ConfusionCell(truth: t, predicted: p)
                    let drawn = GalleryTests.reversed(Fixture.render(s, w, h, caps))
                    XCTAssertFalse(drawn.isEmpty)
                    s.focus = .sample
                    for cell in drawn {
                        XCTAssertEqual(target(s, click(cell.x, cell.y)), .confusionCell(ConfusionCell(truth: t, predicted: p)),
                                       "\(w)×\(h) at (\(cell.x),\(cell.y))")
                    }
                }
            }
            // The header, the class names and the border point at nothing.
            let inner = DashboardLayout(width: w, height: h).confusion.inset(1)
            for (x, y) in [(inner.x + 1, inner.y), (inner.x + 1, inner.y + 1), (inner.x - 1, inner.y + 1), (inner.x + 8, inner.y + 8)] {
                XCTAssertNil(target(s, click(x, y)), "\(w)×\(h) at (\(x),\(y))")
            }
        }
    }

    func testGalleryFacesClickOpenThemAndTheWheelScrolls() {
        let s = GalleryTests.galleryState(80, 24, keys: [.pageDown])   // the second page: positions 12…19
        let faces = DashboardLayout(width: 80, height: 24).galleryFaces
        let o = faces.faceOrigin(3), label = faces.labelRect(3)
        XCTAssertEqual(target(s, click(o.x, o.y)), .galleryFace(15))
        XCTAssertEqual(target(s, click(label.maxX - 1, label.y)), .galleryFace(15))
        XCTAssertNil(target(s, click(faces.faceOrigin(8).x, faces.faceOrigin(8).y)), "past the last sample (slot 8 = 20)")
        XCTAssertNil(target(s, click(o.x + faces.face.width, o.y)), "the gap")
        XCTAssertEqual(target(s, MouseEvent(x: 0, y: 0, button: .wheelDown)), .wheel(1))
        XCTAssertEqual(target(s, MouseEvent(x: 0, y: 0, button: .wheelUp)), .wheel(-1))

        let (opened, _) = reduce(s, .mouse(click(o.x + 2, o.y + 2)))
        XCTAssertNil(opened.gallery)
        XCTAssertEqual(opened.position, 15)
        XCTAssertEqual(Fixture.apply(s, [.mouse(MouseEvent(x: 5, y: 5, button: .wheelUp))]).position, 12 - faces.columns, "a row up")
    }

    func testClickingACellFiltersLikeEnterAndTheWheelMovesSamples() {
        let cell = DrillDownTests.wrongCell()
        let s = Fixture.apply(DrillDownTests.evaluatedState(), [GalleryTests.screen(120, 40)])
        var focused = s
        focused.focus = .confusion
        focused.confusionCursor = cell
        let at = GalleryTests.reversed(Fixture.render(focused, 120, 40))[0]
        let clicked = Fixture.apply(s, [.mouse(click(at.x, at.y))])
        let entered = Fixture.apply(focused, [.key(.enter)])
        XCTAssertEqual(clicked.filter, .cell(cell))
        XCTAssertEqual(clicked.filter, entered.filter)
        XCTAssertEqual(clicked.message, entered.message)
        XCTAssertEqual(clicked.confusionCursor, cell, "Tab then shows the cell clicked")
        XCTAssertEqual(Fixture.apply(s, [.mouse(MouseEvent(x: 3, y: 3, button: .wheelDown))]).position, s.position + 1)
    }

    func testNothingUnderHelpBeforeAnEvaluationOrOnATooSmallScreen() {
        let s = Fixture.apply(DrillDownTests.evaluatedState(), [GalleryTests.screen(120, 40)])
        let inner = DashboardLayout(width: 120, height: 40).confusion.inset(1)
        let cellAt = click(inner.maxX - 30, inner.y + 2)
        XCTAssertNotNil(target(s, cellAt))
        XCTAssertNil(target(Fixture.apply(s, [.key(.char("?"))]), cellAt), "help covers the screen")
        XCTAssertNil(target(Fixture.apply(s, [.key(.char("?"))]), MouseEvent(x: 0, y: 0, button: .wheelDown)))
        XCTAssertNil(target(Fixture.apply(s, [GalleryTests.screen(79, 40)]), cellAt), "too small: nothing is drawn")
        var fresh = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        fresh = Fixture.apply(fresh, [GalleryTests.screen(120, 40)])
        XCTAssertNil(target(fresh, cellAt), "no evaluation, no matrix")
    }
}
