import FERData
import FERTestSupport
@testable import VideoDecoding
import XCTest

/// Written with VideoEncoder, read back with VideoDecoder: times, pictures, sizes, seeking.
final class RoundTripTests: XCTestCase {
    func testConstantRateRoundTripKeepsExactTimesAndPictures() throws {
        let dir = TempDir()
        let times = VideoFixtures.constantRate(20)
        let path = try VideoFixtures.write(dir.file("cfr.mp4"), times: times)
        let decoder = try VideoDecoder(path: path)
        XCTAssertEqual(decoder.info.codec, "h264")
        XCTAssertTrue(decoder.info.container.contains("mp4"), decoder.info.container)
        XCTAssertEqual(decoder.info.width, 64)
        XCTAssertEqual(decoder.info.height, 48)
        XCTAssertEqual(decoder.info.rotation, 0)
        XCTAssertFalse(decoder.info.isLive)
        XCTAssertEqual(decoder.info.duration ?? 0, 20.0 / 30, accuracy: 0.05)
        XCTAssertEqual(decoder.info.frameRate ?? 0, 30, accuracy: 1)

        let frames = try VideoFixtures.decodeAll(decoder)
        XCTAssertEqual(frames.map(\.index), Array(0..<20))
        for (frame, t) in zip(frames, times) {
            XCTAssertEqual(frame.timestamp, (t * 1000).rounded() / 1000, accuracy: 1e-9, "frame \(frame.index)")
            XCTAssertEqual(frame.image.width, 64)
            XCTAssertEqual(frame.image.height, 48)
            XCTAssertEqual(frame.scale, 1)
            let written = VideoFixtures.pattern(width: 64, height: 48, index: frame.index)
            XCTAssertLessThan(VideoFixtures.meanDifference(frame.image.pixels, written), 3, "frame \(frame.index): gray should come back as written")
        }
        XCTAssertEqual(decoder.warnings, [])
        XCTAssertNil(try decoder.nextFrame(), "still nil after the end")
    }

    /// Irregular gaps, as a phone records when the light drops: times must be the ones written,
    /// never index ÷ rate.
    static let irregular: [Double] = [0, 0.040, 0.052, 0.130, 0.200, 0.211, 0.500, 0.517, 0.901, 1.250, 1.251, 1.600]

    func testVariableRateTimesComeBackWithinOneTick() throws {
        let dir = TempDir()
        for name in ["vfr.mp4", "vfr.mkv", "vfr.webm"] {
            let path = try VideoFixtures.write(dir.file(name), times: Self.irregular)
            let frames = try VideoFixtures.decodeAll(VideoDecoder(path: path))
            XCTAssertEqual(frames.count, Self.irregular.count, name)
            for (frame, t) in zip(frames, Self.irregular) {
                XCTAssertEqual(frame.timestamp, t, accuracy: 0.001, "\(name) frame \(frame.index)")
            }
        }
    }

