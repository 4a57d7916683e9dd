import Dispatch
#if canImport(Glibc)
import Glibc
#endif

// A feed-forward stack of layers with the activation and gradient buffers between them.
// Buffers grow to the largest batch seen and are then reused: no allocation per step.

final class Network {
    let layers: [Layer]
    let inputShape: Shape
    let parameters: [Parameter]
    private var activations: [FloatBuffer]
    private var gradients: [FloatBuffer]
    private(set) var capacity = 0
    /// Seconds spent per layer while profiling is on (nil: off, no clock reads).
    var profile: [(forward: Double, backward: Double)]?
    /// Profiling clock: this thread's CPU time when everything runs on it (one worker), which
    /// other processes on a shared machine cannot inflate; wall time otherwise.
    static var profileUsesThreadCPUTime = false
    static func clock() -> UInt64 {
        guard profileUsesThreadCPUTime else { return DispatchTime.now().uptimeNanoseconds }
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    init(_ layers: [Layer]) {
        precondition(!layers.isEmpty)
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(a.outputShape.count == b.inputShape.count,
                         "\(a.name) gives \(a.outputShape) but \(b.name) takes \(b.inputShape)")
        }
        self.layers = layers
        inputShape = layers[0].inputShape
        parameters = layers.flatMap(\.parameters)
        activations = layers.map { _ in FloatBuffer(1) }
        gradients = layers.map { _ in FloatBuffer(1) }
    }

    var outputShape: Shape { layers[layers.count - 1].outputShape }

    func reserve(batch: Int) {
        guard batch > capacity else { return }
        for (i, layer) in layers.enumerated() {
            activations[i].reserve(batch * layer.outputShape.count)
            gradients[i].reserve(batch * layer.outputShape.count)
        }
        capacity = batch
    }

    /// Runs every layer; returns the last layer's output (valid until the next pass).
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, batch: Int, _ ctx: inout PassContext) -> UnsafeMutablePointer<Float> {
        reserve(batch: batch)
        var x = input
        for (i, layer) in layers.enumerated() {
            let y = activations[i].pointer
            let t0 = profile == nil ? 0 : Self.clock()
            layer.forward(x, y, batch: batch, &ctx)
            if profile != nil { profile![i].forward += Double(Self.clock() - t0) / 1e9 }
            x = UnsafePointer(y)
        }
        return activations[layers.count - 1].pointer
    }

    /// Gradient buffer of the output: the loss writes dL/dlogits here before `backward`.
    var outputGradient: UnsafeMutablePointer<Float> { gradients[layers.count - 1].pointer }

    /// Backpropagates `outputGradient` through the stack; fills every parameter's gradient.
    /// Must follow a forward on the same input and batch.
    func backward(_ input: UnsafePointer<Float>, batch: Int, _ ctx: PassContext) {
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let x = i == 0 ? input : UnsafePointer(activations[i - 1].pointer)
            let dx = i == 0 ? nil : gradients[i - 1].pointer
            let t0 = profile == nil ? 0 : Self.clock()
            layers[i].backward(x, activations[i].pointer, gradients[i].pointer, dx, batch: batch, ctx)
            if profile != nil { profile![i].backward += Double(Self.clock() - t0) / 1e9 }
        }
    }

    func activation(_ layer: Int) -> UnsafeMutablePointer<Float> { activations[layer].pointer }
}

/// The network definitions, one function per architecture, so a new architecture is a new case
/// plus a list of layers.
enum NetworkFactory {
    static let input = Shape(ModelShape.side, ModelShape.side, 1)

    static func build(_ architecture: Architecture) -> Network {
        switch architecture {
        case .seed: return seed()
        }
    }

    /// The book chapter's network, exactly (see design/SEED.md).
    static func seed() -> Network {
        // Chunk sizes measured on the 2-core target (batch 128, one core, CPU time per step):
        // conv1/conv2 chunks of 8/8 images 169 ms, 4/2 150 ms, 2/1 152 ms, 16/16 187 ms — a
        // chunk's patches and conv output should stay within the core's 2 MB L2.
        let conv1 = ConvReLUPool(name: "conv1", input: input, kernel: 5, outChannels: 32, chunkImages: 4)
        let conv2 = ConvReLUPool(name: "conv2", input: conv1.outputShape, kernel: 3, outChannels: 64, chunkImages: 2)
        let fc1 = Dense(name: "fc1", input: conv2.outputShape, outputs: 256)
        let relu = ReLU(name: "fc1.relu", shape: fc1.outputShape)
        let drop = Dropout(name: "fc1.dropout", shape: fc1.outputShape, keep: 0.5)
        let fc2 = Dense(name: "fc2", input: fc1.outputShape, outputs: ModelShape.classes)
        return Network([conv1, conv2, fc1, relu, drop, fc2])
    }

    /// Weights: truncated normal (σ 0.02, cut at 2σ); biases 0 — the seed's init for every layer.
    static func initialize(_ network: Network, rng: inout Xoshiro256) {
        for p in network.parameters {
            guard p.trainable else { continue }   // layers set their own state
            if p.name.hasSuffix(".weight") {
                Initializer.truncatedNormal(p.value.pointer, count: p.count, stddev: 0.02, rng: &rng)
            } else if p.name.hasSuffix(".bias") {
                p.value.zero(p.count)
            }
        }
    }
}

