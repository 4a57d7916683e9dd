// CONTRACT: the public surface FERTraining and the CLI rely on (add, don't break).

import CheckpointFormat

/// Which network to build. `seed` is the book chapter's network, exactly.
public enum Architecture: String, CaseIterable, Sendable {
    case seed
    /// VGG-style batch-normed network with seven weight layers: conv 5×5·32 | 3×3·64 ×2 |
    /// 3×3·128 ×2 (each block max-pooled, 48→6) → dense 256 → dense 7 (NetworkFactory.vggStyle).
    case vgg7
    /// vgg7 with a fourth block, one 3×3·256 convolution at 6×6 pooled to 3×3, before the same
    /// dense 256 → dense 7: 15 % more arithmetic than vgg7 (docs/ARCH.md).
    case vgg8
    /// vgg8 with a third 3×3·128 convolution at 12×12 and its fourth block 384 wide, before
    /// dense 256 → dense 7: a third more arithmetic than vgg8 (≈208 MFLOP forward against 154),
    /// and the default (docs/ARCH.md).
    case vgg9
}

/// Optimizer and loss settings. Defaults are the seed chapter's (Adam with TF's defaults).
public struct Hyperparameters: Sendable, Equatable {
    public var learningRate: Float = 1e-3
    public var l2: Float = 1e-2
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay (AdamW, as PyTorch applies it): every step multiplies each
    /// `.weight` tensor by 1 − learningRate·weightDecay, apart from the gradient. Unlike the
    /// seed's L2 term it does not pass through Adam's per-value scaling. 0 for the seed.
    public var weightDecay: Float = 0
    /// Label smoothing ε: the target is (1 − ε)·one-hot + ε/7. 0 for the seed.
    public var labelSmoothing: Float = 0
    public init(learningRate: Float = 1e-3, l2: Float = 1e-2, weightDecay: Float = 0, labelSmoothing: Float = 0) {
        self.learningRate = learningRate
        self.l2 = l2
        self.weightDecay = weightDecay
        self.labelSmoothing = labelSmoothing
    }
}

/// The networks' input and output: one 48×48 gray image in, one score per class (7) out. The
/// engine knows no faces, so the data's own declaration (`ImageSet.side`, `Emotion.count` in
/// FERData, which the engine may not import) is a separate one; a test holds the two equal.
public enum ModelShape {
    public static let side = 48
    public static let pixels = side * side
    public static let classes = 7
}

/// A checkpoint that cannot be read: says what is wrong in words a person can act on. The file
/// format (CheckpointFormat) declares it; this name keeps it visible to FERModel's importers.
public typealias CheckpointError = CheckpointFormat.CheckpointError

/// A trainable classifier: network + parameters + optimizer state + dropout RNG, computing on
/// the `Engine` it was made with (its threads, kernel table and profiling clock).
/// Not thread-safe: one owner (the training queue) uses it at a time.
public final class Classifier {
    public let architecture: Architecture
    /// What this classifier computes with; several classifiers may share one.
    public let engine: Engine
    public var hyperparameters: Hyperparameters
    /// Optimizer steps taken so far (restored from checkpoints).
    public private(set) var step: Int = 0
    /// Loaded from an inference checkpoint: the weights are there, the optimizer's moments are
    /// not, so training cannot continue it exactly.
    public private(set) var isInferenceOnly = false

    let network: Network
    /// One generator for init and then dropout, so a seed fixes the whole run.
    var rng: Xoshiro256
    /// The moving average of the weights, in a run that keeps one (`averageWeights`).
    private var average: WeightAverage?
    /// The decay of the weights' moving average, or nil when the classifier keeps none.
    public var weightAverageDecay: Float? { average?.decay }
    /// Checkpoint metadata key of the average's decay (a version-3 file holds the average itself).
    public static let averageDecayKey = "weight_average_decay"
    /// Inference walks large requests in slices of this many images so buffers stay bounded.
    static let inferenceSlice = 128

    public init(architecture: Architecture, hyperparameters: Hyperparameters = .init(), seed: UInt64, engine: Engine) {
        self.architecture = architecture
        self.hyperparameters = hyperparameters
        self.engine = engine
        network = NetworkFactory.build(architecture, isa: engine.isa)
        rng = Xoshiro256(seed: seed)
        NetworkFactory.initialize(network, architecture: architecture, rng: &rng)
    }

    /// For checkpoint loading: parameters are filled in by the caller.
    private init(architecture: Architecture, hyperparameters: Hyperparameters, rng: Xoshiro256, step: Int, engine: Engine) {
        self.architecture = architecture
        self.hyperparameters = hyperparameters
        self.engine = engine
        network = NetworkFactory.build(architecture, isa: engine.isa)
        self.rng = rng
        self.step = step
    }

    /// Trainable values (batch-norm running statistics are state, not parameters).
    public var parameterCount: Int { network.parameters.filter(\.trainable).reduce(0) { $0 + $1.count } }

