import ArgumentParser

@main
struct Ferdash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferdash",
        abstract: "Train a CNN to recognise facial emotions, and watch it learn.",
        discussion: """
            With no arguments, opens the dashboard and trains the default network (vgg7) on the built-in \
            synthetic faces. Data: fer2013.csv (or .csv.gz), the seed chapter's train.csv/test.csv, \
            or image folders train|test/<class>/.
            """,
        subcommands: [Train.self, Watch.self, Runs.self, Browse.self, Predict.self, Evaluate.self, Export.self, Inspect.self, Synth.self,
                      Bench.self],
        defaultSubcommand: Train.self
    )
}
