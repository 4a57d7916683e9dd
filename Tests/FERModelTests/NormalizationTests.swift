import XCTest
@testable import FERModel

final class NormalizationTests: XCTestCase {
    /// Channels in multiples of 8 take the vectorised backward (gate and both sums in one
    /// pass), others the per-channel loops; both with and without the ReLU.
    func testBatchNormTrainingGradients() {
        // (With the ReLU, seeds whose values keep clear of the kink within ±eps.)
        let cases: [(Shape, Bool, Float, UInt64)] = [(Shape(2, 2, 3), false, 1e-2, 40), (Shape(2, 3, 16), false, 1e-3, 46),
                                                     (Shape(2, 3, 16), true, 1e-3, 46)]
        for (shape, relu, eps, seed) in cases {
            let layer = BatchNorm(name: "bn", shape: shape, relu: relu, isa: .testing)
            fill(layer.gamma, seed: seed, scale: 1.5)
            fill(layer.beta, seed: seed + 1, scale: 0.5)
            // Offset and scaled inputs: normalisation must undo both.
            let x = randomFloats(3 * shape.count, seed: seed + 2, scale: 2).map { $0 + 3 }
            GradientCheck(eps: eps, atol: 2e-3, rtol: 1e-2).check(layer, batch: 3, input: x, training: true)
        }
    }

    /// The Network hands batch norm one buffer for dy and dx: the result must not change.
    func testBatchNormBackwardInPlaceMatchesSeparateBuffers() {
        for relu in [false, true] {
            let layer = BatchNorm(name: "bn", shape: Shape(3, 4, 16), relu: relu, isa: .testing)
            fill(layer.gamma, seed: 50, scale: 1.5)
            fill(layer.beta, seed: 51, scale: 0.5)
            let batch = 5, n = batch * 3 * 4 * 16
            let x = randomFloats(n, seed: 52, scale: 2)
            let dy = randomFloats(n, seed: 53)
            var y = [Float](repeating: 0, count: n), separate = [Float](repeating: .nan, count: n), inPlace = dy
            var ctx = PassContext(training: true, workers: 2, rng: Xoshiro256(seed: 1))
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
                y.withUnsafeBufferPointer { yb in
                    dy.withUnsafeBufferPointer { db in
                        separate.withUnsafeMutableBufferPointer {
                            layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!, batch: batch, ctx)
                        }
                    }
                    let gammaGrad = layer.gamma.grad.array(16)
                    inPlace.withUnsafeMutableBufferPointer {
                        layer.backward(xb.baseAddress!, yb.baseAddress!, UnsafePointer($0.baseAddress!), $0.baseAddress!,
                                       batch: batch, ctx)
                    }
                    XCTAssertEqual(layer.gamma.grad.array(16), gammaGrad, "relu \(relu)")
                }
            }
            XCTAssertEqual(inPlace, separate, "relu \(relu)")
            XCTAssertTrue(separate.contains { $0 != 0 })
        }
    }

    func testBatchNormInferenceGradients() {
        let layer = inferenceBatchNorm(seed: 43)
        GradientCheck(eps: 1e-2, atol: 1e-3, rtol: 1e-3)
            .check(layer, batch: 2, input: randomFloats(16, seed: 45), training: false)
    }

    func testBatchNormNormalisesAndTracksRunningStatistics() {
        let layer = BatchNorm(name: "bn", shape: Shape(2, 1, 2), momentum: 0, isa: .testing)
        // Channel 0: 1, 3, 5, 7 (mean 4, variance 5); channel 1: all 10 (variance 0).
        let x: [Float] = [1, 10, 3, 10, 5, 10, 7, 10]
        var train = [Float](repeating: 0, count: 8), infer = [Float](repeating: 0, count: 8)
        var ctx = PassContext(training: true, workers: 1, rng: Xoshiro256(seed: 0))
        x.withUnsafeBufferPointer { xb in
            train.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: 2, &ctx) }
            ctx.training = false
            infer.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: 2, &ctx) }
        }
        let s = (5 + 1e-3 as Double).squareRoot()
        XCTAssertEqual(Double(train[0]), -3 / s, accuracy: 1e-5)
        XCTAssertEqual(Double(train[6]), 3 / s, accuracy: 1e-5)
        XCTAssertEqual(train[1], 0, accuracy: 1e-5)
        XCTAssertEqual(layer.runningMean.value.array(2), [4, 10])
        XCTAssertEqual(layer.runningVariance.value.array(2), [5, 0])
        // momentum 0: running = batch statistics, so inference reproduces training.
        for i in 0..<8 { XCTAssertEqual(train[i], infer[i], accuracy: 1e-5) }
        XCTAssertFalse(layer.runningMean.trainable)
    }

    func testOptimizerLeavesRunningStatisticsAlone() {
        let layer = BatchNorm(name: "bn", shape: Shape(1, 1, 2), isa: .testing)
        layer.runningMean.grad.pointer[0] = 1
        layer.gamma.grad.pointer[0] = 1
        Adam.update(layer.parameters, hyper: Hyperparameters(), step: 1, workers: .testing(1))
        XCTAssertEqual(layer.runningMean.value.pointer[0], 0)
        XCTAssertNotEqual(layer.gamma.value.pointer[0], 1)
    }
}
