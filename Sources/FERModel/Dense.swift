import CBLAS

// Fully connected layer: y[N, out] = x[N, in] · W[in, out] + b (W stored in×out like TF).
// Workers split the GEMMs by columns of their result, so each writes a disjoint block and
// no reduction is needed; small layers (fc2: 256→7) stay on one thread.

final class Dense: Layer {
    let name: String
    let inputShape: Shape
    let outputShape: Shape
    let weight: Parameter
    let bias: Parameter
    var parameters: [Parameter] { [weight, bias] }
    let inputs: Int
    let outputs: Int
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { false }

    init(name: String, input: Shape, outputs: Int, decayed: Bool = false) {
        self.name = name
        inputShape = input
        inputs = input.count
        self.outputs = outputs
        outputShape = Shape(1, 1, outputs)
        weight = Parameter(name: name + ".weight", count: inputs * outputs, decayed: decayed)
        bias = Parameter(name: name + ".bias", count: outputs, decayed: decayed)
    }

    /// Splitting pays only when each slice gets a real GEMM (dispatch costs microseconds).
    private func workers(_ ctx: PassContext, batch: Int, columns: Int) -> Int {
        let work = batch * inputs * outputs
        guard work >= 1 << 18 else { return 1 }
        // One slice per thread for small batches: each slice streams its share of the weights
        // once, and more slices would only add hand-offs to a latency-bound call.
        return workItems(workers: ctx.workers, units: columns, grain: batch < 16 ? columns : 64)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let I = inputs, O = outputs, w = weight.value.pointer, b = bias.value.pointer
        let n = workers(ctx, batch: batch, columns: O)
        ctx.workers.parallelFor(n) { t in
            let cols = slice(O, parts: n, index: t)
            if batch == 1 {
                // One image is a matrix-vector product; sgemv skips GEMM's packing, which for
                // fc1 would copy all 9.4 MB of weights to multiply them once.
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(I), Int32(cols.count), 1, w + cols.lowerBound,
                            Int32(O), x, 1, 0, y + cols.lowerBound, 1)
            } else {
                gemm(m: batch, n: cols.count, k: I, a: x, lda: I, b: w + cols.lowerBound, ldb: O,
                     beta: 0, c: y + cols.lowerBound, ldc: O)
            }
            for r in 0..<batch {
                let row = y + r * O
                for c in cols { row[c] += b[c] }
            }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let I = inputs, O = outputs, w = weight.value.pointer
        let gw = weight.grad.pointer, gb = bias.grad.pointer
        let n = workers(ctx, batch: batch, columns: O)
        // dW[:, cols] = xᵀ · dy[:, cols];  db = Σ_rows dy
        ctx.workers.parallelFor(n) { t in
            let cols = slice(O, parts: n, index: t)
            gemm(transA: true, m: I, n: cols.count, k: batch, a: x, lda: I, b: dy + cols.lowerBound,
                 ldb: O, beta: 0, c: gw + cols.lowerBound, ldc: O)
            for c in cols { gb[c] = 0 }
            for r in 0..<batch {
                let row = dy + r * O
                for c in cols { gb[c] += row[c] }
            }
        }
        guard let dx else { return }
        // dx[:, ins] = dy · W[ins, :]ᵀ
        let m = workers(ctx, batch: batch, columns: I)
        ctx.workers.parallelFor(m) { t in
            let ins = slice(I, parts: m, index: t)
            gemm(transB: true, m: batch, n: ins.count, k: O, a: dy, lda: O, b: w + ins.lowerBound * O,
                 ldb: O, beta: 0, c: dx + ins.lowerBound, ldc: I)
        }
    }
}
