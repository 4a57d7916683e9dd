import XCTest
@testable import FERData
import FERTestSupport

/// Truncations and byte flips of a valid CSV (plain and gzip'ed): either it still loads or it fails
/// with a DataError that names the file, never a crash or another error type.
final class CSVFuzzTests: XCTestCase {
    func testTruncationsAndFlipsGiveDataErrors() throws {
        let dir = TempDir()
        var text = "\u{FEFF}emotion,\"pixels\",Usage\r\n"
        for i in 0..<3 { text += "\(i),\"\(pixelText(samplePixels(i)))\",\(["Training", "PublicTest", "PrivateTest"][i])\r\n" }
        let bytes = Array(text.utf8)
        var rng = SplitMix64(seed: 77)
        var cases: [[UInt8]] = stride(from: 0, to: bytes.count, by: 211).map { Array(bytes.prefix($0)) }
        for _ in 0..<100 {
            var flipped = bytes
            for _ in 0..<(1 + rng.below(4)) { flipped[rng.below(flipped.count)] = UInt8(rng.below(256)) }
            cases.append(flipped)
        }
        let gz = Gzip.compress(bytes)
        cases += stride(from: 0, to: gz.count, by: 3).map { Array(gz.prefix($0)) }
        cases += [bytes, gz] // the intact files, which must load
        var loaded = 0, failed = 0
        for (k, data) in cases.enumerated() {
            let path = dir.write("case\(k).csv", data)
            do {
                _ = try DatasetLoader.load(path: path)
                loaded += 1
            } catch let error as DataError {
                XCTAssertEqual(error.file, path)
                XCTAssertFalse(error.reason.isEmpty)
                failed += 1
            }
        }
        XCTAssertGreaterThan(failed, cases.count / 2)
        XCTAssertGreaterThanOrEqual(loaded, 2)
    }
}