    func testVariableRateTimesMatchFFprobe() throws {
        guard let ffprobe = Self.which("ffprobe") else {
            return XCTFail("ffprobe is not on PATH: run scripts/setup.sh (it installs Debian's ffmpeg, as CI does)")
        }
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("vfr.mp4"), times: Self.irregular)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffprobe)
        process.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=start_time:frame=pts_time",
                             "-of", "csv=p=0", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        // Frames first, then the stream's start time (ffprobe prints sections in that order).
        let numbers = text.split(whereSeparator: \.isNewline).compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: ", "))) }
        XCTAssertEqual(numbers.count, Self.irregular.count + 1, text)
        let start = numbers.last ?? 0
        let probed = numbers.dropLast().map { $0 - start }
        let frames = try VideoFixtures.decodeAll(VideoDecoder(path: path), wantImage: false)
        XCTAssertEqual(frames.count, probed.count)
        for (frame, t) in zip(frames, probed) { XCTAssertEqual(frame.timestamp, t, accuracy: 1e-6, "frame \(frame.index)") }
    }

    static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Coded 64×32 with a bright block in its top-left corner and a display matrix of 90°
    /// clockwise: a viewer sees 32×64 with the block in the top-right corner.
    func testRotatedVideoIsTurnedAsAViewerSeesIt() throws {
        let dir = TempDir()
        let (w, h) = (64, 32)
        var picture = [UInt8](repeating: 30, count: w * h)
        for y in 0..<8 { for x in 0..<8 { picture[y * w + x] = 230 } }
        let path = try VideoFixtures.write(dir.file("portrait.mp4"), width: w, height: h, times: [0, 0.1], rotation: 90) { _ in picture }
        let decoder = try VideoDecoder(path: path)
        XCTAssertEqual(decoder.info.rotation, 90)
        XCTAssertEqual(decoder.info.width, 32)
        XCTAssertEqual(decoder.info.height, 64)
        let frame = try XCTUnwrap(decoder.nextFrame())
        XCTAssertEqual(frame.image.width, 32)
        XCTAssertEqual(frame.image.height, 64)
        XCTAssertGreaterThan(VideoFixtures.mean(frame.image, x: 25..<31, y: 1..<7), 200, "block at the top right")
        for (x, y) in [(1..<7, 1..<7), (1..<7, 57..<63), (25..<31, 57..<63)] {
            XCTAssertLessThan(VideoFixtures.mean(frame.image, x: x, y: y), 60, "no block at \(x), \(y)")
        }
    }

    func testEveryQuarterTurnIsRecognised() throws {
        let dir = TempDir()
        for rotation in [0, 90, 180, 270] {
            let path = try VideoFixtures.write(dir.file("r\(rotation).mov"), width: 32, height: 16, times: [0], rotation: rotation)
            let decoder = try VideoDecoder(path: path)
            XCTAssertEqual(decoder.info.rotation, rotation)
            let frame = try XCTUnwrap(decoder.nextFrame())
            XCTAssertEqual([frame.image.width, frame.image.height], rotation % 180 == 0 ? [32, 16] : [16, 32])
        }
        XCTAssertEqual(VideoDecoder.clockwiseRotation(-90), 90)
        XCTAssertEqual(VideoDecoder.clockwiseRotation(90), 270)
        XCTAssertEqual(VideoDecoder.clockwiseRotation(180), 180)
        XCTAssertEqual(VideoDecoder.clockwiseRotation(-89.6), 90)
        XCTAssertEqual(VideoDecoder.clockwiseRotation(.nan), 0)
    }

    func testAn8KWideFrameIsScaledDownInOnePass() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("wide.mp4"), width: 7680, height: 64, times: [0, 0.04])
        let decoder = try VideoDecoder(path: path, maxSide: 1280)
        XCTAssertEqual(decoder.info.width, 7680)
        XCTAssertEqual(decoder.info.height, 64)
        let frames = try VideoFixtures.decodeAll(decoder)
        XCTAssertEqual(frames.count, 2)
        for frame in frames {
            XCTAssertEqual(frame.image.width, 1280)
            XCTAssertEqual(frame.image.height, 11)
            XCTAssertEqual(frame.scale, 1.0 / 6, accuracy: 1e-9)
            XCTAssertEqual(frame.image.pixels.count, 1280 * 11)
            // The ramp survives: dark on the left, bright on the right.
            XCTAssertLessThan(VideoFixtures.mean(frame.image, x: 0..<20, y: 0..<11), 70)
            XCTAssertGreaterThan(VideoFixtures.mean(frame.image, x: 1260..<1280, y: 0..<11), 130)
        }
        XCTAssertEqual(VideoDecoder.maxSourceSide, 16384)
    }

    func testBoundedSizeKeepsTheAspectAndNeverGrows() {
        func check(_ w: Int, _ h: Int, _ maxSide: Int, _ expected: (Int, Int, Double), line: UInt = #line) {
            let got = GrayScaler.boundedSize(width: w, height: h, maxSide: maxSide)
            XCTAssertEqual(got.width, expected.0, line: line)
            XCTAssertEqual(got.height, expected.1, line: line)
            XCTAssertEqual(got.scale, expected.2, accuracy: 1e-12, line: line)
        }
        check(640, 480, 1280, (640, 480, 1))
        check(3840, 2160, 1280, (1280, 720, 1.0 / 3))
        check(2160, 3840, 1280, (720, 1280, 1.0 / 3))
        check(16384, 1, 64, (64, 1, 64.0 / 16384))
    }

    func testWithoutImagesOnlyIndexAndTimeComeBack() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("t.mkv"), times: VideoFixtures.constantRate(5))
        let frames = try VideoFixtures.decodeAll(VideoDecoder(path: path), wantImage: false)
        XCTAssertEqual(frames.map(\.index), Array(0..<5))
        XCTAssertTrue(frames.allSatisfy { $0.image.width == 0 && $0.image.height == 0 && $0.image.pixels.isEmpty })
    }

    func testSeekLandsOnTheFirstFrameAtOrAfterTheTime() throws {
        let dir = TempDir()
        // 120 frames with a keyframe every 50: seeks land between keyframes and decode forward.
        let path = try VideoFixtures.write(dir.file("seek.mp4"), times: VideoFixtures.constantRate(120))
        let all = try VideoFixtures.decodeAll(VideoDecoder(path: path))
        XCTAssertEqual(all.count, 120)
        let decoder = try VideoDecoder(path: path)
        for (target, expected) in [(2.0, 60), (0.5, 15), (3.0, 90), (0.0, 0), (1.01, 31), (3.9, 117)] {
            try decoder.seek(to: target)
            let frame = try XCTUnwrap(decoder.nextFrame(), "seek to \(target)")
            XCTAssertEqual(frame.index, expected, "seek to \(target)")
            XCTAssertEqual(frame.timestamp, all[expected].timestamp, accuracy: 1e-9)
            XCTAssertTrue(frame.image == all[expected].image, "seek to \(target): the same picture as reading from the start")
            let next = try XCTUnwrap(decoder.nextFrame())
            XCTAssertEqual(next.index, expected + 1)
        }
        try decoder.seek(to: 10)
        XCTAssertNil(try decoder.nextFrame(), "past the end")
        try decoder.seek(to: 0)
        XCTAssertEqual(try VideoFixtures.decodeAll(decoder).count, 120)
    }

    /// Matroska indexes keyframes only, and GIF nothing (FFmpeg goes back to the start and reads
    /// forward): the time is exact, the index estimated from the frame rate.
    func testSeekWithoutAFullIndexEstimatesTheIndex() throws {
        let dir = TempDir()
        for (name, timeBase) in [("seek.webm", (1, 1000)), ("seek.mkv", (1, 1000)), ("seek.gif", (1, 100))] {
            let path = try VideoFixtures.write(dir.file(name), times: VideoFixtures.constantRate(90, fps: 20), timeBase: timeBase)
            let decoder = try VideoDecoder(path: path)
            for (target, expected) in [(2.0, 40), (0.52, 11), (4.0, 80), (0.0, 0)] {
                try decoder.seek(to: target)
                let frame = try XCTUnwrap(decoder.nextFrame(), "\(name) seek to \(target)")
                XCTAssertEqual(frame.timestamp, Double(expected) / 20, accuracy: 0.001, "\(name) seek to \(target)")
                XCTAssertEqual(frame.index, expected, "\(name) seek to \(target)")
            }
        }
    }

    /// The thread count is a decoder's own option (no longer a process-wide setting), and it
    /// changes only the speed: two decoders with different counts, open side by side, give the
    /// same frames.
    func testDecoderThreadsChangeNothingButSpeed() throws {
        let dir = TempDir()
        let path = try VideoFixtures.write(dir.file("t.mp4"), times: VideoFixtures.constantRate(12))
        let one = try VideoDecoder(path: path, options: VideoOpenOptions(decoderThreads: 1))
        let three = try VideoDecoder(path: path, options: VideoOpenOptions(decoderThreads: 3))
        let a = try VideoFixtures.decodeAll(one), b = try VideoFixtures.decodeAll(three)
        XCTAssertEqual(a.count, 12)
        XCTAssertEqual(a.map(\.timestamp), b.map(\.timestamp))
        XCTAssertTrue(a.map(\.image) == b.map(\.image))
        XCTAssertNil(VideoOpenOptions().decoderThreads, "by default the size of the frames decides")
    }

    func testInMemoryOpenEqualsFileOpen() throws {
        let dir = TempDir()
        for name in ["m.mp4", "m.webm", "m.avi", "m.gif"] {
            let path = try VideoFixtures.write(dir.file(name), times: VideoFixtures.constantRate(8, fps: 10), timeBase: (1, 100))
            let fromFile = try VideoDecoder(path: path)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let fromMemory = try VideoDecoder(bytes: bytes, name: path)
            XCTAssertEqual(fromMemory.info, fromFile.info, name)
            let a = try VideoFixtures.decodeAll(fromFile), b = try VideoFixtures.decodeAll(fromMemory)
            XCTAssertEqual(a.count, 8, name)
            XCTAssertEqual(a.map(\.index), b.map(\.index), name)
            XCTAssertEqual(a.map(\.timestamp), b.map(\.timestamp), name)
            XCTAssertTrue(a.map(\.image) == b.map(\.image), name)
        }
    }

    func testEachContainerOpensWithItsCodec() throws {
        let dir = TempDir()
        let expected = ["mp4": "h264", "mkv": "h264", "mov": "h264", "webm": "vp9", "avi": "mjpeg", "gif": "gif"]
        for (ext, codec) in expected.sorted(by: { $0.key < $1.key }) {
            let path = try VideoFixtures.write(dir.file("c.\(ext)"), width: 48, height: 48,
                                               times: VideoFixtures.constantRate(6, fps: 10), timeBase: (1, 10))
            let decoder = try VideoDecoder(path: path)
            XCTAssertEqual(decoder.info.codec, codec, ext)
            XCTAssertEqual([decoder.info.width, decoder.info.height], [48, 48], ext)
            let frames = try VideoFixtures.decodeAll(decoder)
            XCTAssertEqual(frames.count, 6, ext)
            XCTAssertEqual(frames.map(\.timestamp), (0..<6).map { Double($0) / 10 }, ext)
            for frame in frames {
                let written = VideoFixtures.pattern(width: 48, height: 48, index: frame.index)
                // GIF's palette of gray steps and MJPEG's blocks lose a little more than H.264.
                XCTAssertLessThan(VideoFixtures.meanDifference(frame.image.pixels, written), 6, "\(ext) frame \(frame.index)")
            }
            XCTAssertEqual(decoder.warnings, [], ext)
        }
    }
}
