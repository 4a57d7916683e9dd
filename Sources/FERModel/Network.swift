// A feed-forward stack of layers with the activation and gradient buffers between them.
// Buffers grow to the largest batch seen and are then reused: no allocation per step.

final class Network {
    let layers: [Layer]
    let inputShape: Shape
    let parameters: [Parameter]
    private var activations: [FloatBuffer]
    private var gradients: [FloatBuffer]
    /// Batch-norm outputs that are not kept for the next layer's backward but recomputed
    /// into that layer's own (by then dead) output buffer, keyed by the batch norm's index.
    private var recomputed: [Int: BatchNorm] = [:]
    var recomputedOutputs: [Int] { recomputed.keys.sorted() }
    private(set) var capacity = 0
    /// Inference runs each conv → batch norm + ReLU (→ max-pool) as one folded pass, keyed by
    /// the conv's index. The folded weights are recomputed on the first inference pass after a
    /// batch-statistics pass (which precedes every optimizer step and moves the running
    /// statistics) or `parametersChanged()`.
    private let folds: [Int: Fold]
    private var foldsCurrent = false
    struct Fold {
        let conv: Conv2D
        let norm: BatchNorm
        let pooled: Bool
        /// The last layer index the fold covers.
        let last: Int
    }
    /// Seconds spent per layer while profiling is on (nil: off, no clock reads), on the clock
    /// of the pass's engine (`Engine.profileClock`).
    var profile: [(forward: Double, backward: Double)]?

