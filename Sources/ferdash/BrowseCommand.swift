import ArgumentParser
import FERData
import FERModel
import FERTraining

struct Browse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard on a dataset without training (with predictions when a model is given).")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "A checkpoint file or a run directory, for predictions.")
    var model: String?

    @OptionGroup var display: DisplayFlags

    func run() throws {
        let dataset = try dataOptions.load()
        var classifier: Classifier?
        if let model { classifier = try RunDirectory.loadCheckpoint(try RunDirectory.resolveModel(model)).0 }
        let status = runBrowseDashboard(dataset: dataset, classifier: classifier, options: display.options)
        if status != 0 { throw ExitCode(status) }
    }
}
