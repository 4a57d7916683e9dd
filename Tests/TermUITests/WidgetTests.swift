import XCTest
@testable import TermUI
import FERTestSupport

final class WidgetTests: XCTestCase {
    func testBoxSnapshotUnicodeAndASCII() {
        var inner: Rect?, area: Rect?
        let g = renderWidget(width: 20, height: 4) { g, r in
            Box(title: "Loss").draw(&g, r, caps: .full)
            inner = Box.interior(of: r)
            area = r
        }
        XCTAssertEqual(inner, area?.inset(1))
        let a = renderWidget(width: 20, height: 4) {
            Box(title: "a very long title that is clipped").draw(&$0, $1, caps: .plain)
        }
        assertSnapshot(g, "box-unicode")
        assertSnapshot(a, "box-ascii")
    }

    func testBarEighthsAndClamp() {
        let g = renderWidget(width: 4, height: 3) { g, r in
            let rows = (0..<3).map { Rect(x: r.x, y: r.y + $0, width: 4, height: 1) }
            Bar(fraction: 0.5, style: .plain).draw(&g, rows[0], caps: .full)
            Bar(fraction: 0.3125, style: .plain).draw(&g, rows[1], caps: .full)
            Bar(fraction: 7, style: .plain).draw(&g, rows[2], caps: .plain)
        }
        XCTAssertEqual(g.lines, ["██··", "█▎··", "####"])
    }

    func testBarClearsTheRowsUnderIt() {
        let g = renderWidget(width: 4, height: 2) { Bar(fraction: 1, style: .bold).draw(&$0, $1, caps: .full) }
        XCTAssertEqual(g.lines, ["████", "    "])
        XCTAssertEqual(g[0, 0].style, .bold)
    }

    func testLabelSizedToItsTextOverABorder() {
        let label = Label([("ab", .bold), ("cd", .dim)])
        XCTAssertEqual(label.width, 4)
        let border = Rect(x: 3, y: 7, width: 10, height: 1)
        XCTAssertEqual(label.area(atStartOf: border), Rect(x: 3, y: 7, width: 4, height: 1))
        XCTAssertEqual(label.area(atStartOf: Rect(x: 3, y: 7, width: 2, height: 1)).width, 2, "never wider than the row")
        let g = renderWidget(width: 6, height: 2) { label.draw(&$0, $1, caps: .full) }
        XCTAssertEqual(g.lines, ["abcd  ", "      "])
        XCTAssertEqual(g[2, 0].style, .dim)
    }

    func testHeatOverlayDrawsItsImageThenMarksTheStrongestCells() {
        let image = ShadedImage(pixels: [UInt8](repeating: 200, count: 16), width: 4, height: 4)
        let heat = HeatOverlay(values: [1, 1, 0, 0] + [Float](repeating: 0, count: 12), width: 4, height: 4, over: image,
                               ramp: { _ in (255, 0, 0) })
        let g = renderWidget(width: 4, height: 2) { heat.draw(&$0, $1, caps: .plain) }
        XCTAssertEqual(g.lines, renderWidget(width: 4, height: 2) { image.draw(&$0, $1, caps: .plain) }.lines,
                       "the face stays readable under the marks")
        XCTAssertEqual(g[0, 0].style, Theme(caps: .plain).heatMark)
        XCTAssertNotEqual(g[3, 0].style, Theme(caps: .plain).heatMark)
    }

    func testDownsampleKeepsExtremes() {
        var pts: [(x: Double, y: Double)] = (0..<10_000).map { (Double($0), sin(Double($0) / 300)) }
        pts[4321].y = 50      // a spike
        pts[8765].y = -40     // a dip
        let d = Downsample.minMax(pts, buckets: 100)
        XCTAssertLessThanOrEqual(d.count, 200)
        XCTAssertEqual(d.map { $0.y }.max(), 50)
        XCTAssertEqual(d.map { $0.y }.min(), -40)
        XCTAssertEqual(d.map { $0.x }, d.map { $0.x }.sorted(), "order kept")
        // Short series come back untouched.
        XCTAssertEqual(Downsample.minMax(Array(pts.prefix(10)), buckets: 100).count, 10)
    }

