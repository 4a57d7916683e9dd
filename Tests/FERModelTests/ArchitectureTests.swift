import XCTest
@testable import FERModel

/// What vgg7 added to the engine: batch norm with a fused ReLU and split over workers, label
/// smoothing, decoupled weight decay, the network itself.
final class ArchitectureTests: XCTestCase {
    func testBatchNormReLUTrainingGradients() {
        let layer = BatchNorm(name: "bn", shape: Shape(2, 2, 3), relu: true, isa: .testing)
        fill(layer.gamma, seed: 50, scale: 1.5)
        fill(layer.beta, seed: 51, scale: 0.5)
        let x = randomFloats(36, seed: 52, scale: 2).map { $0 + 3 }
        GradientCheck(eps: 1e-3, atol: 2e-3, rtol: 1e-2).check(layer, batch: 3, input: x, training: true)
    }

    func testBatchNormReLUInferenceGradients() {
        let layer = inferenceBatchNorm(relu: true, seed: 53)
        GradientCheck(eps: 1e-3, atol: 1e-3, rtol: 1e-3)
            .check(layer, batch: 2, input: randomFloats(16, seed: 55), training: false)
    }

    /// Big enough that the statistics and both passes split into several slices.
    func testBatchNormSplitAcrossWorkersMatchesOneWorker() {
        let shape = Shape(8, 8, 16), batch = 64, n = batch * shape.count
        let x = randomFloats(n, seed: 56, scale: 2).map { $0 + 1 }
        let dy = randomFloats(n, seed: 57)
        func run(workers: Int) -> (y: [Float], dx: [Float], dGamma: [Float], dBeta: [Float]) {
            let layer = BatchNorm(name: "bn", shape: shape, relu: true, isa: .testing)
            fill(layer.gamma, seed: 58, scale: 1)
            var y = [Float](repeating: 0, count: n), dx = [Float](repeating: 0, count: n)
            var ctx = PassContext(training: true, workers: workers, rng: Xoshiro256(seed: 1))
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
                y.withUnsafeBufferPointer { yb in
                    dy.withUnsafeBufferPointer { db in
                        dx.withUnsafeMutableBufferPointer {
                            layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!, batch: batch, ctx)
                        }
                    }
                }
            }
            return (y, dx, layer.gamma.grad.array(16), layer.beta.grad.array(16))
        }
        let one = run(workers: 1), two = run(workers: 2)
        for (a, b) in [(one.y, two.y), (one.dx, two.dx), (one.dGamma, two.dGamma), (one.dBeta, two.dBeta)] {
            let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($0)) }.max()!
            XCTAssertLessThan(worst, 1e-4)
        }
    }

    func testSmoothedCrossEntropyValueAndGradient() {
        // Uniform logits: every class has p = 1/7, so the loss is ln 7 whatever the target.
        let uniform = [Float](repeating: 0.5, count: 7)
        let l = uniform.withUnsafeBufferPointer {
            Loss.softmaxCrossEntropy(logits: $0.baseAddress!, labels: [3], classes: 7, gradient: nil, smoothing: 0.1)
        }
        XCTAssertEqual(l, log(7.0), accuracy: 1e-9)

        let labels: [Int32] = [2, 6, 0]
        var logits = randomFloats(21, seed: 60, scale: 3)
        var grad = [Float](repeating: 0, count: 21)
        func loss() -> Double {
            logits.withUnsafeBufferPointer {
                Loss.softmaxCrossEntropy(logits: $0.baseAddress!, labels: labels, classes: 7, gradient: nil, smoothing: 0.1)
            }
        }
        _ = logits.withUnsafeBufferPointer { lb in
            grad.withUnsafeMutableBufferPointer {
                Loss.softmaxCrossEntropy(logits: lb.baseAddress!, labels: labels, classes: 7, gradient: $0.baseAddress!,
                                         smoothing: 0.1)
            }
        }
        // Each row's gradient sums to zero (probabilities and targets both sum to one).
        for r in 0..<3 { XCTAssertEqual(grad[(r * 7)..<(r * 7 + 7)].reduce(0, +), 0, accuracy: 1e-6) }
        for i in 0..<21 {
            let keep = logits[i], eps: Float = 1e-2
            logits[i] = keep + eps; let plus = loss()
            logits[i] = keep - eps; let minus = loss()
            logits[i] = keep
            XCTAssertEqual((plus - minus) / Double(2 * eps), Double(grad[i]), accuracy: 1e-4, "logit \(i)")
        }
    }

    func testDecoupledWeightDecayShrinksWeightsOnly() {
        let w = Parameter(name: "fc.weight", count: 1, decayed: false)
        let b = Parameter(name: "fc.bias", count: 1, decayed: false)
        w.value.pointer[0] = 2; b.value.pointer[0] = 2
        // Zero gradients: Adam's own step is 0, so only the decay moves anything.
        let h = Hyperparameters(learningRate: 0.1, l2: 0, weightDecay: 0.5)
        Adam.update([w, b], hyper: h, step: 1, workers: .testing(1))
        XCTAssertEqual(w.value.pointer[0], 2 * (1 - 0.1 * 0.5), accuracy: 1e-7)
        XCTAssertEqual(b.value.pointer[0], 2, "biases are not decayed")
    }

    /// The seed chapter's dropout sampling (`predict --samples`) on a batch-normed network: one
    /// image, dropout on, but the running statistics must be used and left untouched.
    func testDropoutSamplingUsesAndKeepsRunningStatistics() {
        let model = Classifier(architecture: .vgg7, seed: 4, engine: .testing)
        let bn = model.network.layers.compactMap { $0 as? BatchNorm }
        for (i, layer) in bn.enumerated() {
            for c in 0..<layer.inputShape.channels {
                layer.runningMean.value.pointer[c] = 0.01 * Float((i + c) % 5)
                layer.runningVariance.value.pointer[c] = 1 + 0.1 * Float(c % 3)
            }
        }
        let before = bn.map { $0.runningMean.value.array($0.inputShape.channels) + $0.runningVariance.value.array($0.inputShape.channels) }
        let image = randomFloats(ModelShape.pixels, seed: 9).map { ($0 + 1) / 2 }
        let sampled = image.withUnsafeBufferPointer { model.logitsWithDropout(images: $0, count: 1) }
        let after = bn.map { $0.runningMean.value.array($0.inputShape.channels) + $0.runningVariance.value.array($0.inputShape.channels) }
        XCTAssertEqual(before, after)
        XCTAssertTrue(sampled.allSatisfy(\.isFinite))
        // A batch-statistics pass over a single image would flatten most activations to β;
        // with running statistics the sample stays close to the plain inference logits.
        let plain = image.withUnsafeBufferPointer { model.logits(images: $0, count: 1) }
        XCTAssertNotEqual(plain, sampled, "dropout is on")
    }

    func testVGG7ShapesParametersAndCheckpointRoundTrip() throws {
        let model = Classifier(architecture: .vgg7, seed: 3, engine: .testing)
        XCTAssertEqual(model.network.outputShape, Shape(1, 1, 7))
        // conv1 5·5·1·32+32, conv2 (9·32·64+64) + (9·64·64+64), conv3 (9·64·128+128) + (9·128·128+128),
        // fc1 4608·256+256, fc2 256·7+7, and γ/β for the six batch norms (32+64+64+128+128+256).
        let expected = (800 + 32) + (18432 + 64) + (36864 + 64) + (73728 + 128) + (147456 + 128)
            + (1_179_648 + 256) + (1792 + 7) + 2 * (32 + 64 + 64 + 128 + 128 + 256)
        XCTAssertEqual(model.parameterCount, expected)
        let bytes = model.checkpointBytes(metadata: ["k": "v"])
        let (copy, meta) = try Classifier.fromCheckpoint(bytes, engine: .testing)
        XCTAssertEqual(copy.architecture, .vgg7)
        XCTAssertEqual(meta["k"], "v")
        let image = randomFloats(2 * ModelShape.pixels, seed: 7).map { ($0 + 1) / 2 }
        let a = image.withUnsafeBufferPointer { model.logits(images: $0, count: 2) }
        let b = image.withUnsafeBufferPointer { copy.logits(images: $0, count: 2) }
        XCTAssertEqual(a, b)
    }
}
