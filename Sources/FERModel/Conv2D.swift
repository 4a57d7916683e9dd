// Convolution, stride 1, SAME padding, NHWC, weights HWIO (kernel × kernel × in × out, as TF
// stores them), lowered to sgemm through im2col:
//
//   col  [rows·W, k·k·Cin+1]  one patch per output position (zeros where the window leaves the
//                             image) and a trailing 1 for the bias
//   out  [rows·W, Cout]       = col · [weight; bias]   ← already NHWC, no transpose
//
// "Rows" are conv output rows in the flattened (image, y) space, so a chunk may start and end
// anywhere in the batch; that lets a batch of one still be split across workers. The patch
// matrix only ever exists for one chunk per worker, which keeps memory bounded.

struct ConvGeometry {
    let input: Shape
    let kernel: Int
    let outChannels: Int

    var pad: Int { kernel / 2 }
    /// Patch length k·k·Cin: the GEMM's inner dimension.
    var patch: Int { kernel * kernel * input.channels }
    var output: Shape { Shape(input.height, input.width, outChannels) }
}

enum ConvKernels {
    /// Writes the patches of conv output rows `rows` (flattened image·H + y) into `col`, one
    /// row of K+1 per position: the patch, then a 1 that multiplies the bias row.
    static func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, rows: Range<Int>,
                       _ col: UnsafeMutablePointer<Float>) {
        let H = g.input.height, W = g.input.width, C = g.input.channels, k = g.kernel, pad = g.pad
        let span = k * C
        var dst = col
        for r in rows {
            let n = r / H, y = r % H
            let image = x + n * H * W * C
            for ox in 0..<W {
                let x0 = ox - pad
                for ky in 0..<k {
                    let iy = y + ky - pad
                    if iy < 0 || iy >= H {
                        dst.update(repeating: 0, count: span)
                    } else if x0 >= 0 && x0 + k <= W {
                        // Interior: the k window cells of this kernel row are adjacent in NHWC.
                        let src = image + (iy * W + x0) * C
                        for i in 0..<span { dst[i] = src[i] }
                    } else {
                        let src = image + iy * W * C
                        for kx in 0..<k {
                            let ix = x0 + kx
                            let d = dst + kx * C
                            if ix < 0 || ix >= W {
                                d.update(repeating: 0, count: C)
                            } else {
                                let s = src + ix * C
                                for c in 0..<C { d[c] = s[c] }
                            }
                        }
                    }
                    dst += span
                }
                dst.pointee = 1
                dst += 1
            }
        }
    }

    /// Transposed patches for single-channel input: colᵀ[k, position] for k < K, then a row of
    /// ones. For a fixed tap (ky, kx) an output row's values are the input row iy shifted by
    /// kx − pad, so each (tap, row) is one contiguous copy with zeroed ends.
    static func im2rowT(_ g: ConvGeometry, _ x: UnsafePointer<Float>, rows: Range<Int>,
                        _ col: UnsafeMutablePointer<Float>) {
        precondition(g.input.channels == 1)
        let H = g.input.height, W = g.input.width, k = g.kernel, pad = g.pad
        let M = rows.count * W
        for ky in 0..<k {
            for kx in 0..<k {
                let shift = kx - pad
                let lo = max(0, -shift), hi = min(W, W - shift)
                var dst = col + (ky * k + kx) * M
                for r in rows {
                    let n = r / H, y = r % H, iy = y + ky - pad
                    if iy < 0 || iy >= H || lo >= hi {
                        dst.update(repeating: 0, count: W)
                    } else {
                        let src = x + (n * H + iy) * W + shift
                        for ox in 0..<lo { dst[ox] = 0 }
                        for ox in lo..<hi { dst[ox] = src[ox] }
                        for ox in hi..<W { dst[ox] = 0 }
                    }
                    dst += W
                }
            }
        }
        (col + k * k * M).update(repeating: 1, count: M)
    }

    /// Adjoint of im2rowT (without the ones row): adds dcolᵀ back onto dx, which the caller zeroes.
    static func row2imT(_ g: ConvGeometry, _ dcol: UnsafePointer<Float>, rows: Range<Int>,
                        _ dx: UnsafeMutablePointer<Float>) {
        let H = g.input.height, W = g.input.width, k = g.kernel, pad = g.pad
        let M = rows.count * W
        for ky in 0..<k {
            for kx in 0..<k {
                let shift = kx - pad
                let lo = max(0, -shift), hi = min(W, W - shift)
                var src = dcol + (ky * k + kx) * M
                for r in rows {
                    let n = r / H, y = r % H, iy = y + ky - pad
                    if iy >= 0 && iy < H && lo < hi {
                        let d = dx + (n * H + iy) * W + shift
                        for ox in lo..<hi { d[ox] += src[ox] }
                    }
                    src += W
                }
            }
        }
    }

    /// The adjoint of im2col: adds each patch gradient back onto the input positions it came
    /// from. `dx` must be zeroed by the caller (overlapping windows accumulate).
    static func col2im(_ g: ConvGeometry, _ dcol: UnsafePointer<Float>, rows: Range<Int>,
                       _ dx: UnsafeMutablePointer<Float>) {
        let H = g.input.height, W = g.input.width, C = g.input.channels, k = g.kernel, pad = g.pad
        let span = k * C
        var src = dcol
        for r in rows {
            let n = r / H, y = r % H
            let image = dx + n * H * W * C
            for ox in 0..<W {
                let x0 = ox - pad
                for ky in 0..<k {
                    let iy = y + ky - pad
                    if iy >= 0 && iy < H {
                        if x0 >= 0 && x0 + k <= W {
                            let d = image + (iy * W + x0) * C
                            for i in 0..<span { d[i] += src[i] }
                        } else {
                            let drow = image + iy * W * C
                            for kx in 0..<k {
                                let ix = x0 + kx
                                if ix >= 0 && ix < W {
                                    let d = drow + ix * C, s = src + kx * C
                                    for c in 0..<C { d[c] += s[c] }
                                }
                            }
                        }
                    }
                    src += span
                }
            }
        }
    }
}

