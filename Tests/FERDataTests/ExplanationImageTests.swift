import XCTest
@testable import FERData

/// The `predict --explain` picture: heat where the map is hot, the face where it is cold, the
/// predicted class's bar the longest and coloured, and a PNG that reads back at its size.
final class ExplanationImageTests: XCTestCase {
    func pixel(_ image: ExplanationImage, _ x: Int, _ y: Int) -> (Int, Int, Int) {
        let i = (y * ExplanationImage.width + x) * 3
        return (Int(image.rgb[i]), Int(image.rgb[i + 1]), Int(image.rgb[i + 2]))
    }

    func testHeatShowsWhereTheMapIsHotAndBarsFollowTheProbabilities() throws {
        let gray = [UInt8](repeating: 128, count: 2304)
        // Hot in the top-left quarter of the face only.
        let map = (0..<2304).map { p -> Float in (p / 48 < 24 && p % 48 < 24) ? 1 : 0 }
        let probabilities: [Float] = [0.05, 0.05, 0.1, 0.6, 0.1, 0.05, 0.05]
        let image = ExplanationImage(pixels: gray, saliency: map, probabilities: probabilities)
        let hot = pixel(image, 20, 20), cold = pixel(image, 200, 200)
        XCTAssertEqual(cold.0, cold.1, accuracy: 12, "a cold cell keeps the face's gray (no hue)")
        XCTAssertGreaterThan(hot.0 - hot.2, 40, "a hot cell is tinted towards the ramp's yellow-red end")
        // Bar lengths: count coloured pixels along each class row, right of the labels.
        let rowHeight = 240 / 7
        func barLength(_ row: Int) -> Int {
            let y = row * rowHeight + (rowHeight - 10) / 2 + 5
            return (240..<ExplanationImage.width).filter { x in
                let p = pixel(image, x, y)
                return p != (255, 255, 255) && !(p.0 == p.1 && p.1 == p.2 && p.0 < 100)   // not paper, not text
            }.count
        }
        let lengths = (0..<7).map(barLength)
        XCTAssertEqual(lengths.firstIndex(of: lengths.max()!), 3, "happy (60%) has the longest bar: \(lengths)")
        XCTAssertGreaterThan(lengths[3], 5 * lengths[0])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("explain-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("face.png").path
        try image.write(path: path)
        let back = try ImageFile.readGray(path: path)
        XCTAssertEqual(back.width, ExplanationImage.width)
        XCTAssertEqual(back.height, ExplanationImage.height)
    }

    func testTheRampRunsFromDarkToBright() {
        let brightness = stride(from: Float(0), through: 1, by: 0.125).map { v -> Int in
            let c = HeatRamp.rgb(v); return Int(c.r) + Int(c.g) + Int(c.b)
        }
        XCTAssertEqual(brightness, brightness.sorted(), "each step of the ramp is at least as bright: \(brightness)")
        XCTAssertEqual(HeatRamp.rgb(-1).r, HeatRamp.rgb(0).r, "clamped below")
        XCTAssertEqual(HeatRamp.rgb(.nan).r, HeatRamp.rgb(0).r, "NaN reads as cold")
    }
}
