import XCTest
@testable import Dashboard

final class CurvesTests: XCTestCase {
    func testDebiasedEMAOnKnownValues() {
        // w = 0.5 on [0, 1, 1]: raw EMA 0, 0.5, 0.75; debias by 1 − 0.5ⁿ: 0, 0.5/0.75, 0.75/0.875.
        let s = Curves.debiasedEMA([0, 1, 1], weight: 0.5)
        XCTAssertEqual(s[0], 0, accuracy: 1e-12)
        XCTAssertEqual(s[1], 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(s[2], 6.0 / 7.0, accuracy: 1e-12)
    }

    func testDebiasingStartsAtTheFirstValueNotZero() {
        // Without debiasing an EMA of a constant 2 would start at 0.2 (w = 0.9).
        let s = Curves.debiasedEMA([2, 2, 2, 2], weight: 0.9)
        for v in s { XCTAssertEqual(v, 2, accuracy: 1e-9) }
    }

    func testZeroWeightIsRaw() {
        XCTAssertEqual(Curves.debiasedEMA([3, 1, 4], weight: 0), [3, 1, 4])
    }

    func testNonFiniteLossDoesNotPoisonTheCurve() {
        let s = Curves.debiasedEMA([1, .nan, 1], weight: 0.6)
        XCTAssertTrue(s.allSatisfy { $0.isFinite })
    }

    func testSparkline() {
        XCTAssertEqual(Curves.sparkline([0, 0.5, 1], unicode: true), "▁▅█")
        XCTAssertEqual(Curves.sparkline([0, 1], unicode: false), "_@")
    }
}
