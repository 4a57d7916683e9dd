import XCTest
@testable import FERModel

final class LayerGradientTests: XCTestCase {
    // Conv and dense are linear in each input and parameter, so a large step is exact up to
    // rounding and keeps Float noise out of the comparison.
    let linear = GradientCheck(eps: 0.05, atol: 1e-3, rtol: 1e-3)

    func testConv5x5Gradients() {
        let layer = Conv2D(name: "c", input: Shape(6, 6, 2), kernel: 5, outChannels: 3, chunkImages: 1, isa: .testing)
        fill(layer.core.weight, seed: 1, scale: 0.5)
        fill(layer.core.bias, seed: 2, scale: 0.5)
        linear.check(layer, batch: 3, input: randomFloats(3 * 72, seed: 3))
    }

    func testConv3x3GradientsOddShapeOneWorker() {
        let layer = Conv2D(name: "c", input: Shape(5, 4, 3), kernel: 3, outChannels: 4, chunkImages: 2, isa: .testing)
        fill(layer.core.weight, seed: 4, scale: 0.5)
        fill(layer.core.bias, seed: 5, scale: 0.5)
        linear.check(layer, batch: 2, input: randomFloats(2 * 60, seed: 6), workers: 1)
    }

    /// Single-channel input takes the transposed-patch path (as conv1 does); check its input
    /// gradient too, with a kernel wider than some rows' valid span.
    func testSingleChannelConvGradients() {
        for kernel in [3, 5] {
            let layer = Conv2D(name: "c", input: Shape(5, 4, 1), kernel: kernel, outChannels: 3, chunkImages: 1, isa: .testing)
            fill(layer.core.weight, seed: 24, scale: 0.5)
            fill(layer.core.bias, seed: 25, scale: 0.5)
            linear.check(layer, batch: 3, input: randomFloats(60, seed: 26))
        }
    }

    func testDenseGradients() {
        let layer = Dense(name: "d", input: Shape(1, 1, 5), outputs: 3)
        fill(layer.weight, seed: 7, scale: 0.5)
        fill(layer.bias, seed: 8, scale: 0.5)
        linear.check(layer, batch: 3, input: randomFloats(15, seed: 9))
    }

    func testDropoutGradientWithFixedMask() {
        let layer = Dropout(name: "drop", shape: Shape(1, 1, 6), keep: 0.5)
        layer.setMask([2, 0, 2, 2, 0, 0, 0, 2, 2, 0, 2, 0])
        linear.check(layer, batch: 2, input: randomFloats(12, seed: 10))
    }

