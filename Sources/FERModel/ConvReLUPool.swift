// conv (SAME, stride 1) + bias + ReLU + 2×2 max-pool stride 2, fused.
//
// The unfused chain would write and re-read the full conv activation (for conv1 at batch 128:
// 128×48×48×32 floats = 37.7 MB) three times and keep it for backward. Here each chunk's conv
// output lives only in per-worker scratch; the pass stores the pooled output plus one byte per
// pooled value saying which of the 4 window cells won. Backward rebuilds each chunk's sparse
// conv gradient from those bytes.
//
// ReLU is monotone, so max(relu(a_i)) = relu(max(a_i)): the pool picks the winner on the GEMM
// output (bias already included, see ConvCore) and applies ReLU once per pooled value.

final class ConvReLUPool: Layer {
    let name: String
    let core: ConvCore
    let outputShape: Shape
    var inputShape: Shape { core.geometry.input }
    var parameters: [Parameter] { [core.weight, core.bias] }
    /// Winner (0…3, row-major in the 2×2 window) per pooled value of the last forward.
    private let argmax = ByteBuffer(1)

    /// `winogradForward`: 3×3 layers with channel counts in multiples of 8 compute their forward
    /// with WinogradConv3x3 (2.25× fewer GEMM flops); the others, and backward, use im2col.
    init(name: String, input: Shape, kernel: Int, outChannels: Int, chunkImages: Int = 8,
         winogradForward: Bool = true, isa: KernelISA) {
        precondition(input.height % 2 == 0 && input.width % 2 == 0, "2×2 pooling needs even sides")
        self.name = name
        core = ConvCore(name: name, input: input, kernel: kernel, outChannels: outChannels,
                        chunkImages: chunkImages, winogradForward: winogradForward, isa: isa)
        outputShape = Shape(input.height / 2, input.width / 2, outChannels)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let g = core.geometry, W = g.input.width, Co = g.outChannels
        // Work unit: a pair of conv rows = one pooled row; flattened over the batch.
        let pairs = batch * g.input.height / 2
        let pooledRow = (W / 2) * Co
        if ctx.training { argmax.reserve(batch * outputShape.count) }
        let training = ctx.training
        let items = workItems(workers: ctx.workers, units: pairs, grain: g.input.height / 2)
        let core = self.core, arg = argmax.pointer
        if let wino = core.winograd {
            wino.run(x, weights: core.weight.value.pointer, bias: core.bias.value.pointer, batch: batch,
                     workers: ctx.workers, .reluPool(y, arg: training ? arg : nil))
            return
        }
        core.refreshAugmented()
        let chunkPairs = core.chunkRows / 2
        ctx.workers.parallelFor(items) { w in
            let range = slice(pairs, parts: items, index: w)
            core.withScratch { s in
                var p = range.lowerBound
                while p < range.upperBound {
                    let n = min(chunkPairs, range.upperBound - p)
                    core.patches(x, rows: (2 * p)..<(2 * (p + n)), into: s.col.pointer)
                    core.multiply(s.col.pointer, positions: 2 * n * W, into: s.out.pointer)
                    Self.poolForward(s.out.pointer, pairs: n, width: W, channels: Co,
                                     y: y + p * pooledRow, arg: training ? arg + p * pooledRow : nil)
                    p += n
                }
            }
        }
    }

    /// Pools pairs of conv rows. Each inner loop writes one stream only: with several store
    /// streams the compiler cannot cheaply prove the pointers do not overlap and leaves the loop
    /// scalar (Swift has no `restrict`), with one it vectorises behind a runtime overlap check.
    static func poolForward(_ out: UnsafePointer<Float>, pairs: Int, width W: Int, channels C: Int,
                                    y: UnsafeMutablePointer<Float>,
                                    arg: UnsafeMutablePointer<UInt8>?) {
        let rowStride = W * C, half = W / 2
        for p in 0..<pairs {
            let top = out + 2 * p * rowStride, bottom = top + rowStride
            let dst = y + p * half * C
            for px in 0..<half {
                let a0 = top + 2 * px * C, a1 = a0 + C, a2 = bottom + 2 * px * C, a3 = a2 + C
                let d = dst + px * C
                for c in 0..<C {
                    let v = max(max(a0[c], a1[c]), max(a2[c], a3[c]))
                    d[c] = v > 0 ? v : 0
                }
                // Inference needs no winners. First winner on ties, as in MaxPool2x2.
                guard let arg else { continue }
                let a = arg + (p * half + px) * C
                for c in 0..<C {
                    let m01 = max(a0[c], a1[c]), m012 = max(m01, a2[c])
                    let i: UInt8 = a3[c] > m012 ? 3 : (a2[c] > m01 ? 2 : (a1[c] > a0[c] ? 1 : 0))
                    a[c] = i
                }
            }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let g = core.geometry, H = g.input.height, W = g.input.width, Co = g.outChannels
        let pooledRow = (W / 2) * Co
        let items = workItems(workers: ctx.workers, units: batch)
        let core = self.core, arg = UnsafePointer(argmax.pointer)
        core.refreshAugmented()
        let partials = core.partials(items)
        let chunkPairs = core.chunkRows / 2
        // Whole images per worker and per chunk: col2im writes into neighbouring rows, never
        // across images, so each chunk owns its slice of dx.
        ctx.workers.parallelFor(items) { w in
            let images = slice(batch, parts: items, index: w)
            core.withScratch { s in
                var p = images.lowerBound * H / 2
                let end = images.upperBound * H / 2
                var first = true
                while p < end {
                    let n = min(chunkPairs, end - p)
                    let positions = 2 * n * W
                    Self.poolBackward(dy: dy + p * pooledRow, y: y + p * pooledRow, arg: arg + p * pooledRow,
                                      pairs: n, width: W, channels: Co, dout: s.out.pointer)
                    core.patches(x, rows: (2 * p)..<(2 * (p + n)), into: s.col.pointer)
                    core.accumulateWeightGrad(s.col.pointer, s.out.pointer, positions: positions,
                                              into: partials[w].pointer, first: first)
                    if let dx {
                        core.inputGrad(s.out.pointer, rows: (2 * p)..<(2 * (p + n)), scratch: s.col.pointer, into: dx)
                    }
                    first = false
                    p += n
                }
            }
        }
        core.reduceGrads(slices: items)
    }

    /// Rebuilds the dense conv-output gradient of a chunk: zero it (memset runs at memory
    /// speed), then write each pooled gradient to its window's winner — branch-free, writing 0
    /// when the ReLU was closed, since the open/closed pattern is random and would mispredict.
    static func poolBackward(dy: UnsafePointer<Float>, y: UnsafePointer<Float>, arg: UnsafePointer<UInt8>,
                                     pairs: Int, width W: Int, channels C: Int,
                                     dout: UnsafeMutablePointer<Float>) {
        let rowStride = W * C, half = W / 2
        dout.update(repeating: 0, count: 2 * pairs * rowStride)
        for p in 0..<pairs {
            let top = dout + 2 * p * rowStride
            let g = dy + p * half * C, yv = y + p * half * C, ab = arg + p * half * C
            for px in 0..<half {
                let cell = top + 2 * px * C
                let gg = g + px * C, yy = yv + px * C, a = ab + px * C
                for c in 0..<C {
                    let q = Int(a[c])
                    cell[(q & 1) * C + (q >> 1) * rowStride + c] = yy[c] > 0 ? gg[c] : 0
                }
            }
        }
    }
}
