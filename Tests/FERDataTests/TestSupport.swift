import Foundation
import XCTest
@testable import FERData

/// A temporary folder removed when the test object goes away; every test writes its own data here.
final class TempDir {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "ferdata-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let full = (path as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        return full
    }

    func mkdir(_ name: String) -> String {
        let full = (path as NSString).appendingPathComponent(name)
        try! FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

/// Distinct, recognisable pixels for row `n`: every value 0…255 occurs, shifted per row.
func samplePixels(_ n: Int) -> [UInt8] {
    (0..<2304).map { UInt8(truncatingIfNeeded: $0 * 7 + n * 13) }
}

func pixelText(_ pixels: [UInt8]) -> String { pixels.map(String.init).joined(separator: " ") }

/// Asserts that `body` throws a DataError whose description is exactly `expected`.
func assertDataError(_ expected: String, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Any) {
    do {
        _ = try body()
        XCTFail("expected error \(expected)", file: file, line: line)
    } catch let error as DataError {
        XCTAssertEqual(error.description, expected, file: file, line: line)
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
    }
}

/// Asserts a DataError whose description contains every fragment.
func assertDataError(containing fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Any) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let error as DataError {
        for f in fragments {
            XCTAssertTrue(error.description.contains(f), "\"\(error.description)\" lacks \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type \(error)", file: file, line: line)
    }
}

/// CRC-32 (PNG chunks), bit by bit: slow, obviously right, independent of zlib.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

func readBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path)!) }
