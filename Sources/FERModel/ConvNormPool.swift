import CKernels

// conv (SAME, stride 1) → batch norm + ReLU → 2×2 max-pool as one layer that never stores the
// conv output: it recomputes it one image at a time instead.
//
// vgg7's first block runs at 48×48×32: its conv output, BN output and their two gradients
// were 4 × 37.7 MB at batch 128, the largest buffers of a training step, for a conv that costs
// 3.7 MFLOP per image (1% of the step). Here the only stored tensors are the pooled output
// (9.4 MB) and one winner byte per pooled value; each pass recomputes an image's conv output
// in per-worker scratch (≈300 KB, in L2), by CKernels' direct convolution for single-channel
// input (vgg's 5×5 → 32: 3 multiply-adds per output value are too few for an im2col GEMM to
// run well), else by im2col + GEMM:
//
//   forward   1. conv → per-channel Σx and Σ(x − mean_image)² in Double (exact two-pass per
//                image, merged across images with Chan's formula), giving μ, σ
//             2. conv → s·x + t → 2×2 max → ReLU, winners
//   backward  1. conv → g = dy at the winners where the output was open; Σg, Σg·(x − μ)
//             2. conv → dz = a·g + k·(x − μ) + b (batch norm's backward) → dW, db (and dx)
//
// Every pass cuts the batch into the same one-image chunks, so the recomputed outputs are the
// same bits every time. Batch-norm arithmetic is BatchNorm's; the parameters keep the names
// of the separate layers (conv…, conv….bn…), so checkpoints are interchangeable with them.

final class ConvNormPool: Layer {
    let name: String
    let core: ConvCore
    /// Holds γ, β and the running statistics (and their names); its own passes are not used.
    let norm: BatchNorm
    let outputShape: Shape
    var inputShape: Shape { core.geometry.input }
    var parameters: [Parameter] { [core.weight, core.bias] + norm.parameters }
    /// Backward recomputes the conv from x and gates by the pooled output.
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { true }

    private let argmax = ByteBuffer(1)
    private let mean: FloatBuffer
    private let inverseStd: FloatBuffer
    private let scale: FloatBuffer
    private let shift: FloatBuffer
    /// Per-slice Double accumulators (4·C each), grown before a parallel region, never inside.
    private var partials: UnsafeMutablePointer<Double>
    private var partialSlices = 0
    /// Per-slice dense gradient of one image's conv output.
    private var gradients: [FloatBuffer] = []
    /// The instruction set's kernels for the per-channel sums in Double and the direct conv.
    private let kernels: fd_kernels
    /// Single-channel input, 3×3 or 5×5, channels in multiples of 8: the conv and its weight gradient run
    /// as CKernels' direct convolution (3× faster than the im2col GEMMs with K = k·k + 1),
    /// which pads each image into a per-slice buffer.
    private let direct: Bool
    private var paddedImages: [FloatBuffer] = []

    /// `convName`: the name the conv's and batch norm's parameters carry.
    /// `isa`: the kernel table for the per-channel sums.
    init(name: String, convName: String, input: Shape, kernel: Int, outChannels: Int, isa: KernelISA) {
        precondition(input.height % 2 == 0 && input.width % 2 == 0, "2×2 pooling needs even sides")
        self.name = name
        kernels = isa.table.pointee
        core = ConvCore(name: convName, input: input, kernel: kernel, outChannels: outChannels, chunkImages: 1,
                        winogradForward: false, isa: isa)
        norm = BatchNorm(name: convName + ".bn", shape: core.geometry.output, relu: true, isa: isa)
        outputShape = Shape(input.height / 2, input.width / 2, outChannels)
        mean = FloatBuffer(outChannels)
        inverseStd = FloatBuffer(outChannels)
        scale = FloatBuffer(outChannels)
        shift = FloatBuffer(outChannels)
        partials = .allocate(capacity: 1)
        direct = input.channels == 1 && outChannels % 8 == 0 && (kernel == 3 || kernel == 5)
    }

    deinit { partials.deallocate() }

