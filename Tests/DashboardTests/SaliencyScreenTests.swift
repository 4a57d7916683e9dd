import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// The saliency overlay on screen. Text snapshots cannot show colour, so each screen is also
/// recorded as a style mask: `~` a face cell tinted by the ramp (a colour-cube colour), `.` a
/// face cell left gray, `#` a cell marked as strongest (red background, or reverse video
/// without colour), blank otherwise.
final class SaliencyScreenTests: XCTestCase {
    /// Hot around the mouth (row 36, column 24 of the 48×48 face), cold elsewhere.
    static let mouthMap: [Float] = (0..<2304).map { p in
        let dy = Float(p / 48 - 36), dx = Float(p % 48 - 24)
        return exp(-(dx * dx + dy * dy) / 40)
    }

    static func overlayState() -> AppState {
        var s = Fixture.runningState()
        s = reduce(s, .key(.char("x"))).0
        let tag = s.requestedTag!
        return Fixture.apply(s, [.event(.prediction(tag: tag, probabilities: Fixture.probabilities(3))),
                                 .event(.saliency(tag: tag, classIndex: 3, map: mouthMap))])
    }

    /// The mask of the Sample panel (the right-hand column from its title down to the key bar).
    static func mask(_ g: CellGrid) -> String {
        let top = g.lines.firstIndex { $0.contains("Sample") }!
        let left = max(0, Array(g.lines[top]).firstIndex(of: "S")! - 2)
        return (top..<(g.height - 1)).map { y in
            String((left..<g.width).map { x -> Character in
                let c = g[x, y]
                if c.style.bg == .red || c.style.reverse { return "#" }
                guard c.char == "▀" else { return " " }
                if case .index(let i) = c.style.fg, (16...231).contains(i) { return "~" }
                return "."
            }) + "|"
        }.joined(separator: "\n") + "\n"
    }

    func assertMask(_ g: CellGrid, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        assertSnapshot(g, name, file: file, line: line)
        assertSnapshot(text: Self.mask(g), name + "-style", file: file, line: line)
    }

    func testOverlay120x40In256Colours() {
        let g = Fixture.render(Self.overlayState(), 120, 40)
        assertMask(g, "saliency-120x40")
        XCTAssertTrue(g.text.contains("Sample  saliency"))
        XCTAssertTrue(g.text.contains("low ") && g.text.contains(" high"), "the ramp's legend")
        // Tinted cells sit around the mouth, i.e. in the lower part of the face only.
        // The mask starts at the title row; the face starts two rows below it (title, headline).
        let rows = Self.mask(g).split(separator: "\n").enumerated().filter { $0.element.contains("~") }.map { $0.offset - 2 }
        XCTAssertFalse(rows.isEmpty)
        XCTAssertGreaterThan(rows.min()!, 10, "no tint on the upper face (face rows 0–23): \(rows)")
        XCTAssertLessThan(rows.max()!, 24)
    }

    func testOverlay80x24In256Colours() {
        let g = Fixture.render(Self.overlayState(), 80, 24)
        assertMask(g, "saliency-80x24")
        XCTAssertTrue(g.text.contains("saliency"))
        XCTAssertTrue(Self.mask(g).contains("~"))
    }

    func testOverlayIn8ColoursMarksTheStrongestCells() {
        let g = Fixture.render(Self.overlayState(), 120, 40, Capabilities(unicode: true, colors: 8))
        assertMask(g, "saliency-120x40-8colours")
        XCTAssertTrue(Self.mask(g).contains("#"))
        XCTAssertTrue(g.text.contains("strongest cells"))
    }

    func testOverlayInASCIIMarksTheStrongestCellsInReverse() {
        let g = Fixture.render(Self.overlayState(), 80, 24, .plain)
        assertMask(g, "saliency-80x24-ascii")
        let marked = Self.mask(g).filter { $0 == "#" }.count
        XCTAssertGreaterThan(marked, 0)
        XCTAssertLessThan(marked, 40, "only the strongest cells are marked")
    }

    func testBeforeTheMapArrivesThePanelSaysSo() {
        let s = reduce(Fixture.runningState(), .key(.char("x"))).0
        let g = Fixture.render(s, 120, 40)
        XCTAssertTrue(g.text.contains("computing saliency"))
        XCTAssertFalse(Self.mask(g).contains("~"), "no stale map drawn")
    }
}
