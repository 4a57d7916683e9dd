import XCTest
@testable import FERData

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
}