    private var channels: Int { core.geometry.outChannels }
    private var positions: Int { inputShape.height * inputShape.width }

    /// Work slices (whole images) with their accumulators and gradient scratch.
    private func items(_ ctx: PassContext, batch: Int) -> Int {
        let n = workItems(workers: ctx.workers, units: batch)
        if n > partialSlices {
            partials.deallocate()
            partials = .allocate(capacity: 4 * channels * n)
            partialSlices = n
        }
        while gradients.count < n { gradients.append(FloatBuffer(positions * channels)) }
        let pad = core.geometry.kernel - 1
        while direct && paddedImages.count < n {
            paddedImages.append(FloatBuffer((inputShape.height + pad) * (inputShape.width + pad)))
        }
        return n
    }

    /// The conv output of image `n` into the scratch's `out` (im2col: its patches stay in
    /// `col`), in slice `w`.
    @inline(__always)
    private func convolve(_ x: UnsafePointer<Float>, image n: Int, _ s: ConvCore.Scratch, slice w: Int) {
        let H = inputShape.height
        if direct {
            kernels.conv_single_channel!(x + n * positions, H, inputShape.width, core.geometry.kernel,
                                         core.weight.value.pointer, core.bias.value.pointer, channels,
                                         paddedImages[w].pointer, s.out.pointer)
            return
        }
        core.patches(x, rows: (n * H)..<((n + 1) * H), into: s.col.pointer)
        core.multiply(s.col.pointer, positions: positions, into: s.out.pointer)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let C = channels
        let items = items(ctx, batch: batch)
        core.refreshAugmented()
        let mu = mean.pointer, inv = inverseStd.pointer
        if ctx.usesBatchStatistics {
            batchStatistics(x, batch: batch, items: items, workers: ctx.workers)
        } else {
            let rm = norm.runningMean.value.pointer, rv = norm.runningVariance.value.pointer
            for c in 0..<C {
                mu[c] = rm[c]
                inv[c] = 1 / (rv[c] + norm.epsilon).squareRoot()
            }
        }
        let g = norm.gamma.value.pointer, b = norm.beta.value.pointer
        let sc = scale.pointer, sh = shift.pointer
        for c in 0..<C {
            sc[c] = g[c] * inv[c]
            sh[c] = b[c] - mu[c] * sc[c]
        }
        if !ctx.usesBatchStatistics {
            // Inference: batch norm folded into the weights (26×32 products, refolded every
            // pass), and the rows split over the workers so one image uses both cores.
            core.fold(scale: sc, shift: sh)
            core.forwardFoldedIm2col(x, y, pooled: true, batch: batch, workers: ctx.workers)
            return
        }
        normaliseAndPool(x, y, batch: batch, items: items, workers: ctx.workers, training: ctx.training)
    }

    /// The batch's mean and 1/σ per channel (and the running statistics updated), from each
    /// slice's (mean, M2) merged in slice order, so they depend only on the thread count.
    private func batchStatistics(_ x: UnsafePointer<Float>, batch: Int, items: Int, workers: Workers) {
        let C = channels, P = positions, core = self.core
        let mu = mean.pointer, inv = inverseStd.pointer
        let partials = self.partials, kernels = self.kernels
        workers.parallelFor(items) { w in
            // [mean, M2] of the slice so far, then one image's [Σx, Σ(x − m)²].
            let acc = partials + 4 * C * w, m2 = acc + C, sum = acc + 2 * C, sq = acc + 3 * C
            acc.update(repeating: 0, count: 2 * C)
            var seen = 0.0
            core.withScratch { s in
                for n in slice(batch, parts: items, index: w) {
                    convolve(x, image: n, s, slice: w)
                    let out = UnsafePointer(s.out.pointer)
                    sum.update(repeating: 0, count: 2 * C)
                    kernels.channel_sum!(out, P, C, sum)
                    for c in 0..<C { sum[c] /= Double(P) }
                    kernels.channel_squared_deviation!(out, P, C, sum, sq)
                    Self.merge(mean: acc, m2: m2, count: seen, withMean: sum, m2: sq, count: Double(P), channels: C)
                    seen += Double(P)
                }
            }
        }
        // Slices in order: the statistics depend only on the thread count.
        let total = partials, perSlice = Double(P)
        var seen = Double(slice(batch, parts: items, index: 0).count) * perSlice
        for w in 1..<items {
            let acc = partials + 4 * C * w, count = Double(slice(batch, parts: items, index: w).count) * perSlice
            Self.merge(mean: total, m2: total + C, count: seen, withMean: acc, m2: acc + C, count: count, channels: C)
            seen += count
        }
        let rm = norm.runningMean.value.pointer, rv = norm.runningVariance.value.pointer
        let momentum = norm.momentum
        for c in 0..<C {
            let variance = total[C + c] / seen
            mu[c] = Float(total[c])
            inv[c] = Float(1 / (variance + Double(norm.epsilon)).squareRoot())
            rm[c] = momentum * rm[c] + (1 - momentum) * mu[c]
            rv[c] = momentum * rv[c] + (1 - momentum) * Float(variance)
        }
    }

