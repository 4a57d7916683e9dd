import ArgumentParser
import Dashboard
import FERData
import FERModel
import FERTraining
import Foundation

struct Browse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard on a dataset without training (with predictions when a model is given).")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "A checkpoint file or a run directory, for predictions. Default: the newest run under ./runs, else the shipped model (assets/models); with neither, no predictions.")
    var model: String?

    @OptionGroup var display: DisplayFlags

    func run() throws {
        let dataset = try dataOptions.load()
        var served: (Classifier, checkpoint: String)?
        // A named model must load; without one, browsing still works when there is no model at all.
        if let checkpoint = model != nil ? try chooseModel(model) : try? chooseModel(nil) {
            served = (try RunDirectory.loadCheckpoint(checkpoint, engine: Engine(threads: defaultThreads())).0, checkpoint)
        }
        let status = runBrowseDashboard(dataset: dataset, model: served, options: display.options)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The training curves of the run a checkpoint belongs to: the metrics.jsonl in the checkpoint's
/// folder (a run directory given as `--model` resolves to a checkpoint inside it). Reads the
/// file once; an exported checkpoint or the shipped model has none beside it.
func modelHistory(checkpoint: String) -> ModelHistory {
    let folder = (checkpoint as NSString).deletingLastPathComponent
    let metrics = RunDirectory(path: folder.isEmpty ? "." : folder).metrics
    guard FileManager.default.fileExists(atPath: metrics) else { return .noMetrics }
    do {
        return ModelHistory(summary: try RunSummary.read(metrics).0)
    } catch {
        return .none("no training curves: \(error)")
    }
}
