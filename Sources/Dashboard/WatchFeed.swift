import FERData
import FERTraining
import Foundation

/// Turns a watched run's metrics records into the events a training session would have sent,
/// so the dashboard shows a run written by another process with the same reducer and panels.
public struct RunEventTranslator {
    public let runDirectory: String
    /// The dataset the Sample panel browses: its split sizes stand in for a start record's
    /// when an older run did not write them.
    let fallbackCounts: (train: Int, validation: Int, test: Int)
    var batchSize = 0
    /// Recent (step, training seconds) pairs, for images per second over a short window.
    var recent: [(step: Int, seconds: Double)] = []

    public init(runDirectory: String, dataset: Dataset) {
        self.runDirectory = runDirectory
        fallbackCounts = (dataset.train.count, dataset.validation.count, dataset.test.count)
    }

    public mutating func events(for record: MetricsRecord) -> [TrainingEvent] {
        switch record {
        case .started(let s):
            batchSize = s.batchSize ?? 0
            recent.removeAll()
            return [.started(SessionInfo(
                architecture: s.architecture ?? "?", datasetName: s.dataset ?? "?",
                trainCount: s.trainCount ?? fallbackCounts.train, validationCount: s.validationCount ?? fallbackCounts.validation,
                testCount: s.testCount ?? fallbackCounts.test, batchSize: batchSize, totalSteps: s.totalSteps ?? 0,
                firstStep: s.step, runDirectory: runDirectory))]
        case .step(let l):
            let seconds = l.trainSeconds ?? 0
            recent.append((l.step, seconds))
            if recent.count > 21 { recent.removeFirst() }
            var rate = 0.0
            if let first = recent.first, seconds > first.seconds {
                rate = Double((l.step - first.step) * batchSize) / (seconds - first.seconds)
            }
            return [.step(StepReport(step: l.step, epoch: l.epoch ?? 0, loss: l.loss, learningRate: l.learningRate ?? 0,
                                     imagesPerSecond: rate, elapsed: seconds))]
        case .evaluation(let e):
            // The metrics do not list misclassified samples; the matrix is all there is.
            let confusion = e.confusion ?? ConfusionMatrix()
            return [.evaluated(EvaluationReport(step: e.step, validationLoss: e.loss, confusion: confusion, misclassified: []))]
        case .planned(let plan):
            return [.planned(plan)]
        case .replanned(let step, let total):
            return [.replanned(totalSteps: total, reason: "the run was shortened to \(total) steps at step \(step) (time budget)")]
        case .ended(let e):
            switch e.kind {
            case .finished, .stopped:
                return [.finished(FinishReport(step: e.step, elapsed: recent.last?.seconds ?? 0, stoppedEarly: e.kind == .stopped))]
            case .failed:
                return [.failed(message: e.message ?? "no message recorded")]
            }
        case .other:
            return []
        }
    }
}

/// Actions produced off the UI thread (the run watcher), picked up by the loop each tick in order.
public typealias ActionInbox = Inbox<Action>

extension ComparedRun {
    /// Another run's evaluations placed on the epoch axis; nil when the run says nothing that
    /// converts its steps to epochs (no steps_per_epoch and no epoch in its step lines).
    public init?(name: String, summary: RunSummary) {
        guard let perEpoch = summary.stepsPerEpoch, perEpoch > 0 else { return nil }
        self.init(name: name, points: summary.evaluations.map {
            Point(epoch: Double($0.step) / perEpoch, loss: Double($0.loss), accuracy: $0.accuracy)
        })
    }
}
