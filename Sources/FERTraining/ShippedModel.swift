import Foundation

/// The trained vgg9 that ships in the repository (assets/models): what `predict`, `evaluate`,
/// `export` and `browse` fall back to when no `--model` is given and no run exists under
/// ./runs, so trying ferdash on a photo does not start with an hour of training.
public enum ShippedModel {
    public static let relativePath = "assets/models/vgg9-fer2013.ferdash"

    /// The first copy found: under the working directory, then in the directories above the
    /// executable (a checkout's `.build/<triple>/release/ferdash` is three levels below it).
    public static func locate(workingDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String? = Bundle.main.executablePath) -> String? {
        var candidates = [workingDirectory + "/" + relativePath]
        if let executable {
            var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                candidates.append(directory.appendingPathComponent(relativePath).path)
                directory.deleteLastPathComponent()
            }
        }
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
    }
}

/// Which checkpoint a command uses, and the one line to say so when it is not what the person
/// named.
public struct ModelChoice: Equatable, Sendable {
    public var checkpoint: String
    /// Set when nobody named the model: which one stands in (a run trained on the built-in
    /// faces would otherwise pass for the shipped model on a photo).
    public var notice: String?

    /// `--model` when given; else the newest run under `runsRoot`; else the shipped model.
    public static func resolve(_ given: String?, runsRoot: String = "runs",
                               shipped: @autoclosure () -> String? = ShippedModel.locate()) throws -> ModelChoice {
        if given != nil {
            return ModelChoice(checkpoint: try RunDirectory.resolveModel(given, runsRoot: runsRoot))
        }
        if let newest = RunDirectory.newestRun(under: runsRoot) {
            let checkpoint = try RunDirectory.resolveModel(newest, runsRoot: runsRoot)
            return ModelChoice(checkpoint: checkpoint,
                               notice: "ferdash: using \(checkpoint), the newest run under ./\(runsRoot) (--model chooses another)")
        }
        guard let shipped = shipped() else {
            throw RunError("no model given, no runs under ./\(runsRoot) and no shipped model (\(ShippedModel.relativePath)); train one with `ferdash train` or pass --model PATH")
        }
        return ModelChoice(checkpoint: shipped,
                           notice: "ferdash: using the shipped model \(shipped) (no --model given and no runs under ./\(runsRoot))")
    }
}
