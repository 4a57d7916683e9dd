import CKernels

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
    /// Fused ReLU after the affine step: saves a full pass over the activation each way (and a
    /// separate layer's buffers). Backward reads the output: y > 0 ⇔ the pre-activation was.
    let relu: Bool
    var parameters: [Parameter] { [gamma, beta, runningMean, runningVariance] }
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { false }
    var backwardInPlace: Bool { true }

    /// Per-channel statistics of the last training forward, for backward.
    private let mean: FloatBuffer
    private let inverseStd: FloatBuffer
    /// y = scale·x + shift per channel (γ/σ and β − μγ/σ folded once per pass).
    private let scale: FloatBuffer
    private let shift: FloatBuffer
    /// Backward's per-channel coefficients (scale and shift must survive: the gate reads them).
    private let coefficients: FloatBuffer
    /// Gated dy when there is no dx to hold it (batch norm as the first layer).
    private let gatedScratch = FloatBuffer(1)
    /// Per-slice Double partial sums (2·C per slice), summed in slice order so the result
    /// depends only on the thread count. Grown before a parallel region, never inside.
    private var partials: UnsafeMutablePointer<Double>
    private var partialSlices = 0
    /// Two per-channel Double accumulators, allocated once.
    private let sums: UnsafeMutablePointer<Double>
    /// The instruction set's kernels for the statistics' sums in Double.
    private let kernels: fd_kernels

    /// `isa`: the kernel table for the statistics' sums.
    init(name: String, shape: Shape, momentum: Float = 0.99, epsilon: Float = 1e-3, relu: Bool = false, isa: KernelISA) {
        self.name = name
        kernels = isa.table.pointee
        inputShape = shape
        self.momentum = momentum
        self.epsilon = epsilon
        self.relu = relu
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
        scale = FloatBuffer(c)
        shift = FloatBuffer(c)
        coefficients = FloatBuffer(3 * c)
        sums = .allocate(capacity: 2 * c)
        sums.initialize(repeating: 0, count: 2 * c)
        partials = .allocate(capacity: 2 * c)
        partialSlices = 1
    }

    deinit {
        sums.deallocate()
        partials.deallocate()
    }

    /// The inference-mode affine map y = s·x + t per channel (before the ReLU), computed as the
    /// forward computes it, for folding into the preceding convolution.
    func inferenceAffine(scale s: UnsafeMutablePointer<Float>, shift t: UnsafeMutablePointer<Float>) {
        let g = gamma.value.pointer, b = beta.value.pointer
        let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
        for c in 0..<inputShape.channels {
            s[c] = g[c] * (1 / (rv[c] + epsilon).squareRoot())
            t[c] = b[c] - rm[c] * s[c]
        }
    }

    /// Work slices over `rows` positions: at least a few thousand values each, or dispatch costs
    /// more than the arithmetic (small layers and gradient checks stay on one thread).
    private func items(_ ctx: PassContext, rows: Int) -> Int {
        let n = workItems(workers: ctx.workers, units: rows, grain: max(1, 16384 / inputShape.channels))
        if n > partialSlices {
            partials.deallocate()
            partials = .allocate(capacity: 2 * inputShape.channels * n)
            partialSlices = n
        }
        return n
    }

    /// Runs `body(rows, accumulator)` over `items` slices, each with its own zeroed 2·C Double
    /// accumulator, then adds the accumulators into `sums` in slice order.
    private func reduceRows(rows: Int, items: Int, _ workers: Workers, _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) {
        let C2 = 2 * inputShape.channels, partials = self.partials
        partials.update(repeating: 0, count: C2 * items)
        workers.parallelFor(items) { w in body(slice(rows, parts: items, index: w), partials + C2 * w) }
        sums.update(repeating: 0, count: C2)
        for w in 0..<items {
            let p = partials + C2 * w
            for i in 0..<C2 { sums[i] += p[i] }
        }
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        prepare(x, batch: batch, ctx)
        apply(x, y, batch: batch, ctx)
    }

    /// Forward's second half: y from x with the statistics of the last `prepare`. The Network
    /// calls it again in backward to recompute an output it did not keep: the same arithmetic
    /// on the same x, so the same bits.
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, _ ctx: PassContext) {
        let C = inputShape.channels, rows = batch * inputShape.height * inputShape.width
        let items = items(ctx, rows: rows)
        let sc = UnsafePointer(scale.pointer), sh = UnsafePointer(shift.pointer)
        let relu = self.relu
        ctx.workers.parallelFor(items) { w in
            let range = slice(rows, parts: items, index: w)
            for r in range {
                let src = x + r * C, dst = y + r * C
                if relu {
                    for c in 0..<C { let v = sc[c] * src[c] + sh[c]; dst[c] = v > 0 ? v : 0 }
                } else {
                    for c in 0..<C { dst[c] = sc[c] * src[c] + sh[c] }
                }
            }
        }
    }

    /// This pass's per-channel affine map y = scale·x + shift (before the ReLU), set by
    /// `prepare`; NormPool applies it itself.
    var affineScale: UnsafePointer<Float> { UnsafePointer(scale.pointer) }
    var affineShift: UnsafePointer<Float> { UnsafePointer(shift.pointer) }

    /// Forward's first half: the statistics (batch ones, updating the running ones, or the
    /// running ones) and from them `affineScale`/`affineShift`.
    func prepare(_ x: UnsafePointer<Float>, batch: Int, _ ctx: PassContext) {
        let C = inputShape.channels, rows = batch * inputShape.height * inputShape.width
        let mu = mean.pointer, inv = inverseStd.pointer
        let items = items(ctx, rows: rows)
        if ctx.usesBatchStatistics {
            // Two passes in Double: one-pass E[x²]−E[x]² loses everything to cancellation when
            // the mean is large against the spread.
            let kernels = self.kernels
            reduceRows(rows: rows, items: items, ctx.workers) { range, acc in
                kernels.channel_sum!(x + range.lowerBound * C, range.count, C, acc)
            }
            for c in 0..<C { mu[c] = Float(sums[c] / Double(rows)) }
            let mu = UnsafePointer(mu)
            reduceRows(rows: rows, items: items, ctx.workers) { range, acc in
                kernels.channel_squared_deviation_float_mean!(x + range.lowerBound * C, range.count, C, mu, acc + C)
            }
            let rm = runningMean.value.pointer, rv = runningVariance.value.pointer
            for c in 0..<C {
                let variance = sums[C + c] / Double(rows)
                inv[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                rm[c] = momentum * rm[c] + (1 - momentum) * mu[c]
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
        let sc = scale.pointer, sh = shift.pointer
        for c in 0..<C {
            sc[c] = g[c] * inv[c]
            sh[c] = b[c] - mu[c] * sc[c]
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let C = inputShape.channels, rows = batch * inputShape.height * inputShape.width
        let items = items(ctx, rows: rows)
        let gdy = gatedGradient(dy, into: dx, rows: rows)
        sumGradients(x, dy, gated: gdy, rows: rows, items: items, workers: ctx.workers)
        // Σ dy·x̂ = Σ dy·(x − μ) · inv: the per-channel factor moves out of the loop.
        let inv = UnsafePointer(inverseStd.pointer)
        for c in 0..<C { sums[C + c] *= Double(inv[c]) }
        let sumDy = sums, sumDyXhat = sums + C
        for c in 0..<C {
            gamma.grad.pointer[c] = Float(sumDyXhat[c])
            beta.grad.pointer[c] = Float(sumDy[c])
        }
        guard let dx else { return }
        inputGradient(x, gated: gdy, into: dx, rows: rows, items: items, workers: ctx.workers, training: ctx.usesBatchStatistics)
    }

    /// Where the gradient reaching the affine step (dy') lives. With the fused ReLU, dy is first
    /// gated: the gradient is 0 wherever the ReLU was closed. The gate is recomputed from x with
    /// the forward's own scale and shift (the same arithmetic, so the same decision) rather than
    /// read from y: y is then dead once the next layer has run, and the Network lets it share
    /// memory (backwardReadsOutput). Gated dy goes to dx (or, for a first layer, scratch).
    private func gatedGradient(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>?,
                               rows: Int) -> UnsafePointer<Float> {
        if !relu { return dy }
        if let dx { return UnsafePointer(dx) }
        gatedScratch.reserve(rows * inputShape.channels)
        return UnsafePointer(gatedScratch.pointer)
    }

    /// Σ dy' and Σ dy'·(x − μ) per channel into `sums`; with the ReLU, the gated dy' is written
    /// to `gdy` on the way.
    private func sumGradients(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, gated gdy: UnsafePointer<Float>,
                              rows: Int, items: Int, workers: Workers) {
        let C = inputShape.channels, mu = UnsafePointer(mean.pointer)
        let sc = UnsafePointer(scale.pointer), sh = UnsafePointer(shift.pointer), relu = self.relu
        if C % 8 == 0 {
            // One pass: gate, Σg and Σg·(x − μ) together, 8 channels at a time, in Float over
            // blocks of 16 rows and then in Double. (As plain per-channel loops with Double
            // accumulators this took three passes, the gate stayed a branch inside the
            // reductions, and the layer cost more than its convolution's forward.)
            let out = UnsafeMutablePointer(mutating: gdy)
            reduceRows(rows: rows, items: items, workers) { range, acc in
                var r = range.lowerBound
                while r < range.upperBound {
                    let end = min(r + 16, range.upperBound)
                    var c = 0
                    while c < C {
                        let m = load(mu + c), a = load(sc + c), b = load(sh + c)
                        var sumG = SIMD8<Float>(), sumGX = SIMD8<Float>()
                        for i in r..<end {
                            let xv = load(x + i * C + c)
                            var g = load(dy + i * C + c)
                            if relu {
                                g.replace(with: 0, where: .!(a * xv + b .> 0))
                                store(g, out + i * C + c)
                            }
                            sumG += g
                            sumGX += g * (xv - m)
                        }
                        for j in 0..<8 {
                            acc[c + j] += Double(sumG[j])
                            acc[C + c + j] += Double(sumGX[j])
                        }
                        c += 8
                    }
                    r = end
                }
            }
        } else {
            if relu {
                let o = UnsafeMutablePointer(mutating: gdy)
                workers.parallelFor(items) { w in
                    for r in slice(rows, parts: items, index: w) {
                        let d = dy + r * C, src = x + r * C, g = o + r * C
                        for c in 0..<C { g[c] = sc[c] * src[c] + sh[c] > 0 ? d[c] : 0 }
                    }
                }
            }
            reduceRows(rows: rows, items: items, workers) { range, acc in
                for r in range {
                    let src = x + r * C, d = gdy + r * C
                    for c in 0..<C {
                        acc[c] += Double(d[c])
                        acc[C + c] += Double(d[c] * (src[c] - mu[c]))
                    }
                }
            }
        }
    }

    /// dx from dy' through the per-channel coefficients below.
    private func inputGradient(_ x: UnsafePointer<Float>, gated gdy: UnsafePointer<Float>,
                               into dx: UnsafeMutablePointer<Float>, rows: Int, items: Int, workers: Workers, training: Bool) {
        let C = inputShape.channels
        let mu = UnsafePointer(mean.pointer), inv = UnsafePointer(inverseStd.pointer), g = gamma.value.pointer
        let sumDy = sums, sumDyXhat = sums + C
        // Training statistics: dx = γ/(σm)·(m·dy' − Σdy' − x̂·Σ(dy'x̂)), x̂ = (x − μ)/σ, folded into
        // per-channel coefficients dx = a·dy' + k·(x − μ) + b0. Inference statistics are
        // constants, so the layer is affine: k = b0 = 0.
        let coefA = coefficients.pointer, coefK = coefA + C, coefB = coefA + 2 * C
        let m = Double(rows)
        for c in 0..<C {
            let gi = Double(g[c]) * Double(inv[c])
            coefA[c] = Float(gi)
            coefK[c] = training ? Float(-gi * Double(inv[c]) * sumDyXhat[c] / m) : 0
            coefB[c] = training ? Float(-gi * sumDy[c] / m) : 0
        }
        // Usually in place (gated dy lives in dx, or the Network gave dy and dx one buffer):
        // then through one pointer, as an overlap check would fail and leave the loop scalar.
        let inPlace = gdy == UnsafePointer(dx)
        workers.parallelFor(items) { w in
            for r in slice(rows, parts: items, index: w) {
                let src = x + r * C, d = gdy + r * C, o = dx + r * C
                if inPlace {
                    for c in 0..<C { o[c] = coefA[c] * o[c] + coefK[c] * (src[c] - mu[c]) + coefB[c] }
                } else {
                    for c in 0..<C { o[c] = coefA[c] * d[c] + coefK[c] * (src[c] - mu[c]) + coefB[c] }
                }
            }
        }
    }
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