    /// `shareBuffers`: false gives every layer's output and gradient a buffer of its own (tests
    /// compare the two plans).
    init(_ layers: [Layer], shareBuffers: Bool = true) {
        precondition(!layers.isEmpty)
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(a.outputShape.count == b.inputShape.count,
                         "\(a.name) gives \(a.outputShape) but \(b.name) takes \(b.inputShape)")
        }
        self.layers = layers
        folds = Self.findFolds(layers)
        inputShape = layers[0].inputShape
        parameters = layers.flatMap(\.parameters)
        if shareBuffers {
            recomputed = Self.recomputable(layers)
            (activations, gradients) = Self.plan(layers, recomputed: Set(recomputed.keys))
        } else {
            activations = layers.map { _ in FloatBuffer(1) }
            gradients = layers.map { _ in FloatBuffer(1) }
        }
    }

    /// Which buffer holds each layer's output and each output's gradient. An output that no
    /// backward reads (neither its own layer's nor the next one's, or one that is recomputed)
    /// is dead once the next layer has run, so such outputs share two buffers, alternating by
    /// layer index (the next layer's output is never in the same one). Backward needs only the
    /// gradients of one layer's output and input at a time, so all gradients alternate between
    /// two buffers too (an element-wise layer's two in the same one). The two are the same
    /// pair: forward is over before the loss writes the first gradient. For vgg7 at batch 128
    /// this keeps 111 MB instead of 410 MB.
    private static func plan(_ layers: [Layer], recomputed: Set<Int>) -> (activations: [FloatBuffer], gradients: [FloatBuffer]) {
        let pair = [FloatBuffer(1), FloatBuffer(1)]
        let activations = layers.indices.map { i -> FloatBuffer in
            let read = layers[i].backwardReadsOutput || i == layers.count - 1
                || (i + 1 < layers.count && layers[i + 1].backwardReadsInput && !recomputed.contains(i))
            return read ? FloatBuffer(1) : pair[i % 2]
        }
        // Layer i's backward reads gradient i and writes gradient i − 1.
        var side = [Int](repeating: 0, count: layers.count)
        for i in stride(from: layers.count - 2, through: 0, by: -1) {
            side[i] = layers[i + 1].backwardInPlace ? side[i + 1] : 1 - side[i + 1]
        }
        return (activations, side.map { pair[$0] })
    }

    var outputShape: Shape { layers[layers.count - 1].outputShape }

    /// Batch norms (not first) whose output only the next layer's backward reads, where that
    /// layer keeps an output buffer of its own (the one after reads it), at least as large,
    /// that its backward does not read: backward recomputes the batch norm's output there (one
    /// element-wise pass) instead of keeping it through the whole step. In vgg7: conv2_1.bn and
    /// conv3_1.bn, 28 MB at batch 128.
    private static func recomputable(_ layers: [Layer]) -> [Int: BatchNorm] {
        var result: [Int: BatchNorm] = [:]
        for i in layers.indices.dropFirst() where i + 2 < layers.count {
            guard let norm = layers[i] as? BatchNorm, !norm.backwardReadsOutput else { continue }
            let next = layers[i + 1]
            if next.backwardReadsInput && !next.backwardReadsOutput && layers[i + 2].backwardReadsInput
                && next.outputShape.count >= norm.outputShape.count {
                result[i] = norm
            }
        }
        // The host buffer must be kept, not itself a recomputed one (batch norm after batch norm).
        return result.filter { result[$0.key + 1] == nil }
    }

    private static func findFolds(_ layers: [Layer]) -> [Int: Fold] {
        var folds: [Int: Fold] = [:]
        for i in layers.indices.dropLast() {
            guard let conv = layers[i] as? Conv2D else { continue }
            if let block = layers[i + 1] as? NormPool {
                folds[i] = Fold(conv: conv, norm: block.norm, pooled: true, last: i + 1)
                continue
            }
            guard let norm = layers[i + 1] as? BatchNorm, norm.relu else { continue }
            let pooled = i + 2 < layers.count && layers[i + 2] is MaxPool2x2
            folds[i] = Fold(conv: conv, norm: norm, pooled: pooled, last: i + (pooled ? 2 : 1))
        }
        return folds
    }

    /// Call after writing parameters directly (tests, checkpoint loading): the next inference
    /// pass refolds.
    func parametersChanged() { foldsCurrent = false }

    private func refold() {
        for fold in folds.values {
            let c = fold.norm.inputShape.channels
            var scale = [Float](repeating: 0, count: c), shift = scale
            fold.norm.inferenceAffine(scale: &scale, shift: &shift)
            fold.conv.core.fold(scale: scale, shift: shift)
        }
        foldsCurrent = true
    }

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
        let folding = ctx.foldsBatchNorm && !ctx.usesBatchStatistics && !folds.isEmpty
        if folding && !foldsCurrent { refold() }
        if !folding { foldsCurrent = false }
        var x = input
        var i = 0
        while i < layers.count {
            let t0 = profile == nil ? 0 : ctx.workers.engine.clock()
            let last: Int, output: UnsafeMutablePointer<Float>
            if folding, let fold = folds[i] {
                // The folded layers' time shows under the conv.
                last = fold.last
                // A fold skips the layers between, so its input and its last layer's output can
                // be the same shared buffer (vgg9: conv3_1.bn's and conv3_2.bn's outputs, two
                // apart), and a conv must not overwrite the rows it still reads. Then it writes
                // into the conv's own output buffer, which only training fills.
                output = UnsafePointer(activations[last].pointer) == x ? activations[i].pointer : activations[last].pointer
                fold.conv.forwardFolded(x, output, pooled: fold.pooled, batch: batch, workers: ctx.workers)
            } else {
                last = i
                output = activations[i].pointer
                layers[i].forward(x, output, batch: batch, &ctx)
            }
            if profile != nil { profile![i].forward += Double(ctx.workers.engine.clock() - t0) / 1e9 }
            x = UnsafePointer(output)
            i = last + 1
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
            var x = i == 0 ? input : UnsafePointer(activations[i - 1].pointer)
            let dx = i == 0 ? nil : gradients[i - 1].pointer
            let t0 = profile == nil ? 0 : ctx.workers.engine.clock()
            if let norm = recomputed[i - 1] {
                // Layer i's output is dead (layer i + 1's backward has run) and layer i's
                // backward reads only x: its buffer takes the recomputed input.
                norm.apply(activations[i - 2].pointer, activations[i].pointer, batch: batch, ctx)
                x = UnsafePointer(activations[i].pointer)
            }
            layers[i].backward(x, activations[i].pointer, gradients[i].pointer, dx, batch: batch, ctx)
            if profile != nil { profile![i].backward += Double(ctx.workers.engine.clock() - t0) / 1e9 }
        }
    }

    /// Layer `layer`'s output of the last forward. Only outputs a backward reads (and the last
    /// layer's) keep their own buffer; the others share one with later outputs, and inference
    /// writes a folded block's result straight into its last layer's buffer (the BN output
    /// inside it is never written). Pooled block outputs feeding a dense layer are always kept.
    func activation(_ layer: Int) -> UnsafeMutablePointer<Float> { activations[layer].pointer }
    func gradient(_ layer: Int) -> UnsafeMutablePointer<Float> { gradients[layer].pointer }
}

/// The network definitions, one function per architecture, so a new architecture is a new case
/// plus a list of layers.
enum NetworkFactory {
    static let input = Shape(ModelShape.side, ModelShape.side, 1)

