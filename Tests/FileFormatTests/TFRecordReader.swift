import XCTest
@testable import FERTraining

/// Reads a TensorBoard event file as the format describes it (TFRecord framing, masked CRC-32C of
/// the length and of the data), failing the test on any bad CRC; returns the decoded Events.
func tensorBoardEvents(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [ProtoMessage] {
    let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)"))
    var events: [ProtoMessage] = []
    var i = 0
    while i < bytes.count {
        guard i + 12 <= bytes.count else { XCTFail("truncated record header at \(i)", file: file, line: line); break }
        let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) })
        guard i + 16 + length <= bytes.count else { XCTFail("truncated record at \(i)", file: file, line: line); break }
        XCTAssertEqual(littleEndian32(bytes, i + 8), CRC32C.masked(bytes[i..<(i + 8)]), "length CRC at \(i)", file: file, line: line)
        let data = bytes[(i + 12)..<(i + 12 + length)]
        XCTAssertEqual(littleEndian32(bytes, i + 12 + length), CRC32C.masked(data), "data CRC at \(i)", file: file, line: line)
        events.append(try ProtoMessage(data))
        i += 12 + length + 4
    }
    return events
}

/// Every scalar of the events after the version record, as "step tag value".
func tensorBoardScalars(_ events: [ProtoMessage]) throws -> [String] {
    var scalars: [String] = []
    for event in events.dropFirst() {
        let step = try XCTUnwrap(event.int64(2))
        for value in try XCTUnwrap(event.message(5)).messages(1) {
            scalars.append("\(step) \(try XCTUnwrap(value.string(1))) \(try XCTUnwrap(value.float(2)))")
        }
    }
    return scalars
}

func littleEndian32<C: Collection>(_ bytes: C, _ at: Int) -> UInt32 where C.Element == UInt8, C.Index == Int {
    (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
}