    func testDropoutKeepsHalfScaledByTwoAndOnlyInTraining() {
        let n = 10_000
        let layer = Dropout(name: "drop", shape: Shape(1, 1, n), keep: 0.5)
        let x = [Float](repeating: 1, count: n)
        var y = [Float](repeating: 0, count: n)
        var ctx = PassContext(training: true, workers: 1, rng: Xoshiro256(seed: 1))
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: 1, &ctx) }
        }
        XCTAssertTrue(y.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = y.filter { $0 == 2 }.count
        XCTAssertEqual(Double(kept) / Double(n), 0.5, accuracy: 0.02)
        ctx.training = false
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: 1, &ctx) }
        }
        XCTAssertEqual(y, x, "inference must be the identity")
    }

    func testReLUGradients() {
        // Keep inputs ≥ 0.1 away from the kink so the finite step never crosses it.
        let x = randomFloats(24, seed: 11).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        GradientCheck(eps: 0.01, atol: 1e-3, rtol: 1e-3)
            .check(ReLU(name: "r", shape: Shape(2, 3, 2)), batch: 2, input: x)
    }

    func testMaxPoolGradients() {
        // Distinct values 0.1 apart: no ties, and a 0.01 step never changes the winner.
        var rng = Xoshiro256(seed: 12)
        let x = (0..<64).map { Float($0) * 0.1 }.shuffled(using: &rng)
        GradientCheck(eps: 0.01, atol: 1e-3, rtol: 1e-3)
            .check(MaxPool2x2(name: "p", input: Shape(4, 4, 2)), batch: 2, input: x)
    }

    func testFusedConvReLUPoolGradients() {
        for (kernel, input, out) in [(5, Shape(6, 6, 1), 4), (3, Shape(4, 6, 3), 5)] {
            let layer = ConvReLUPool(name: "f", input: input, kernel: kernel, outChannels: out, chunkImages: 1, isa: .testing)
            fill(layer.core.weight, seed: 13, scale: 0.5)
            fill(layer.core.bias, seed: 14, scale: 0.2)
            GradientCheck(eps: 2e-4, atol: 5e-3, rtol: 1e-2)
                .check(layer, batch: 3, input: randomFloats(3 * input.count, seed: 15))
        }
    }

    /// The fused layer must equal conv → ReLU → pool exactly (same GEMM, same winners), forward
    /// and backward, including with several chunks and both worker counts.
    func testFusedLayerMatchesUnfusedChain() {
        let batch = 3
        for (input, workers) in [(Shape(8, 6, 3), 1), (Shape(8, 6, 3), 2), (Shape(6, 8, 1), 2)] {
            let fused = ConvReLUPool(name: "f", input: input, kernel: 3, outChannels: 4, chunkImages: 1, isa: .testing)
            let conv = Conv2D(name: "c", input: input, kernel: 3, outChannels: 4, chunkImages: 2, isa: .testing)
            fill(fused.core.weight, seed: 16, scale: 0.5)
            fill(fused.core.bias, seed: 17, scale: 0.2)
            conv.core.weight.value.pointer.update(from: fused.core.weight.value.pointer, count: conv.core.weight.count)
            conv.core.bias.value.pointer.update(from: fused.core.bias.value.pointer, count: 4)
            let chain = Network([conv, ReLU(name: "r", shape: conv.outputShape), MaxPool2x2(name: "p", input: conv.outputShape)])
            let single = Network([fused])
            let x = randomFloats(batch * input.count, seed: 18)
            let outCount = batch * fused.outputShape.count
            let dy = randomFloats(outCount, seed: 19)
            var results: [([Float], [Float], [Float])] = []
            for net in [single, chain] {
                var ctx = PassContext(training: true, workers: workers, rng: Xoshiro256(seed: 1))
                let y = x.withUnsafeBufferPointer { xb -> [Float] in
                    let out = net.forward(xb.baseAddress!, batch: batch, &ctx)
                    return Array(UnsafeBufferPointer(start: out, count: outCount))
                }
                net.outputGradient.update(from: dy, count: outCount)
                x.withUnsafeBufferPointer { net.backward($0.baseAddress!, batch: batch, ctx) }
                results.append((y, net.parameters[0].grad.array(net.parameters[0].count), net.parameters[1].grad.array(4)))
            }
            XCTAssertEqual(results[0].0, results[1].0, "forward differs (workers \(workers))")
            for (a, b) in zip(results[0].1 + results[0].2, results[1].1 + results[1].2) {
                XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a)), "gradient differs (workers \(workers))")
            }
        }
    }

    func testDenseSplitAcrossWorkersMatchesSingleWorker() {
        // Large enough (8·512·64 = 2^18) that the layer really splits its GEMMs.
        let layer = Dense(name: "d", input: Shape(1, 1, 512), outputs: 64)
        fill(layer.weight, seed: 20, scale: 0.1)
        fill(layer.bias, seed: 21, scale: 0.1)
        let x = randomFloats(8 * 512, seed: 22), dy = randomFloats(8 * 64, seed: 23)
        var outs: [[Float]] = []
        for workers in [1, 2] {
            var ctx = PassContext(training: true, workers: workers, rng: Xoshiro256(seed: 1))
            var y = [Float](repeating: 0, count: 8 * 64), dx = [Float](repeating: 0, count: 8 * 512)
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: 8, &ctx) }
                y.withUnsafeBufferPointer { yb in
                    dy.withUnsafeBufferPointer { db in
                        dx.withUnsafeMutableBufferPointer {
                            layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!, batch: 8, ctx)
                        }
                    }
                }
            }
            outs.append(y + dx + layer.weight.grad.array(layer.weight.count) + layer.bias.grad.array(64))
        }
        XCTAssertEqual(outs[0].count, outs[1].count)
        for (a, b) in zip(outs[0], outs[1]) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a))) }
    }
}
