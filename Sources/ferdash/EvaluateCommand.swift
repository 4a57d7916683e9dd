import ArgumentParser
import FERData
import FERModel
import FERTraining
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a trained model on a labelled split: accuracy, per-class precision/recall/F1, confusion matrix.")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Which split: test, validation or train.")
    var split: SplitName = .test

    @Option(help: "A checkpoint file or a run directory (its best checkpoint); repeat it to score the ensemble, the models' probabilities averaged. Default: the newest run under ./runs, else the shipped model (assets/models).")
    var model: [String] = []

    @Flag(help: "Test-time augmentation: average over 10 views of each image: itself and its mirror image, each also shifted 2 px left, right, up and down.")
    var tta = false

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let checkpoints = model.isEmpty ? [try chooseModel(nil)] : try model.map { try chooseModel($0) }
        let engine = Engine(threads: threads ?? defaultThreads())
        let classifiers = try checkpoints.map { try RunDirectory.loadCheckpoint($0, engine: engine).0 }
        let dataset = try dataOptions.load()
        let set = dataset[split]
        guard set.count > 0 else {
            throw UsageError("\(dataset.name): the \(split.rawValue) split is empty; choose another with --split")
        }
        guard set.isLabeled else {
            throw UsageError("\(dataset.name): the \(split.rawValue) split has no labels, so it cannot be scored (try --split validation)")
        }
        let result = Evaluator.evaluate(ensemble: classifiers, on: set, tta: tta ? .mirrorAndShifts : .none)!
        let confusion = result.confusion
        if json {
            let perClass = JSON.object(Emotion.allCases.map { e in
                let c = e.rawValue
                return (e.name, .object([("precision", .number(confusion.precision(c))), ("recall", .number(confusion.recall(c))),
                                         ("f1", .number(confusion.f1(c))), ("support", .int(confusion.support(c)))]))
            })
            print(JSON.object([
                ("split", .string(split.rawValue)), ("count", .int(set.count)), ("accuracy", .number(confusion.accuracy)),
                ("loss", .number(Double(result.loss))),
                ("confusion", .array(confusion.counts.map { .array($0.map { .int($0) }) })),
                ("per_class", perClass), ("model", .string(checkpoints[0])), ("models", .array(checkpoints.map { .string($0) })),
                ("tta", .int(tta ? 1 : 0)),
            ]).text)
            return
        }
        for (checkpoint, classifier) in zip(checkpoints, classifiers) {
            print("Model: \(checkpoint) (\(classifier.architecture.rawValue), step \(classifier.step))")
        }
        if classifiers.count > 1 { print("Ensemble: the \(classifiers.count) models' probabilities averaged") }
        print("Data: \(dataset.name), \(split.rawValue) split, \(set.count) images\(tta ? ", with test-time augmentation (mirror and 2 px shifts, 10 views)" : "")")
        print(String(format: "Accuracy: %.2f%%   loss %.4f", confusion.accuracy * 100, result.loss))
        print("")
        print("class       precision  recall     f1  support")
        for e in Emotion.allCases {
            let c = e.rawValue
            print(String(format: "%@ %9.3f %7.3f %6.3f %8d", e.name.padding(toLength: 10, withPad: " ", startingAt: 0),
                         confusion.precision(c), confusion.recall(c), confusion.f1(c), confusion.support(c)))
        }
        print("")
        print("confusion (rows true, columns predicted)")
        let names = Emotion.allCases.map { String($0.name.prefix(5)) }
        print("         " + names.map { $0.leftPadded(6) }.joined())
        for (row, counts) in confusion.counts.enumerated() {
            print(names[row].padding(toLength: 9, withPad: " ", startingAt: 0) + counts.map { String($0).leftPadded(6) }.joined())
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
