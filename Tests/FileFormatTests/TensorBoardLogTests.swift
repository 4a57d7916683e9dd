import XCTest
@testable import FERTraining
import FERTestSupport

final class TensorBoardLogTests: XCTestCase {
    let dir = TempDir()
    var root: String { dir.path }

    func testCRC32CKnownVectors() {
        // RFC 3720 (iSCSI) B.4 and the usual check value.
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum([UInt8](0..<32)), 0x46DD_794E)
        // Mask: rotate right by 15, add 0xA282EAD8. 0xE3069283 rotated is 0x2507C60D.
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), 0x2507_C60D &+ 0xA282_EAD8)
    }

    func testScalarEventEncodingByHand() {
        // Event { wall_time 1.5, step 3, summary { value { tag "a", simple_value 2 } } }
        let expected: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F,   // 1: double
                                 0x10, 0x03,                             // 2: varint
                                 0x2A, 0x0A,                             // 5: Summary, 10 bytes
                                 0x0A, 0x08,                             //   1: Value, 8 bytes
                                 0x0A, 0x01, 0x61,                       //     1: "a"
                                 0x15, 0, 0, 0, 0x40]                    //     2: float 2.0
        XCTAssertEqual(TensorBoardLog.scalarEvent(wallTime: 1.5, step: 3, [("a", 2)]), expected)
        let version: [UInt8] = [0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x1A, 0x0D] + Array("brain.Event:2".utf8)
        XCTAssertEqual(TensorBoardLog.versionEvent(wallTime: 0), version)
    }

    func testRecordFraming() {
        let record = TensorBoardLog.record([1, 2, 3])
        XCTAssertEqual(record.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(record[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(record[12..<15]), [1, 2, 3])
        XCTAssertEqual(littleEndian32(record, 8), CRC32C.masked(record[0..<8]))
        XCTAssertEqual(littleEndian32(record, 15), CRC32C.masked([1, 2, 3] as [UInt8]))
    }

    /// Writes a file as training does and reads it back with a reader written here from the
    /// format's description, checking every CRC; every record is on disk before the writer closes.
    func testRoundTripAndEachRecordIsOnDiskAtOnce() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let log = try TensorBoardLog(directory: root, date: date, host: "box")
        XCTAssertEqual(log.path, root + "/events.out.tfevents.1700000000.box")
        try log.add(step: 1, [("train/loss", 2.25), ("train/learning_rate", 1e-3)], wallTime: 1_700_000_001)
        try log.add(step: 20, [("val/accuracy", 0.5)], wallTime: 1_700_000_002.25)

        let events = try tensorBoardEvents(log.path)   // log still open: nothing may be buffered
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].string(3), "brain.Event:2")
        XCTAssertEqual(events[0].double(1), 1_700_000_000)
        let scalars = try tensorBoardScalars(events)
        XCTAssertEqual(scalars, ["1 train/loss 2.25", "1 train/learning_rate 0.001", "20 val/accuracy 0.5"])
        XCTAssertEqual(events[2].double(1), 1_700_000_002.25)
        withExtendedLifetime(log) {}
    }

    func testUnwritableDirectoryIsAClearError() {
        XCTAssertThrowsError(try TensorBoardLog(directory: root + "/missing")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("TensorBoard event file") && text.contains(root + "/missing/events.out.tfevents."), text)
        }
    }

    /// A full disk while writing: the error names the file and the reason, nothing crashes.
    func testWriteFailureIsAClearError() throws {
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.createSymbolicLink(atPath: root + "/events.out.tfevents.1700000000.full",
                                                   withDestinationPath: "/dev/full")
        XCTAssertThrowsError(try TensorBoardLog(directory: root, date: date, host: "full")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("cannot write TensorBoard event file " + root + "/events.out.tfevents.1700000000.full"), text)
            XCTAssertTrue(text.contains("No space left"), text)
        }
    }
}