    /// One Adam step on a batch. `images`: count × 2304 floats in [0, 1] (row-major 48×48),
    /// `labels`: count class indices 0...6. Returns the loss (mean CE + l2 term) before the update.
    /// With `mix` (mixup: images blended with partners), each target is weight·labels[i] +
    /// (1 − weight)·partners[i]. With `soft` (distillation), each target is blended with the
    /// image's row of soft targets (see `Loss.softmaxCrossEntropy`).
    public func trainStep(images: UnsafeBufferPointer<Float>, labels: [Int32],
                          mix: (partners: [Int32], weight: Float)? = nil, soft: SoftTargets? = nil) -> Float {
        let batch = labels.count
        precondition(batch > 0, "trainStep needs at least one image")
        precondition(images.count >= batch * ModelShape.pixels, "images holds fewer than \(batch) images")
        let input = images.baseAddress!
        var ctx = PassContext(training: true, workers: engine.workers, rng: rng)
        let logits = network.forward(input, batch: batch, &ctx)
        let ce = Loss.softmaxCrossEntropy(logits: logits, labels: labels, classes: ModelShape.classes,
                                          gradient: network.outputGradient,
                                          smoothing: Double(hyperparameters.labelSmoothing), mix: mix, soft: soft)
        network.backward(input, batch: batch, ctx)
        let reg = Loss.l2(network.parameters, strength: hyperparameters.l2, addGradient: true)
        step += 1
        Adam.update(network.parameters, hyper: hyperparameters, step: step, workers: ctx.workers)
        average?.update(from: network.parameters, afterStep: step)
        rng = ctx.rng
        return Float(ce + reg)
    }

    /// From now on keeps an exponential moving average of the weights (and batch-norm
    /// statistics), starting at the current ones; `decay` is its long-run memory per step.
    public func averageWeights(decay: Float) {
        precondition(decay > 0 && decay < 1, "the average's decay must be in (0, 1)")
        average = WeightAverage(copying: network.parameters, decay: decay)
    }

    /// Runs `body` with the moving average in place of the weights (just `body` when the
    /// classifier keeps no average): how a run evaluates and saves its model.
    public func withAveragedWeights<T>(_ body: () throws -> T) rethrows -> T {
        guard let average else { return try body() }
        average.swap(with: network.parameters)
        network.parametersChanged()
        defer {
            average.swap(with: network.parameters)
            network.parametersChanged()
        }
        return try body()
    }

    /// Drops the moving average: the raw weights are the model again.
    public func stopAveraging() { average = nil }

    /// Makes the moving average the weights for good and stops averaging: for a loaded
    /// checkpoint that is used as a model (predict, evaluate, export), not trained on.
    public func adoptAveragedWeights() {
        guard let average else { return }
        average.swap(with: network.parameters)
        network.parametersChanged()
        self.average = nil
    }

    /// Inference (dropout off): count × 7 logits.
    public func logits(images: UnsafeBufferPointer<Float>, count: Int) -> [Float] {
        run(images, count: count, training: false)
    }

    /// Forward pass with dropout active (the seed chapter's sampling); count × 7 logits.
    public func logitsWithDropout(images: UnsafeBufferPointer<Float>, count: Int) -> [Float] {
        run(images, count: count, training: true, batchStatistics: false)
    }

    /// Mean cross-entropy (no l2 term) and logits for a labelled batch, inference mode.
    public func evaluate(images: UnsafeBufferPointer<Float>, labels: [Int32]) -> (loss: Float, logits: [Float]) {
        let out = run(images, count: labels.count, training: false)
        guard !labels.isEmpty else { return (0, out) }
        let loss = out.withUnsafeBufferPointer {
            Loss.softmaxCrossEntropy(logits: $0.baseAddress!, labels: labels, classes: ModelShape.classes, gradient: nil)
        }
        return (Float(loss), out)
    }

    private func run(_ images: UnsafeBufferPointer<Float>, count: Int, training: Bool, batchStatistics: Bool? = nil) -> [Float] {
        let classes = ModelShape.classes
        guard count > 0 else { return [] }
        precondition(images.count >= count * ModelShape.pixels, "images holds fewer than \(count) images")
        var result = [Float](repeating: 0, count: count * classes)
        var ctx = PassContext(training: training, workers: engine.workers, rng: rng,
                              batchStatistics: batchStatistics)
        result.withUnsafeMutableBufferPointer { dst in
            var start = 0
            while start < count {
                let n = min(Self.inferenceSlice, count - start)
                let out = network.forward(images.baseAddress! + start * ModelShape.pixels, batch: n, &ctx)
                (dst.baseAddress! + start * classes).update(from: out, count: n * classes)
                start += n
            }
        }
        if training { rng = ctx.rng }
        return result
    }

