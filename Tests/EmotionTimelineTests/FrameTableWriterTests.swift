import EmotionTimeline
import FERData
import FERTestSupport
import Foundation
import XCTest

final class FrameTableWriterTests: XCTestCase {
    private let twoFaces = FrameAnalysis(frame: 12, timestamp: 0.4, faces: [
        FaceObservation(faceID: 0, box: PixelRect(x: 10, y: 20, width: 48, height: 50), confidence: 0.97314,
                        probabilities: [0.01, 0, 0.02, 0.9, 0.03, 0.04, 0]),
        FaceObservation(faceID: 3, box: PixelRect(x: 300, y: 24, width: 61, height: 61), confidence: 1,
                        probabilities: [0.5, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]),
    ])
    private let noFace = FrameAnalysis(frame: 13, timestamp: 1.033367, faces: [])

    private func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    func testCSVRowsForTwoFacesAndForAFrameWithNone() throws {
        let dir = TempDir()
        let writer = try FrameTableWriter(path: dir.file("t.csv"), format: .csv)
        try writer.write(twoFaces)
        try writer.write(noFace)
        try writer.close()
        XCTAssertEqual(read(dir.file("t.csv")), """
            frame,timestamp,face_id,confidence,success,x,y,width,height,anger,disgust,fear,happy,sad,surprise,neutral,label
            12,0.4,0,0.9731,1,10,20,48,50,0.0100,0.0000,0.0200,0.9000,0.0300,0.0400,0.0000,happy
            12,0.4,3,1.0000,1,300,24,61,61,0.5000,0.1000,0.1000,0.1000,0.1000,0.0500,0.0500,anger
            13,1.033367,,,0,,,,,,,,,,,,

            """)
        XCTAssertEqual(writer.rowsWritten, 3)
        XCTAssertEqual(FrameTableWriter.columns.count, 17)
    }

    func testTimestampsKeepMicrosecondsAndReadAsFloats() throws {
        let dir = TempDir()
        let writer = try FrameTableWriter(path: dir.file("t.csv"), format: .csv)
        for (frame, t) in [0.0, 2, 3600.000001, 0.12345649].enumerated() {
            try writer.write(FrameAnalysis(frame: frame, timestamp: t, faces: []))
        }
        let stamps = read(dir.file("t.csv")).split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        XCTAssertEqual(stamps, ["0.0", "2.0", "3600.000001", "0.123456"])
    }

