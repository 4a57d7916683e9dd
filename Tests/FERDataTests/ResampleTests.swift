import XCTest
@testable import FERData
import FERTestSupport

final class ResampleTests: XCTestCase {
    func checkerboard(_ side: Int, cell: Int) -> GrayImage {
        GrayImage(width: side, height: side, pixels: (0..<(side * side)).map {
            ((($0 % side) / cell + ($0 / side) / cell) % 2 == 0) ? 0 : 255
        })
    }

    func testOnePixelCheckerboardAveragesToUniformGray() {
        // Every output pixel covers a 2×2 block holding two 0s and two 255s: nearest neighbour
        // would give 0 or 255, area averaging gives 127.5 → 128 everywhere.
        let out = ImageFile.faceInput(from: checkerboard(96, cell: 1))
        XCTAssertEqual(out.count, 2304)
        XCTAssertEqual(Set(out), [128])
    }

    func testBlockAlignedDownscaleDoesNotBleed() {
        // 2×2 cells on a 96 grid map one-to-one onto output pixels.
        let out = ImageFile.faceInput(from: checkerboard(96, cell: 2))
        XCTAssertEqual(out, checkerboard(48, cell: 1).pixels)
    }

    func testFractionalCoverageMatchesExactIntegration() {
        // 72 → 48 is a factor 1.5: output cells cut source pixels in half. Reference: double the
        // source (each pixel 2×2), then every output cell is exactly 3×3 fine pixels.
        var rng = SplitMix64(seed: 4)
        let src = GrayImage(width: 72, height: 72, pixels: (0..<(72 * 72)).map { _ in UInt8(rng.below(256)) })
        let out = ImageFile.faceInput(from: src)
        for oy in 0..<48 {
            for ox in 0..<48 {
                var sum = 0
                for fy in (oy * 3)..<(oy * 3 + 3) { for fx in (ox * 3)..<(ox * 3 + 3) { sum += Int(src.pixels[(fy / 2) * 72 + fx / 2]) } }
                let expected = Int((Double(sum) / 9).rounded())
                XCTAssertLessThanOrEqual(abs(Int(out[oy * 48 + ox]) - expected), 1, "at \(ox),\(oy)")
            }
        }
    }

    func testCropAndCentredSquare() {
        // 100×60: left 50 columns black, right 50 white; the centred 60×60 square is half and half.
        let image = GrayImage(width: 100, height: 60, pixels: (0..<6000).map { ($0 % 100) < 50 ? 0 : 255 })
        XCTAssertEqual(ImageFile.centredSquare(image), PixelRect(x: 20, y: 0, width: 60, height: 60))
        let centred = ImageFile.faceInput(from: image)
        XCTAssertEqual(centred[0], 0)
        XCTAssertEqual(centred[47], 255)
        XCTAssertEqual(centred[24], 255)
        XCTAssertEqual(centred[23], 0)
        let right = ImageFile.faceInput(from: image, crop: PixelRect(x: 50, y: 0, width: 50, height: 50))
        XCTAssertEqual(Set(right), [255])
        // A rect hanging off the image is clipped to it, not read out of bounds.
        let off = ImageFile.faceInput(from: image, crop: PixelRect(x: 90, y: -20, width: 50, height: 50))
        XCTAssertEqual(Set(off), [255])
        XCTAssertEqual(Set(ImageFile.faceInput(from: image, crop: PixelRect(x: 200, y: 0, width: 5, height: 5))), [0])
    }

    func testSmallCropIsUpscaledBilinearly() {
        // 2×1 black|white stretched to 48 wide: monotonic ramp, ends exact, middle near 128.
        let image = GrayImage(width: 2, height: 2, pixels: [0, 255, 0, 255])
        let out = ImageFile.faceInput(from: image)
        let row = Array(out[0..<48])
        XCTAssertEqual(row.first, 0)
        XCTAssertEqual(row.last, 255)
        XCTAssertEqual(row, row.sorted())
        XCTAssertTrue((100...155).contains(Int(row[24])))
        XCTAssertGreaterThan(Set(row).count, 10, "bilinear, not pixel repetition")
        for y in 1..<48 { XCTAssertEqual(Array(out[(y * 48)..<(y * 48 + 48)]), row) }
    }
}
