import XCTest
import Synchronization
@testable import FERData
import FERTestSupport

final class GzipTests: XCTestCase {
    func csv(_ rows: Range<Int>, header: Bool = true) -> String {
        (header ? "emotion,pixels,Usage\n" : "") + rows.map { "\($0 % 7),\(pixelText(samplePixels($0))),Training\n" }.joined()
    }

    func testRoundTripAndConcatenatedMembers() throws {
        let dir = TempDir()
        let plain = try DatasetLoader.load(path: dir.write("a.csv", csv(0..<12)))
        let gz = dir.write("a.csv.gz", Gzip.compress(Array(csv(0..<12).utf8)))
        let unzipped = try DatasetLoader.load(path: gz)
        XCTAssertEqual(unzipped.train.pixels + unzipped.validation.pixels, plain.train.pixels + plain.validation.pixels)
        // `cat part1.gz part2.gz` is one valid gzip file holding both parts.
        let joined = Gzip.compress(Array(csv(0..<5).utf8)) + Gzip.compress(Array(csv(5..<12, header: false).utf8))
        let cat = try DatasetLoader.load(path: dir.write("cat.csv.gz", joined))
        XCTAssertEqual(cat.train.pixels, plain.train.pixels)
        // The magic decides, not the name.
        let renamed = try DatasetLoader.load(path: dir.write("looks-plain.csv", Gzip.compress(Array(csv(0..<12).utf8))))
        XCTAssertEqual(renamed.train.count, plain.train.count)
    }

    func testTruncatedAndCorruptGzip() {
        let dir = TempDir()
        let full = Gzip.compress(Array(csv(0..<4).utf8))
        for cut in [full.count - 4, full.count - 8, full.count / 2, 12] {
            let path = dir.write("cut\(cut).csv.gz", Array(full.prefix(cut)))
            assertDataError(containing: [path, "truncated gzip file"]) { try DatasetLoader.load(path: path) }
        }
        var flipped = full
        flipped[full.count / 2] ^= 0xFF
        flipped[full.count / 2 + 1] ^= 0x5A
        let bad = dir.write("flip.csv.gz", flipped)
        assertDataError(containing: [bad]) { try DatasetLoader.load(path: bad) }
    }

    // MARK: - Parsing while inflating, with tiny blocks so every seam is crossed

    func streamed(_ bytes: [UInt8], name: String = "s.csv.gz", skip: Bool = false) throws -> CSVRows {
        let dir = TempDir()
        return try CSVReader.read(path: dir.write(name, bytes), options: LoadOptions(skipBadRows: skip),
                                  requireEmotion: true, blockSize: 20_000)
    }

    func testStreamingMatchesOneShot() throws {
        let text = csv(0..<150)
        let rows = try streamed(Gzip.compress(Array(text.utf8)))
        XCTAssertEqual(rows.byUsage[0].count, 150)
        for i in stride(from: 0, to: 150, by: 7) { XCTAssertEqual(Array(rows.byUsage[0].image(i)), samplePixels(i)) }
        XCTAssertEqual(rows.byUsage[0].labels, (0..<150).map { Int8($0 % 7) })
    }

