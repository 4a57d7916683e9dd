import ArgumentParser
import FERModel
import FERTraining
import Foundation

@main
struct Ferdash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferdash",
        abstract: "Train a CNN to recognise facial emotions, and watch it learn.",
        discussion: """
            With no arguments, opens the dashboard and trains the default network (\(TrainingRecipe.defaultArchitecture.rawValue)) on the built-in \
            synthetic faces. Data: fer2013.csv (or .csv.gz), the seed chapter's train.csv/test.csv, \
            or image folders train|test/<class>/.
            """,
        subcommands: [Train.self, Watch.self, Runs.self, Browse.self, Predict.self, Evaluate.self, Export.self, Inspect.self, Synth.self,
                      Bench.self, Video.self],
        defaultSubcommand: Train.self
    )

    /// Refuses a FERDASH_ISA this build or CPU cannot honour before any command runs, rather
    /// than silently measuring or training on another instruction set.
    static func main() {
        if let problem = KernelISA.fromEnvironment.problem {
            FileHandle.standardError.write("Error: \(problem)\n")
            Foundation.exit(64)
        }
        main(nil)
    }
}
