import ArgumentParser
import FERData
import FERModel
import FERTraining

struct Browse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard on a dataset without training (with predictions when a model is given).")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "A checkpoint file or a run directory, for predictions. Default: the newest run under ./runs, else the shipped model (assets/models); with neither, no predictions.")
    var model: String?

    @OptionGroup var display: DisplayFlags

    func run() throws {
        let dataset = try dataOptions.load()
        var classifier: Classifier?
        // A named model must load; without one, browsing still works when there is no model at all.
        if let checkpoint = model != nil ? try chooseModel(model) : try? chooseModel(nil) {
            classifier = try RunDirectory.loadCheckpoint(checkpoint).0
        }
        let status = runBrowseDashboard(dataset: dataset, classifier: classifier, options: display.options)
        if status != 0 { throw ExitCode(status) }
    }
}
