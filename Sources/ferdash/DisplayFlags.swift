import ArgumentParser
import Dashboard
import FERData
import FERTraining

/// How the dashboard may draw: the person's and the terminal's limits.
struct DisplayFlags: ParsableArguments {
    @Flag(help: "No colours (also when NO_COLOR is set or TERM=dumb).")
    var noColor = false

    @Flag(help: "ASCII glyphs only (also when the locale is not UTF-8).")
    var ascii = false

    @Flag(help: "Ignore the mouse (clicks and wheel), leaving the terminal's own text selection.")
    var noMouse = false

    var options: DisplayOptions { DisplayOptions(noColor: noColor, ascii: ascii, mouse: !noMouse) }
}

/// Wires datasets and sessions to the dashboard.
enum DashboardLauncher {
    static func train(dataset: Dataset, configuration: TrainingConfiguration, display: DisplayFlags,
                      comparisons: [ComparedRun] = []) throws -> Int32 {
        runTrainingDashboard(dataset: dataset, configuration: configuration, options: display.options, comparisons: comparisons)
    }
}
