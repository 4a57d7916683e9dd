import ArgumentParser
import FERData
import FERTraining

/// How the dashboard may draw: the person's and the terminal's limits.
struct DisplayFlags: ParsableArguments {
    @Flag(help: "No colours (also when NO_COLOR is set or TERM=dumb).")
    var noColor = false

    @Flag(help: "ASCII glyphs only (also when the locale is not UTF-8).")
    var ascii = false
}

/// Wires datasets and sessions to the dashboard. (Temporary: headless until the dashboard lands.)
enum DashboardLauncher {
    static func train(dataset: Dataset, configuration: TrainingConfiguration, display: DisplayFlags) throws -> Int32 {
        try HeadlessTraining(dataset: dataset, configuration: configuration).run()
        return 0
    }
}
