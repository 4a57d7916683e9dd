import FERTraining

/// `browse --model`: what the Loss panel can show of how the model was trained. The command
/// layer reads the run's metrics.jsonl off the UI thread and posts this as `Action.history`.
public enum ModelHistory: Equatable, Sendable {
    /// The run's training losses and validation evaluations, as the watch mode shows them.
    case curves(lossSteps: [Int], losses: [Float], evals: [EvalPoint])
    /// Why there are none (no metrics.jsonl beside the model, or it could not be read), in one line.
    case none(String)

    /// A compact exported checkpoint, or the shipped model, has no run folder beside it.
    public static let noMetrics = ModelHistory.none("no training curves: the model's run folder has no \(RunDirectory.metricsName)")

    /// The curves of a run's metrics as read; a run that wrote no step yet has none to show.
    public init(summary: RunSummary) {
        guard !summary.losses.isEmpty || !summary.evaluations.isEmpty else {
            self = .none("no training curves: the run's \(RunDirectory.metricsName) holds no steps yet")
            return
        }
        self = .curves(lossSteps: summary.lossSteps, losses: summary.losses,
                       evals: summary.evaluations.map { EvalPoint(step: $0.step, loss: $0.loss, accuracy: $0.accuracy) })
    }
}
