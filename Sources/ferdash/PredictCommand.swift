import ArgumentParser
import FERData
import FERModel
import FERTraining
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
        var results: [JSON] = []
        var failures = 0
        var explanations = try explain.map { try ExplanationFiles(directory: $0) }
        for file in files {
            let prepared: PreparedImage
            do {
                prepared = try preparer.prepare(path: file)
            } catch {
                failures += 1
                FileHandle.standardError.write("Error: \(error)\n")
                results.append(.object([("file", .string(file)), ("error", .string(String(describing: error)))]))
                continue
            }
            var faces: [JSON] = []
            var perFace: [[Float]] = []
            var lines: [String] = []
            for face in prepared.faces {
                let p = Evaluator.probabilities(classifier, pixels: face.pixels, tta: tta ? .mirrorAndShifts : .none)
                perFace.append(p)
                let label = Emotion(rawValue: argmax(p))!
                var fields: [(String, JSON)] = [("label", .string(label.name)), ("probabilities", JSON.probabilities(p[...]))]
                if let box = face.box {
                    fields.insert(("box", .object([("x", .int(box.x)), ("y", .int(box.y)), ("width", .int(box.width)), ("height", .int(box.height))])), at: 0)
                    fields.append(("confidence", .number(face.confidence ?? 0)))
                } else {
                    fields.insert(("box", .null), at: 0)
                }
                // Dropout sampling runs the network `samples` times: do it once for both outputs.
                let shares = samples.map { dropoutHistogram(classifier, face.pixels, $0) }
                if let shares {
                    fields.append(("dropout_samples", .object(Emotion.allCases.map { ($0.name, .number(shares[$0.rawValue])) })))
                }
                var explanation: String?
                if explanations != nil {
                    let map = Evaluator.saliency(classifier, pixels: face.pixels, class: label.rawValue, mirrorAverage: tta)
                    let path = explanations!.path(for: file)
                    try ExplanationImage(pixels: face.pixels, saliency: map, probabilities: p).write(path: path)
                    fields.append(("explanation", .string(path)))
                    explanation = path
                }
                faces.append(.object(fields))
                lines.append(describe(face: face, probabilities: p, label: label, dropoutShares: shares)
                             + (explanation.map { "\n    saliency: \($0)" } ?? ""))
            }
            let first = prepared.faces[0]
            // The file's headline answer is its first (largest) face's, already computed above.
            let firstP = perFace[0]
            let faceBox: JSON = first.box.map { .object([("x", .int($0.x)), ("y", .int($0.y)), ("width", .int($0.width)), ("height", .int($0.height))]) } ?? .null
            results.append(.object([("file", .string(file)), ("label", .string(Emotion(rawValue: argmax(firstP))!.name)),
                                    ("probabilities", JSON.probabilities(firstP[...])), ("face", faceBox),
                                    ("note", prepared.note.map { .string($0) } ?? .null), ("faces", .array(faces))]))
            if !json {
                print("\(file): \(prepared.width)×\(prepared.height)" + (prepared.note.map { " — \($0)" } ?? ""))
                lines.forEach { print($0) }
            }
        }
        if json { print(JSON.array(results).text) }
        if failures > 0 { throw ExitCode(1) }
    }

    func describe(face: PreparedFace, probabilities p: [Float], label: Emotion, dropoutShares: [Double]?) -> String {
        var out = ""
        if let box = face.box {
            out += String(format: "  face at x=%d y=%d %d×%d (confidence %.2f): ", box.x, box.y, box.width, box.height, face.confidence ?? 0)
        } else {
            out += "  centre crop: "
        }
        out += String(format: "%@ (%.1f%%)\n", label.name, p[label.rawValue] * 100)
        for e in Emotion.allCases {
            let value = p[e.rawValue]
            out += "    " + e.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(format: "%6.1f%% ", value * 100) + String(repeating: "█", count: Int((value * 30).rounded())) + "\n"
        }
        if let samples, let shares = dropoutShares {
            let ranked = shares.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
            out += "    dropout sampling (\(samples) runs): " + ranked.map {
                String(format: "%@ = %.1f%%", Emotion(rawValue: $0.offset)!.name, $0.element * 100)
            }.joined(separator: ", ") + "\n"
        }
        return out.trimmingCharacters(in: .newlines)
    }

    /// Share of runs each label wins with dropout active (the seed chapter's 1,000-run histogram).
    func dropoutHistogram(_ classifier: Classifier, _ pixels: [UInt8], _ runs: Int) -> [Double] {
        let image = pixels.map { Float($0) / 255 }
        var wins = [Int](repeating: 0, count: 7)
        let chunk = 64
        var batch = [Float]()
        batch.reserveCapacity(chunk * image.count)
        var done = 0
        while done < runs {
            let n = min(chunk, runs - done)
            batch.removeAll(keepingCapacity: true)
            for _ in 0..<n { batch.append(contentsOf: image) }
            let logits = batch.withUnsafeBufferPointer { classifier.logitsWithDropout(images: $0, count: n) }
            for i in 0..<n { wins[argmax(logits[(i * 7)..<(i * 7 + 7)])] += 1 }
            done += n
        }
        return wins.map { Double($0) / Double(runs) }
    }

}

/// Names the `--explain` PNGs: `<image name>-face<k>.png` in the directory (created if missing),
/// numbered on so two inputs with the same name in different folders never overwrite each other.
struct ExplanationFiles {
    let directory: String
    private var used: [String: Int] = [:]

    init(directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("--explain \(directory): exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            catch { throw ValidationError("--explain \(directory): cannot create the directory (\(error.localizedDescription))") }
        }
        self.directory = directory
    }

    mutating func path(for image: String) -> String {
        let stem = ((image as NSString).lastPathComponent as NSString).deletingPathExtension
        let k = used[stem, default: 0] + 1
        used[stem] = k
        return (directory as NSString).appendingPathComponent("\(stem)-face\(k).png")
    }
}
