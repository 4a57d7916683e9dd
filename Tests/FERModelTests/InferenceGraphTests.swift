import XCTest
@testable import FERModel

/// The exported inference graph (NCHW, batch norm folded, dropout gone) must compute what the
/// Classifier computes. A plain NCHW interpreter of the graph, written from the operators'
/// definitions, runs it on random images and is compared with `Classifier.logits`.
final class InferenceGraphTests: XCTestCase {
    func testSeedGraphMatchesClassifier() {
        let model = Classifier(architecture: .seed, seed: 1, engine: .testing)
        // The seed's own init (σ 0.02) gives near-uniform outputs that would hide mistakes.
        let scales: [String: Float] = ["conv1.weight": 0.3, "conv2.weight": 0.1, "fc1.weight": 0.05, "fc2.weight": 1]
        for (i, p) in model.network.parameters.enumerated() { fill(p, seed: 10 + UInt64(i), scale: scales[p.name] ?? 0.05) }
        compare(model, images: 3)
        XCTAssertEqual(opNames(model.inferenceGraph()),
                       ["conv", "relu", "pool", "conv", "relu", "pool", "flatten", "dense", "relu", "dense", "softmax"])
    }

    func testVGG7GraphWithBatchNormMatchesClassifier() {
        let model = Classifier(architecture: .vgg7, seed: 2, engine: .testing)
        // Running statistics and affine parameters far from their initial 0/1, so folding matters.
        var rng = Xoshiro256(seed: 5)
        for norm in model.network.layers.compactMap({ $0 as? BatchNorm }) {
            for c in 0..<norm.inputShape.channels {
                norm.gamma.value.pointer[c] = Float(0.5 + rng.nextUnit())
                norm.beta.value.pointer[c] = Float(0.4 * rng.nextUnit() - 0.2)
                norm.runningMean.value.pointer[c] = Float(0.6 * rng.nextUnit() - 0.3)
                norm.runningVariance.value.pointer[c] = Float(0.3 + 2 * rng.nextUnit())
            }
        }
        compare(model, images: 2)
        let ops = opNames(model.inferenceGraph())
        XCTAssertEqual(ops, ["conv", "relu", "pool", "conv", "relu", "conv", "relu", "pool", "conv", "relu", "conv", "relu", "pool",
                             "flatten", "dense", "relu", "dense", "softmax"])
    }

    /// Probabilities of the graph against softmax(Classifier.logits), within 1e-5; the outputs
    /// must also be far from uniform, or the comparison would prove little.
    private func compare(_ model: Classifier, images count: Int, file: StaticString = #filePath, line: UInt = #line) {
        let images = NetworkTests.images(count, seed: 7)
        let logits = images.withUnsafeBufferPointer { model.logits(images: $0, count: count) }
        let graph = model.inferenceGraph()
        var largest: Float = 0
        for n in 0..<count {
            let expected = softmax(Array(logits[(n * 7)..<(n * 7 + 7)]))
            let got = run(graph, image: Array(images[(n * 2304)..<((n + 1) * 2304)]))
            XCTAssertEqual(got.count, 7, file: file, line: line)
            for k in 0..<7 { XCTAssertEqual(got[k], expected[k], accuracy: 1e-5, "image \(n) class \(k)", file: file, line: line) }
            largest = max(largest, expected.max()!)
        }
        XCTAssertGreaterThan(largest, 0.3, "outputs near uniform: the comparison would not discriminate", file: file, line: line)
    }

    private func softmax(_ z: [Float]) -> [Float] {
        let m = z.max()!
        let e = z.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    private func opNames(_ graph: [InferenceOp]) -> [String] {
        graph.map {
            switch $0 {
            case .convolution: return "conv"
            case .relu: return "relu"
            case .maxPool2x2: return "pool"
            case .flatten: return "flatten"
            case .dense: return "dense"
            case .softmax: return "softmax"
            }
        }
    }

    /// One image through the graph, NCHW, straight from the operator definitions.
    private func run(_ graph: [InferenceOp], image: [Float]) -> [Float] {
        var x = image
        var c = 1, h = 48, w = 48
        for op in graph {
            switch op {
            case .convolution(let weight, let bias, let pad):
                let co = weight.shape[0], k = weight.shape[2]
                precondition(weight.shape[1] == c)
                var y = [Float](repeating: 0, count: co * h * w)
                // Unsafe buffers only so a debug build runs this in seconds; the loops are the
                // definition: y[o, oy, ox] = b[o] + Σ_i,ky,kx W[o, i, ky, kx] · x[i, oy+ky−p, ox+kx−p].
                weight.values.withUnsafeBufferPointer { wv in
                    x.withUnsafeBufferPointer { xv in
                        y.withUnsafeMutableBufferPointer { yv in
                            for o in 0..<co {
                                for oy in 0..<h {
                                    for ox in 0..<w {
                                        var s = bias.values[o]
                                        for i in 0..<c {
                                            for ky in 0..<k {
                                                let iy = oy + ky - pad
                                                guard iy >= 0 && iy < h else { continue }
                                                for kx in 0..<k {
                                                    let ix = ox + kx - pad
                                                    guard ix >= 0 && ix < w else { continue }
                                                    s += wv[((o * c + i) * k + ky) * k + kx] * xv[(i * h + iy) * w + ix]
                                                }
                                            }
                                        }
                                        yv[(o * h + oy) * w + ox] = s
                                    }
                                }
                            }
                        }
                    }
                }
                x = y
                c = co
            case .relu:
                x = x.map { max($0, 0) }
            case .maxPool2x2:
                var y = [Float](repeating: 0, count: c * (h / 2) * (w / 2))
                for i in 0..<c {
                    for py in 0..<(h / 2) {
                        for px in 0..<(w / 2) {
                            let at = { (dy: Int, dx: Int) in x[(i * h + 2 * py + dy) * w + 2 * px + dx] }
                            y[(i * (h / 2) + py) * (w / 2) + px] = max(max(at(0, 0), at(0, 1)), max(at(1, 0), at(1, 1)))
                        }
                    }
                }
                x = y
                h /= 2
                w /= 2
            case .flatten:
                c = c * h * w
                h = 1
                w = 1
            case .dense(let weight, let bias):
                let inputs = weight.shape[0], outs = weight.shape[1]
                precondition(inputs == x.count)
                var y = bias.values
                weight.values.withUnsafeBufferPointer { wv in
                    for i in 0..<inputs {
                        for o in 0..<outs { y[o] += x[i] * wv[i * outs + o] }
                    }
                }
                x = y
                c = outs
            case .softmax:
                x = softmax(x)
            }
        }
        return x
    }
}
