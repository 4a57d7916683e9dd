import FERTestSupport
import VideoDecoding
import XCTest

/// What the encoder refuses, each error naming the file.
final class VideoEncoderTests: XCTestCase {
    func testTheExtensionPicksTheCodecOrSaysWhichAreKnown() throws {
        let dir = TempDir()
        let path = dir.file("clip.flv")
        let error = try XCTUnwrap(VideoFixtures.videoError { try VideoEncoder(path: path, width: 16, height: 16) })
        XCTAssertTrue(error.description.hasPrefix(path + ": cannot tell which codec"), error.description)
        XCTAssertTrue(error.message.contains(".mp4 .mkv .mov .webm .avi .gif"), error.message)
    }

    func testBadSizesRotationsAndTimesAreRefused() throws {
        let dir = TempDir()
        XCTAssertTrue(VideoFixtures.videoError { try VideoEncoder(path: dir.file("odd.mp4"), width: 15, height: 16) }?
            .message.contains("even width and height") ?? false)
        XCTAssertTrue(VideoFixtures.videoError { try VideoEncoder(path: dir.file("r.mp4"), width: 16, height: 16, rotation: 45) }?
            .message.contains("multiple of 90") ?? false)
        XCTAssertTrue(VideoFixtures.videoError { try VideoEncoder(path: dir.file("r.webm"), width: 16, height: 16, rotation: 90) }?
            .message.contains("only .mp4 and .mov") ?? false)
        let path = dir.file("t.mkv")
        let encoder = try VideoEncoder(path: path, width: 16, height: 16)
        try encoder.append(gray: [UInt8](repeating: 9, count: 256), at: 0.5)
        let again = try XCTUnwrap(VideoFixtures.videoError { try encoder.append(gray: [UInt8](repeating: 9, count: 256), at: 0.5004) })
        XCTAssertEqual(again.file, path)
        XCTAssertTrue(again.message.contains("must increase"), again.message)
        XCTAssertTrue(VideoFixtures.videoError { try encoder.append(gray: [1, 2, 3], at: 1) }?.message.contains("3 bytes") ?? false)
        try encoder.finish()
        XCTAssertTrue(VideoFixtures.videoError { try encoder.append(gray: [UInt8](repeating: 9, count: 256), at: 2) }?
            .message.contains("already finished") ?? false)
        // Times count from the stream's start, which here is its one frame at 0.5 s.
        XCTAssertEqual(try VideoFixtures.decodeAll(VideoDecoder(path: path)).map(\.timestamp), [0])
    }
}
