import XCTest
@testable import FERModel

/// NormPool pools batch norm + ReLU without storing its output: it must give exactly (bit for
/// bit) what the separate batch norm + ReLU → max-pool layers give, forward and backward.
final class NormPoolTests: XCTestCase {
    func testMatchesTheSeparateLayersBitForBit() {
        // 8 and 3 channels: batch norm's vectorised and scalar backward paths.
        for (channels, workers) in [(8, 1), (8, 2), (16, 2), (3, 2)] {
            let shape = Shape(6, 4, channels)
            let fused = NormPool(normName: "c.bn", poolName: "pool", shape: shape, isa: .testing)
            let norm = BatchNorm(name: "c.bn", shape: shape, relu: true, isa: .testing)
            let pool = MaxPool2x2(name: "pool", input: shape)
            XCTAssertEqual(fused.name, "c.bn+pool")
            XCTAssertEqual(fused.outputShape, pool.outputShape)
            fillAlike(fused.parameters, norm.parameters, seed: 40)
            let batch = 5
            // Offset so that the ReLU closes on some values and many pool windows tie at 0.
            let x = randomFloats(batch * shape.count, seed: 50).map { $0 + 0.3 }
            let dy = randomFloats(batch * fused.outputShape.count, seed: 51)
            let what = "\(channels) channels, \(workers) workers"
            for training in [true, false] {
                var c1 = PassContext(training: training, workers: workers, rng: Xoshiro256(seed: 1)), c2 = c1
                let a = runLayer(fused, x, batch: batch, dy: dy, &c1)
                let b = runChain([norm, pool], x, batch: batch, dy: dy, &c2)
                XCTAssertEqual(a.y, b.y, what + ", training \(training): y")
                XCTAssertTrue(a.y.contains(0) && a.y.contains { $0 > 0 }, what + ": the ReLU must both open and close")
                for (p, q) in zip(fused.parameters, norm.parameters) {
                    XCTAssertEqual(p.value.array(p.count), q.value.array(q.count), what + ": " + p.name)
                }
                guard training else { continue }
                XCTAssertEqual(a.dx, b.dx, what + ": dx")
                XCTAssertFalse(a.dx.contains { $0.isNaN }, what + ": unwritten dx")
                for (p, q) in zip(fused.parameters, norm.parameters) where p.trainable {
                    XCTAssertEqual(p.grad.array(p.count), q.grad.array(q.count), what + ": gradient of " + p.name)
                }
            }
        }
    }

    func testGradients() {
        let layer = NormPool(normName: "c.bn", poolName: "pool", shape: Shape(4, 6, 3), isa: .testing)
        for (i, p) in layer.parameters.enumerated() where p.trainable { fill(p, seed: 60 + UInt64(i), scale: 0.8) }
        // Distinct values 0.1 apart: a 0.01 step never changes a pool winner.
        var rng = Xoshiro256(seed: 65)
        let x = (0..<(3 * 72)).map { Float($0) * 0.1 - 5 }.shuffled(using: &rng)
        GradientCheck(eps: 1e-2, atol: 2e-3, rtol: 1e-2).check(layer, batch: 3, input: x)
    }

    /// In vgg7 each block's last batch norm pools as it goes, and inference folds it into the conv.
    func testVgg7UsesItAndKeepsTheCheckpointLayout() {
        let network = NetworkFactory.build(.vgg7, isa: .testing)
        XCTAssertEqual(network.layers.compactMap { $0 as? NormPool }.map(\.name), ["conv2_2.bn+pool2", "conv3_2.bn+pool3"])
        XCTAssertFalse(network.layers.contains { $0 is MaxPool2x2 })
        XCTAssertEqual(network.recomputedOutputs.map { network.layers[$0].name }, ["conv2_1.bn", "conv3_1.bn"])
        for name in ["conv2_2.bn.gamma", "conv2_2.bn.running_variance", "conv3_2.bn.beta"] {
            XCTAssertTrue(network.parameters.contains { $0.name == name }, name)
        }
    }
}
