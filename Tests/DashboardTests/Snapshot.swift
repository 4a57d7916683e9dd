import Foundation
import TermUI
import XCTest

/// Compares a rendered grid's characters with `__Snapshots__/<name>.txt` next to this file.
/// RECORD_SNAPSHOTS=1 rewrites the files; a missing file is recorded and the test fails once,
/// so a snapshot can never pass silently without having been looked at.
func assertSnapshot(_ grid: CellGrid, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let url = dir.appendingPathComponent(name + ".txt")
    // Trailing "|" shows where each row ends, so trailing blanks are visible in review.
    let actual = grid.lines.map { $0 + "|" }.joined(separator: "\n") + "\n"
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