/// Weights, bias and per-worker scratch shared by the plain and the fused convolution layers.
///
/// The bias rides inside the GEMM: every patch gets a trailing 1 and the weight matrix a
/// trailing bias row ([W; b], (K+1)×Cout). Forward then needs no bias pass, and in backward the
/// bias gradient (the column sums of dout) falls out of the weight-gradient GEMM as its last
/// row, instead of a separate pass over the whole conv gradient.
///
/// Single-channel inputs (conv1) use transposed patches, colᵀ[K+1, M]: for a fixed kernel tap
/// the patch values along an output row are a shifted copy of an input row, so im2col becomes
/// contiguous copies instead of 25 scattered scalar writes per position.
final class ConvCore {
    let geometry: ConvGeometry
    let weight: Parameter
    let bias: Parameter
    /// Conv output rows per chunk: bounds the patch matrix (chunkImages images' worth).
    let chunkRows: Int
    let transposed: Bool
    /// The Winograd forward, for 3×3 layers whose shapes it supports (nil: im2col forward).
    let winograd: WinogradConv3x3?
    /// The Winograd backward (nil: im2col GEMMs): the data gradient is the 3×3 convolution of
    /// dy with the filters rotated by 180° and in/out swapped, so it is a forward pass of a
    /// transposed geometry; the weight gradient is the forward's adjoint (weightGradient).
    let winogradData: WinogradConv3x3?
    let winogradWeights: WinogradConv3x3?
    /// The rotated, transposed filters for winogradData, and the zero bias it adds.
    private let flipped: FloatBuffer
    let zeroBias: FloatBuffer
    /// Inference with the next batch norm folded in: [W·s; b·s + t] with the BN's per-channel
    /// scale s and shift t, and (Winograd layers) its own filter transform of those weights
    /// (F(4×4, 3×3) where the sides are multiples of 4), both computed once per change of the
    /// parameters rather than in every pass.
    let folded: FloatBuffer
    let foldedWinograd: WinogradConv3x3?
    /// [W; b] as one (K+1)×Cout matrix, refreshed from the parameters before each pass.
    private let augmented: FloatBuffer