    /// `isa`: the kernel table the layers run on (an engine's).
    static func build(_ architecture: Architecture, isa: KernelISA) -> Network {
        switch architecture {
        case .seed: return seed(isa: isa)
        // One 5×5 conv at full resolution instead of a 3×3 pair: the pair at 48×48×32 cost a
        // third of the step (measured: 100 img/s for 32,32|64,64|128,128 against 130 img/s
        // for this, on a loaded 2-core machine), and the deeper blocks matter more.
        case .vgg7: return vggStyle(blocks: [[32], [64, 64], [128, 128]], firstKernel: 5, isa: isa)
        case .vgg8: return vggStyle(blocks: [[32], [64, 64], [128, 128], [256]], firstKernel: 5, isa: isa)
        // Depth at 12×12 is what paid on a held-out tenth of Training (the 384-wide fourth
        // block alone did not; docs/ARCH.md).
        case .vgg9: return vggStyle(blocks: [[32], [64, 64], [128, 128, 128], [384]], firstKernel: 5, isa: isa)
        }
    }

    /// VGG-style: conv → batch norm + ReLU stacks, each block ending in a 2×2 max-pool
    /// (48→24→12→6), then flatten → dense 256 → BN + ReLU → dropout → dense 7.
    /// `blocks` lists each block's conv widths; the very first conv uses `firstKernel`.
    static func vggStyle(blocks: [[Int]], firstKernel: Int = 3, hidden: Int = 256, shareBuffers: Bool = true,
                         isa: KernelISA) -> Network {
        var layers: [Layer] = []
        var shape = input
        for (b, widths) in blocks.enumerated() {
            if b == 0 && widths.count == 1 {
                // A single full-resolution conv: one layer that recomputes its conv output
                // instead of storing four 48×48×C tensors (ConvNormPool).
                let block = ConvNormPool(name: "conv1_1+bn+pool1", convName: "conv1_1", input: shape,
                                         kernel: firstKernel, outChannels: widths[0], isa: isa)
                layers.append(block)
                shape = block.outputShape
                continue
            }
            for (i, width) in widths.enumerated() {
                let name = "conv\(b + 1)_\(i + 1)"
                // One chunk's patches + output should stay near L2 size (see seed()); at 48×48 a
                // single image of 3×3×32 patches is already 2.6 MB.
                let chunk = shape.height >= 48 ? 1 : (shape.height >= 24 ? 2 : 8)
                let kernel = layers.isEmpty ? firstKernel : 3
                // Winograd where the shape allows (the 3×3 layers): agrees with im2col to rounding
                // (WinogradTests) at 2.25× fewer GEMM flops.
                let c = Conv2D(name: name, input: shape, kernel: kernel, outChannels: width, chunkImages: chunk,
                               winograd: true, isa: isa)
                layers.append(c)
                shape = c.outputShape
                if i < widths.count - 1 {
                    layers.append(BatchNorm(name: name + ".bn", shape: shape, relu: true, isa: isa))
                } else {
                    // The block's last batch norm pools as it goes: its output is never stored.
                    let block = NormPool(normName: name + ".bn", poolName: "pool\(b + 1)", shape: shape, isa: isa)
                    layers.append(block)
                    shape = block.outputShape
                }
            }
        }
        let fc1 = Dense(name: "fc1", input: shape, outputs: hidden)
        layers.append(fc1)
        layers.append(BatchNorm(name: "fc1.bn", shape: fc1.outputShape, relu: true, isa: isa))
        layers.append(Dropout(name: "fc1.dropout", shape: fc1.outputShape, keep: 0.5))
        layers.append(Dense(name: "fc2", input: fc1.outputShape, outputs: ModelShape.classes))
        return Network(layers, shareBuffers: shareBuffers)
    }

    /// The book chapter's network, exactly (see design/SEED.md).
    static func seed(isa: KernelISA) -> Network {
        // Chunk sizes measured on the 2-core target (batch 128, one core, CPU time per step):
        // conv1/conv2 chunks of 8/8 images 169 ms, 4/2 150 ms, 2/1 152 ms, 16/16 187 ms — a
        // chunk's patches and conv output should stay within the core's 2 MB L2.
        let conv1 = ConvReLUPool(name: "conv1", input: input, kernel: 5, outChannels: 32, chunkImages: 4, isa: isa)
        let conv2 = ConvReLUPool(name: "conv2", input: conv1.outputShape, kernel: 3, outChannels: 64, chunkImages: 2, isa: isa)
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
            if let core = (layer as? Conv2D)?.core ?? (layer as? ConvNormPool)?.core {
                fanIn = core.geometry.patch; weight = core.weight; bias = core.bias
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
