import XCTest
@testable import FERModel

/// Running a layer, or a chain of separate layers, forward and backward on arrays: the fused
/// layers' tests compare the two.
extension XCTestCase {
    /// One forward, then (in training) one backward of `dy`.
    func runLayer(_ layer: Layer, _ x: [Float], batch: Int, dy: [Float], _ ctx: inout PassContext) -> (y: [Float], dx: [Float]) {
        var y = [Float](repeating: .nan, count: batch * layer.outputShape.count)
        var dx = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
            guard ctx.training else { return }
            y.withUnsafeBufferPointer { yb in
                dy.withUnsafeBufferPointer { db in
                    dx.withUnsafeMutableBufferPointer {
                        layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!, batch: batch, ctx)
                    }
                }
            }
        }
        return (y, dx)
    }

    /// The separate layers' chain: forward through all three, backward in reverse.
    func runChain(_ layers: [Layer], _ x: [Float], batch: Int, dy: [Float], _ ctx: inout PassContext) -> (y: [Float], dx: [Float]) {
        var inputs = [x]
        for layer in layers {
            var y = [Float](repeating: .nan, count: batch * layer.outputShape.count)
            inputs.last!.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
            }
            inputs.append(y)
        }
        guard ctx.training else { return (inputs.last!, []) }
        var grad = dy
        for (i, layer) in layers.enumerated().reversed() {
            var dx = [Float](repeating: .nan, count: inputs[i].count)
            inputs[i].withUnsafeBufferPointer { xb in
                inputs[i + 1].withUnsafeBufferPointer { yb in
                    grad.withUnsafeBufferPointer { db in
                        dx.withUnsafeMutableBufferPointer {
                            layer.backward(xb.baseAddress!, yb.baseAddress!, db.baseAddress!, $0.baseAddress!, batch: batch, ctx)
                        }
                    }
                }
            }
            grad = dx
        }
        return (inputs.last!, grad)
    }

    /// Random values (from `seed` on) in the trainable tensors of `fused`, copied into the
    /// separate layers' tensors of the same place: the two must then compute the same.
    func fillAlike(_ fused: [Parameter], _ separate: [Parameter], seed: UInt64) {
        XCTAssertEqual(fused.map(\.name), separate.map(\.name), "checkpoints rely on the names")
        for (i, (p, q)) in zip(fused, separate).enumerated() where p.trainable {
            fill(p, seed: seed + UInt64(i), scale: 0.5)
            q.value.pointer.update(from: p.value.pointer, count: p.count)
        }
    }
}

extension Architecture {
    /// The batch-normed VGG networks, which the tests that walk every network repeat over:
    /// every architecture but the book chapter's seed.
    static let vggNetworks = allCases.filter { $0 != .seed }
}
