import FERData
import FERModel
import FERTraining
import Foundation

/// Runs a classifier on the faces of prepared images: probabilities (with test-time
/// augmentation if asked), the dropout histogram and the explanation picture.
public struct ImagePredictor {
    public let classifier: Classifier
    public var tta: Bool
    /// Runs of the dropout histogram (`--samples`); nil for none.
    public var dropoutRuns: Int?
    /// Where the explanation pictures go (`--explain`); nil for none.
    public var explanations: ExplanationFiles?

    public init(classifier: Classifier, tta: Bool = false, dropoutRuns: Int? = nil, explanations: ExplanationFiles? = nil) {
        self.classifier = classifier; self.tta = tta; self.dropoutRuns = dropoutRuns; self.explanations = explanations
    }

    /// Every face of `image`, read from `file`; writes the explanation pictures as it goes.
    public mutating func predict(file: String, image: PreparedImage) throws -> ImageFilePrediction {
        var faces: [FacePrediction] = []
        for face in image.faces {
            var prediction = FacePrediction(
                face: face, probabilities: Evaluator.probabilities(classifier, pixels: face.pixels, tta: tta ? .mirrorAndShifts : .none))
            // Dropout sampling runs the network `runs` times: once, for both outputs.
            prediction.dropout = dropoutRuns.map { ($0, dropoutHistogram(face.pixels, runs: $0)) }
            if explanations != nil {
                let map = Evaluator.saliency(classifier, pixels: face.pixels, class: prediction.label.rawValue, mirrorAverage: tta)
                let path = explanations!.path(for: file)
                try ExplanationImage(pixels: face.pixels, saliency: map, probabilities: prediction.probabilities).write(path: path)
                prediction.explanation = path
            }
            faces.append(prediction)
        }
        return ImageFilePrediction(file: file, image: image, faces: faces)
    }

    /// Share of runs each label wins with dropout active (the seed chapter's 1,000-run histogram).
    public func dropoutHistogram(_ pixels: [UInt8], runs: Int) -> [Double] {
        let image = pixels.map { Float($0) / 255 }
        var wins = [Int](repeating: 0, count: ModelShape.classes)
        let chunk = 64
        var batch = [Float]()
        batch.reserveCapacity(chunk * image.count)
        var done = 0
        while done < runs {
            let n = min(chunk, runs - done)
            batch.removeAll(keepingCapacity: true)
            for _ in 0..<n { batch.append(contentsOf: image) }
            let logits = batch.withUnsafeBufferPointer { classifier.logitsWithDropout(images: $0, count: n) }
            for i in 0..<n { wins[argmax(logits[(i * ModelShape.classes)..<((i + 1) * ModelShape.classes)])] += 1 }
            done += n
        }
        return wins.map { Double($0) / Double(runs) }
    }
}

/// Names the `--explain` PNGs: `<image name>-face<k>.png` in the directory (created if missing),
/// numbered on so two inputs with the same name in different folders never overwrite each other.
public struct ExplanationFiles: Sendable {
    public let directory: String
    private var used: [String: Int] = [:]

    /// Why the directory cannot be used, worded for the `--explain` flag.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Problem(description: "--explain \(directory): exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            catch { throw Problem(description: "--explain \(directory): cannot create the directory (\(error.localizedDescription))") }
        }
        self.directory = directory
    }

    public mutating func path(for image: String) -> String {
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
        let k = used[stem, default: 0] + 1
        used[stem] = k
        return (directory as NSString).appendingPathComponent("\(stem)-face\(k).png")
    }
}
