import ArgumentParser
import FERData
import FERModel
import FERTraining
import ONNXExport

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a trained network as an ONNX model (input [N,1,\(ModelShape.side),\(ModelShape.side)] pixels in [0,1], output [N,\(ModelShape.classes)] probabilities), or as a compact inference checkpoint.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx
        /// Weights and batch-norm statistics without the optimizer state: a third of the size.
        case checkpoint
    }

    @Option(help: "A checkpoint file or a run directory (its best checkpoint). Default: the newest run under ./runs, else the shipped model (assets/models).")
    var model: String?

    @Option(help: "onnx, or checkpoint: an inference checkpoint (weights and batch-norm statistics, no optimizer state) that --model accepts and --resume refuses.")
    var format: Format = .onnx

    @Option(help: "The file to write (replaced atomically).")
    var output: String

    func run() throws {
        let checkpoint = try chooseModel(model)
        let (classifier, metadata) = try RunDirectory.loadCheckpoint(checkpoint, engine: Engine(threads: defaultThreads()))
        switch format {
        case .onnx:
            let bytes = ONNXWriter.encode(classifier.inferenceGraph(), metadata: Self.metadata(classifier, metadata))
            try RunDirectory.writeAtomically(bytes, to: output)
            print("Wrote \(output): \(classifier.architecture.rawValue) from \(checkpoint) (step \(classifier.step)), \(bytes.count) bytes, ONNX opset \(ONNXWriter.opsetVersion)")
        case .checkpoint:
            let bytes = classifier.checkpointBytes(metadata: metadata, inferenceOnly: true)
            try RunDirectory.writeAtomically(bytes, to: output)
            print("Wrote \(output): \(classifier.architecture.rawValue) inference checkpoint from \(checkpoint) (step \(classifier.step)), \(bytes.count) bytes")
        }
    }

    /// What a consumer needs to read the output, then how the model was trained.
    static func metadata(_ classifier: Classifier, _ checkpoint: [String: String]) -> [(key: String, value: String)] {
        var props: [(key: String, value: String)] = [
            ("class_names", Emotion.allCases.map(\.name).joined(separator: ",")),
            ("input", "float32 [N,1,\(ModelShape.side),\(ModelShape.side)]: grayscale face, pixel/255"),
            ("architecture", classifier.architecture.rawValue),
            ("step", String(classifier.step)),
        ]
        if let command = checkpoint[TrainingConfiguration.commandKey] { props.append(("training_command", command)) }
        for key in checkpoint.keys.sorted() where key != TrainingConfiguration.commandKey && key != "architecture" && key != "step" {
            props.append(("training." + key, checkpoint[key]!))
        }
        return props
    }
}
