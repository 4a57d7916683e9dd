import ArgumentParser
import FERData
import FERTraining

struct Browse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the dashboard on a dataset without training (with predictions when a model is given).")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "A checkpoint file or a run directory, for predictions.")
    var model: String?

    @OptionGroup var display: DisplayFlags

    func run() throws {
        throw UsageError("browse needs the dashboard, which is not built yet")
    }
}
