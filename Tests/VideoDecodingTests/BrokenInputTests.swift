import FERData
import FERTestSupport
@testable import VideoDecoding
import XCTest

/// Files that are not videos, or not whole ones: each gives a VideoError naming the file (and the
/// time, where there is one) or frames with warnings, never a crash or a hang.
final class BrokenInputTests: XCTestCase {
    func testATextFileIsNotAVideo() throws {
        let dir = TempDir()
        let path = dir.write("notes.mp4", "these are notes, not a video\n")
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: path) })
        XCTAssertEqual(error.kind, .cannotOpen)
        XCTAssertEqual(error.file, path)
        XCTAssertTrue(error.description.hasPrefix(path + ": not a video"), error.description)
        XCTAssertTrue(error.message.contains("Invalid data"), "FFmpeg's own words: \(error.message)")
    }

    func testMissingAndEmptyFilesSaySo() throws {
        let dir = TempDir()
        let missing = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: dir.file("nope.mp4")) })
        XCTAssertEqual(missing.kind, .cannotOpen)
        XCTAssertEqual(missing.message, "no such file")
        let empty = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: dir.write("empty.mp4", [])) })
        XCTAssertEqual(empty.message, "the file is empty")
        let emptyBytes = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(bytes: [], name: "empty.webm") })
        XCTAssertEqual(emptyBytes.description, "empty.webm: the file is empty")
    }

    /// A WAV made by hand: 0.1 s of 8 kHz 16-bit mono silence.
    static func wav() -> [UInt8] {
        let samples = 800, dataBytes = samples * 2
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        return Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
            + Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(8000) + le32(16000) + le16(2) + le16(16)
            + Array("data".utf8) + le32(dataBytes) + [UInt8](repeating: 0, count: dataBytes)
    }

    func testAudioOnlyHasNoVideoStream() throws {
        let dir = TempDir()
        let path = dir.write("speech.wav", Self.wav())
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: path) })
        XCTAssertEqual(error.kind, .noVideoStream)
        XCTAssertEqual(error.description, "\(path): no video stream in it (it holds 1 audio stream)")
    }

    func testACodecWithoutADecoderIsNamed() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("odd.avi"), times: [0, 0.04], timeBase: (1, 25))
        // Rename the codec in the AVI header (stream header and bitmap info) to one nobody knows.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let fourcc = Array("MJPG".utf8)
        for i in 0..<min(bytes.count - 4, 2048) where Array(bytes[i..<i + 4]) == fourcc { bytes.replaceSubrange(i..<i + 4, with: Array("QQZX".utf8)) }
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(bytes: bytes, name: "odd.avi") })
        XCTAssertEqual(error.kind, .unsupportedCodec)
        XCTAssertTrue(error.message.contains("no decoder"), error.message)
        XCTAssertTrue(error.description.hasPrefix("odd.avi: "), error.description)
    }

    func testAVideoWithoutFramesSaysSo() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("nothing.avi"), times: [], timeBase: (1, 25))
        let error = try XCTUnwrap(VideoFixtures.videoError { () -> VideoFrame? in
            let decoder = try VideoDecoder(path: path)
            return try decoder.nextFrame()
        })
        XCTAssertEqual(error.kind, .noFrames)
        XCTAssertEqual(error.file, path)
        // Matroska without a cluster ends inside its header.
        let mkv = try VideoFixtures.write(dir.file("nothing.mkv"), times: [])
        let early = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(path: mkv) })
        XCTAssertEqual(early.kind, .cannotOpen)
        XCTAssertTrue(early.message.contains("ends inside its header"), early.message)
    }

    func testAbsurdDimensionsAreRefusedBeforeDecoding() throws {
        // A hand-made GIF whose screen is 20000×16: wider than any camera, so refused outright.
        var gif = Array("GIF89a".utf8) + [0x20, 0x4E, 0x10, 0x00, 0x80, 0, 0] + [0, 0, 0, 255, 255, 255]
        gif += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoDecoder(bytes: gif, name: "huge.gif") })
        XCTAssertEqual(error.kind, .cannotOpen)
        XCTAssertTrue(error.message.contains("20000×16 pixels"), error.message)
    }

    /// Cut at 60%: the frames before the cut come back as they were, then the end, with a warning
    /// saying the video stops short of what its header promised.
    func testATruncatedFileReturnsTheFramesBeforeTheCut() throws {
        let dir = TempDir()
        for name in ["cut.mp4", "cut.mkv", "cut.avi"] {
            let path = try VideoFixtures.write(dir.file("whole-" + name), width: 160, height: 120,
                                               times: VideoFixtures.constantRate(60, fps: 25), timeBase: (1, 25), picture: Self.noisy)
            let clean = try VideoFixtures.decodeAll(VideoDecoder(path: path))
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let cut = dir.write(name, Array(bytes.prefix(bytes.count * 6 / 10)))
            let decoder = try VideoDecoder(path: cut)
            let frames = try VideoFixtures.decodeAll(decoder)
            XCTAssertGreaterThan(frames.count, 15, name)
            XCTAssertLessThan(frames.count, 50, name)
            XCTAssertEqual(frames.map(\.index), Array(0..<frames.count), name)
            for frame in frames.dropLast() {
                XCTAssertEqual(frame.timestamp, Double(frame.index) / 25, accuracy: 1e-9, name)
                XCTAssertTrue(frame.image == clean[frame.index].image, "\(name) frame \(frame.index) as before the cut")
            }
            XCTAssertTrue(decoder.warnings.contains { $0.hasPrefix("the video stops at ") && $0.hasSuffix("the file looks cut off") },
                          "\(name): \(decoder.warnings)")
        }
    }

    /// Texture, so each frame takes a few kilobytes and damage hits a few frames, not half the file.
    static func noisy(_ index: Int) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(index))
        return VideoFixtures.pattern(width: 160, height: 120, index: index).map { $0 &+ UInt8(truncatingIfNeeded: rng.next() % 24) }
    }

    /// Bytes overwritten mid-file: the frames before the damage come back intact, decoding goes on
    /// after it, and the damage is counted in warnings.
    func testADamagedMiddleIsSkipped() throws {
        let dir = TempDir()
        for name in ["hurt.avi", "hurt.mp4", "hurt.mkv"] {
            let path = try VideoFixtures.write(dir.file("whole-" + name), width: 160, height: 120,
                                               times: VideoFixtures.constantRate(60, fps: 25), timeBase: (1, 25), picture: Self.noisy)
            let clean = try VideoFixtures.decodeAll(VideoDecoder(path: path))
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            var rng = SplitMix64(seed: 7)
            let middle = bytes.count / 2
            for i in middle..<middle + 300 { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
            let decoder = try VideoDecoder(path: dir.write(name, bytes))
            let frames = try VideoFixtures.decodeAll(decoder)
            XCTAssertGreaterThan(frames.count, 45, "\(name): most frames survive")
            XCTAssertEqual(frames.map(\.timestamp), frames.map(\.timestamp).sorted(), name)
            XCTAssertEqual(Set(frames.map(\.index)).count, frames.count, name)
            for frame in frames.prefix(10) {
                XCTAssertTrue(frame.image == clean[frame.index].image, "\(name) frame \(frame.index) is before the damage")
            }
            XCTAssertGreaterThan(frames.last!.timestamp, 2.0, "\(name): decoding goes on after the damage")
            // H.264 notices damage only where the bits stop making sense; here it does in the MKV
            // (and MJPEG always does), while in the MP4 these bytes decode as a plausible picture.
            if !name.hasSuffix(".mp4") { XCTAssertFalse(decoder.warnings.isEmpty, "\(name): the damage is reported") }
            print("\(name): \(frames.count) frames, warnings: \(decoder.warnings)")
        }
    }

    func testDamageWarningsAreOneLinePerStretch() {
        var log = DamageLog { "skipped \($0) damaged packet" + ($0 == 1 ? "" : "s") }
        XCTAssertNil(log.close())
        log.note(at: 4.12); log.note(at: 4.2); log.note(at: 4.31)
        XCTAssertEqual(log.close(), "skipped 3 damaged packets between 0:04.1 and 0:04.3")
        log.note(at: 7)
        XCTAssertEqual(log.close(), "skipped 1 damaged packet at 0:07.0")
        log.note(at: nil)
        XCTAssertEqual(log.close(), "skipped 1 damaged packet")
        XCTAssertEqual(log.total, 5)
    }
}
