import XCTest
@testable import TermUI
import FERData
import FERTestSupport

final class GridAndDiffTests: XCTestCase {
    func testPutClipsToGridAndRect() {
        var g = CellGrid(width: 5, height: 2)
        g.put("abcdefg", x: -1, y: 0)
        g.put("xyz", x: 1, y: 1, clip: Rect(x: 0, y: 1, width: 3, height: 1))
        g.put("never", x: 0, y: 5)
        XCTAssertEqual(g.lines, ["bcdef", " xy  "])
    }

    func testControlCharactersNeverReachCells() {
        var g = CellGrid(width: 4, height: 1)
        g.put("a\u{1b}b\n", x: 0, y: 0)
        XCTAssertEqual(g.lines, ["a?b?"])
    }

    func testRectSplits() {
        let r = Rect(x: 2, y: 3, width: 10, height: 6)
        let (top, rest) = r.splitTop(2)
        XCTAssertEqual(top, Rect(x: 2, y: 3, width: 10, height: 2))
        XCTAssertEqual(rest, Rect(x: 2, y: 5, width: 10, height: 4))
        let (l, rr) = r.splitRight(4)
        XCTAssertEqual(l.width, 6)
        XCTAssertEqual(rr.x, 8)
        XCTAssertEqual(r.splitTop(99).1.height, 0)
        XCTAssertTrue(r.inset(4).isEmpty)
    }

    func randomGrid(_ w: Int, _ h: Int, _ rng: inout SplitMix64, base: CellGrid? = nil, changes: Int) -> CellGrid {
        var g = base ?? CellGrid(width: w, height: h)
        let chars: [Character] = ["a", "b", "█", "⣿", " "]
        for _ in 0..<changes {
            let x = Int.random(in: 0..<w, using: &rng), y = Int.random(in: 0..<h, using: &rng)
            g[x, y] = Cell(chars.randomElement(using: &rng)!,
                           Style(fg: .index(UInt8.random(in: 0...3, using: &rng)), bold: Bool.random(using: &rng)))
        }
        return g
    }

    func testDiffAppliedToPreviousGivesNext() {
        var rng = SplitMix64(seed: 42)  // seeded, so a failure can be replayed
        for trial in 0..<200 {
            let w = Int.random(in: 1...30, using: &rng), h = Int.random(in: 1...12, using: &rng)
            let prev = randomGrid(w, h, &rng, changes: w * h / 2)
            let next = randomGrid(w, h, &rng, base: prev, changes: Int.random(in: 0...(w * h), using: &rng))
            var applied = prev
            GridDiff.apply(GridDiff.runs(from: prev, to: next), to: &applied)
            XCTAssertEqual(applied, next, "trial \(trial) \(w)×\(h)")
        }
    }

    func testDiffWritesOnlyChangedCells() {
        var prev = CellGrid(width: 10, height: 3)
        prev.put("hello", x: 0, y: 0)
        var next = prev
        next.put("J", x: 0, y: 0)
        next.put("!", x: 9, y: 2)
        let runs = GridDiff.runs(from: prev, to: next)
        XCTAssertEqual(runs, [CellRun(x: 0, y: 0, cells: [Cell("J")]), CellRun(x: 9, y: 2, cells: [Cell("!")])])
        XCTAssertEqual(GridDiff.runs(from: next, to: next), [])
        // A size change (or first frame) repaints every row.
        XCTAssertEqual(GridDiff.runs(from: CellGrid(width: 2, height: 2), to: next).count, 3)
    }

    func testPresenterFlushesOncePerChangedFrameAndNeverWhenIdle() {
        let backend = MemoryBackend(width: 8, height: 2)
        let p = FramePresenter(backend: backend)
        var g = CellGrid(width: 8, height: 2)
        g.put("abc", x: 0, y: 0)
        p.present(g)
        XCTAssertEqual(backend.flushCount, 1)
        XCTAssertEqual(backend.cellsWritten, 16)
        p.present(g)
        XCTAssertEqual(backend.flushCount, 1, "an unchanged frame must not touch the terminal")
        g.put("Z", x: 7, y: 1)
        p.present(g)
        XCTAssertEqual(backend.flushCount, 2)
        XCTAssertEqual(backend.cellsWritten, 17)
        XCTAssertEqual(backend.screen, g)
        p.invalidate()   // Ctrl-L: everything again
        p.present(g)
        XCTAssertEqual(backend.cellsWritten, 33)
        XCTAssertEqual(backend.screen, g)
    }
}