    func line(_ n: Int) -> [(x: Double, y: Double)] { (0..<n).map { (Double($0), 2.0 - Double($0) / Double(n)) } }

    func testBrailleChartSnapshot() {
        let chart = LineChart(series: [
            ChartSeries(name: "train", points: line(200), style: .plain),
            ChartSeries(name: "val", points: [(50, 1.9), (100, 1.5), (150, 1.4)], style: .bold, marker: "o"),
        ])
        let g = renderWidget(width: 40, height: 10) { chart.draw(&$0, $1, caps: .full) }
        assertSnapshot(g, "chart-braille")
        XCTAssertTrue(g.text.contains("train"), "legend")
        XCTAssertTrue(g.text.contains("199"), "x axis shows the last step")
    }

    func testASCIIChartAndLogAxisSnapshot() {
        let chart = LineChart(series: [ChartSeries(name: "loss", points: (1...100).map { (Double($0), 10.0 / Double($0)) }, style: .plain)],
                              logY: true)
        let g = renderWidget(width: 40, height: 10) { chart.draw(&$0, $1, caps: .plain) }
        assertSnapshot(g, "chart-ascii-log")
        XCTAssertFalse(g.text.unicodeScalars.contains { $0.value >= 0x2800 && $0.value < 0x2900 }, "no braille in ASCII mode")
    }

    func testChartWithoutDataSaysSo() {
        let g = renderWidget(width: 30, height: 6) {
            LineChart(series: [ChartSeries(name: "loss", points: [], style: .plain)]).draw(&$0, $1, caps: .full)
        }
        XCTAssertTrue(g.text.contains("waiting for data"))
    }

