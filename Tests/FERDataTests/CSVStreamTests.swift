import XCTest
@testable import FERData
import FERTestSupport

/// The reader sees the file in blocks, each ending at a line end, with the cut-off line carried
/// into the next block. These tests use files many blocks long and aim bad rows at the seams.
final class CSVStreamTests: XCTestCase {
    let blockSize = 64 << 10

    /// Where each block starts, by the reader's rule: a block holds `blockSize` bytes from its
    /// start, cut after its last newline. (Valid while no line is longer than half a block.)
    func blockStarts(_ text: [UInt8], blockSize: Int) -> [Int] {
        var starts = [0]
        while starts.last! + blockSize < text.count {
            let limit = starts.last! + blockSize
            let newline = text[starts.last!..<limit].lastIndex(of: 0x0A)!
            starts.append(newline + 1)
        }
        return starts
    }

    /// A fer2013-style file: row i has label i % 7, pixels samplePixels(i), Usage by i % 5, with a
    /// few blank and CRLF lines so line numbers and row numbers differ.
    func makeRows(_ n: Int) -> [String] {
        (0..<n).map { i in
            "\(i % 7),\(pixelText(samplePixels(i))),\(i % 5 == 0 ? "PublicTest" : "Training")" + (i % 11 == 0 ? "\r" : "")
        }
    }

    func join(_ rows: [String]) -> [UInt8] {
        var lines = ["emotion,pixels,Usage"]
        for (i, row) in rows.enumerated() {
            lines.append(row)
            if i % 40 == 3 { lines.append("") } // blank lines count as lines, not rows
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    func checkValues(_ rows: CSVRows, ids: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let train = ids.filter { $0 % 5 != 0 }, validation = ids.filter { $0 % 5 == 0 }
        XCTAssertEqual(rows.byUsage[0].labels, train.map { Int8($0 % 7) }, file: file, line: line)
        XCTAssertEqual(rows.byUsage[1].labels, validation.map { Int8($0 % 7) }, file: file, line: line)
        for (k, i) in train.enumerated() where Array(rows.byUsage[0].image(k)) != samplePixels(i) {
            XCTFail("training row \(k) (source row \(i)) has the wrong pixels", file: file, line: line)
            return
        }
        for (k, i) in validation.enumerated() where Array(rows.byUsage[1].image(k)) != samplePixels(i) {
            XCTFail("validation row \(k) (source row \(i)) has the wrong pixels", file: file, line: line)
            return
        }
    }

    func testRowsAcrossManyBlocksAndABadRowOnASeam() throws {
        let n = 400 // ~3.6 MB: over 50 blocks of 64 KiB
        var rows = makeRows(n)
        let good = join(rows)
        let starts = blockStarts(good, blockSize: blockSize)
        XCTAssertGreaterThan(starts.count, 50)
        let dir = TempDir()
        let plain = try CSVReader.read(path: dir.write("good.csv", good), options: LoadOptions(),
                                       requireEmotion: true, blockSize: blockSize)
        checkValues(plain, ids: Array(0..<n))
        let gz = try CSVReader.read(path: dir.write("good.csv.gz", Gzip.compress(good)), options: LoadOptions(),
                                    requireEmotion: true, blockSize: blockSize)
        checkValues(gz, ids: Array(0..<n))

        // Damage the row that straddles the 30th block's end, at the very byte where the block is
        // cut, without changing its length, so the blocks fall exactly where `starts` says.
        let seam = starts[30] + blockSize
        let lineStart = good[..<seam].lastIndex(of: 0x0A)! + 1
        let lineNumber = good[..<lineStart].filter { $0 == 0x0A }.count + 1
        let text = String(decoding: good[lineStart...].prefix { $0 != 0x0A }, as: UTF8.self)
        let rowIndex = try XCTUnwrap(rows.firstIndex { $0 == text })
        XCTAssertGreaterThan(lineStart + text.utf8.count, seam, "the row must cross the seam")
        var bytes = Array(text.utf8)
        var at = seam - lineStart
        if bytes[at] == 0x20 { at += 1 }
        bytes[at] = UInt8(ascii: "x")
        rows[rowIndex] = String(decoding: bytes, as: UTF8.self)
        // Which pixel token the "x" landed in, and what that token now reads.
        let fieldStart = bytes.firstIndex(of: 0x2C)! + 1
        let tokenIndex = bytes[fieldStart..<at].filter { $0 == 0x20 }.count
        let token = String(decoding: bytes[fieldStart...].split(separator: 0x20, omittingEmptySubsequences: false)[tokenIndex]
                                         .prefix { $0 != 0x2C }, as: UTF8.self)
        let bad = join(rows)
        XCTAssertEqual(bad.count, good.count)
        XCTAssertEqual(blockStarts(bad, blockSize: blockSize), starts)

        for (name, data) in [("bad.csv", bad), ("bad.csv.gz", Gzip.compress(bad))] {
            let path = dir.write(name, data)
            assertDataError("\(path):\(lineNumber): pixel \(tokenIndex + 1) is \"\(token)\", not a number") {
                try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true, blockSize: self.blockSize)
            }
            let skipped = try CSVReader.read(path: path, options: LoadOptions(skipBadRows: true), requireEmotion: true,
                                             blockSize: blockSize)
            XCTAssertEqual(skipped.skipped, 1)
            checkValues(skipped, ids: (0..<n).filter { $0 != rowIndex })
        }
    }

    /// Blocks smaller than one row: each block grows to hold its line, and nothing is lost.
    func testBlocksSmallerThanARow() throws {
        let rows = makeRows(30)
        let dir = TempDir()
        for (name, data) in [("small.csv", join(rows)), ("small.csv.gz", Gzip.compress(join(rows)))] {
            let read = try CSVReader.read(path: dir.write(name, data), options: LoadOptions(), requireEmotion: true,
                                          blockSize: 4096)
            checkValues(read, ids: Array(0..<30))
        }
    }

    /// Blocks big enough to be split over threads, with a bad row in the second half of a block.
    func testBlocksSplitOverThreads() throws {
        let n = 1000 // ~9 MB: two full 4 MiB blocks and a tail
        var rows = makeRows(n)
        let dir = TempDir()
        let size = (4 << 20) + 1000
        checkValues(try CSVReader.read(path: dir.write("big.csv", join(rows)), options: LoadOptions(),
                                       requireEmotion: true, blockSize: size), ids: Array(0..<n))
        rows[700] = "8" + rows[700].dropFirst()
        let good = join(rows)
        // Counted in bytes: as Characters, "\r\n" is one and would hide those line ends.
        let lineNumber = good.split(separator: 0x0A, omittingEmptySubsequences: false)
            .firstIndex { $0.starts(with: Array("8,".utf8)) }! + 1
        XCTAssertEqual(lineNumber, 1 + 701 + 18) // header, rows 0...700, blank lines after rows 3, 43, …, 683
        let path = dir.write("big-bad.csv", good)
        assertDataError("\(path):\(lineNumber): emotion 8 is outside 0–6") {
            try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true, blockSize: size)
        }
    }

