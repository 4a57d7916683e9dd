import FERData
import Foundation
import FERTraining
import TermUI
@testable import Dashboard
import FERTestSupport

/// A hand-made dataset and a scripted event stream, so screens are deterministic.
enum Fixture {
    static let dataset = DemoSession.demoDataset(train: 40, validation: 20, test: 10, seed: 3)

    static let info = SessionInfo(architecture: "seed", datasetName: "demo", trainCount: 40, validationCount: 20,
                                  testCount: 10, batchSize: 8, totalSteps: 1000, firstStep: 0, runDirectory: "runs/test-run")

    static func step(_ i: Int) -> StepReport {
        // A falling loss with a deterministic wobble.
        let d = Double(i)
        let decay: Double = 1.9 * exp(-d / 150)
        let wobble: Double = 0.15 * sin(d * 1.7)
        let loss = Float(decay + 0.3 + wobble)
        return StepReport(step: i, epoch: Double(i) / 5, loss: loss, learningRate: 0.001, imagesPerSecond: 412,
                          elapsed: Double(i) * 0.25)
    }

    static func evaluation(_ step: Int) -> EvaluationReport {
        var cm = ConfusionMatrix()
        for (i, l) in dataset.validation.labels.enumerated() {
            let wrong = i % 3 == 0
            cm.add(truth: Int(l), predicted: wrong ? (Int(l) + 1) % 7 : Int(l))
        }
        let wrong = dataset.validation.labels.indices.filter { $0 % 3 == 0 }
        return EvaluationReport(step: step, validationLoss: Float(1.2 - Double(step) / 1000), confusion: cm, misclassified: wrong)
    }

    static func probabilities(_ hot: Int) -> [Float] {
        (0..<7).map { $0 == hot ? 0.55 : 0.075 }
    }

    /// A running session at step 300 with three evaluations and an answered prediction.
    static func runningState() -> AppState {
        var s = AppState(dataset: dataset, training: true, hasModel: true)
        s = apply(s, [.appeared, .event(.started(info))])
        for i in 1...300 {
            s = apply(s, [.event(.step(step(i)))])
            if i % 100 == 0 { s = apply(s, [.event(.evaluated(evaluation(i)))]) }
        }
        s = apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: probabilities(3)))])
        return s
    }

    static func apply(_ s: AppState, _ actions: [Action]) -> AppState {
        actions.reduce(s) { reduce($0, $1).0 }
    }

    /// The screen drawn over a grid of "x": a cell the view forgets shows up in the snapshot.
    static func render(_ s: AppState, _ w: Int, _ h: Int, _ caps: Capabilities = .full) -> CellGrid {
        var g = CellGrid(width: w, height: h, fill: unpaintedCell)
        DashboardView.draw(s, into: &g, caps: caps)
        return g
    }
}
