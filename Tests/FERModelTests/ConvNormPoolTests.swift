import XCTest
@testable import FERModel

/// ConvNormPool recomputes its conv output instead of storing it: it must compute what the
/// separate conv → batch norm + ReLU → max-pool layers compute, forward and backward.
final class ConvNormPoolTests: XCTestCase {
    /// Relative to the larger of the reference's scale and `floor`: the conv bias gradient
    /// under batch norm is 0 in exact arithmetic, so both sides are rounding noise there.
    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, floor: Float = 1e-2,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let scale = max(b.map { abs($0) }.max() ?? 0, floor)
        let worst = zip(a, b).map { abs($0 - $1) / scale }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, what, file: file, line: line)
        XCTAssertFalse(a.contains { $0.isNaN }, what + ": unwritten values", file: file, line: line)
    }

    func testMatchesTheSeparateLayers() {
        let input = Shape(8, 6, 1)
        for (kernel, workers) in [(5, 1), (5, 2), (3, 2)] {
            let fused = ConvNormPool(name: "block", convName: "c", input: input, kernel: kernel, outChannels: 8, isa: .testing)
            let conv = Conv2D(name: "c", input: input, kernel: kernel, outChannels: 8, chunkImages: 1, isa: .testing)
            let norm = BatchNorm(name: "c.bn", shape: conv.outputShape, relu: true, isa: .testing)
            let pool = MaxPool2x2(name: "pool", input: conv.outputShape)
            fillAlike(fused.parameters, conv.parameters + norm.parameters, seed: 70)
            let batch = 5
            // Offset inputs: the statistics must not lose the spread to the mean.
            let x = randomFloats(batch * input.count, seed: 80).map { $0 + 2 }
            let dy = randomFloats(batch * fused.outputShape.count, seed: 81)
            let what = "\(kernel)×\(kernel), \(workers) workers"
            for training in [true, false] {
                var c1 = PassContext(training: training, workers: workers, rng: Xoshiro256(seed: 1)), c2 = c1
                let a = runLayer(fused, x, batch: batch, dy: dy, &c1)
                let b = runChain([conv, norm, pool], x, batch: batch, dy: dy, &c2)
                assertClose(a.y, b.y, what + ", training \(training): y")
                guard training else { continue }
                assertClose(a.dx, b.dx, what + ": dx")
                for (p, q) in zip(fused.parameters, conv.parameters + norm.parameters) {
                    assertClose(p.trainable ? p.grad.array(p.count) : p.value.array(p.count),
                                q.trainable ? q.grad.array(q.count) : q.value.array(q.count), what + ": " + p.name)
                }
            }
        }
    }

    func testGradients() {
        let layer = ConvNormPool(name: "block", convName: "c", input: Shape(4, 6, 2), kernel: 3, outChannels: 3, isa: .testing)
        for (i, p) in layer.parameters.enumerated() where p.trainable { fill(p, seed: 90 + UInt64(i), scale: 0.8) }
        GradientCheck(eps: 1e-2, atol: 2e-3, rtol: 1e-2)
            .check(layer, batch: 3, input: randomFloats(3 * 48, seed: 95, scale: 2).map { $0 + 1 })
    }
}