    /// A file without a Usage column gets the seeded hold-out applied while merging; it must equal
    /// SeededSplit.holdOut over the whole set, row for row.
    func testHoldOutDuringMergeMatchesSeededSplit() throws {
        let dir = TempDir()
        var text = "emotion,pixels\n"
        for i in 0..<120 { text += "\(i % 7),\(pixelText(samplePixels(i)))\n" }
        let path = dir.write("plain.csv", text)
        let all = try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true, blockSize: 20_000)
        XCTAssertFalse(all.heldOut)
        let expected = SeededSplit.holdOut(all.byUsage[0], seed: 42)
        let merged = try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true, holdOutSeed: 42,
                                        blockSize: 20_000)
        XCTAssertTrue(merged.heldOut)
        XCTAssertEqual(merged.byUsage[0].pixels, expected.train.pixels)
        XCTAssertEqual(merged.byUsage[0].labels, expected.train.labels)
        XCTAssertEqual(merged.byUsage[1].pixels, expected.validation.pixels)
        XCTAssertEqual(merged.byUsage[1].labels, expected.validation.labels)
        XCTAssertEqual(merged.byUsage[1].count, 12)
    }

    /// A large file with no line break at all is rejected after one block, not read whole.
    func testNoNewlineInAWholeBlockFailsAsNotCSV() {
        let dir = TempDir()
        let path = dir.write("long.csv", [UInt8](repeating: UInt8(ascii: "a"), count: 200_000))
        assertDataError("\(path):1: not a CSV file (binary data where the header should be)") {
            try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true, blockSize: 4096)
        }
    }
}
