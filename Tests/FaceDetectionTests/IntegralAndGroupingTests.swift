import FERData
import XCTest
@testable import FaceDetection
import FERTestSupport

final class IntegralImageTests: XCTestCase {
    func testKnownSums() {
        // 1 2 3
        // 4 5 6
        let ii = IntegralImage(image: [1, 2, 3, 4, 5, 6], width: 3, height: 2)
        XCTAssertEqual(ii.stride, 4)
        XCTAssertEqual(ii.sum, [0, 0, 0, 0,
                                0, 1, 3, 6,
                                0, 5, 12, 21])
        XCTAssertEqual(ii.sum(x: 0, y: 0, width: 3, height: 2), 21)
        XCTAssertEqual(ii.sum(x: 1, y: 0, width: 2, height: 2), 16)
        XCTAssertEqual(ii.sum(x: 2, y: 1, width: 1, height: 1), 6)
        XCTAssertEqual(ii.sum(x: 1, y: 1, width: 0, height: 1), 0)
        XCTAssertEqual(ii.squareSum(x: 0, y: 0, width: 3, height: 2), 91)
        XCTAssertEqual(ii.squareSum(x: 1, y: 1, width: 2, height: 1), 61)
    }

    func testRandomRectanglesMatchBruteForce() {
        var rng = SplitMix64(seed: 7)
        let w = 17, h = 13
        let pixels = (0..<(w * h)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let ii = IntegralImage(image: pixels, width: w, height: h)
        for _ in 0..<300 {
            let x = Int(rng.next() % UInt64(w)), y = Int(rng.next() % UInt64(h))
            let rw = Int(rng.next() % UInt64(w - x + 1)), rh = Int(rng.next() % UInt64(h - y + 1))
            var s = 0, q = 0.0
            for yy in y..<(y + rh) { for xx in x..<(x + rw) { let p = Int(pixels[yy * w + xx]); s += p; q += Double(p * p) } }
            XCTAssertEqual(ii.sum(x: x, y: y, width: rw, height: rh), s)
            XCTAssertEqual(ii.squareSum(x: x, y: y, width: rw, height: rh), q)
        }
    }

    /// A white megapixel: the largest sum (255·10⁶) and square sum (6.5·10¹⁰) stay exact.
    func testNoOverflowAtWorkingSize() {
        let ii = IntegralImage(image: [UInt8](repeating: 255, count: 1_000_000), width: 1000, height: 1000)
        XCTAssertEqual(ii.sum(x: 0, y: 0, width: 1000, height: 1000), 255_000_000)
        XCTAssertEqual(ii.squareSum(x: 0, y: 0, width: 1000, height: 1000), 65_025_000_000)
        XCTAssertEqual(ii.sum(x: 999, y: 999, width: 1, height: 1), 255)
    }

    func testWithoutSquares() {
        let ii = IntegralImage(image: [1, 2, 3, 4], width: 2, height: 2, squares: false)
        XCTAssertTrue(ii.squareSum.isEmpty)
        XCTAssertEqual(ii.sum(x: 0, y: 0, width: 2, height: 2), 10)
    }
}

final class GroupingTests: XCTestCase {
    func hit(_ x: Double, _ y: Double, _ s: Double, margin: Double = 0.5) -> Hit {
        Hit(x: x, y: y, width: s, height: s, margin: margin)
    }

    func testJitteredHitsBecomeOneAveragedBox() {
        let hits = [hit(100, 100, 50, margin: 0.1), hit(102, 99, 50, margin: 0.7), hit(98, 101, 52),
                    hit(101, 102, 48), hit(99, 98, 50)]
        let clusters = groupHits(hits, minNeighbors: 3)
        XCTAssertEqual(clusters.count, 1)
        let c = clusters[0]
        XCTAssertEqual(c.count, 5)
        XCTAssertEqual(c.x, 100, accuracy: 1e-9)
        XCTAssertEqual(c.y, 100, accuracy: 1e-9)
        XCTAssertEqual(c.width, 50, accuracy: 1e-9)
        XCTAssertEqual(c.bestMargin, 0.7)
    }

