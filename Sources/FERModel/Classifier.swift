// CONTRACT (skeleton): the public surface FERTraining and the CLI rely on.
// The engine owner replaces the bodies; keep these signatures (add, don't break).

/// Which network to build. `seed` is the book chapter's network, exactly.
public enum Architecture: String, CaseIterable, Sendable, Codable {
    case seed
}

/// Optimizer and loss settings. Defaults are the seed chapter's (Adam with TF's defaults).
public struct Hyperparameters: Sendable, Codable, Equatable {
    public var learningRate: Float = 1e-3
    public var l2: Float = 1e-2
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public init(learningRate: Float = 1e-3, l2: Float = 1e-2) {
        self.learningRate = learningRate
        self.l2 = l2
    }
}

public enum ModelShape {
    public static let side = 48
    public static let pixels = 48 * 48
    public static let classes = 7
}

/// A checkpoint that cannot be read: says what is wrong in words a person can act on.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A trainable classifier: network + parameters + optimizer state + dropout RNG.
/// Not thread-safe: one owner (the training queue) uses it at a time.
public final class Classifier {
    public let architecture: Architecture
    public var hyperparameters: Hyperparameters
    /// Optimizer steps taken so far (restored from checkpoints).
    public private(set) var step: Int = 0

    public init(architecture: Architecture, hyperparameters: Hyperparameters = .init(), seed: UInt64) {
        self.architecture = architecture
        self.hyperparameters = hyperparameters
        fatalError("not implemented")
    }

    public var parameterCount: Int { fatalError("not implemented") }

    /// One Adam step on a batch. `images`: count × 2304 floats in [0, 1] (row-major 48×48),
    /// `labels`: count class indices 0...6. Returns the loss (mean CE + l2 term) before the update.
    public func trainStep(images: UnsafeBufferPointer<Float>, labels: [Int32]) -> Float {
        fatalError("not implemented")
    }

    /// Inference (dropout off): count × 7 logits.
    public func logits(images: UnsafeBufferPointer<Float>, count: Int) -> [Float] {
        fatalError("not implemented")
    }

    /// Forward pass with dropout active (the seed chapter's sampling); count × 7 logits.
    public func logitsWithDropout(images: UnsafeBufferPointer<Float>, count: Int) -> [Float] {
        fatalError("not implemented")
    }

    /// Mean cross-entropy (no l2 term) and logits for a labelled batch, inference mode.
    public func evaluate(images: UnsafeBufferPointer<Float>, labels: [Int32]) -> (loss: Float, logits: [Float]) {
        fatalError("not implemented")
    }

    /// Whole state as checkpoint bytes: magic, version, architecture, `metadata`, parameters,
    /// optimizer state, RNG state, checksum.
    public func checkpointBytes(metadata: [String: String]) -> [UInt8] {
        fatalError("not implemented")
    }

    /// Rebuilds a classifier from checkpoint bytes; a damaged or foreign file throws CheckpointError.
    public static func fromCheckpoint(_ bytes: [UInt8]) throws -> (Classifier, metadata: [String: String]) {
        fatalError("not implemented")
    }
}

/// Numerically stable softmax over rows of `classes` logits.
public func softmax(_ logits: [Float], classes: Int = ModelShape.classes) -> [Float] {
    fatalError("not implemented")
}

/// Threads for BLAS and the element-wise kernels (deterministic for a given count).
public enum ComputeThreads {
    public static func set(_ count: Int) { fatalError("not implemented") }
    public static var count: Int { fatalError("not implemented") }
}
