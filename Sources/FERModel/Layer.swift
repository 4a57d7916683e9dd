// The layer contract. Each layer computes forward and backward side by side on raw batch
// pointers; the Network owns activations and their gradients, layers own only what they must
// remember between the two passes (argmax indices, dropout masks) and their scratch.
//
// How FERModel fits together, bottom up:
//   Buffers, Random, Threads   raw storage, the seeded generator, worker split + sgemm wrapper
//   Engine                     threads, kernel table, profiling clock: what a Classifier is
//                              given; owns the worker pool and the Winograd scratch
//   WorkerPool                 an engine's threads behind parallelFor, awake between layers
//   Conv2D (+ ConvCore), ConvReLUPool, ConvNormPool, MaxPool, Dense, Activation, Dropout,
//   BatchNorm                  layers, NHWC, forward and backward in the same file
//   Winograd                   F(2×2, 3×3) and F(4×4, 3×3) for 3×3 convolutions: forward, data
//                              and weight gradient, folded inference
//   Kernels                    KernelISA: which CKernels table (portable, AVX2, AVX-512) runs the
//                              Winograd transforms, named by the engine the layers are built for
//   Network                    a stack of layers, its buffer plan and inference folding, and
//                              NetworkFactory (one function per architecture)
//   Loss, Adam, Initializers   softmax cross-entropy, the conv-only L2 term, TF1 Adam, init
//   Classifier                 the public face: train/infer/evaluate, checkpoints (CheckpointFormat's CheckpointCodec)
//   Saliency                   HiResCAM heat maps on the last convolution block (Classifier.saliency)
//   InferenceGraph             the network for export: NCHW, batch norm folded, dropout gone
//   Benchmark                  EngineBenchmark for `ferdash bench`
//
// Adding a layer: conform to Layer, keep x/y/dy/dx in NHWC, overwrite (not accumulate) parameter
// gradients, split over `ctx.workers` with fixed slices, say what backward reads
// (backwardReadsInput/Output: the Network shares the memory of outputs nobody reads), and add a
// finite-difference test.
// Adding a network: a case in Architecture and a function in NetworkFactory listing layers;
// checkpoints follow automatically (tensor names and sizes come from the layers).

/// What a pass needs beyond the tensors: train/inference mode, the dropout generator and the
/// workers to split across (`ctx.workers.parallelFor`).
struct PassContext {
    var training: Bool
    var workers: Workers
    var rng: Xoshiro256
    /// Batch norm normalises with the batch's statistics (and updates the running ones) only in
    /// real training. Sampling with dropout on (`logitsWithDropout`) sets this false: one image's
    /// own statistics are meaningless, and a prediction must not move the running averages.
    var batchStatistics: Bool? = nil
    var usesBatchStatistics: Bool { batchStatistics ?? training }
    /// Inference folds each conv's batch norm into its weights and never writes the conv's own
    /// output. A pass that backpropagates through such a block in inference mode (saliency on a
    /// block below the last) turns this off, so every layer writes what its backward reads.
    var foldsBatchNorm = true
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

    /// Whether backward reads x, or y (default: both). An activation that neither its layer's
    /// nor the next layer's backward reads is dead after the next forward, and the Network
    /// lets such activations share memory.
    var backwardReadsInput: Bool { get }
    var backwardReadsOutput: Bool { get }
    /// Whether backward may be given dx and dy in the same buffer (element-wise layers): the
    /// Network then lets the two gradients share it.
    var backwardInPlace: Bool { get }
}

extension Layer {
    var parameters: [Parameter] { [] }
    var backwardReadsInput: Bool { true }
    var backwardReadsOutput: Bool { true }
    var backwardInPlace: Bool { false }
}