    /// Whole state as checkpoint bytes: magic, version, architecture, `metadata`, parameters,
    /// optimizer state, RNG state, checksum.
    public func checkpointBytes(metadata: [String: String], inferenceOnly: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        writeCheckpoint(metadata: metadata, inferenceOnly: inferenceOnly) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The same bytes as `checkpointBytes`, handed to `write` in pieces straight from the
    /// parameters' memory: writing a checkpoint file costs no copy of the model. `inferenceOnly`
    /// leaves out the optimizer state (format version 2): the model's weights and batch-norm
    /// statistics, which are the moving average when the classifier keeps one. A training
    /// checkpoint keeps the raw weights and, alongside them, the average (version 3).
    public func writeCheckpoint(metadata: [String: String], inferenceOnly: Bool = false,
                                to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if inferenceOnly, average != nil {
            return try withAveragedWeights { try stream(metadata: metadata, inferenceOnly: true, averages: nil, to: write) }
        }
        try stream(metadata: metadata, inferenceOnly: inferenceOnly, averages: average, to: write)
    }

    private func stream(metadata: [String: String], inferenceOnly: Bool, averages: WeightAverage?,
                        to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var metadata = metadata
        if let averages { metadata[Self.averageDecayKey] = String(averages.decay) }
        let tensors = network.parameters.enumerated().map { i, p in
            CheckpointCodec.TensorSource(name: p.name, count: p.count, value: p.value.pointer, m: p.m.pointer,
                                         v: p.v.pointer, average: averages.map { UnsafePointer($0.values[i].pointer) })
        }
        let s = rng.state
        try CheckpointCodec.stream(architecture: architecture.rawValue, metadata: metadata,
                                   hyperparameters: OptimizerHeader(hyperparameters), step: UInt64(step), rng: [s.0, s.1, s.2, s.3],
                                   tensors: tensors, optimizerState: !inferenceOnly, to: write)
    }

    /// Rebuilds a classifier on `engine` from checkpoint bytes; a damaged or foreign file throws
    /// CheckpointError.
    public static func fromCheckpoint(_ bytes: [UInt8], engine: Engine) throws -> (Classifier, metadata: [String: String]) {
        let state = try CheckpointCodec.decode(bytes, knownArchitectures: Architecture.allCases.map(\.rawValue),
                                               layout: Self.layout(of:))
        guard let arch = Architecture(rawValue: state.architecture) else {
            throw CheckpointError("unknown architecture '\(state.architecture)' in checkpoint")
        }
        guard state.step <= UInt64(Int.max) else {
            throw CheckpointError("damaged checkpoint: step count \(state.step) out of range")
        }
        let r = state.rng
        let c = Classifier(architecture: arch, hyperparameters: Hyperparameters(state.hyperparameters),
                           rng: Xoshiro256(state: (r[0], r[1], r[2], r[3])), step: Int(state.step), engine: engine)
        for (p, t) in zip(c.network.parameters, state.tensors) {
            t.value.withUnsafeBufferPointer { p.value.pointer.update(from: $0.baseAddress!, count: p.count) }
            t.m.withUnsafeBufferPointer { p.m.pointer.update(from: $0.baseAddress!, count: p.count) }
            t.v.withUnsafeBufferPointer { p.v.pointer.update(from: $0.baseAddress!, count: p.count) }
        }
        c.network.parametersChanged()
        c.isInferenceOnly = !state.hasOptimizerState
        if state.hasAverage {
            let decay = state.metadata[averageDecayKey].flatMap(Float.init).flatMap { $0 > 0 && $0 < 1 ? $0 : nil }
            guard let decay else {
                throw CheckpointError("damaged checkpoint: it holds a weight average but no valid '\(averageDecayKey)' in its metadata")
            }
            c.average = WeightAverage(parameters: c.network.parameters, saved: state.tensors.map { $0.average! },
                                      decay: decay)
        }
        return (c, state.metadata)
    }

    /// Tensor names and sizes an architecture's checkpoint must hold, in file order.
    static func layout(of name: String) -> [(name: String, count: Int)]? {
        guard let arch = Architecture(rawValue: name) else { return nil }
        // Names and sizes do not depend on the kernel table.
        return NetworkFactory.build(arch, isa: .portable).parameters.map { ($0.name, $0.count) }
    }
}

extension OptimizerHeader {
    /// The five settings a checkpoint's header keeps.
    package init(_ h: Hyperparameters) {
        self.init(learningRate: h.learningRate, l2: h.l2, beta1: h.beta1, beta2: h.beta2, epsilon: h.epsilon)
    }
}

extension Hyperparameters {
    /// A checkpoint's settings: the defaults, with the five its header keeps.
    package init(_ header: OptimizerHeader) {
        self.init()
        learningRate = header.learningRate
        l2 = header.l2
        beta1 = header.beta1
        beta2 = header.beta2
        epsilon = header.epsilon
    }
}
