import ArgumentParser
import FERData
import FERModel
import FERTraining
import ImagePrediction
import Foundation

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict the emotion of the face in each image file (PNG, JPEG, PGM/PPM).")

    @Argument(help: "Image files.")
    var files: [String]

    @Option(help: "A checkpoint file or a run directory (its best checkpoint). Default: the newest run under ./runs, else the shipped model (assets/models).")
    var model: String?

    @Option(help: "Also run the network N times with dropout on, and report how often each label wins (the seed chapter's histogram).")
    var samples: Int?

    @Flag(help: "Test-time augmentation: average over 10 views of each face: itself and its mirror image, each also shifted 2 px left, right, up and down (the --explain map averages the face and its mirror).")
    var tta = false

    @OptionGroup var faceOptions: FaceOptions

    @Option(help: ArgumentHelp("Write a PNG per face into DIR: the crop the network saw, enlarged, with its saliency map for the predicted class (HiResCAM on the last convolution block) blended over it, and the class probabilities as bars.", valueName: "DIR"))
    var explain: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let samples, samples < 1 || samples > 100_000 { throw ValidationError("--samples must be 1...100000") }
    }

    func run() throws {
        let checkpoint = try chooseModel(model)
        let (classifier, _) = try RunDirectory.loadCheckpoint(checkpoint, engine: Engine(threads: defaultThreads()))
        let preparer = try FacePreparer(options: faceOptions)
        var predictor = ImagePredictor(classifier: classifier, tta: tta, dropoutRuns: samples)
        do { predictor.explanations = try explain.map { try ExplanationFiles(directory: $0) } }
        catch let problem as ExplanationFiles.Problem { throw ValidationError(problem.description) }
        var results: [JSON] = []
        var failures = 0
        for file in files {
            let prepared: PreparedImage
            do {
                prepared = try preparer.prepare(path: file)
            } catch {
                failures += 1
                FileHandle.standardError.write("Error: \(error)\n")
                results.append(ImageFilePrediction.failureJSON(file: file, error: error))
                continue
            }
            let prediction = try predictor.predict(file: file, image: prepared)
            results.append(prediction.json)
            if !json { print(prediction.text) }
        }
        if json { print(JSON.array(results).text) }
        if failures > 0 { throw ExitCode(1) }
    }
}