    func testStreamingReportsBadRowsTruncationAndReadsConcatenatedMembers() throws {
        var lines = csv(0..<150).split(separator: "\n").map(String.init)
        lines[120] = "3,1 2 3,Training"
        let bad = Gzip.compress(Array((lines.joined(separator: "\n") + "\n").utf8))
        XCTAssertThrowsError(try streamed(bad, name: "bad.csv.gz")) { error in
            XCTAssertTrue("\(error)".hasSuffix("bad.csv.gz:121: found 3 pixels, expected 2304"), "\(error)")
        }
        XCTAssertEqual(try streamed(bad, skip: true).skipped, 1)

        let full = Gzip.compress(Array(csv(0..<150).utf8))
        XCTAssertThrowsError(try streamed(Array(full.prefix(full.count - 3)), name: "cut.csv.gz")) { error in
            XCTAssertTrue("\(error)".contains("cut.csv.gz: truncated gzip file"), "\(error)")
        }
        // Two members, the second starting mid-block: inflated on without a seam in the rows.
        let joined = Gzip.compress(Array(csv(0..<75).utf8)) + Gzip.compress(Array(csv(75..<150, header: false).utf8))
        let both = try streamed(joined)
        XCTAssertEqual(both.byUsage[0].labels, (0..<150).map { Int8($0 % 7) })
        XCTAssertEqual(Array(both.byUsage[0].image(149)), samplePixels(149))
        // A truncated row before a truncated stream: the damaged stream is what gets reported.
        XCTAssertThrowsError(try streamed(Array(full.prefix(full.count / 2)), name: "half.csv.gz")) { error in
            XCTAssertTrue("\(error)".contains("half.csv.gz: truncated gzip file"), "\(error)")
        }
        let dir = TempDir()
        let data = try DatasetLoader.load(path: dir.write("two.csv.gz", joined))
        XCTAssertEqual(data.train.count + data.validation.count, 150)
    }

    /// A member ending right at the edge of the inflater's 256 KiB input buffer: the next member's
    /// magic arrives in the next read (0, 1 or 2 of its bytes already buffered), and is still found.
    func testMemberBoundaryAtTheInputBufferEdge() throws {
        let dir = TempDir()
        let second = Gzip.compress(Array(csv(30..<40, header: false).utf8))
        for end in [(256 << 10) - 2, (256 << 10) - 1, 256 << 10, (256 << 10) + 1] {
            // Stored deflate (level 0) grows one byte per input byte, so a padding column sizes
            // the first member exactly.
            var padding = 0
            var first: [UInt8] = []
            for _ in 0..<4 {
                let rows = (0..<24).map { "\($0 % 7),\(pixelText(samplePixels($0))),Training,\($0 == 23 ? String(repeating: "p", count: padding) : "")\n" }
                first = Gzip.compress(Array(("emotion,pixels,Usage,note\n" + rows.joined()).utf8), level: 0)
                if first.count == end { break }
                padding += end - first.count
            }
            XCTAssertEqual(first.count, end)
            let path = dir.write("edge\(end).csv.gz", first + second)
            let rows = try CSVReader.read(path: path, options: LoadOptions(), requireEmotion: true)
            XCTAssertEqual(rows.byUsage[0].labels, (0..<24).map { Int8($0 % 7) } + (30..<40).map { Int8($0 % 7) }, "member ends at \(end)")
            XCTAssertEqual(Array(rows.byUsage[0].image(33)), samplePixels(39))
        }
    }

    /// Many streamed loads at once from inside a busy Dispatch pool still finish (the inflater runs
    /// on its own thread, so it never waits for a pool slot the parsers are holding).
    func testStreamedLoadsFromASaturatedPoolFinish() throws {
        let dir = TempDir()
        let path = dir.write("big.csv.gz", Gzip.compress(Array(csv(0..<150).utf8)))
        let done = expectation(description: "all loads finished")
        let counts = Counts()
        DispatchQueue.global().async {
            DispatchQueue.concurrentPerform(iterations: 16) { i in
                counts.set(i, (try? DatasetLoader.load(path: path)).map { $0.train.count + $0.validation.count } ?? -1)
            }
            done.fulfill()
        }
        wait(for: [done], timeout: 60)
        XCTAssertEqual(counts.values, [Int](repeating: 150, count: 16))
    }
}

/// Rows loaded per worker, written from many threads at once.
private final class Counts: Sendable {
    private let counts = Mutex([Int](repeating: 0, count: 16))
    func set(_ i: Int, _ value: Int) { counts.withLock { $0[i] = value } }
    var values: [Int] { counts.withLock { $0 } }
}
