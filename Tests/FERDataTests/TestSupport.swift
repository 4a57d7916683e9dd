import Foundation
import XCTest
@testable import FERData

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

/// A PNG assembled by hand (stored, uncompressed deflate), for bit depths and colour types our
/// own writer does not produce. `rows` are unfiltered scanlines without the filter byte.
func handmadePNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]],
                 palette: [UInt8]? = nil, transparency: [UInt8]? = nil) -> [UInt8] {
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body[...]))
    }
    var raw: [UInt8] = []
    for row in rows { raw += [0] + row }
    // zlib stream of stored blocks (at most 65535 bytes each) + Adler-32.
    var z: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let n = min(65535, raw.count - offset)
        let last: UInt8 = offset + n == raw.count ? 1 : 0
        z += [last, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        z += raw[offset..<(offset + n)]
        offset += n
    } while offset < raw.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    z += bigEndian(b << 16 | a)
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
    if let palette { png += chunk("PLTE", palette) }
    if let transparency { png += chunk("tRNS", transparency) }
    png += chunk("IDAT", z) + chunk("IEND", [])
    return png
}
