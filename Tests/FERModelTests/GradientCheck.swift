import XCTest
@testable import FERModel

/// Central finite differences against a layer's backward pass.
///
/// The scalar being differentiated is L = Σ r·y with fixed random weights r, accumulated in
/// Double, so every output element contributes with a different weight and a wrong index in
/// backward cannot cancel out.
struct GradientCheck {
    var eps: Float
    var atol: Double
    var rtol: Double

    struct Worst: CustomStringConvertible {
        var what = ""
        var index = -1
        var analytic = 0.0
        var numeric = 0.0
        var excess = -Double.infinity
        var description: String { "\(what)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    func check(_ layer: Layer, batch: Int, input: [Float], workers: Int = 2, training: Bool = true,
               checkInput: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        precondition(input.count == batch * layer.inputShape.count)
        var rng = Xoshiro256(seed: 99)
        let outCount = batch * layer.outputShape.count
        let r = (0..<outCount).map { _ in Float(rng.nextUnit() * 2 - 1) }
        var x = input
        var y = [Float](repeating: 0, count: outCount)
        var dx = [Float](repeating: 0, count: input.count)
        var ctx = PassContext(training: training, workers: workers, rng: Xoshiro256(seed: 5))

        func objective() -> Double {
            var c = ctx
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { layer.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &c) }
            }
            var s = 0.0
            for i in 0..<outCount { s += Double(r[i]) * Double(y[i]) }
            return s
        }

        _ = objective()
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
                r.withUnsafeBufferPointer { rb in
                    dx.withUnsafeMutableBufferPointer { db in
                        layer.backward(xb.baseAddress!, yb.baseAddress!, rb.baseAddress!,
                                       checkInput ? db.baseAddress! : nil, batch: batch, ctx)
                    }
                }
            }
        }
        ctx.training = training
        var worst = Worst()

        func compare(_ what: String, _ i: Int, analytic: Double, plus: () -> Double, minus: () -> Double) {
            let numeric = (plus() - minus()) / (2 * Double(eps))
            let allowed = atol + rtol * max(abs(analytic), abs(numeric))
            let excess = abs(analytic - numeric) - allowed
            if excess > worst.excess {
                worst = Worst(what: what, index: i, analytic: analytic, numeric: numeric, excess: excess)
            }
        }

        if checkInput {
            for i in 0..<x.count {
                let keep = x[i]
                compare("input", i, analytic: Double(dx[i]),
                        plus: { x[i] = keep + eps; return objective() },
                        minus: { x[i] = keep - eps; let v = objective(); x[i] = keep; return v })
            }
        }
        for p in layer.parameters where p.trainable {
            let grads = p.grad.array(p.count)
            for i in 0..<p.count {
                let keep = p.value.pointer[i]
                compare(p.name, i, analytic: Double(grads[i]),
                        plus: { p.value.pointer[i] = keep + eps; return objective() },
                        minus: { p.value.pointer[i] = keep - eps; let v = objective(); p.value.pointer[i] = keep; return v })
            }
        }
        XCTAssertLessThanOrEqual(worst.excess, 0, "gradient mismatch, worst at \(worst)", file: file, line: line)
    }
}

func randomFloats(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = Xoshiro256(seed: seed)
    return (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * scale }
}

func fill(_ p: Parameter, seed: UInt64, scale: Float) {
    let v = randomFloats(p.count, seed: seed, scale: scale)
    for i in 0..<p.count { p.value.pointer[i] = v[i] }
}

/// A 1×2×4 batch norm in inference mode: random scale and shift (from `seed` and `seed` + 1)
/// and running statistics that differ per channel, so every channel is checked differently.
func inferenceBatchNorm(relu: Bool = false, seed: UInt64) -> BatchNorm {
    let layer = BatchNorm(name: "bn", shape: Shape(1, 2, 4), relu: relu, isa: .testing)
    fill(layer.gamma, seed: seed, scale: 1.5)
    fill(layer.beta, seed: seed + 1, scale: 0.5)
    for i in 0..<4 {
        layer.runningMean.value.pointer[i] = Float(i) * 0.3
        layer.runningVariance.value.pointer[i] = 0.5 + Float(i)
    }
    return layer
}