    /// Per-thread working memory. Pooled rather than indexed by slice: slices outnumber threads,
    /// and only as many scratch sets exist as slices ever ran at once.
    final class Scratch: @unchecked Sendable { // unchecked: passed between threads only through `pool`'s mutex; one slice uses it at a time
        let col: FloatBuffer   // patches, later reused for their gradient
        let out: FloatBuffer   // conv output / its gradient for one chunk
        init(rows: Int, g: ConvGeometry) {
            col = FloatBuffer(rows * g.input.width * (g.patch + 1))
            out = FloatBuffer(rows * g.input.width * g.outChannels)
        }
    }
    private let pool = ScratchPool<Scratch>()
    /// [dW; db] partial sums, one per work slice of the last backward.
    private var partials: [FloatBuffer] = []

    /// `largeTiles`: the forward and both gradients take F(4×4, 3×3) where the sides are
    /// multiples of 4 (1.78× fewer GEMM flops than F(2×2)).
    /// The seed's fused conv + ReLU + pool keeps F(2×2), whose tile is its pooling window.
    /// `isa`: the kernel table the Winograd transforms run on.
    init(name: String, input: Shape, kernel: Int, outChannels: Int, chunkImages: Int, winogradForward: Bool,
         winogradBackward: Bool = false, largeTiles: Bool = false, isa: KernelISA) {
        precondition(kernel % 2 == 1, "SAME padding with stride 1 is implemented for odd kernels")
        geometry = ConvGeometry(input: input, kernel: kernel, outChannels: outChannels)
        weight = Parameter(name: name + ".weight", count: geometry.patch * outChannels, decayed: true)
        bias = Parameter(name: name + ".bias", count: outChannels, decayed: true)
        chunkRows = max(1, chunkImages) * input.height
        transposed = input.channels == 1
        let tile = largeTiles && WinogradConv3x3.supports(geometry, tile: 4) ? 4 : 2
        winograd = winogradForward && WinogradConv3x3.supports(geometry) ? WinogradConv3x3(geometry, tile: tile, isa: isa) : nil
        let dataGeometry = ConvGeometry(input: Shape(input.height, input.width, outChannels), kernel: kernel,
                                      outChannels: input.channels)
        let backward = winogradBackward && WinogradConv3x3.supports(geometry) && WinogradConv3x3.supports(dataGeometry)
        winogradData = backward ? WinogradConv3x3(dataGeometry, tile: tile, isa: isa) : nil
        // Larger chunks than the forward's: the GEMMs' inner dimension is the chunk's tile
        // count, and each chunk re-reads and re-writes all of dU. (With F(4×4)'s 36 planes,
        // 48 tiles ran as fast as 96 with half the scratch.)
        winogradWeights = backward ? WinogradConv3x3(geometry, tile: tile, chunkTiles: 48, isa: isa) : nil
        flipped = FloatBuffer(backward ? geometry.patch * outChannels : 1)
        zeroBias = FloatBuffer(input.channels)
        folded = FloatBuffer((geometry.patch + 1) * outChannels)
        // Folded inference takes F(4×4, 3×3) where the sides allow: 1.78× fewer GEMM flops than
        // F(2×2), and its larger rounding (≈1e-5 relative) does not accumulate over steps there.
        let inferenceTile = WinogradConv3x3.supports(geometry, tile: 4) ? 4 : 2
        foldedWinograd = winograd == nil ? nil : WinogradConv3x3(geometry, tile: inferenceTile, isa: isa)
        augmented = FloatBuffer((geometry.patch + 1) * outChannels)
    }

