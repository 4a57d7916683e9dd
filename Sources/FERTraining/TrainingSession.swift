import FERData
import FERModel

/// CONTRACT (skeleton): how the CLI and the dashboard drive training.
public struct TrainingConfiguration: Sendable {
    public var architecture: Architecture = .seed
    public var hyperparameters = Hyperparameters()
    public var totalSteps = 1001
    public var batchSize = 128
    public var evalEvery = 100
    public var seed: UInt64 = 0
    public var threads = 2
    public var runDirectory: String
    public var resume = false
    public init(runDirectory: String) { self.runDirectory = runDirectory }
}

/// Runs training on a background queue and reports through `sink`.
/// pause/resume/stop/saveCheckpointNow/requestPrediction may be called from any thread.
public final class TrainingSession: @unchecked Sendable {
    public init(dataset: Dataset, configuration: TrainingConfiguration,
                sink: @escaping @Sendable (TrainingEvent) -> Void) {
        fatalError("not implemented")
    }
    public func start() { fatalError("not implemented") }
    public func pause() { fatalError("not implemented") }
    public func resume() { fatalError("not implemented") }
    /// Stops after the current batch, writes a checkpoint, then emits `finished`.
    public func stop() { fatalError("not implemented") }
    public func saveCheckpointNow() { fatalError("not implemented") }
    /// Predicts on a 48×48 image with the current weights; answered by a `.prediction` event.
    public func requestPrediction(pixels: [UInt8], tag: Int) { fatalError("not implemented") }
    /// Blocks until finished or failed; false on timeout.
    @discardableResult
    public func wait(timeout seconds: Double) -> Bool { fatalError("not implemented") }
}
