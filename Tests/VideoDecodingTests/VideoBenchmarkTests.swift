@testable import VideoDecoding
import XCTest

/// Decode + scale speed by decoder thread count. Runs only when FERDASH_BENCH_VIDEO names a
/// video (a timing on a shared machine says nothing reliable inside `swift test`). The figure in
/// the decoder's notes is for 20 s of 640×480 H.264 at 30 fps made by
/// `ffmpeg -f lavfi -i testsrc2=s=640x480:r=30:d=20 -c:v libx264 -preset veryfast -pix_fmt yuv420p bench.mp4`.
final class VideoBenchmarkTests: XCTestCase {
    func testDecodeSpeed() throws {
        guard let path = ProcessInfo.processInfo.environment["FERDASH_BENCH_VIDEO"] else {
            throw XCTSkip("set FERDASH_BENCH_VIDEO to a video file to measure decoding speed")
        }
        for threads: Int32 in [1, 2, 3, 0] {  // 0: FFmpeg's choice (cores + 1)
            let decoder = try VideoDecoder(path: path, options: VideoOpenOptions(decoderThreads: threads))
            let start = Date()
            var count = 0
            var residentAfter60 = 0
            while try decoder.nextFrame() != nil {
                count += 1
                if count == 60 { residentAfter60 = Self.residentKB() }
            }
            let seconds = Date().timeIntervalSince(start)
            // Buffers are reused: what is resident after 60 frames is what it is at the end.
            let grown = Self.residentKB() - residentAfter60
            XCTAssertLessThan(grown, 8 * 1024, "resident memory grew \(grown) KB after the first 60 frames")
            XCTAssertGreaterThan(count, 0)
            print(String(format: "decode+scale %@ %d×%d: %d frames in %.2f s = %.0f frames/s on %@ thread(s); resident +%d KB after frame 60",
                         decoder.info.codec, decoder.info.width, decoder.info.height, count, seconds, Double(count) / seconds,
                         threads == 0 ? "auto" : "\(threads)", grown))
        }
    }

    private static func residentKB() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}
