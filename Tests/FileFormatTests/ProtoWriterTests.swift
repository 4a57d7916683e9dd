import XCTest
import ProtoWire

/// Encodings checked against bytes worked out by hand from the wire-format rules.
final class ProtoWriterTests: XCTestCase {
    func testVarintsAndKeys() {
        var w = ProtoWriter()
        w.uint64(1, 150)        // the format documentation's own example: 08 96 01
        w.uint64(2, 300)        // 10 AC 02
        w.int64(3, -1)          // 18 then ten bytes: FF×9 01
        w.uint64(16, 0)         // field 16 needs a two-byte key: 80 01, value 00
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01, 0x10, 0xAC, 0x02,
                                 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                                 0x80, 0x01, 0x00])
    }

    func testFixedWidthAndLengthDelimited() {
        var w = ProtoWriter()
        w.double(1, 1.5)        // 09, 0x3FF8000000000000 little-endian
        w.float(2, -2)          // 15, 0xC0000000 little-endian
        w.string(3, "hé")       // 1A 03 68 C3 A9 (UTF-8)
        w.message(4) { $0.uint64(1, 1) }   // 22 02 08 01
        w.repeatedInt64(5, [1, 2])         // 28 01 28 02 (unpacked)
        XCTAssertEqual(w.bytes, [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,
                                 0x15, 0, 0, 0, 0xC0,
                                 0x1A, 0x03, 0x68, 0xC3, 0xA9,
                                 0x22, 0x02, 0x08, 0x01,
                                 0x28, 0x01, 0x28, 0x02])
        XCTAssertEqual(ProtoWriter.rawFloats([1, -0.5]), [0, 0, 0x80, 0x3F, 0, 0, 0, 0xBF])
    }

    func testLongMessageLengthIsAMultiByteVarint() throws {
        var w = ProtoWriter()
        w.bytes(1, [UInt8](repeating: 7, count: 200))
        XCTAssertEqual(Array(w.bytes.prefix(3)), [0x0A, 0xC8, 0x01])
        XCTAssertEqual(w.bytes.count, 203)
        XCTAssertEqual(try ProtoMessage(w.bytes).bytes(1), [UInt8](repeating: 7, count: 200))
    }
}
