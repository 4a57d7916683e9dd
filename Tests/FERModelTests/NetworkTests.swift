import XCTest
@testable import FERModel

final class NetworkTests: XCTestCase {
    /// Two 48×48 images with smooth structure plus noise, values in [0, 1].
    static func images(_ n: Int, seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        var out: [Float] = []
        for i in 0..<n {
            let fx = Double(i % 3 + 1), fy = Double(i / 3 + 1)
            for y in 0..<48 {
                for x in 0..<48 {
                    let s = sin(Double(x) * fx * 0.13) * cos(Double(y) * fy * 0.11)
                    out.append(Float(min(1, max(0, 0.5 + 0.35 * s + 0.15 * (rng.nextUnit() - 0.5)))))
                }
            }
        }
        return out
    }

    /// Outputs that no backward reads share memory, and gradients alternate between two
    /// buffers: a training step must give bit for bit the gradients of the plan where every
    /// tensor has its own buffer.
    func testSharedBuffersGiveTheSameGradients() {
        let nets = [true, false].map { NetworkFactory.vggStyle(blocks: [[8], [16, 16]], firstKernel: 5, hidden: 16, shareBuffers: $0, isa: .testing) }
        // conv2_1.bn's output is recomputed in backward, not kept.
        XCTAssertEqual(nets[0].recomputedOutputs, [2])
        XCTAssertEqual(nets[1].recomputedOutputs, [])
        for net in nets {
            var rng = Xoshiro256(seed: 7)
            NetworkFactory.heInitialize(net, rng: &rng)
        }
        let batch = 3, labels: [Int32] = [1, 4, 6]
        let x = Self.images(batch, seed: 8)
        for net in nets {
            var ctx = PassContext(training: true, workers: 2, rng: Xoshiro256(seed: 9))
            x.withUnsafeBufferPointer { xb in
                let out = net.forward(xb.baseAddress!, batch: batch, &ctx)
                _ = Loss.softmaxCrossEntropy(logits: out, labels: labels, classes: 7, gradient: net.outputGradient)
                net.backward(xb.baseAddress!, batch: batch, ctx)
            }
        }
        for (shared, own) in zip(nets[0].parameters, nets[1].parameters) {
            XCTAssertEqual(shared.grad.array(shared.count), own.grad.array(own.count), shared.name)
            XCTAssertTrue(shared.grad.array(shared.count).contains { $0 != 0 } || !shared.trainable, shared.name)
        }
    }