    let names = ["anger", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    var counts: [[Int]] {
        (0..<7).map { t in (0..<7).map { p in t == p ? 40 + t : (t + p) % 4 } }
    }

    func testConfusionWideWithPrecisionRecall() {
        let view = ConfusionView(counts: counts, names: names, percent: false)
        let g = renderWidget(width: 70, height: 8) { view.draw(&$0, $1, caps: .full) }
        assertSnapshot(g, "confusion-wide")
        XCTAssertTrue(g.text.contains("surprise"), "full names where the width allows")
        XCTAssertTrue(g.text.contains("prec"))
        // Diagonal shaded differently from an off-diagonal cell in the same row.
        let diagStyle = g[9 + 6 * 2 - 1, 3].style, offStyle = g[9 + 6 * 0 - 1, 3].style
        XCTAssertNotEqual(diagStyle, offStyle)
    }

    func testConfusionNarrowPercentNoColour() {
        let view = ConfusionView(counts: counts, names: names, percent: true)
        let g = renderWidget(width: 38, height: 8) { view.draw(&$0, $1, caps: .plain) }
        assertSnapshot(g, "confusion-narrow-percent-nocolor")
        XCTAssertTrue(g.text.contains("*"), "diagonal marked without colour")
        XCTAssertFalse(g.text.contains("surprise"))
    }

    func testShadedImageModes() {
        let px: [UInt8] = (0..<64).map { (i: Int) -> UInt8 in UInt8((i % 8) * 32 + (i / 8) * 2) }
        let img = ShadedImage(pixels: px, width: 8, height: 8)
        var half = img
        half.scale = 2
        XCTAssertEqual(img.cellSize(scale: 1).width, 8)
        XCTAssertEqual(img.cellSize(scale: 1).height, 4)
        let g = renderWidget(width: 8, height: 4) { img.draw(&$0, $1, caps: .full) }
        XCTAssertEqual(g[0, 0].char, "▀")
        XCTAssertEqual(g[0, 0].style.fg, .gray(0))
        XCTAssertEqual(g[7, 0].style.fg, .gray(20), "224/255 on the 24-step ramp is step 20")
        XCTAssertNotEqual(g[7, 3].style.bg, .default)
        let shades = renderWidget(width: 8, height: 4) {
            img.draw(&$0, $1, caps: Capabilities(unicode: true, colors: 16))
        }
        XCTAssertEqual(shades.lines[0], "  ░░▒▓▓█")
        let ascii = renderWidget(width: 8, height: 4) { img.draw(&$0, $1, caps: .plain) }
        XCTAssertEqual(ascii.lines[0], " .:-+*#%")
        let halfSize = renderWidget(width: 4, height: 2) { half.draw(&$0, $1, caps: .plain) }
        XCTAssertEqual(halfSize.lines.count, 2)
        XCTAssertNotEqual(halfSize.lines[0], "    ")
        XCTAssertFalse(halfSize.text.contains("x"), "every cell of the half-size image drawn")
    }

    func testTextFieldEditing() {
        var f = TextField("abc")
        f.left(); f.backspace()
        XCTAssertEqual(f.string, "ac"); XCTAssertEqual(f.cursor, 1)
        f.insert("XY"); f.home(); f.deleteForward(); f.end(); f.right()
        XCTAssertEqual(f.string, "XYc"); XCTAssertEqual(f.cursor, 3)
        let long = TextField("0123456789abcdef")
        let g = renderWidget(width: 10, height: 1) { TextFieldView(long, label: "> ").draw(&$0, $1, caps: .full) }
        XCTAssertEqual(g.lines[0], "> 9abcdef ", "scrolled so the cursor (end) is visible")
        XCTAssertTrue(g[9, 0].style.reverse)
    }

    func testCommonPrefix() {
        XCTAssertEqual(commonPrefix(["faces/a.png", "faces/ab.png"]), "faces/a")
        XCTAssertEqual(commonPrefix(["x"]), "x")
        XCTAssertEqual(commonPrefix([]), "")
    }

    func testWidgetsAtTinySizesDoNotCrash() {
        // Each widget alone in a tiny area of a larger grid: nothing may land outside it.
        for (w, h) in [(0, 0), (1, 1), (2, 1), (3, 3)] {
            let g = renderWidget(width: w, height: h) { g, r in
                Box(title: "t").draw(&g, r, caps: .full)
                LineChart(series: [ChartSeries(name: "s", points: line(50), style: .plain)]).draw(&g, r, caps: .full)
                ConfusionView(counts: counts, names: names, percent: false).draw(&g, r, caps: .full)
                TextFieldView(TextField("abc"), label: "path: ").draw(&g, r, caps: .full)
                Bar(fraction: .nan, style: .plain).draw(&g, r, caps: .full)
                HelpOverlay(title: "h", rows: [("q", "quit")], footer: "Esc").draw(&g, r, caps: .full)
                // A 48×48 image is far larger than these areas: it is clipped to them.
                let face = ShadedImage(pixels: [UInt8](repeating: 9, count: 2304), width: 48, height: 48)
                face.draw(&g, r, caps: .full)
                HeatOverlay(values: [Float](repeating: 1, count: 2304), width: 48, height: 48, over: face,
                            ramp: { _ in (255, 0, 0) }).draw(&g, r, caps: .plain)
            }
            XCTAssertEqual(g.width, w)
        }
    }
}

final class HelpOverlayTests: XCTestCase {
    func testHelpOverlaySnapshotAndClipping() {
        var g = CellGrid(width: 40, height: 8, fill: Cell("x"))
        let help = HelpOverlay(title: "Help", rows: [("q", "quit"), ("space", "pause / resume")], footer: "Esc closes")
        help.draw(&g, help.area(centredIn: g.bounds), caps: .full)
        assertSnapshot(g, "help-overlay")
        // Too many rows for the screen: clipped, never drawn outside, footer kept.
        var small = CellGrid(width: 20, height: 5)
        let long = HelpOverlay(title: "Help", rows: (0..<30).map { ("k\($0)", "row \($0)") }, footer: "Esc")
        long.draw(&small, long.area(centredIn: small.bounds), caps: .plain)
        XCTAssertTrue(small.text.contains("Esc"))
        XCTAssertFalse(small.text.contains("row 29"))
    }
}