    func testJSONLHasOneObjectPerRowWithTheColumnsAsKeysAndNullsForEmptyFields() throws {
        let dir = TempDir()
        let writer = try FrameTableWriter(path: dir.file("t.jsonl"), format: .jsonl)
        try writer.write(twoFaces)
        try writer.write(noFace)
        try writer.close()
        let lines = read(dir.file("t.jsonl")).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let rows = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        for row in rows { XCTAssertEqual(Set(row.keys), Set(FrameTableWriter.columns)) }
        XCTAssertEqual(lines[0].hasPrefix("{\"frame\":12,\"timestamp\":0.4,\"face_id\":0,"), true, "keys in column order")
        XCTAssertEqual(rows[0]["label"] as? String, "happy")
        XCTAssertEqual((rows[0]["happy"] as? NSNumber)?.doubleValue ?? -1, 0.9, accuracy: 1e-9)
        XCTAssertEqual((rows[1]["x"] as? NSNumber)?.intValue, 300)
        XCTAssertEqual((rows[2]["success"] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((rows[2]["timestamp"] as? NSNumber)?.doubleValue ?? -1, 1.033367, accuracy: 1e-9)
        for key in ["face_id", "confidence", "x", "height", "neutral", "label"] {
            XCTAssertTrue(rows[2][key] is NSNull, key)
        }
    }

    func testNonFiniteNumbersAreWrittenEmptyOrNull() throws {
        let dir = TempDir()
        var broken = twoFaces
        broken.faces = [FaceObservation(faceID: 0, box: twoFaces.faces[0].box, confidence: .nan,
                                        probabilities: [.nan, 0, 0, 0, 0, 0, .infinity])]
        for format in [FrameTableFormat.csv, .jsonl] {
            let writer = try FrameTableWriter(path: dir.file("t"), format: format)
            try writer.write(broken)
            try writer.close()
            let last = String(read(dir.file("t")).split(separator: "\n").last!)
            if format == .csv {
                XCTAssertEqual(last, "12,0.4,0,,1,10,20,48,50,,0.0000,0.0000,0.0000,0.0000,0.0000,,")
            } else {
                let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
                XCTAssertTrue(row["confidence"] is NSNull && row["anger"] is NSNull && row["label"] is NSNull)
            }
        }
    }

    func testEachFrameIsOnDiskAsSoonAsItIsWritten() throws {
        let dir = TempDir()
        let writer = try FrameTableWriter(path: dir.file("t.csv"), format: .csv)
        XCTAssertEqual(read(dir.file("t.csv")).split(separator: "\n").count, 1, "the header at once")
        try writer.write(twoFaces)
        XCTAssertEqual(read(dir.file("t.csv")).split(separator: "\n").count, 3)
        try writer.write(noFace)
        XCTAssertTrue(read(dir.file("t.csv")).hasSuffix("13,1.033367,,,0,,,,,,,,,,,,\n"))
        try writer.close()
    }

    func testAnExistingFileIsEmptiedFirst() throws {
        let dir = TempDir()
        let path = dir.write("t.jsonl", String(repeating: "old\n", count: 100))
        let writer = try FrameTableWriter(path: path, format: .jsonl)
        try writer.write(noFace)
        try writer.close()
        XCTAssertEqual(read(path).split(separator: "\n").count, 1)
    }

    func testAFolderThatDoesNotExistIsNamedInTheError() {
        let dir = TempDir()
        let path = dir.file("missing/t.csv")
        XCTAssertThrowsError(try FrameTableWriter(path: path, format: .csv)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains(path), message)
            XCTAssertTrue(message.contains("the folder \(dir.file("missing")) does not exist"), message)
            XCTAssertEqual((error as? RecordFileError)?.code, ENOENT)
        }
    }

    func testADirectoryInTheWayIsNamedInTheError() {
        let dir = TempDir()
        let path = dir.mkdir("t.csv")
        XCTAssertThrowsError(try FrameTableWriter(path: path, format: .csv)) { error in
            XCTAssertEqual(String(describing: error), "cannot create frame table \(path): Is a directory")
        }
    }

    func testAFolderWeMayNotWriteIsNamedInTheError() throws {
        let dir = TempDir()
        // Root writes anywhere chmod forbids; sysfs refuses new files even to root.
        let folder: String
        if getuid() != 0 {
            folder = dir.mkdir("locked")
            chmod(folder, 0o555)
        } else {
            let probe = open("/sys/ferdash-probe", O_WRONLY | O_CREAT, 0o644)
            let refused = probe < 0 && (errno == EACCES || errno == EROFS)
            if probe >= 0 { close(probe); unlink("/sys/ferdash-probe") }
            guard refused else { throw XCTSkip("no folder here refuses writes to this user") }
            folder = "/sys"
        }
        defer { chmod(folder, 0o755) }
        let path = folder + "/t.csv"
        XCTAssertThrowsError(try FrameTableWriter(path: path, format: .csv)) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.hasPrefix("cannot create frame table \(path): "), message)
            let code = (error as? RecordFileError)?.code ?? 0
            XCTAssertTrue([EACCES, EROFS, EPERM].contains(code), message)
            XCTAssertTrue(message.hasSuffix(String(cString: strerror(code))), message)
        }
    }

    func testAFullDeviceIsReportedWithTheFileAndTheFrame() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let writer: FrameTableWriter
        do { writer = try FrameTableWriter(path: "/dev/full", format: .jsonl) } catch { throw XCTSkip("cannot open /dev/full: \(error)") }
        XCTAssertThrowsError(try writer.write(noFace)) { error in
            XCTAssertEqual(String(describing: error),
                           "cannot write frame table /dev/full at frame 13 (0:01.0): \(String(cString: strerror(ENOSPC)))")
        }
        XCTAssertEqual(writer.rowsWritten, 0)
    }

    /// The file-size limit stands in for a full disk: a write(2) that crosses it is cut short,
    /// as one that runs out of space is, without needing root to mount a small tmpfs.
    func testAFrameThatDoesNotFitIsCutOffAndTheFileKeepsOnlyWholeRows() throws {
        let dir = TempDir()
        let path = dir.file("t.csv")
        let writer = try FrameTableWriter(path: path, format: .csv)
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 700
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        var failure: Error?
        var framesWritten = 0
        for i in 0..<20 {
            var frame = twoFaces
            frame.frame = i
            do { try writer.write(frame); framesWritten += 1 } catch { failure = error; break }
        }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, previousHandler)

        let error = try XCTUnwrap(failure, "the limit was never reached")
        XCTAssertTrue(String(describing: error).hasPrefix("cannot write frame table \(path) at frame \(framesWritten) (0:00.4): "),
                      String(describing: error))
        let text = read(path)
        XCTAssertTrue(text.hasSuffix("\n"), "no torn row")
        XCTAssertEqual(text.split(separator: "\n").count, 1 + 2 * framesWritten)
        XCTAssertEqual(writer.rowsWritten, 2 * framesWritten)
        // The writer goes on where it stopped once there is room again.
        try writer.write(noFace)
        try writer.close()
        XCTAssertEqual(read(path).split(separator: "\n").count, 2 + 2 * framesWritten)
    }
}