    /// minNeighbors = 3 keeps a cluster only when each hit has ≥ 3 neighbours, i.e. ≥ 4 hits.
    func testTooFewNeighboursAreDropped() {
        let three = [hit(10, 10, 30), hit(11, 10, 30), hit(10, 11, 30)]
        XCTAssertTrue(groupHits(three, minNeighbors: 3).isEmpty)
        XCTAssertEqual(groupHits(three, minNeighbors: 2).count, 1)
        XCTAssertEqual(groupHits(three + [hit(11, 11, 30)], minNeighbors: 3).count, 1)
        XCTAssertTrue(groupHits([], minNeighbors: 3).isEmpty)
    }

    func testSeparateFacesStaySeparate() {
        let a = (0..<4).map { hit(10 + Double($0), 10, 40) }
        let b = (0..<6).map { hit(200, 50 + Double($0), 60) }
        let clusters = groupHits(a + b, minNeighbors: 3)
        XCTAssertEqual(clusters.count, 2)
        XCTAssertEqual(Set(clusters.map(\.count)), [4, 6])
    }

    /// Same place, very different size: not the same face (edges differ by more than 20%).
    func testDifferentScalesAreNotSimilar() {
        XCTAssertFalse(similar(hit(0, 0, 50), hit(0, 0, 80), eps: 0.2))
        XCTAssertTrue(similar(hit(0, 0, 50), hit(2, 2, 55), eps: 0.2))
        // Similarity is transitive through chains: a drifting series forms one cluster.
        let chain = (0..<8).map { hit(Double($0) * 8, 0, 50) }
        XCTAssertEqual(groupHits(chain, minNeighbors: 3).count, 1)
    }

    func testSmallClusterInsideStrongerFaceIsSuppressed() {
        let face = (0..<10).map { hit(100 + Double($0 % 3), 100 + Double($0 / 3), 200) }
        let eye = (0..<4).map { hit(140 + Double($0), 150, 40) }
        let clusters = groupHits(face + eye, minNeighbors: 3)
        XCTAssertEqual(clusters.count, 1)
        XCTAssertEqual(clusters[0].count, 10)
    }
}

final class FaceCropTests: XCTestCase {
    func testGrowsAndStaysCentred() {
        let crop = faceCrop(PixelRect(x: 100, y: 100, width: 100, height: 100), margin: 0.2, imageWidth: 1000, imageHeight: 1000)
        XCTAssertEqual(crop, PixelRect(x: 80, y: 80, width: 140, height: 140))
    }

    func testMadeSquareAroundTheCentre() {
        let crop = faceCrop(PixelRect(x: 100, y: 100, width: 60, height: 100), margin: 0, imageWidth: 1000, imageHeight: 1000)
        XCTAssertEqual(crop, PixelRect(x: 80, y: 100, width: 100, height: 100))
    }

    func testShiftedInsideAtEdges() {
        let crop = faceCrop(PixelRect(x: 0, y: 5, width: 50, height: 50), margin: 0.25, imageWidth: 200, imageHeight: 100)
        XCTAssertEqual(crop, PixelRect(x: 0, y: 0, width: 75, height: 75))
        let far = faceCrop(PixelRect(x: 180, y: 80, width: 20, height: 20), margin: 0.5, imageWidth: 200, imageHeight: 100)
        XCTAssertEqual(far, PixelRect(x: 160, y: 60, width: 40, height: 40))
    }

    func testShrunkWhenLargerThanImage() {
        let crop = faceCrop(PixelRect(x: 10, y: 10, width: 90, height: 90), margin: 0.5, imageWidth: 120, imageHeight: 80)
        XCTAssertEqual(crop.width, 80)
        XCTAssertEqual(crop.height, 80)
        XCTAssertTrue(crop.x >= 0 && crop.x + crop.width <= 120 && crop.y == 0)
        XCTAssertEqual(faceCrop(PixelRect(x: 0, y: 0, width: 5, height: 5), margin: 0.1, imageWidth: 0, imageHeight: 0).width, 0)
    }
}
