// The layer contract. Each layer computes forward and backward side by side on raw batch
// pointers; the Network owns activations and their gradients, layers own only what they must
// remember between the two passes (argmax indices, dropout masks) and their scratch.

/// What a pass needs beyond the tensors: train/inference mode, the dropout generator and how
/// many workers to split across.
struct PassContext {
    var training: Bool
    var workers: Int
    var rng: Xoshiro256
}

protocol Layer: AnyObject {
    var name: String { get }
    var inputShape: Shape { get }
    var outputShape: Shape { get }
    /// Trainable tensors in a stable order (checkpoints rely on it).
    var parameters: [Parameter] { get }

    /// x: batch × inputShape → y: batch × outputShape.
    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext)

    /// Given the forward's x and y and dL/dy, overwrites each parameter's gradient and, when dx
    /// is non-nil, writes dL/dx. The first layer gets dx == nil and skips that work.
    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext)
}

extension Layer {
    var parameters: [Parameter] { [] }
}
