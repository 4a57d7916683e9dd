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
    /// Must follow a forward on the same input and batch. `stop` > 0 ends the pass after layer
    /// `stop`, leaving dL/d(output of layer stop − 1) in `gradient(stop - 1)` (saliency needs no more).
    func backward(_ input: UnsafePointer<Float>, batch: Int, _ ctx: PassContext, stop: Int = 0) {
        for i in stride(from: layers.count - 1, through: stop, by: -1) {
            let x = i == 0 ? input : UnsafePointer(activations[i - 1].pointer)
            let dx = i == 0 ? nil : gradients[i - 1].pointer
            let t0 = profile == nil ? 0 : Self.clock()
            layers[i].backward(x, activations[i].pointer, gradients[i].pointer, dx, batch: batch, ctx)
            if profile != nil { profile![i].backward += Double(Self.clock() - t0) / 1e9 }
        }
    }

    func activation(_ layer: Int) -> UnsafeMutablePointer<Float> { activations[layer].pointer }
    func gradient(_ layer: Int) -> UnsafeMutablePointer<Float> { gradients[layer].pointer }
}

/// The network definitions, one function per architecture, so a new architecture is a new case
/// plus a list of layers.
enum NetworkFactory {
    static let input = Shape(ModelShape.side, ModelShape.side, 1)

    static func build(_ architecture: Architecture) -> Network {
        switch architecture {
        case .seed: return seed()
        // One 5×5 conv at full resolution instead of a 3×3 pair: the pair at 48×48×32 cost a
        // third of the step (measured: 100 img/s for 32,32|64,64|128,128 against 130 img/s
        // for this, on a loaded 2-core machine), and the deeper blocks matter more.
        case .vgg7: return vggStyle(blocks: [[32], [64, 64], [128, 128]], firstKernel: 5)
        }
    }

    /// VGG-style: conv → batch norm + ReLU stacks, each block ending in a 2×2 max-pool
    /// (48→24→12→6), then flatten → dense 256 → BN + ReLU → dropout → dense 7.
    /// `blocks` lists each block's conv widths; the very first conv uses `firstKernel`.
    static func vggStyle(blocks: [[Int]], firstKernel: Int = 3, hidden: Int = 256) -> Network {
        var layers: [Layer] = []
        var shape = input
        for (b, widths) in blocks.enumerated() {
            for (i, width) in widths.enumerated() {
                let name = "conv\(b + 1)_\(i + 1)"
                // One chunk's patches + output should stay near L2 size (see seed()); at 48×48 a
                // single image of 3×3×32 patches is already 2.6 MB.
                let chunk = shape.height >= 48 ? 1 : (shape.height >= 24 ? 2 : 8)
                let kernel = layers.isEmpty ? firstKernel : 3
                let c = Conv2D(name: name, input: shape, kernel: kernel, outChannels: width, chunkImages: chunk)
                layers.append(c)
                layers.append(BatchNorm(name: name + ".bn", shape: c.outputShape, relu: true))
                shape = c.outputShape
            }
            let pool = MaxPool2x2(name: "pool\(b + 1)", input: shape)
            layers.append(pool)
            shape = pool.outputShape
        }
        let fc1 = Dense(name: "fc1", input: shape, outputs: hidden)
        layers.append(fc1)
        layers.append(BatchNorm(name: "fc1.bn", shape: fc1.outputShape, relu: true))
        layers.append(Dropout(name: "fc1.dropout", shape: fc1.outputShape, keep: 0.5))
        layers.append(Dense(name: "fc2", input: fc1.outputShape, outputs: ModelShape.classes))
        return Network(layers)
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
    static func initialize(_ network: Network, architecture: Architecture = .seed, rng: inout Xoshiro256) {
        if architecture != .seed {
            heInitialize(network, rng: &rng)
            return
        }
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


extension NetworkFactory {
    /// He-normal weights (σ = √(2/fan-in), truncated at 2σ like the seed's init, widened by 1/0.88
    /// to undo the truncation's narrowing), zero biases: keeps the activation scale through ReLU
    /// stacks so a deep network starts learning at once.
    static func heInitialize(_ network: Network, rng: inout Xoshiro256) {
        for layer in network.layers {
            let fanIn: Int
            let weight: Parameter, bias: Parameter
            if let conv = layer as? Conv2D {
                fanIn = conv.core.geometry.patch; weight = conv.core.weight; bias = conv.core.bias
            } else if let dense = layer as? Dense {
                fanIn = dense.inputs; weight = dense.weight; bias = dense.bias
            } else {
                continue   // batch norm sets γ = 1, β = 0 itself
            }
            Initializer.truncatedNormal(weight.value.pointer, count: weight.count,
                                        stddev: (2 / Double(fanIn)).squareRoot() / 0.88, rng: &rng)
            bias.value.zero(bias.count)
        }
    }
}
