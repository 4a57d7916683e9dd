// batch norm + ReLU → 2×2 max-pool as one layer, so that the batch norm's full-size output is
// never stored: the pool reads s·x + t (ReLU'd) straight from the conv output x.
//
// As two layers, that output (24×24×64 and 12×12×128 in vgg7, 28 MB at batch 128) lived only
// from the batch norm's forward to the pool's, since neither backward reads it, but still held
// buffers of its own. Backward spreads the pooled gradient to the winners in dx and runs the
// batch norm's backward in place there, which recomputes its ReLU gate from x anyway.
//
// The arithmetic is BatchNorm's and MaxPool2x2's, value for value, so results are bit for bit
// those of the two layers (NormPoolTests); the parameters keep the batch norm's names, so
// checkpoints are interchangeable with the separate layers.

final class NormPool: Layer {
    let name: String
    /// Holds γ, β, the running statistics and the statistics of the last pass.
    let norm: BatchNorm
    /// Holds the winners of the last forward.
    private let pool: MaxPool2x2
    /// The spread gradient when there is no dx to hold it (this layer first in a network).
    private let scratch = FloatBuffer(1)
    var inputShape: Shape { norm.inputShape }
    var outputShape: Shape { pool.outputShape }
    var parameters: [Parameter] { norm.parameters }
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { false }

    /// `normName` and `poolName`: the names the separate layers would carry (parameters keep
    /// the batch norm's).
    /// `isa`: the batch norm's kernel table.
    init(normName: String, poolName: String, shape: Shape, isa: KernelISA) {
        name = normName + "+" + poolName
        norm = BatchNorm(name: normName, shape: shape, relu: true, isa: isa)
        pool = MaxPool2x2(name: poolName, input: shape)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        norm.prepare(x, batch: batch, ctx)
        pool.pool(x, y, batch: batch, ctx, NormalizedReLU(scale: norm.affineScale, shift: norm.affineShift))
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        let spread: UnsafeMutablePointer<Float>
        if let dx {
            spread = dx
        } else {
            scratch.reserve(batch * inputShape.count)
            spread = scratch.pointer
        }
        pool.backward(x, y, dy, spread, batch: batch, ctx)
        // In place, as the Network runs a separate batch norm; it reads x, never y.
        norm.backward(x, x, spread, dx, batch: batch, ctx)
    }
}

/// Batch norm's affine step and ReLU, computed exactly as BatchNorm.forward computes them.
struct NormalizedReLU: PoolValues {
    let scale: UnsafePointer<Float>
    let shift: UnsafePointer<Float>

    @inline(__always) func callAsFunction(_ x: Float, _ c: Int) -> Float {
        let v = scale[c] * x + shift[c]
        return v > 0 ? v : 0
    }
}
