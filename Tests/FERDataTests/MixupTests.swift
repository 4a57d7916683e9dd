import XCTest
@testable import FERData

/// Mixup's draws and its in-place blending of a batch.
final class MixupTests: XCTestCase {
    /// Gamma(k, 1) has mean k and variance k: the sampler behind Beta(α, α), checked on both of
    /// its branches (shape below 1 goes through shape + 1).
    func testGammaDrawsHaveTheirShapesMeanAndVariance() {
        for shape: Float in [0.3, 2.5] {
            var rng = SplitMix64(seed: 41)
            let n = 40_000
            let xs = (0..<n).map { _ in Double(Mixup.gamma(shape, rng: &rng)) }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            XCTAssertEqual(mean, Double(shape), accuracy: 0.03 * Double(shape) + 0.01, "shape \(shape)")
            XCTAssertEqual(variance, Double(shape), accuracy: 0.08 * Double(shape) + 0.02, "shape \(shape)")
            XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0.isFinite })
        }
    }

    /// max(λ, 1 − λ) for λ ~ Beta(α, α): in [0.5, 1]; a small α keeps most images nearly
    /// whole, α = 1 (uniform λ) has mean 3/4.
    func testDrawsAreFoldedBetaWeights() {
        var once = SplitMix64(seed: 1)
        XCTAssertEqual(Mixup.none.draw(rng: &once), .unmixed)
        func weights(_ alpha: Float) -> [Float] {
            var rng = SplitMix64(seed: 7)
            return (0..<20_000).map { _ in Mixup(alpha: alpha).draw(rng: &rng).weight }
        }
        let uniform = weights(1)
        XCTAssertTrue(uniform.allSatisfy { $0 >= 0.5 && $0 <= 1 })
        XCTAssertEqual(Double(uniform.reduce(0, +)) / 20_000, 0.75, accuracy: 0.01)
        let light = weights(0.2)
        XCTAssertGreaterThan(light.filter { $0 > 0.9 }.count, light.count / 2, "α 0.2 mostly leaves an image itself")
    }

    func testABatchIsBlendedInPairsWithItsPartnersLabels() {
        let pixels = 3
        var images: [Float] = [0, 0, 0,  1, 1, 1,  5, 6, 7,  0.5, 0.5, 0.5,  1, 0, 1]
        let labels: [Int32] = [0, 1, 2, 3, 4]
        let original = images
        let partners = images.withUnsafeMutableBufferPointer {
            Mixup.apply(.init(weight: 0.75), images: $0.baseAddress!, pixels: pixels, labels: labels)
        }
        XCTAssertEqual(partners, [4, 3, 2, 1, 0], "the batch read backwards")
        for i in 0..<5 {
            let j = 4 - i
            for p in 0..<pixels {
                let expected = i == j ? original[i * 3 + p] : 0.75 * original[i * 3 + p] + 0.25 * original[j * 3 + p]
                XCTAssertEqual(images[i * 3 + p], expected, accuracy: 1e-6, "image \(i) pixel \(p)")
            }
        }
    }
}
