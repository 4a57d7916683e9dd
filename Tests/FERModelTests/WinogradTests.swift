import XCTest
@testable import FERModel

/// The Winograd forward must compute the same convolution as im2col (up to Float rounding), at
/// the borders, across chunk and slice boundaries, for both epilogues and both worker counts.
/// F(2×2, 3×3) agrees to 1e-5 relative (to max(1, |y|)); F(4×4, 3×3), which Conv2D takes for
/// its forward and both gradients where the sides are multiples of 4, to 5e-5 (measured: 6–8e-6
/// of the gradient's scale for dx, against about 1e-6 for F(2×2)).
final class WinogradTests: XCTestCase {
    /// Runs `layer.forward` on x and returns the output.
    private func forward(_ layer: Layer, _ x: [Float], batch: Int, workers: Int, training: Bool) -> [Float] {
        var ctx = PassContext(training: training, workers: workers, rng: Xoshiro256(seed: 1))
        let n = batch * layer.outputShape.count
        var y = [Float](repeating: .nan, count: n)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
        }
        return y
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ message: String, tolerance: Float = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        var worst: Float = 0
        for (p, q) in zip(a, b) { worst = max(worst, abs(p - q) / max(1, abs(q))) }
        XCTAssertLessThan(worst, tolerance, message, file: file, line: line)
        XCTAssertFalse(a.contains { $0.isNaN }, "\(message): unwritten outputs", file: file, line: line)
    }

    /// Random weights and biases in `fast`, the same in `reference`.
    private func shareRandomWeights(_ fast: ConvCore, _ reference: ConvCore, seed: UInt64) {
        fill(fast.weight, seed: seed, scale: 0.5)
        fill(fast.bias, seed: seed + 1, scale: 0.5)
        reference.weight.value.pointer.update(from: fast.weight.value.pointer, count: fast.weight.count)
        reference.bias.value.pointer.update(from: fast.bias.value.pointer, count: fast.bias.count)
    }

    private let shapes: [(Shape, Int)] = [(Shape(6, 8, 8), 16), (Shape(2, 2, 16), 8), (Shape(24, 24, 32), 64), (Shape(6, 6, 32), 24)]

    /// The agreement to expect from a Winograd pass with these tiles.
    private func tolerance(_ wino: WinogradConv3x3?) -> Float { wino?.tile == 4 ? 5e-5 : 1e-5 }

    func testPlainConvMatchesIm2col() {
        for (input, out) in shapes {
            let fast = Conv2D(name: "w", input: input, kernel: 3, outChannels: out, chunkImages: 1, winograd: true, isa: .testing)
            let reference = Conv2D(name: "r", input: input, kernel: 3, outChannels: out, chunkImages: 1, isa: .testing)
            XCTAssertNotNil(fast.core.winograd)
            XCTAssertEqual(fast.core.winograd?.tile, input.height % 4 == 0 && input.width % 4 == 0 ? 4 : 2)
            XCTAssertNil(reference.core.winograd)
            shareRandomWeights(fast.core, reference.core, seed: 31)
            let x = randomFloats(3 * input.count, seed: 33)
            for workers in [1, 2] {
                assertClose(forward(fast, x, batch: 3, workers: workers, training: false),
                            forward(reference, x, batch: 3, workers: workers, training: false),
                            "\(input) → \(out), \(workers) workers", tolerance: tolerance(fast.core.winograd))
            }
        }
    }

    func testFusedReLUPoolMatchesIm2colAndKeepsWinners() {
        for (input, out) in shapes {
            let fast = ConvReLUPool(name: "w", input: input, kernel: 3, outChannels: out, chunkImages: 1, isa: .testing)
            let reference = ConvReLUPool(name: "r", input: input, kernel: 3, outChannels: out, chunkImages: 1,
                                         winogradForward: false, isa: .testing)
            XCTAssertNotNil(fast.core.winograd)
            shareRandomWeights(fast.core, reference.core, seed: 34)
            let x = randomFloats(4 * input.count, seed: 36)
            for workers in [1, 2] {
                for training in [false, true] {
                    assertClose(forward(fast, x, batch: 4, workers: workers, training: training),
                                forward(reference, x, batch: 4, workers: workers, training: training),
                                "\(input) → \(out), \(workers) workers, training \(training)")
                }
            }
        }
    }

    /// Backward (im2col) must be the gradient of what the Winograd forward computes, winners
    /// included.
    func testFusedLayerGradientsThroughWinogradForward() {
        let layer = ConvReLUPool(name: "f", input: Shape(4, 6, 8), kernel: 3, outChannels: 8, chunkImages: 1, isa: .testing)
        XCTAssertNotNil(layer.core.winograd)
        fill(layer.core.weight, seed: 37, scale: 0.3)
        fill(layer.core.bias, seed: 38, scale: 0.2)
        GradientCheck(eps: 2e-4, atol: 5e-3, rtol: 1e-2)
            .check(layer, batch: 2, input: randomFloats(2 * 4 * 6 * 8, seed: 39))
    }

    /// Runs backward on `layer` (after a training forward) and returns dx, dW and db.
    private func gradients(_ layer: Conv2D, _ x: [Float], _ dy: [Float], batch: Int,
                           workers: Int) -> (dx: [Float], dW: [Float], db: [Float]) {
        let y = forward(layer, x, batch: batch, workers: workers, training: true)
        var dx = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                dy.withUnsafeBufferPointer { db in
                    dx.withUnsafeMutableBufferPointer {
                        layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!,
                                       batch: batch, PassContext(training: true, workers: workers, rng: Xoshiro256(seed: 1)))
                    }
                }
            }
        }
        return (dx, layer.core.weight.grad.array(layer.core.weight.count), layer.core.bias.grad.array(layer.core.bias.count))
    }

    /// The Winograd data and weight gradients equal im2col's (up to rounding), across chunks and
    /// slices, with one and two workers.
    func testBackwardMatchesIm2col() {
        for (input, out) in shapes + [(Shape(12, 12, 64), 128)] {
            let fast = Conv2D(name: "w", input: input, kernel: 3, outChannels: out, chunkImages: 1, winograd: true, isa: .testing)
            let reference = Conv2D(name: "r", input: input, kernel: 3, outChannels: out, chunkImages: 1, isa: .testing)
            XCTAssertNotNil(fast.core.winogradData)
            XCTAssertNotNil(fast.core.winogradWeights)
            shareRandomWeights(fast.core, reference.core, seed: 40)
            let batch = 5
            let x = randomFloats(batch * input.count, seed: 41)
            let dy = randomFloats(batch * fast.outputShape.count, seed: 42)
            for workers in [1, 2] {
                let a = gradients(fast, x, dy, batch: batch, workers: workers)
                let b = gradients(reference, x, dy, batch: batch, workers: workers)
                let what = "\(input) → \(out), \(workers) workers"
                if fast.core.winogradData?.tile == 4 {
                    // F(4×4)'s rounding grows with the values, not with max(1, |dx|): compare
                    // relative to the gradient's own scale, as for dW.
                    let scale = b.dx.map { abs($0) }.max()!
                    assertClose(a.dx.map { $0 / scale }, b.dx.map { $0 / scale }, what + ": dx (F(4×4))", tolerance: 2e-5)
                } else {
                    assertClose(a.dx, b.dx, what + ": dx")
                }
                // dW and db sum over every position: compare relative to the gradient's own scale.
                XCTAssertEqual(fast.core.winogradWeights?.tile, fast.core.winogradData?.tile, what)
                let weightTolerance: Float = fast.core.winogradWeights?.tile == 4 ? 2e-5 : 1e-5
                for (fastGrad, referenceGrad, name) in [(a.dW, b.dW, "dW"), (a.db, b.db, "db")] {
                    let scale = referenceGrad.map { abs($0) }.max()!
                    assertClose(fastGrad.map { $0 / scale }, referenceGrad.map { $0 / scale }, what + ": " + name,
                                tolerance: weightTolerance)
                }
            }
        }
    }

    /// Taking dU's α² planes in groups (to bound the slices' partial sums) sums every value in
    /// the same order, so dW and db are the same bits for any grouping, with one or two workers,
    /// for F(2×2)'s 16 planes and F(4×4)'s 36.
    func testWeightGradientPlaneGroupsGiveTheSameBits() {
        let input = Shape(8, 8, 16), out = 24, batch = 7
        let x = randomFloats(batch * input.count, seed: 46), dy = randomFloats(batch * 8 * 8 * out, seed: 47)
        for (tile, groupings) in [(2, [1, 2, 4, 8, 16]), (4, [1, 2, 3, 4, 6, 9, 12, 18, 36])] {
            let wino = WinogradConv3x3(ConvGeometry(input: input, kernel: 3, outChannels: out), tile: tile, chunkTiles: 5, isa: .testing)
            for workers in [1, 2] {
                var results: [[Float]] = []
                for groups in groupings {
                    var dW = [Float](repeating: .nan, count: 9 * input.channels * out)
                    var db = [Float](repeating: .nan, count: out)
                    dW.withUnsafeMutableBufferPointer { w in
                        db.withUnsafeMutableBufferPointer { b in
                            wino.weightGradient(x, dy, batch: batch, workers: .testing(workers), weightGrad: w.baseAddress!,
                                                biasGrad: b.baseAddress!, planeGroups: groups)
                        }
                    }
                    XCTAssertFalse(dW.contains { $0.isNaN } || db.contains { $0.isNaN }, "\(groups) groups: unwritten values")
                    results.append(dW + db)
                }
                for (groups, result) in zip(groupings.dropFirst(), results.dropFirst()) {
                    XCTAssertEqual(result, results[0], "F(\(tile)×\(tile)), \(workers) workers, \(groups) groups against one")
                }
            }
        }
        // The rule: the fewest groups, dividing the planes, whose partials fit 8 MB. F(2×2):
        // vgg8's and vgg9's 6×6 conv4 are split, 12×12 layers (8 × 16 × 128·128) are not.
        // F(4×4): 12×12 layers of 128·128 take 3 groups of 12 planes, 64·64 ones one.
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 8, plane: 128 * 128), 1)
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 8, plane: 128 * 256), 2)
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 8, plane: 128 * 384), 4)
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 8, plane: 64 * 64, planes: 36), 1)
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 8, plane: 128 * 128, planes: 36), 3)
        XCTAssertEqual(WinogradConv3x3.planeGroups(parts: 1, plane: 128 * 128, planes: 36), 1)
    }

    /// Finite differences through the Winograd forward and both Winograd backward passes.
    /// (4×6: F(2×2) throughout; 4×8: F(4×4) throughout.)
    func testConvGradientsThroughWinogradBackward() {
        for (input, tile) in [(Shape(4, 6, 8), 2), (Shape(4, 8, 8), 4)] {
            let layer = Conv2D(name: "c", input: input, kernel: 3, outChannels: 8, chunkImages: 1, winograd: true, isa: .testing)
            XCTAssertEqual(layer.core.winogradData?.tile, tile)
            XCTAssertEqual(layer.core.winogradWeights?.tile, tile)
            fill(layer.core.weight, seed: 43, scale: 0.3)
            fill(layer.core.bias, seed: 44, scale: 0.2)
            GradientCheck(eps: 0.05, atol: 1e-3, rtol: 1e-3).check(layer, batch: 2, input: randomFloats(2 * input.count, seed: 45))
        }
    }

    func testShapesItCannotTakeFallBackToIm2col() {
        XCTAssertNil(ConvReLUPool(name: "a", input: Shape(8, 8, 3), kernel: 3, outChannels: 8, isa: .testing).core.winograd)
        XCTAssertNil(ConvReLUPool(name: "b", input: Shape(8, 8, 8), kernel: 5, outChannels: 8, isa: .testing).core.winograd)
        XCTAssertNil(Conv2D(name: "c", input: Shape(7, 8, 8), kernel: 3, outChannels: 8, winograd: true, isa: .testing).core.winograd)
        // A data gradient with 4 output channels (in multiples of 8 only) stays on im2col.
        XCTAssertNil(Conv2D(name: "d", input: Shape(8, 8, 4), kernel: 3, outChannels: 8, winograd: true, isa: .testing).core.winogradData)
    }
}