    func withScratch<T>(_ body: (Scratch) -> T) -> T {
        let s = pool.take() ?? Scratch(rows: chunkRows, g: geometry)
        defer { pool.give(s) }
        return body(s)
    }

    /// Partial-gradient buffers for `n` slices (grown before a parallel region, never inside).
    func partials(_ n: Int) -> [FloatBuffer] {
        while partials.count < n { partials.append(FloatBuffer((geometry.patch + 1) * geometry.outChannels)) }
        return partials
    }

    /// Call once per pass before the GEMMs: the optimizer updates the parameters in place.
    func refreshAugmented() {
        let wc = weight.count
        augmented.pointer.update(from: weight.value.pointer, count: wc)
        (augmented.pointer + wc).update(from: bias.value.pointer, count: bias.count)
    }

    /// The filters for the data gradient: flipped[ky][kx][co][ci] = W[2−ky][2−kx][ci][co].
    func flippedWeights() -> UnsafePointer<Float> {
        let ci = geometry.input.channels, co = geometry.outChannels, plane = ci * co
        let w = weight.value.pointer, f = flipped.pointer
        for tap in 0..<9 {
            let src = w + (8 - tap) * plane, dst = f + tap * plane
            for i in 0..<ci {
                for o in 0..<co { dst[o * ci + i] = src[i * co + o] }
            }
        }
        return UnsafePointer(f)
    }

    /// Patches (with the trailing 1) of conv output rows `rows` into `col`.
    func patches(_ x: UnsafePointer<Float>, rows: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        if transposed {
            ConvKernels.im2rowT(geometry, x, rows: rows, col)
        } else {
            ConvKernels.im2col(geometry, x, rows: rows, col)
        }
    }

    /// out[M, Cout] = [col | 1] · [W; b] (or the folded weights)
    @inline(__always)
    func multiply(_ col: UnsafePointer<Float>, positions: Int, into out: UnsafeMutablePointer<Float>,
                  folded useFolded: Bool = false) {
        let g = geometry, K1 = g.patch + 1
        gemm(transA: transposed, m: positions, n: g.outChannels, k: K1, a: col, lda: transposed ? positions : K1,
             b: useFolded ? folded.pointer : augmented.pointer, ldb: g.outChannels, beta: 0, c: out, ldc: g.outChannels)
    }

    /// ReLU(conv with the folded weights) (+ 2×2 max-pool) through im2col, split by rows.
    func forwardFoldedIm2col(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, pooled pool: Bool,
                             batch: Int, workers: Workers) {
        let H = geometry.input.height, W = geometry.input.width, Co = geometry.outChannels
        let pairs = batch * H / 2
        let items = workItems(workers: workers, units: pairs, grain: H / 2)
        let chunkPairs = chunkRows / 2
        workers.parallelFor(items) { w in
            let range = slice(pairs, parts: items, index: w)
            withScratch { s in
                var p = range.lowerBound
                while p < range.upperBound {
                    let n = min(chunkPairs, range.upperBound - p)
                    patches(x, rows: (2 * p)..<(2 * (p + n)), into: s.col.pointer)
                    if pool {
                        multiply(s.col.pointer, positions: 2 * n * W, into: s.out.pointer, folded: true)
                        ConvReLUPool.poolForward(s.out.pointer, pairs: n, width: W, channels: Co,
                                                 y: y + p * (W / 2) * Co, arg: nil)
                    } else {
                        let out = y + 2 * p * W * Co
                        multiply(s.col.pointer, positions: 2 * n * W, into: out, folded: true)
                        for i in 0..<(2 * n * W * Co) { out[i] = max(out[i], 0) }
                    }
                    p += n
                }
            }
        }
    }

