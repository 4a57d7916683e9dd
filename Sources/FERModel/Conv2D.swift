// Convolution, stride 1, SAME padding, NHWC, weights HWIO (kernel × kernel × in × out, as TF
// stores them), lowered to sgemm through im2col:
//
//   col  [rows·W, k·k·Cin]   one patch per output position (zeros where the window leaves the image)
//   out  [rows·W, Cout]      = col · weight[k·k·Cin, Cout]   ← already NHWC, no transpose
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
    /// Writes the patches of conv output rows `rows` (flattened image·H + y) into `col`.
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
final class ConvCore {
    let geometry: ConvGeometry
    let weight: Parameter
    let bias: Parameter
    /// Conv output rows per chunk: bounds the patch matrix (chunkImages images' worth).
    let chunkRows: Int

    final class Scratch {
        let col: FloatBuffer   // patches, later reused for their gradient
        let out: FloatBuffer   // conv output / its gradient for one chunk
        let dW: FloatBuffer
        let db: FloatBuffer
        init(rows: Int, g: ConvGeometry) {
            col = FloatBuffer(rows * g.input.width * g.patch)
            out = FloatBuffer(rows * g.input.width * g.outChannels)
            dW = FloatBuffer(g.patch * g.outChannels)
            db = FloatBuffer(g.outChannels)
        }
    }
    private(set) var scratch: [Scratch] = []

    init(name: String, input: Shape, kernel: Int, outChannels: Int, chunkImages: Int) {
        precondition(kernel % 2 == 1, "SAME padding with stride 1 is implemented for odd kernels")
        geometry = ConvGeometry(input: input, kernel: kernel, outChannels: outChannels)
        weight = Parameter(name: name + ".weight", count: geometry.patch * outChannels, decayed: true)
        bias = Parameter(name: name + ".bias", count: outChannels, decayed: true)
        chunkRows = max(1, chunkImages) * input.height
    }

    func scratch(forWorkers n: Int) -> [Scratch] {
        while scratch.count < n { scratch.append(Scratch(rows: chunkRows, g: geometry)) }
        return scratch
    }

    /// out[M, Cout] = col[M, K] · W[K, Cout]
    @inline(__always)
    func multiply(_ col: UnsafePointer<Float>, positions: Int, into out: UnsafeMutablePointer<Float>) {
        let g = geometry
        gemm(m: positions, n: g.outChannels, k: g.patch, a: col, lda: g.patch,
             b: weight.value.pointer, ldb: g.outChannels, beta: 0, c: out, ldc: g.outChannels)
    }

    /// dW[K, Cout] (+)= colᵀ · dout
    @inline(__always)
    func accumulateWeightGrad(_ col: UnsafePointer<Float>, _ dout: UnsafePointer<Float>, positions: Int,
                              into dW: UnsafeMutablePointer<Float>, first: Bool) {
        let g = geometry
        gemm(transA: true, m: g.patch, n: g.outChannels, k: positions, a: col, lda: g.patch,
             b: dout, ldb: g.outChannels, beta: first ? 0 : 1, c: dW, ldc: g.outChannels)
    }

    /// dcol[M, K] = dout[M, Cout] · Wᵀ
    @inline(__always)
    func patchGrad(_ dout: UnsafePointer<Float>, positions: Int, into dcol: UnsafeMutablePointer<Float>) {
        let g = geometry
        gemm(transB: true, m: positions, n: g.patch, k: g.outChannels, a: dout, lda: g.outChannels,
             b: weight.value.pointer, ldb: g.outChannels, beta: 0, c: dcol, ldc: g.patch)
    }

    /// Sums the workers' partial gradients in worker order (fixed order → repeatable bits).
    func reduceGrads(workers: Int) {
        let wc = weight.count, bc = bias.count
        let gw = weight.grad.pointer, gb = bias.grad.pointer
        gw.update(from: scratch[0].dW.pointer, count: wc)
        gb.update(from: scratch[0].db.pointer, count: bc)
        for w in 1..<max(workers, 1) {
            let pw = scratch[w].dW.pointer, pb = scratch[w].db.pointer
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

    init(name: String, input: Shape, kernel: Int, outChannels: Int, chunkImages: Int = 8) {
        self.name = name
        core = ConvCore(name: name, input: input, kernel: kernel, outChannels: outChannels,
                        chunkImages: chunkImages)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let g = core.geometry, W = g.input.width, Co = g.outChannels
        let total = batch * g.input.height
        let workers = max(1, min(ctx.workers, total))
        let core = self.core, b = core.bias.value.pointer
        let scratch = core.scratch(forWorkers: workers)
        parallelFor(workers) { w in
            let range = slice(total, parts: workers, index: w)
            let col = scratch[w].col.pointer
            var r = range.lowerBound
            while r < range.upperBound {
                let rows = min(core.chunkRows, range.upperBound - r)
                ConvKernels.im2col(g, x, rows: r..<(r + rows), col)
                let out = y + r * W * Co
                core.multiply(col, positions: rows * W, into: out)
                for p in 0..<(rows * W) {
                    let o = out + p * Co
                    for c in 0..<Co { o[c] += b[c] }
                }
                r += rows
            }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let g = core.geometry, H = g.input.height, W = g.input.width, Co = g.outChannels
        let workers = max(1, min(ctx.workers, batch))
        let core = self.core
        let scratch = core.scratch(forWorkers: workers)
        // Whole images per worker: col2im writes into neighbouring rows, never across images.
        parallelFor(workers) { w in
            let images = slice(batch, parts: workers, index: w)
            let s = scratch[w]
            s.db.zero(Co)
            if let dx { dx.advanced(by: images.lowerBound * g.input.count).update(repeating: 0, count: images.count * g.input.count) }
            var r = images.lowerBound * H
            let end = images.upperBound * H
            var first = true
            while r < end {
                let rows = min(core.chunkRows, end - r)
                let positions = rows * W
                let dout = dy + r * W * Co
                ConvKernels.im2col(g, x, rows: r..<(r + rows), s.col.pointer)
                core.accumulateWeightGrad(s.col.pointer, dout, positions: positions, into: s.dW.pointer, first: first)
                let db = s.db.pointer
                for p in 0..<positions {
                    let d = dout + p * Co
                    for c in 0..<Co { db[c] += d[c] }
                }
                if let dx {
                    core.patchGrad(dout, positions: positions, into: s.col.pointer)
                    ConvKernels.col2im(g, s.col.pointer, rows: r..<(r + rows), dx)
                }
                first = false
                r += rows
            }
        }
        core.reduceGrads(workers: workers)
    }
}
