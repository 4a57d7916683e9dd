import FERData
import FERTestSupport
import VideoDecoding
import XCTest

/// Videos the tests write with `VideoEncoder`, and the decoded frames they read back.
enum VideoFixtures {
    /// A picture whose every frame differs (a bar moving down with the index), on a horizontal
    /// ramp, so frames can be told apart and compared after lossy coding.
    static func pattern(width: Int, height: Int, index: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height)
        let bar = (index * 3) % max(1, height - 4)
        for y in 0..<height {
            for x in 0..<width {
                let ramp = 40 + 120 * x / max(1, width - 1)
                pixels[y * width + x] = UInt8(y >= bar && y < bar + 4 ? 235 : ramp)
            }
        }
        return pixels
    }

    @discardableResult
    static func write(_ path: String, width: Int = 64, height: Int = 48, times: [Double], timeBase: (num: Int, den: Int) = (1, 1000),
                      rotation: Int = 0, picture: (Int) -> [UInt8]? = { _ in nil }) throws -> String {
        let encoder = try VideoEncoder(path: path, width: width, height: height, timeBase: timeBase, rotation: rotation)
        for (i, t) in times.enumerated() {
            try encoder.append(gray: picture(i) ?? pattern(width: width, height: height, index: i), at: t)
        }
        try encoder.finish()
        return path
    }

    static func constantRate(_ count: Int, fps: Double = 30) -> [Double] { (0..<count).map { Double($0) / fps } }

    /// Every frame to the end, with the warnings the decoder gathered.
    static func decodeAll(_ decoder: VideoDecoder, wantImage: Bool = true) throws -> [VideoFrame] {
        var frames: [VideoFrame] = []
        while let frame = try decoder.nextFrame(wantImage: wantImage) { frames.append(frame) }
        return frames
    }

    static func meanDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var sum = 0
        for i in a.indices { sum += abs(Int(a[i]) - Int(b[i])) }
        return Double(sum) / Double(max(1, a.count))
    }

    static func mean(_ image: GrayImage, x: Range<Int>, y: Range<Int>) -> Double {
        var sum = 0
        for yy in y { for xx in x { sum += Int(image.pixels[yy * image.width + xx]) } }
        return Double(sum) / Double(x.count * y.count)
    }

    /// The VideoError an expression throws, failing the test when it throws none or another type.
    static func videoError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> VideoError? {
        do {
            _ = try body()
            XCTFail("expected a VideoError", file: file, line: line)
        } catch let error as VideoError {
            return error
        } catch {
            XCTFail("expected a VideoError, got \(error)", file: file, line: line)
        }
        return nil
    }
}
