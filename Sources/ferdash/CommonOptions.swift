import ArgumentParser
import FERData
import FERModel
import FERTraining
import Foundation

/// Where the images come from; shared by every command that reads a dataset.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "fer2013.csv[.gz], the seed's train.csv (or its folder), or an image folder with train/ and test/. Default: the built-in synthetic faces.")
    var data: String?

    @Flag(name: .long, help: "Skip malformed CSV rows (and report how many) instead of stopping at the first.")
    var skipBadRows = false

    @Option(name: .long, help: "Seed of the 10% validation hold-out for formats without a validation split.")
    var splitSeed: UInt64 = 0

    func load() throws -> Dataset {
        guard let data else { return SyntheticFaces.builtIn() }
        let dataset = try DatasetLoader.load(path: data, options: LoadOptions(skipBadRows: skipBadRows, splitSeed: splitSeed))
        if dataset.skippedRows > 0 {
            FileHandle.standardError.write("ferdash: skipped \(dataset.skippedRows) malformed row(s) in \(data)\n")
        }
        return dataset
    }

    /// Where this data lives, as a run records it: an absolute path so another process in
    /// another directory (`ferdash watch`) can load the same splits.
    func launchRecord() -> LaunchRecord {
        LaunchRecord(datasetPath: data.map { URL(fileURLWithPath: $0).standardizedFileURL.path }, splitSeed: splitSeed,
                     skipBadRows: skipBadRows)
    }
}

/// The checkpoint `--model` names, or the newest run's, or the shipped model (said on stderr,
/// so `--json` output stays clean).
func chooseModel(_ model: String?) throws -> String {
    let choice = try ModelChoice.resolve(model)
    if let notice = choice.notice { FileHandle.standardError.write(notice + "\n") }
    return choice.checkpoint
}

extension Architecture: ExpressibleByArgument {}
extension SplitName: ExpressibleByArgument {}

extension FileHandle {
    func write(_ text: String) { write(Data(text.utf8)) }
}

/// An error the user caused: printed as `Error: <message>` with a non-zero exit status.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Default thread count: every core the process may use.
func defaultThreads() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

