import Foundation
import TermUI
import XCTest

/// What every rendered test grid starts as. A visible character in every cell (as ratatui's tests
/// fill their buffers with "x") makes two mistakes show in a snapshot: a cell a widget should
/// have drawn but did not still reads "x", and a cell drawn outside the widget's area is a
/// missing "x" in the margin around it.
public let unpaintedCell = Cell("x")

/// Compares a rendered grid's characters with `__Snapshots__/<name>.txt` next to the calling
/// test file. RECORD_SNAPSHOTS=1 rewrites the files; a missing file is recorded and the test
/// fails once, so a snapshot can never pass silently without having been looked at.
public func assertSnapshot(_ grid: CellGrid, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    // Trailing "|" shows where each row ends, so trailing blanks are visible in review.
    assertSnapshot(text: grid.lines.map { $0 + "|" }.joined(separator: "\n") + "\n", name, file: file, line: line)
}

/// The same for any text drawn from a grid (e.g. a mask of its styles, which the characters
/// alone do not show).
public func assertSnapshot(text actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let url = dir.appendingPathComponent(name + ".txt")
    let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
    if !record, let expected = try? String(contentsOf: url, encoding: .utf8) {
        if expected != actual {
            XCTFail("snapshot \(name) differs (RECORD_SNAPSHOTS=1 to re-record)\n--- expected\n\(expected)--- actual\n\(actual)", file: file, line: line)
        }
        return
    }
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try? actual.write(to: url, atomically: true, encoding: .utf8)
    if !record { XCTFail("recorded new snapshot \(name); check it and re-run", file: file, line: line) }
}

/// Draws a widget into a width×height area of a larger grid filled with `unpaintedCell`, fails
/// the test for every cell of the one-cell margin the widget changed (drawing outside its area),
/// and returns the area alone, for snapshots and cell checks at the widget's own coordinates.
public func renderWidget(width: Int, height: Int, file: StaticString = #filePath, line: UInt = #line,
                         _ draw: (inout CellGrid, Rect) -> Void) -> CellGrid {
    var canvas = CellGrid(width: width + 2, height: height + 2, fill: unpaintedCell)
    let area = Rect(x: 1, y: 1, width: width, height: height)
    draw(&canvas, area)
    var painted = CellGrid(width: width, height: height)
    for y in 0..<canvas.height {
        for x in 0..<canvas.width {
            let inside = x >= area.x && x < area.maxX && y >= area.y && y < area.maxY
            if inside {
                painted[x - area.x, y - area.y] = canvas[x, y]
            } else if canvas[x, y] != unpaintedCell {
                XCTFail("drew \"\(canvas[x, y].char)\" outside its \(width)×\(height) area, at (\(x - area.x), \(y - area.y))",
                        file: file, line: line)
            }
        }
    }
    return painted
}
