import XCTest
import Synchronization
@testable import FERData
import FERTestSupport

/// Every malformed input names the file, the 1-based line and the reason.
final class CSVErrorTests: XCTestCase {
    let dir = TempDir()
    let good = pixelText(samplePixels(0))

    private func file(_ rows: [String], header: String = "emotion,pixels,Usage") -> String {
        dir.write("bad-\(UUIDish.next()).csv", ([header] + rows).joined(separator: "\n") + "\n")
    }

    func testWrongPixelCount() {
        let short = pixelText(Array(samplePixels(0).dropLast()))
        let path = file(["1,\(good),Training", "2,\(short),Training"])
        assertDataError("\(path):3: found 2303 pixels, expected 2304") { try DatasetLoader.load(path: path) }
        let long = file(["1,\(good) 7,Training"])
        assertDataError("\(long):2: found 2305 pixels, expected 2304") { try DatasetLoader.load(path: long) }
        let empty = file(["1,,Training"])
        assertDataError("\(empty):2: found 0 pixels, expected 2304") { try DatasetLoader.load(path: empty) }
    }

    func testNonNumberAndOutOfRangePixels() {
        var tokens = samplePixels(0).map(String.init)
        tokens[4] = "12x"
        let path = file(["0,\(tokens.joined(separator: " ")),Training"])
        assertDataError("\(path):2: pixel 5 is \"12x\", not a number") { try DatasetLoader.load(path: path) }
        tokens[4] = "256"
        let high = file(["0,\(tokens.joined(separator: " ")),Training"])
        assertDataError("\(high):2: pixel 5 is 256, outside 0–255") { try DatasetLoader.load(path: high) }
        tokens[4] = "-3"
        let negative = file(["0,\(tokens.joined(separator: " ")),Training"])
        assertDataError("\(negative):2: pixel 5 is -3, outside 0–255") { try DatasetLoader.load(path: negative) }
    }

    func testBadLabels() {
        let seven = file(["7,\(good),Training"])
        assertDataError("\(seven):2: emotion 7 is outside 0–6") { try DatasetLoader.load(path: seven) }
        let negative = file(["-1,\(good),Training"])
        assertDataError("\(negative):2: emotion -1 is outside 0–6") { try DatasetLoader.load(path: negative) }
        let word = file(["happy,\(good),Training"])
        assertDataError("\(word):2: emotion \"happy\" is not a number (expected 0–6)") { try DatasetLoader.load(path: word) }
    }

    func testUnknownUsage() {
        let path = file(["0,\(good),Training", "0,\(good),Validation"])
        assertDataError("\(path):3: unknown Usage \"Validation\" (accepted: Training, PublicTest, PrivateTest)") {
            try DatasetLoader.load(path: path)
        }
    }

    func testMissingColumns() {
        let row = file(["0,\(good)"])
        assertDataError("\(row):2: missing column \"Usage\" (row has 2 fields, header has 3)") { try DatasetLoader.load(path: row) }
        let noPixels = file(["0,1"], header: "emotion,usage")
        assertDataError("\(noPixels):1: missing column \"pixels\" (header has: emotion,usage)") { try DatasetLoader.load(path: noPixels) }
        let noEmotion = file([good], header: "pixels,Usage")
        assertDataError("\(noEmotion):1: missing column \"emotion\" (header has: pixels,Usage)") { try DatasetLoader.load(path: noEmotion) }
        let headerless = dir.write("headerless.csv", "0,\(good),Training\n")
        assertDataError("\(headerless):1: missing header line: expected emotion,pixels[,Usage]") { try DatasetLoader.load(path: headerless) }
    }

    func testQuoting() {
        let open = file(["0,\"\(good),Training"])
        assertDataError("\(open):2: unterminated quoted field") { try DatasetLoader.load(path: open) }
    }

    func testEmptyHeaderOnlyJunkMissing() {
        let empty = dir.write("empty.csv", "")
        assertDataError("\(empty): empty file") { try DatasetLoader.load(path: empty) }
        let headerOnly = dir.write("header.csv", "emotion,pixels,Usage\r\n")
        assertDataError("\(headerOnly): no data rows (header only)") { try DatasetLoader.load(path: headerOnly) }
        var junkBytes = [UInt8]()
        var rng = SplitMix64(seed: 5)
        for _ in 0..<4000 { junkBytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        junkBytes[0] = 0x01
        let junk = dir.write("junk.bin", junkBytes)
        assertDataError("\(junk):1: not a CSV file (binary data where the header should be)") { try DatasetLoader.load(path: junk) }
        let png = dir.write("image.csv", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        assertDataError("\(png):1: not a CSV file (binary data where the header should be)") { try DatasetLoader.load(path: png) }
        let missing = dir.path + "/nope.csv"
        assertDataError("\(missing): no such file or directory") { try DatasetLoader.load(path: missing) }
        let folder = dir.mkdir("stuff")
        dir.write("stuff/readme.txt", "hi")
        assertDataError(containing: ["\(folder): unrecognised folder", "fer2013.csv", "train.csv", "angry"]) {
            try DatasetLoader.load(path: folder)
        }
    }

    func testSkipBadRowsCountsThem() throws {
        let short = pixelText(Array(samplePixels(0).prefix(100)))
        let path = file(["0,\(good),Training", "9,\(good),Training", "1,\(short),PublicTest",
                         "2,\(good),Nope", "3,\(good),PublicTest"])
        let data = try DatasetLoader.load(path: path, options: LoadOptions(skipBadRows: true))
        XCTAssertEqual(data.skippedRows, 3)
        XCTAssertEqual(data.validation.labels, [3])
        let allBad = file(["9,\(good),Training"])
        assertDataError("\(allBad): no valid rows (1 bad rows skipped)") {
            try DatasetLoader.load(path: allBad, options: LoadOptions(skipBadRows: true))
        }
    }
}

/// Unique file names inside one TempDir.
enum UUIDish {
    private static let counter = Atomic<Int>(0)
    static func next() -> Int { counter.add(1, ordering: .relaxed).newValue }
}
