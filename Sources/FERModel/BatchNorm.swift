// Batch normalisation over NHWC activations, one mean/variance per channel (over batch, height
// and width), with Keras's defaults: momentum 0.99 for the running statistics, ε 1e-3, biased
// batch variance. Training normalises with the batch statistics and updates the running ones;
// inference uses the running ones, so a single image gets the same answer in any batch.
//
// Backward (training mode), per channel with m = N·H·W values and x̂ = (x − μ)/σ:
//   dγ = Σ dy·x̂,  dβ = Σ dy,
//   dx = γ/(σ·m) · (m·dy − Σdy − x̂·Σ(dy·x̂))

final class BatchNorm: Layer {
    let name: String
    let inputShape: Shape
    var outputShape: Shape { inputShape }
    let gamma: Parameter
    let beta: Parameter
    /// Running statistics: saved in checkpoints, never touched by the optimizer.
    let runningMean: Parameter
    let runningVariance: Parameter
    var momentum: Float
    let epsilon: Float
    var parameters: [Parameter] { [gamma, beta, runningMean, runningVariance] }

    /// Per-channel statistics of the last training forward, for backward.
    private let mean: FloatBuffer
    private let inverseStd: FloatBuffer
    /// Two per-channel Double accumulators, allocated once.
    private let sums: UnsafeMutablePointer<Double>

    init(name: String, shape: Shape, momentum: Float = 0.99, epsilon: Float = 1e-3) {
        self.name = name
        inputShape = shape
        self.momentum = momentum
        self.epsilon = epsilon
        let c = shape.channels
        gamma = Parameter(name: name + ".gamma", count: c, decayed: false)
        beta = Parameter(name: name + ".beta", count: c, decayed: false)
        runningMean = Parameter(name: name + ".running_mean", count: c, decayed: false, trainable: false)
        runningVariance = Parameter(name: name + ".running_variance", count: c, decayed: false, trainable: false)
        for i in 0..<c {
            gamma.value.pointer[i] = 1
            runningVariance.value.pointer[i] = 1
        }
        mean = FloatBuffer(c)
        inverseStd = FloatBuffer(c)
        sums = .allocate(capacity: 2 * c)
        sums.initialize(repeating: 0, count: 2 * c)
    }

    deinit { sums.deallocate() }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let C = inputShape.channels, rows = batch * inputShape.height * inputShape.width
        let mu = mean.pointer, inv = inverseStd.pointer
        if ctx.training {
            // Two passes in Double: one-pass E[x²]−E[x]² loses everything to cancellation when
            // the mean is large against the spread.
            let sum = sums, sq = sums + C
            sums.update(repeating: 0, count: 2 * C)
            for r in 0..<rows {
                let row = x + r * C
                for c in 0..<C { sum[c] += Double(row[c]) }
            }
            for c in 0..<C { sum[c] /= Double(rows) }
            for r in 0..<rows {
                let row = x + r * C
                for c in 0..<C { let d = Double(row[c]) - sum[c]; sq[c] += d * d }
            }
            let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
            for c in 0..<C {
                let variance = sq[c] / Double(rows)
                mu[c] = Float(sum[c])
                inv[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                rm[c] = momentum * rm[c] + (1 - momentum) * Float(sum[c])
                rv[c] = momentum * rv[c] + (1 - momentum) * Float(variance)
            }
        } else {
            let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
            for c in 0..<C {
                mu[c] = rm[c]
                inv[c] = 1 / (rv[c] + epsilon).squareRoot()
            }
        }
        let g = gamma.value.pointer, b = beta.value.pointer
        for r in 0..<rows {
            let src = x + r * C, dst = y + r * C
            for c in 0..<C { dst[c] = g[c] * (src[c] - mu[c]) * inv[c] + b[c] }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let C = inputShape.channels, rows = batch * inputShape.height * inputShape.width
        let mu = mean.pointer, inv = inverseStd.pointer, g = gamma.value.pointer
        let sumDy = sums, sumDyXhat = sums + C
        sums.update(repeating: 0, count: 2 * C)
        for r in 0..<rows {
            let src = x + r * C, d = dy + r * C
            for c in 0..<C {
                sumDy[c] += Double(d[c])
                sumDyXhat[c] += Double(d[c]) * Double((src[c] - mu[c]) * inv[c])
            }
        }
        for c in 0..<C {
            gamma.grad.pointer[c] = Float(sumDyXhat[c])
            beta.grad.pointer[c] = Float(sumDy[c])
        }
        guard let dx else { return }
        if !ctx.training {
            // Inference statistics are constants: the layer is affine.
            for r in 0..<rows {
                for c in 0..<C { dx[r * C + c] = dy[r * C + c] * g[c] * inv[c] }
            }
            return
        }
        let m = Double(rows)
        for r in 0..<rows {
            let src = x + r * C, d = dy + r * C, out = dx + r * C
            for c in 0..<C {
                let xhat = Double((src[c] - mu[c]) * inv[c])
                let scale = Double(g[c] * inv[c]) / m
                out[c] = Float(scale * (m * Double(d[c]) - sumDy[c] - xhat * sumDyXhat[c]))
            }
        }
    }
}

/// Mean over height and width per channel: H×W×C → 1×1×C.
final class GlobalAveragePool: Layer {
    let name: String
    let inputShape: Shape
    let outputShape: Shape

    init(name: String, input: Shape) {
        self.name = name
        inputShape = input
        outputShape = Shape(1, 1, input.channels)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let C = inputShape.channels, area = inputShape.height * inputShape.width
        let scale = 1 / Float(area)
        for n in 0..<batch {
            let dst = y + n * C
            dst.update(repeating: 0, count: C)
            for p in 0..<area {
                let src = x + (n * area + p) * C
                for c in 0..<C { dst[c] += src[c] }
            }
            for c in 0..<C { dst[c] *= scale }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        guard let dx else { return }
        let C = inputShape.channels, area = inputShape.height * inputShape.width
        let scale = 1 / Float(area)
        for n in 0..<batch {
            let g = dy + n * C
            for p in 0..<area {
                let dst = dx + (n * area + p) * C
                for c in 0..<C { dst[c] = g[c] * scale }
            }
        }
    }
}
