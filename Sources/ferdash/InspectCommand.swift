import ArgumentParser
import FERData
import FERTraining
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a dataset: split sizes and shapes, per-class counts, and one sample drawn as text.")

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Draw training sample N (0-based) with its label.")
    var show: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let dataset = try dataOptions.load()
        if json {
            print(JSON.object([("name", .string(dataset.name)), ("splits", .object(SplitName.allCases.map { split in
                let set = dataset[split]
                return (split.rawValue, .object([("count", .int(set.count)), ("labeled", .int(set.isLabeled ? 1 : 0)),
                                                 ("per_class", .array(set.perClassCounts.map { .int($0) }))]))
            }))]).text)
            return
        }
        print("Dataset: \(dataset.name)")
        if dataset.skippedRows > 0 { print("Skipped rows: \(dataset.skippedRows)") }
        let header = Emotion.allCases.map { $0.name.leftPadded(9) }.joined()
        print("split         images" + "  shape".padding(toLength: 20, withPad: " ", startingAt: 0) + header)
        for split in SplitName.allCases {
            let set = dataset[split]
            let counts = set.isLabeled ? set.perClassCounts.map { String($0).leftPadded(9) }.joined()
                                       : (set.isEmpty ? "" : "   (unlabelled)")
            print(split.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + String(set.count).leftPadded(8)
                  + "  (\(set.count), \(ImageSet.side), \(ImageSet.side), 1)".padding(toLength: 20, withPad: " ", startingAt: 0) + counts)
        }
        guard let show else { return }
        let set = dataset.train
        guard show >= 0 && show < set.count else {
            throw UsageError("--show \(show): the training split has \(set.count) images (0...\(max(0, set.count - 1)))")
        }
        let label = set.labels[show]
        let labelText = label >= 0 ? "\(Emotion(index: Int(label)).name) (\(label)), one-hot \(oneHot(Int(label)))" : "unlabelled"
        print("\nSample \(show) of train: shape (\(ImageSet.side), \(ImageSet.side), 1), label \(labelText)")
        print(TextImage.render(Array(set.image(show))))
    }

    func oneHot(_ label: Int) -> String {
        "[" + (0..<Emotion.count).map { $0 == label ? "1" : "0" }.joined(separator: " ") + "]"
    }
}

/// Draws a 48×48 image as 24 lines of 48 characters (two pixel rows per line), dark to light.
enum TextImage {
    static let ramp = Array(" .:-=+*#%@")

    static func render(_ pixels: [UInt8]) -> String {
        var lines: [String] = []
        let side = ImageSet.side
        for row in stride(from: 0, to: side, by: 2) {
            var line = ""
            for col in 0..<side {
                let mean = (Int(pixels[row * side + col]) + Int(pixels[(row + 1) * side + col])) / 2
                line.append(ramp[mean * (ramp.count - 1) / 255])
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