    /// Each image convolved again, normalised with the batch's scale and shift, then pooled
    /// (keeping the winners for backward when training).
    private func normaliseAndPool(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, items: Int,
                                  workers: Workers, training: Bool) {
        let C = channels, P = positions, core = self.core
        let sc = scale.pointer, sh = shift.pointer
        if training { argmax.reserve(batch * outputShape.count) }
        let arg = training ? argmax.pointer : nil
        let W = inputShape.width, pooled = outputShape.count, H = inputShape.height
        workers.parallelFor(items) { w in
            core.withScratch { s in
                for n in slice(batch, parts: items, index: w) {
                    convolve(x, image: n, s, slice: w)
                    let out = s.out.pointer
                    for p in 0..<P {
                        let row = out + p * C
                        for c in 0..<C { row[c] = sc[c] * row[c] + sh[c] }
                    }
                    // max then ReLU = ReLU then max (monotone); winners as MaxPool2x2 picks them
                    // wherever they matter (an open output).
                    ConvReLUPool.poolForward(out, pairs: H / 2, width: W, channels: C, y: y + n * pooled,
                                             arg: arg.map { $0 + n * pooled })
                }
            }
        }
    }

    /// Chan et al.'s pairwise update: (mean, M2) of a set ∪ another set, in place in the first.
    private static func merge(mean: UnsafeMutablePointer<Double>, m2: UnsafeMutablePointer<Double>, count na: Double,
                              withMean other: UnsafePointer<Double>, m2 otherM2: UnsafePointer<Double>, count nb: Double,
                              channels: Int) {
        let n = na + nb
        for c in 0..<channels {
            let delta = other[c] - mean[c]
            mean[c] += delta * nb / n
            m2[c] += otherM2[c] + delta * delta * na * nb / n
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let items = items(ctx, batch: batch)
        core.refreshAugmented()
        let (sumG, sumGX) = gradientSums(x, y, dy, batch: batch, items: items, workers: ctx.workers)
        let (a, k, b) = affineCoefficients(sumG: sumG, sumGX: sumGX, training: ctx.usesBatchStatistics,
                                           count: Double(batch * positions))
        propagate(x, y, dy, dx, batch: batch, items: items, workers: ctx.workers, a: a, k: k, b: b)
        core.reduceGrads(slices: items)
    }

    /// Image n's conv output (in s.out) and the gradient reaching batch norm's affine step.
    @inline(__always)
    private func recompute(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                           image n: Int, _ s: ConvCore.Scratch, slice w: Int, _ grad: UnsafeMutablePointer<Float>) {
        let pooled = outputShape.count
        convolve(x, image: n, s, slice: w)
        ConvReLUPool.poolBackward(dy: dy + n * pooled, y: y + n * pooled, arg: UnsafePointer(argmax.pointer) + n * pooled,
                                  pairs: inputShape.height / 2, width: inputShape.width, channels: channels, dout: grad)
    }

    /// Σg and Σg·(x − μ) per channel over the batch (slices summed in order).
    private func gradientSums(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                              batch: Int, items: Int, workers: Workers) -> (sumG: [Double], sumGX: [Double]) {
        let C = channels, P = positions, core = self.core
        let mu = UnsafePointer(mean.pointer)
        let partials = self.partials, gradients = self.gradients, kernels = self.kernels
        workers.parallelFor(items) { w in
            let sumG = partials + 4 * C * w, sumGX = sumG + C
            sumG.update(repeating: 0, count: 2 * C)
            let grad = gradients[w].pointer
            core.withScratch { s in
                for n in slice(batch, parts: items, index: w) {
                    recompute(x, y, dy, image: n, s, slice: w, grad)
                    kernels.channel_gradient_sums!(grad, s.out.pointer, P, C, mu, sumG, sumGX)
                }
            }
        }
        var sumG = [Double](repeating: 0, count: C), sumGX = sumG
        for w in 0..<items {
            let p = partials + 4 * C * w
            for c in 0..<C { sumG[c] += p[c]; sumGX[c] += p[C + c] }
        }
        return (sumG, sumGX)
    }

    /// Sets γ's and β's gradients and returns the per-channel dz = a·g + k·(x − μ) + b.
    private func affineCoefficients(sumG: [Double], sumGX: [Double], training: Bool,
                                    count m: Double) -> (a: [Float], k: [Float], b: [Float]) {
        let C = channels
        // As in BatchNorm.backward: dz = a·g + k·(x − μ) + b per channel.
        let inv = inverseStd.pointer, gamma = norm.gamma.value.pointer
        var a = [Float](repeating: 0, count: C), k = a, b = a
        for c in 0..<C {
            let sumGXhat = sumGX[c] * Double(inv[c])
            norm.gamma.grad.pointer[c] = Float(sumGXhat)
            norm.beta.grad.pointer[c] = Float(sumG[c])
            let gi = Double(gamma[c]) * Double(inv[c])
            a[c] = Float(gi)
            k[c] = training ? Float(-gi * Double(inv[c]) * sumGXhat / m) : 0
            b[c] = training ? Float(-gi * sumG[c] / m) : 0
        }
        return (a, k, b)
    }

    /// dz per image, then the convolution's weight gradient (per slice) and input gradient.
    private func propagate(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                           _ dx: UnsafeMutablePointer<Float>?, batch: Int, items: Int, workers: Workers,
                           a: [Float], k: [Float], b: [Float]) {
        let C = channels, P = positions, H = inputShape.height, core = self.core
        let mu = UnsafePointer(mean.pointer), gradients = self.gradients
        let convPartials = core.partials(items)
        a.withUnsafeBufferPointer { a in
            k.withUnsafeBufferPointer { k in
                b.withUnsafeBufferPointer { b in
                    let a = a.baseAddress!, k = k.baseAddress!, b = b.baseAddress!
                    workers.parallelFor(items) { w in
                        let grad = gradients[w].pointer
                        core.withScratch { s in
                            var first = true
                            for n in slice(batch, parts: items, index: w) {
                                recompute(x, y, dy, image: n, s, slice: w, grad)
                                let out = UnsafePointer(s.out.pointer)
                                for p in 0..<P {
                                    let d = grad + p * C, src = out + p * C
                                    for c in 0..<C { d[c] = a[c] * d[c] + k[c] * (src[c] - mu[c]) + b[c] }
                                }
                                if direct {
                                    let dW = convPartials[w].pointer
                                    if first { dW.update(repeating: 0, count: (core.geometry.patch + 1) * C) }
                                    kernels.conv_single_channel_weight_gradient!(
                                        x + n * P, H, inputShape.width, core.geometry.kernel, grad, C,
                                        paddedImages[w].pointer, dW)
                                } else {
                                    core.accumulateWeightGrad(s.col.pointer, grad, positions: P,
                                                              into: convPartials[w].pointer, first: first)
                                }
                                if let dx {
                                    core.inputGrad(grad, rows: (n * H)..<((n + 1) * H), scratch: s.col.pointer, into: dx)
                                }
                                first = false
                            }
                        }
                    }
                }
            }
        }
    }
}
