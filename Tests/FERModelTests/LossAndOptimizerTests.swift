import XCTest
@testable import FERModel

final class LossAndOptimizerTests: XCTestCase {
    func testCrossEntropyOfUniformLogitsIsLn7() {
        let logits = [Float](repeating: 0.25, count: 14)
        var grad = [Float](repeating: 0, count: 14)
        let loss = logits.withUnsafeBufferPointer { l in
            grad.withUnsafeMutableBufferPointer {
                Loss.softmaxCrossEntropy(logits: l.baseAddress!, labels: [3, 0], classes: 7, gradient: $0.baseAddress!)
            }
        }
        XCTAssertEqual(loss, log(7.0), accuracy: 1e-12)
        // (p − onehot)/N with p = 1/7, N = 2
        XCTAssertEqual(grad[3], Float((1.0 / 7 - 1) / 2), accuracy: 1e-7)
        XCTAssertEqual(grad[4], Float(1.0 / 14), accuracy: 1e-7)
        XCTAssertEqual(grad[7], Float((1.0 / 7 - 1) / 2), accuracy: 1e-7)
    }

    func testSoftmaxAndCrossEntropyStableAtExtremes() {
        let logits: [Float] = [1e4, -1e4, 0, 0, 0, 0, 0]
        let p = softmax(logits)
        XCTAssertTrue(p.allSatisfy { $0.isFinite })
        XCTAssertEqual(p[0], 1, accuracy: 1e-6)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-6)
        let loss = logits.withUnsafeBufferPointer {
            Loss.softmaxCrossEntropy(logits: $0.baseAddress!, labels: [1], classes: 7, gradient: nil)
        }
        XCTAssertEqual(loss, 2e4, accuracy: 1e-6)
        XCTAssertEqual(softmax([-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4]), [Float](repeating: 1.0 / 7, count: 7))
    }

    func testCrossEntropyGradientMatchesFiniteDifferences() {
        let classes = 7, labels: [Int32] = [2, 6, 0]
        var logits = randomFloats(21, seed: 30, scale: 3)
        var grad = [Float](repeating: 0, count: 21)
        func loss() -> Double {
            logits.withUnsafeBufferPointer {
                Loss.softmaxCrossEntropy(logits: $0.baseAddress!, labels: labels, classes: classes, gradient: nil)
            }
        }
        _ = logits.withUnsafeBufferPointer { l in
            grad.withUnsafeMutableBufferPointer {
                Loss.softmaxCrossEntropy(logits: l.baseAddress!, labels: labels, classes: classes, gradient: $0.baseAddress!)
            }
        }
        var worst = (index: -1, error: 0.0)
        for i in 0..<21 {
            let keep = logits[i], eps: Float = 1e-2
            logits[i] = keep + eps; let plus = loss()
            logits[i] = keep - eps; let minus = loss()
            logits[i] = keep
            let numeric = (plus - minus) / Double(2 * eps)
            let error = abs(numeric - Double(grad[i]))
            if error > worst.error { worst = (i, error) }
        }
        XCTAssertLessThan(worst.error, 1e-4, "worst logit index \(worst.index)")
    }

    /// Mixup's target w·one-hot(a) + (1 − w)·one-hot(b): cross-entropy is linear in the target,
    /// so the loss and its gradient are the same blend of the two labels' (smoothing applied to
    /// the blend), and the gradient still matches finite differences.
    func testMixedTargetsBlendTheTwoLabelsLossesAndGradients() {
        let classes = 7, labels: [Int32] = [2, 6, 0], partners: [Int32] = [5, 6, 3]
        var logits = randomFloats(21, seed: 31, scale: 3)
        func run(_ labels: [Int32], mix: (partners: [Int32], weight: Float)?, smoothing: Double) -> (Double, [Float]) {
            var grad = [Float](repeating: 0, count: 21)
            let loss = logits.withUnsafeBufferPointer { l in
                grad.withUnsafeMutableBufferPointer {
                    Loss.softmaxCrossEntropy(logits: l.baseAddress!, labels: labels, classes: classes,
                                             gradient: $0.baseAddress!, smoothing: smoothing, mix: mix)
                }
            }
            return (loss, grad)
        }
        for smoothing in [0.0, 0.1] {
            let (mixed, g) = run(labels, mix: (partners, 0.75), smoothing: smoothing)
            let (a, ga) = run(labels, mix: nil, smoothing: smoothing)
            let (b, gb) = run(partners, mix: nil, smoothing: smoothing)
            XCTAssertEqual(mixed, 0.75 * a + 0.25 * b, accuracy: 1e-9)
            for i in 0..<21 { XCTAssertEqual(g[i], 0.75 * ga[i] + 0.25 * gb[i], accuracy: 1e-6) }
            XCTAssertEqual(run(labels, mix: (partners, 1), smoothing: smoothing).1, ga, "weight 1 is the plain target, bit for bit")
        }
        let (_, grad) = run(labels, mix: (partners, 0.6), smoothing: 0.1)
        for i in 0..<21 {
            let keep = logits[i], eps: Float = 1e-2
            logits[i] = keep + eps; let plus = run(labels, mix: (partners, 0.6), smoothing: 0.1).0
            logits[i] = keep - eps; let minus = run(labels, mix: (partners, 0.6), smoothing: 0.1).0
            logits[i] = keep
            XCTAssertEqual((plus - minus) / Double(2 * eps), Double(grad[i]), accuracy: 1e-4, "logit \(i)")
        }
    }

    /// Distillation's target (1 − w)·label's + w·soft row: the loss is −Σ target·log p, so
    /// weight 1 ignores the labels, and the gradient is p − target (over N) and matches finite
    /// differences.
    func testSoftTargetsBlendIntoTheLabelsTargets() {
        let classes = 7, n = 3, labels: [Int32] = [2, 6, 0]
        var logits = randomFloats(21, seed: 41, scale: 3)
        // Three distributions over the classes, one per image.
        var soft = randomFloats(21, seed: 42, scale: 1).map { abs($0) + 0.05 }
        for r in 0..<n {
            let sum = soft[(r * classes)..<((r + 1) * classes)].reduce(0, +)
            for c in 0..<classes { soft[r * classes + c] /= sum }
        }
        func run(_ labels: [Int32], weight: Float?, smoothing: Double) -> (Double, [Float]) {
            var grad = [Float](repeating: 0, count: 21)
            let loss = logits.withUnsafeBufferPointer { l in
                soft.withUnsafeBufferPointer { s in
                    grad.withUnsafeMutableBufferPointer {
                        Loss.softmaxCrossEntropy(logits: l.baseAddress!, labels: labels, classes: classes,
                                                 gradient: $0.baseAddress!, smoothing: smoothing, mix: nil,
                                                 soft: weight.map { SoftTargets(rows: s.baseAddress!, weight: $0) })
                    }
                }
            }
            return (loss, grad)
        }
        let p = softmax(logits)
        for (weight, smoothing) in [(Float(0.5), 0.1), (0.3, 0.0), (1, 0.1)] {
            let (loss, grad) = run(labels, weight: weight, smoothing: smoothing)
            var expectedLoss = 0.0
            for r in 0..<n {
                for c in 0..<classes {
                    let hard = (c == Int(labels[r]) ? 1 - smoothing : 0) + smoothing / Double(classes)
                    let target = (1 - Double(weight)) * hard + Double(weight) * Double(soft[r * classes + c])
                    expectedLoss -= target * log(Double(p[r * classes + c])) / Double(n)
                    XCTAssertEqual(Double(grad[r * classes + c]), (Double(p[r * classes + c]) - target) / Double(n), accuracy: 1e-6)
                }
            }
            XCTAssertEqual(loss, expectedLoss, accuracy: 1e-5, "weight \(weight), smoothing \(smoothing)")
        }
        XCTAssertEqual(run(labels, weight: 1, smoothing: 0.1).0, run([5, 1, 3], weight: 1, smoothing: 0.1).0,
                       "weight 1: the labels no longer count")
        let (_, grad) = run(labels, weight: 0.6, smoothing: 0.1)
        for i in 0..<21 {
            let keep = logits[i], eps: Float = 1e-2
            logits[i] = keep + eps; let plus = run(labels, weight: 0.6, smoothing: 0.1).0
            logits[i] = keep - eps; let minus = run(labels, weight: 0.6, smoothing: 0.1).0
            logits[i] = keep
            XCTAssertEqual((plus - minus) / Double(2 * eps), Double(grad[i]), accuracy: 1e-4, "logit \(i)")
        }
    }

    func testL2TermValueAndGradient() {
        let decayed = Parameter(name: "c.weight", count: 4, decayed: true)
        let free = Parameter(name: "fc.weight", count: 3, decayed: false)
        let w: [Float] = [0.5, -1, 2, 0.25]
        for i in 0..<4 { decayed.value.pointer[i] = w[i] }
        for i in 0..<3 { free.value.pointer[i] = 10 }
        let strength: Float = 0.01
        let value = Loss.l2([decayed, free], strength: strength, addGradient: true)
        // 0.01 × (0.25 + 1 + 4 + 0.0625) / 2; the undecayed tensor contributes nothing.
        XCTAssertEqual(value, 0.01 * 5.3125 / 2, accuracy: 1e-9)
        // Finite differences of the term itself, coordinate by coordinate.
        for i in 0..<4 {
            let keep = decayed.value.pointer[i], eps: Float = 1e-2
            decayed.value.pointer[i] = keep + eps
            let plus = Loss.l2([decayed], strength: strength, addGradient: false)
            decayed.value.pointer[i] = keep - eps
            let minus = Loss.l2([decayed], strength: strength, addGradient: false)
            decayed.value.pointer[i] = keep
            XCTAssertEqual(Double(decayed.grad.pointer[i]), (plus - minus) / Double(2 * eps), accuracy: 1e-6, "index \(i)")
        }
        XCTAssertEqual(free.grad.array(3), [0, 0, 0])
    }

    func testMaxPoolRoutesGradientToArgmax() {
        let pool = MaxPool2x2(name: "p", input: Shape(2, 2, 1))
        let x: [Float] = [1, 5, 3, 2]
        var y: [Float] = [0], dx: [Float] = [9, 9, 9, 9]
        var ctx = PassContext(training: true, workers: 1, rng: Xoshiro256(seed: 0))
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { pool.forward(xb.baseAddress!, $0.baseAddress!, batch: 1, &ctx) }
            dx.withUnsafeMutableBufferPointer { db in
                [Float(0.7)].withUnsafeBufferPointer { g in
                    y.withUnsafeBufferPointer { pool.backward(xb.baseAddress!, $0.baseAddress!, g.baseAddress!, db.baseAddress!, batch: 1, ctx) }
                }
            }
        }
        XCTAssertEqual(y, [5])
        XCTAssertEqual(dx, [0, 0.7, 0, 0])
    }

    func testOneAdamStepMatchesHandComputation() {
        let p = Parameter(name: "w", count: 2, decayed: false)
        p.value.pointer[0] = 0.5; p.value.pointer[1] = -0.3
        p.grad.pointer[0] = 0.2; p.grad.pointer[1] = -0.05
        var h = Hyperparameters(learningRate: 0.01, l2: 0)
        h.beta1 = 0.9; h.beta2 = 0.999; h.epsilon = 1e-8
        Adam.update([p], hyper: h, step: 1, workers: .testing(1))
        // t=1: m = 0.1·g, v = 0.001·g², lr_t = 0.01·√(1−0.999)/(1−0.9) = 0.00316227766
        // w0: m=0.02, v=4e-5, √v=0.00632455532 → Δ = 0.00316227766·0.02/(0.00632455532+1e-8) = 0.0099999842
        XCTAssertEqual(p.m.pointer[0], 0.02, accuracy: 1e-8)
        XCTAssertEqual(p.v.pointer[0], 4e-5, accuracy: 1e-9) // (1 − β2) rounds in Float, as in TF
        XCTAssertEqual(p.value.pointer[0], 0.5 - 0.0099999842, accuracy: 1e-7)
        // w1: m=−0.005, v=2.5e-6, √v=0.00158113883 → Δ = −0.0099999368
        XCTAssertEqual(p.value.pointer[1], -0.3 + 0.0099999368, accuracy: 1e-7)
        // t=2 with g0 = 0.1: m = 0.9·0.02 + 0.01 = 0.028; v = 0.999·4e-5 + 0.001·0.01 = 4.996e-5
        // lr_t = 0.01·√(1−0.999²)/(1−0.9²); Δ = lr_t·0.028/(√4.996e-5 + 1e-8)
        p.grad.pointer[0] = 0.1
        let before = p.value.pointer[0]
        Adam.update([p], hyper: h, step: 2, workers: .testing(1))
        let lrT = 0.01 * (1 - 0.998001).squareRoot() / 0.19
        let expected = Double(before) - lrT * 0.028 / ((4.996e-5).squareRoot() + 1e-8)
        XCTAssertEqual(Double(p.value.pointer[0]), expected, accuracy: 1e-6)
    }

    func testTruncatedNormalInitRespectsTruncationAndSpread() {
        var rng = Xoshiro256(seed: 42)
        let n = 100_000
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { p.deallocate() }
        Initializer.truncatedNormal(p, count: n, stddev: 0.02, rng: &rng)
        var sum = 0.0, sq = 0.0, maxAbs: Float = 0
        for i in 0..<n { sum += Double(p[i]); sq += Double(p[i]) * Double(p[i]); maxAbs = max(maxAbs, abs(p[i])) }
        let mean = sum / Double(n), std = (sq / Double(n) - mean * mean).squareRoot()
        XCTAssertLessThanOrEqual(maxAbs, 0.04)
        XCTAssertGreaterThan(maxAbs, 0.039, "the tails up to 2σ should be reached")
        XCTAssertEqual(mean, 0, accuracy: 3e-4)
        // A normal cut at ±2σ keeps 0.8796σ of spread.
        XCTAssertEqual(std, 0.02 * 0.8796, accuracy: 0.02 * 0.01)
    }

    func testSeedNetworkInitHasZeroBiasesAndSmallWeights() {
        let c = Classifier(architecture: .seed, seed: 7, engine: .testing)
        XCTAssertEqual(c.parameterCount, 5 * 5 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 9216 * 256 + 256 + 256 * 7 + 7)
        for p in c.network.parameters {
            let values = p.value.array(p.count)
            if p.name.hasSuffix(".bias") {
                XCTAssertTrue(values.allSatisfy { $0 == 0 }, p.name)
            } else {
                XCTAssertTrue(values.allSatisfy { abs($0) <= 0.04 }, p.name)
                XCTAssertTrue(values.contains { $0 != 0 }, p.name)
            }
        }
        XCTAssertEqual(c.network.parameters.filter(\.decayed).map(\.name),
                       ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"])
    }
}