    /// Inference folds conv → batch norm + ReLU (→ max-pool) into one pass: it must agree with
    /// running the layers one by one, for the im2col (5×5, one channel) and Winograd convs,
    /// pooled and not, and refold after a training pass changed the statistics and weights.
    func testFoldedInferenceMatchesLayerByLayer() {
        // Three convs in a block: its batch-norm outputs two apart share a buffer, which the
        // fold between them must not write over while it reads (vgg9 did, before).
        let net = NetworkFactory.vggStyle(blocks: [[8], [16, 16, 16]], firstKernel: 5, hidden: 16, isa: .testing)
        var rng = Xoshiro256(seed: 11)
        NetworkFactory.heInitialize(net, rng: &rng)
        for (i, layer) in net.layers.enumerated() {
            guard let norm = layer as? BatchNorm else { continue }
            fill(norm.gamma, seed: 20 + UInt64(i), scale: 1)
            fill(norm.beta, seed: 40 + UInt64(i), scale: 0.5)
            fill(norm.runningMean, seed: 60 + UInt64(i), scale: 0.5)
            for c in 0..<norm.runningVariance.count { norm.runningVariance.value.pointer[c] = 0.2 + Float(c % 5) * 0.3 }
        }
        net.parametersChanged()
        let batch = 3
        let x = Self.images(batch, seed: 12)

        func folded() -> [Float] {
            var ctx = PassContext(training: false, workers: 2, rng: Xoshiro256(seed: 1))
            return x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: net.forward($0.baseAddress!, batch: batch, &ctx), count: batch * 7)) }
        }
        func layerByLayer() -> [Float] {
            var ctx = PassContext(training: false, workers: 2, rng: Xoshiro256(seed: 1))
            var current = x
            for layer in net.layers {
                var y = [Float](repeating: .nan, count: batch * layer.outputShape.count)
                current.withUnsafeBufferPointer { xb in
                    y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
                }
                current = y
            }
            return current
        }
        func assertAgree(_ what: String) {
            let a = folded(), b = layerByLayer()
            let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThan(worst, 1e-4, what)
            XCTAssertGreaterThan(b.map { abs($0) }.max()!, 0.01, "logits should not be trivially zero")
        }
        assertAgree("fresh")
        // A training pass moves the running statistics; then change the weights as an optimizer would.
        var ctx = PassContext(training: true, workers: 2, rng: Xoshiro256(seed: 2))
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: batch, &ctx) }
        for p in net.parameters where p.trainable {
            for i in 0..<p.count { p.value.pointer[i] *= 1.1 }
        }
        assertAgree("after a training pass")
    }

    /// The whole seed network, loss included (mean CE + the conv-only L2 term), against finite
    /// differences at a few coordinates of every tensor: the largest gradients and random ones.
    func testSeedNetworkGradientsMatchFiniteDifferences() {
        let net = NetworkFactory.seed(isa: .testing)
        let scales: [String: Float] = ["conv1.weight": 0.3, "conv2.weight": 0.1, "fc1.weight": 0.02, "fc2.weight": 0.2]
        for (i, p) in net.parameters.enumerated() { fill(p, seed: 100 + UInt64(i), scale: scales[p.name] ?? 0.05) }
        let dropout = net.layers.compactMap { $0 as? Dropout }.first!
        let batch = 2, labels: [Int32] = [3, 5], strength: Float = 0.01
        let x = Self.images(batch, seed: 1)

        func loss(gradients: Bool) -> Double {
            var ctx = PassContext(training: true, workers: 2, rng: Xoshiro256(seed: 3))
            return x.withUnsafeBufferPointer { xb in
                let out = net.forward(xb.baseAddress!, batch: batch, &ctx)
                let ce = Loss.softmaxCrossEntropy(logits: out, labels: labels, classes: 7,
                                                  gradient: gradients ? net.outputGradient : nil)
                if gradients { net.backward(xb.baseAddress!, batch: batch, ctx) }
                return ce + Loss.l2(net.parameters, strength: strength, addGradient: gradients)
            }
        }
        _ = loss(gradients: false)
        dropout.frozenMask = true   // same mask for every evaluation below
        _ = loss(gradients: true)

        var rng = Xoshiro256(seed: 4)
        func numeric(_ p: Parameter, _ i: Int, _ eps: Float) -> Double {
            let keep = p.value.pointer[i]
            p.value.pointer[i] = keep + eps; let plus = loss(gradients: false)
            p.value.pointer[i] = keep - eps; let minus = loss(gradients: false)
            p.value.pointer[i] = keep
            return (plus - minus) / Double(2 * eps)
        }
        for p in net.parameters {
            let g = p.grad.array(p.count)
            let largest = g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(2)
            let picks = Array(largest) + [Int(rng.next() % UInt64(p.count)), Int(rng.next() % UInt64(p.count))]
            // Tolerance relative to the tensor's largest gradient: in Float, a whole-network
            // loss difference over a 5e-4 step carries ~1e-3 of rounding and ReLU-kink noise,
            // which swamps the small coordinates; wiring mistakes show up as O(1) errors on
            // the large ones. Each layer's exact check lives in LayerGradientTests.
            let scale = g.map { Double(abs($0)) }.max() ?? 0
            for i in picks {
                XCTAssertEqual(Double(g[i]), numeric(p, i, 5e-4), accuracy: 1e-4 + 2e-2 * scale, "\(p.name)[\(i)]")
            }
            XCTAssertTrue(g.contains { $0 != 0 }, "\(p.name) got no gradient")
        }
    }

    func testSameSeedGivesIdenticalLosses() {
        let x = Self.images(4, seed: 2), labels: [Int32] = [0, 3, 6, 2]
        func run(seed: UInt64) -> [Float] {
            let c = Classifier(architecture: .seed, seed: seed, engine: .testing)
            return x.withUnsafeBufferPointer { xb in (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } }
        }
        let a = run(seed: 11), b = run(seed: 11), other = run(seed: 12)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, other)
    }

    /// vgg7 and vgg8 through Winograd passes, the recomputing first block and the folded
    /// inference: the same seed and thread count give the same bits, with work split into slices.
    func testVggNetworksAreDeterministicForASeedAndThreadCount() {
        let batch = 12
        let x = Self.images(batch, seed: 3), labels = (0..<batch).map { Int32($0 % 7) }
        func run(_ architecture: Architecture) -> [Float] {
            let c = Classifier(architecture: architecture, hyperparameters: .init(learningRate: 2e-3, l2: 0, weightDecay: 0.05), seed: 13, engine: .testing)
            return x.withUnsafeBufferPointer { xb in
                (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } + c.logits(images: xb, count: batch)
            }
        }
        for architecture in Architecture.vggNetworks {
            let a = run(architecture), b = run(architecture)
            XCTAssertEqual(a, b, "\(architecture)")
            XCTAssertLessThan(a[2], a[0], "\(architecture): three steps on the same batch should lower its loss")
        }
    }

    func testOneAndTwoThreadsAgree() {
        let x = Self.images(4, seed: 5), labels: [Int32] = [1, 2, 3, 4]
        var runs: [[Float]] = []
        for threads in [1, 2] {
            let c = Classifier(architecture: .seed, seed: 21, engine: Engine(threads: threads))
            runs.append(x.withUnsafeBufferPointer { xb in (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } }
                        + c.logits(images: x.withUnsafeBufferPointer { $0 }, count: 4))
        }
        for (a, b) in zip(runs[0], runs[1]) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a))) }
    }

    func testLearnsAHandfulOfImages() {
        let x = Self.images(6, seed: 6), labels: [Int32] = [0, 1, 2, 3, 4, 5]
        let c = Classifier(architecture: .seed, seed: 3, engine: .testing)
        var losses: [Float] = []
        x.withUnsafeBufferPointer { xb in
            // Measured: ≈1.98 at step 0, ≈0.17 by step 40, ≈0.05 from step 50 on.
            for _ in 0..<60 { losses.append(c.trainStep(images: xb, labels: labels)) }
        }
        XCTAssertEqual(Double(losses[0]), log(7.0), accuracy: 0.05, "a fresh network should be near chance")
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, 0.3, "loss went \(losses[0]) → \(losses.last!)")
        let eval = x.withUnsafeBufferPointer { c.evaluate(images: $0, labels: labels) }
        XCTAssertLessThan(eval.loss, 0.3)
        XCTAssertEqual(c.step, 60)
    }

    func testInferenceIsDeterministicAndSlicesLargeRequests() {
        // 130 images cross the 128-image inference slice; results must not depend on slicing.
        let one = Self.images(1, seed: 7)
        let many = [Float]((0..<130).flatMap { _ in one })
        let c = Classifier(architecture: .seed, seed: 8, engine: .testing)
        let single = one.withUnsafeBufferPointer { c.logits(images: $0, count: 1) }
        let all = many.withUnsafeBufferPointer { c.logits(images: $0, count: 130) }
        XCTAssertEqual(all.count, 130 * 7)
        for i in 0..<130 {
            for k in 0..<7 { XCTAssertEqual(all[i * 7 + k], single[k], accuracy: 1e-5) }
        }
        // With dropout active the same image gives varying logits.
        let a = one.withUnsafeBufferPointer { c.logitsWithDropout(images: $0, count: 1) }
        let b = one.withUnsafeBufferPointer { c.logitsWithDropout(images: $0, count: 1) }
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, single)
    }
}