    /// Folds y = s·(conv + b) + t into the weights: [W·s; b·s + t], and their Winograd transform.
    func fold(scale s: UnsafePointer<Float>, shift t: UnsafePointer<Float>) {
        let K = geometry.patch, Co = geometry.outChannels
        let w = weight.value.pointer, b = bias.value.pointer, f = folded.pointer
        for k in 0..<K {
            for o in 0..<Co { f[k * Co + o] = w[k * Co + o] * s[o] }
        }
        for o in 0..<Co { f[K * Co + o] = b[o] * s[o] + t[o] }
        foldedWinograd?.refresh(weights: f)
    }

    /// [dW; db][K+1, Cout] (+)= [col | 1]ᵀ · dout
    @inline(__always)
    func accumulateWeightGrad(_ col: UnsafePointer<Float>, _ dout: UnsafePointer<Float>, positions: Int,
                              into dW: UnsafeMutablePointer<Float>, first: Bool) {
        let g = geometry, K1 = g.patch + 1
        gemm(transA: !transposed, m: K1, n: g.outChannels, k: positions, a: col, lda: transposed ? positions : K1,
             b: dout, ldb: g.outChannels, beta: first ? 0 : 1, c: dW, ldc: g.outChannels)
    }

    /// Writes dL/dx for the whole images covered by conv output rows `rows`, using `col` as
    /// scratch for the patch gradient dout · Wᵀ. Zeroes that slice of dx right before adding
    /// into it, while it is still in cache.
    func inputGrad(_ dout: UnsafePointer<Float>, rows: Range<Int>, scratch col: UnsafeMutablePointer<Float>,
                   into dx: UnsafeMutablePointer<Float>) {
        let g = geometry, K = g.patch, M = rows.count * g.input.width, H = g.input.height
        precondition(rows.lowerBound % H == 0 && rows.count % H == 0, "input gradients need whole images")
        (dx + rows.lowerBound / H * g.input.count).update(repeating: 0, count: rows.count / H * g.input.count)
        if transposed {
            // dcolᵀ[K, M] = W[K, Cout] · doutᵀ
            gemm(transB: true, m: K, n: M, k: g.outChannels, a: augmented.pointer, lda: g.outChannels,
                 b: dout, ldb: g.outChannels, beta: 0, c: col, ldc: M)
            ConvKernels.row2imT(g, col, rows: rows, dx)
        } else {
            // dcol[M, K] = dout[M, Cout] · Wᵀ
            gemm(transB: true, m: M, n: K, k: g.outChannels, a: dout, lda: g.outChannels,
                 b: augmented.pointer, ldb: g.outChannels, beta: 0, c: col, ldc: K)
            ConvKernels.col2im(g, col, rows: rows, dx)
        }
    }

    /// Sums the slices' partial gradients in slice order (fixed order → repeatable bits) and
    /// splits [dW; db] into the two parameters.
    func reduceGrads(slices: Int) {
        let wc = weight.count, bc = bias.count
        let gw = weight.grad.pointer, gb = bias.grad.pointer
        gw.update(from: partials[0].pointer, count: wc)
        gb.update(from: partials[0].pointer + wc, count: bc)
        for w in 1..<max(slices, 1) {
            let pw = partials[w].pointer, pb = pw + wc
            for i in 0..<wc { gw[i] += pw[i] }
            for i in 0..<bc { gb[i] += pb[i] }
        }
    }
}

/// Plain convolution + bias (no activation); the building block for networks that put
/// something between the conv and its ReLU (batch norm). The seed uses the fused layer.
final class Conv2D: Layer {
    let name: String
    let core: ConvCore
    var inputShape: Shape { core.geometry.input }
    var outputShape: Shape { core.geometry.output }
    var parameters: [Parameter] { [core.weight, core.bias] }
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { false }

    /// `winograd`: forward, data gradient and weight gradient by Winograd where the shape allows
    /// it (3×3, even sides, channels in multiples of 8): F(4×4, 3×3) for the forward and both
    /// gradients when the sides are multiples of 4 and `largeTiles`, else F(2×2, 3×3); without
    /// `winograd` (the default), im2col. They agree to rounding (WinogradTests).
    init(name: String, input: Shape, kernel: Int, outChannels: Int, chunkImages: Int = 8,
         winograd: Bool = false, largeTiles: Bool = true, isa: KernelISA) {
        self.name = name
        core = ConvCore(name: name, input: input, kernel: kernel, outChannels: outChannels,
                        chunkImages: chunkImages, winogradForward: winograd, winogradBackward: winograd,
                        largeTiles: largeTiles, isa: isa)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let g = core.geometry, W = g.input.width, Co = g.outChannels
        let total = batch * g.input.height
        let items = workItems(workers: ctx.workers, units: total, grain: g.input.height)
        let core = self.core
        if let wino = core.winograd {
            wino.run(x, weights: core.weight.value.pointer, bias: core.bias.value.pointer, batch: batch,
                     workers: ctx.workers, .plain(y))
            return
        }
        core.refreshAugmented()
        ctx.workers.parallelFor(items) { w in
            let range = slice(total, parts: items, index: w)
            core.withScratch { s in
                var r = range.lowerBound
                while r < range.upperBound {
                    let rows = min(core.chunkRows, range.upperBound - r)
                    core.patches(x, rows: r..<(r + rows), into: s.col.pointer)
                    core.multiply(s.col.pointer, positions: rows * W, into: y + r * W * Co)
                    r += rows
                }
            }
        }
    }

    /// Inference through conv + batch norm + ReLU (+ 2×2 max-pool when `pool`) in one pass,
    /// with the weights `core.fold` left: y = ReLU(conv_folded(x)), pooled as max then ReLU
    /// (ReLU is monotone). Writes only the final output; nothing is kept for backward.
    func forwardFolded(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, pooled pool: Bool, batch: Int,
                       workers: Workers) {
        let g = core.geometry, Co = g.outChannels
        let core = self.core
        if let wino = core.foldedWinograd {
            wino.run(x, weights: nil, bias: core.folded.pointer + g.patch * Co, batch: batch, workers: workers,
                     pool ? .reluPool(y, arg: nil) : .relu(y))
            return
        }
        core.forwardFoldedIm2col(x, y, pooled: pool, batch: batch, workers: workers)
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let g = core.geometry, H = g.input.height, W = g.input.width, Co = g.outChannels
        let core = self.core
        if let data = core.winogradData, let weights = core.winogradWeights {
            weights.weightGradient(x, dy, batch: batch, workers: ctx.workers,
                                   weightGrad: core.weight.grad.pointer, biasGrad: core.bias.grad.pointer)
            if let dx {
                data.run(dy, weights: core.flippedWeights(), bias: core.zeroBias.pointer, batch: batch,
                         workers: ctx.workers, .plain(dx))
            }
            return
        }
        let items = workItems(workers: ctx.workers, units: batch)
        core.refreshAugmented()
        let partials = core.partials(items)
        // Whole images per worker and per chunk: col2im writes into neighbouring rows, never
        // across images, so each chunk owns its slice of dx.
        ctx.workers.parallelFor(items) { w in
            let images = slice(batch, parts: items, index: w)
            core.withScratch { s in
                var r = images.lowerBound * H
                let end = images.upperBound * H
                var first = true
                while r < end {
                    let rows = min(core.chunkRows, end - r)
                    let dout = dy + r * W * Co
                    core.patches(x, rows: r..<(r + rows), into: s.col.pointer)
                    core.accumulateWeightGrad(s.col.pointer, dout, positions: rows * W,
                                              into: partials[w].pointer, first: first)
                    if let dx { core.inputGrad(dout, rows: r..<(r + rows), scratch: s.col.pointer, into: dx) }
                    first = false
                    r += rows
                }
            }
        }
        core.reduceGrads(slices: items)
    }
}
