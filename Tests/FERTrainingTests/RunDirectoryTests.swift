import XCTest
import Foundation
@testable import FERTraining
import FERTestSupport

final class RunDirectoryTests: XCTestCase {
    let dir = TempDir()
    var root: String { dir.path }

    func testAtomicWriteReplacesWholeFileAndLeavesNoTemporary() throws {
        let file = root + "/c.bin"
        try RunDirectory.writeAtomically([1, 2, 3], to: file)
        try RunDirectory.writeAtomically([9, 8], to: file)
        XCTAssertEqual(FileManager.default.contents(atPath: file).map { [UInt8]($0) }, [9, 8])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["c.bin"])
    }

    /// Checkpoints are streamed in pieces: the file holds the pieces in order, whole.
    func testStreamedAtomicWriteHoldsEveryPieceInOrder() throws {
        let file = root + "/s.bin"
        let pieces: [[UInt8]] = [[1, 2], [], Array(repeating: 7, count: 100_000), [3]]
        try RunDirectory.writeAtomically(to: file) { write in for p in pieces { p.withUnsafeBytes(write) } }
        XCTAssertEqual(FileManager.default.contents(atPath: file).map { [UInt8]($0) }, Array(pieces.joined()))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["s.bin"])
    }

    func testAtomicWriteIntoMissingFolderNamesIt() {
        XCTAssertThrowsError(try RunDirectory.writeAtomically([1], to: root + "/nope/c.bin")) { error in
            XCTAssertTrue(String(describing: error).contains("nope"), "\(error)")
        }
    }

    /// A run lives where a checkpoint file is; a directory of a checkpoint's name is only in the way.
    func testCheckpointNamesAreTheCheckpointFilesThere() throws {
        let run = RunDirectory(path: root + "/r")
        try run.create()
        XCTAssertEqual(run.checkpointNames, [])
        try FileManager.default.createDirectory(atPath: run.latestCheckpoint, withIntermediateDirectories: true)
        XCTAssertEqual(run.checkpointNames, [], "a directory is no checkpoint")
        try Data([1]).write(to: URL(fileURLWithPath: run.bestCheckpoint))
        XCTAssertEqual(run.checkpointNames, [RunDirectory.bestName])
    }

    func testResolveModelPrefersBestThenLatest() throws {
        let run = RunDirectory(path: root + "/r1")
        try run.create()
        XCTAssertThrowsError(try RunDirectory.resolveModel(run.path)) { error in
            XCTAssertTrue(String(describing: error).contains("holds no checkpoint"), "\(error)")
        }
        try RunDirectory.writeAtomically([0], to: run.latestCheckpoint)
        XCTAssertEqual(try RunDirectory.resolveModel(run.path), run.latestCheckpoint)
        try RunDirectory.writeAtomically([0], to: run.bestCheckpoint)
        XCTAssertEqual(try RunDirectory.resolveModel(run.path), run.bestCheckpoint)
        XCTAssertEqual(try RunDirectory.resolveModel(run.latestCheckpoint), run.latestCheckpoint)
        XCTAssertThrowsError(try RunDirectory.resolveModel(root + "/missing"))
    }

    func testNewestRunIsFoundAndMissingRunsAreAnError() throws {
        XCTAssertThrowsError(try RunDirectory.resolveModel(nil, runsRoot: root + "/runs")) { error in
            XCTAssertTrue(String(describing: error).contains("no runs"), "\(error)")
        }
        let old = RunDirectory(path: root + "/runs/a"), new = RunDirectory(path: root + "/runs/b")
        try old.create()
        try new.create()
        try RunDirectory.writeAtomically([0], to: old.latestCheckpoint)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -100)], ofItemAtPath: old.latestCheckpoint)
        try RunDirectory.writeAtomically([0], to: new.latestCheckpoint)
        XCTAssertEqual(RunDirectory.newestRun(under: root + "/runs"), new.path)
    }

    /// Without --model: the newest run; without runs: the shipped model, said in one line;
    /// without either: an error that says how to get a model.
    func testModelChoiceFallsBackToTheShippedModelAndSaysSo() throws {
        let runs = root + "/runs", shipped = root + "/assets/models/m.ferdash"
        XCTAssertThrowsError(try ModelChoice.resolve(nil, runsRoot: runs, shipped: nil)) { error in
            XCTAssertTrue("\(error)".contains("no shipped model") && "\(error)".contains("ferdash train"), "\(error)")
        }
        let fallback = try ModelChoice.resolve(nil, runsRoot: runs, shipped: shipped)
        XCTAssertEqual(fallback.checkpoint, shipped)
        XCTAssertEqual(fallback.notice?.contains("using the shipped model \(shipped)"), true, "\(fallback)")
        let run = RunDirectory(path: runs + "/a")
        try run.create()
        try RunDirectory.writeAtomically([0], to: run.latestCheckpoint)
        let newest = try ModelChoice.resolve(nil, runsRoot: runs, shipped: shipped)
        XCTAssertEqual(newest.checkpoint, run.latestCheckpoint)
        XCTAssertEqual(newest.notice, "ferdash: using \(run.latestCheckpoint), the newest run under ./\(runs) (--model chooses another)")
        XCTAssertEqual(try ModelChoice.resolve(run.bestCheckpoint.replacingOccurrences(of: "best", with: "latest"), runsRoot: runs,
                                               shipped: shipped).notice, nil)
        XCTAssertThrowsError(try ModelChoice.resolve(root + "/nope", runsRoot: runs, shipped: shipped), "a named model must exist")
    }

    /// The shipped model is found from the working directory, and from a checkout's build folder.
    func testShippedModelIsFoundBesideTheWorkingDirectoryOrAboveTheExecutable() throws {
        XCTAssertNil(ShippedModel.locate(workingDirectory: root, executable: root + "/x/ferdash"))
        let file = root + "/" + ShippedModel.relativePath
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try RunDirectory.writeAtomically([1], to: file)
        XCTAssertEqual(ShippedModel.locate(workingDirectory: root, executable: nil), root + "/" + ShippedModel.relativePath)
        let found = ShippedModel.locate(workingDirectory: "/nonexistent", executable: root + "/.build/x86_64/release/ferdash")
        XCTAssertEqual(found.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                       URL(fileURLWithPath: file).resolvingSymlinksInPath().path)
    }

    func testMetricsLinesAreValidJSONAndFlushedImmediately() throws {
        let path = root + "/m.jsonl"
        let log = try MetricsLog(path: path)
        try log.append([("step", .int(3)), ("loss", .number(1.5)), ("note", .text("a \"b\"\n")), ("m", .intMatrix([[1, 2], [3, 4]]))])
        // Read back before the log is closed: a crash right now must not lose the line.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        XCTAssertEqual(object?["step"] as? Int, 3)
        XCTAssertEqual(object?["note"] as? String, "a \"b\"\n")
        XCTAssertEqual(object?["m"] as? [[Int]], [[1, 2], [3, 4]])
        withExtendedLifetime(log) {}
    }

    func testConfusionMatrixScores() {
        var m = ConfusionMatrix(classes: 2)
        m.add(truth: 0, predicted: 0); m.add(truth: 0, predicted: 0); m.add(truth: 0, predicted: 1)
        m.add(truth: 1, predicted: 1)
        XCTAssertEqual(m.accuracy, 0.75)
        XCTAssertEqual(m.recall(0), 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(m.precision(1), 0.5)
        XCTAssertEqual(m.f1(1), 2 * 0.5 * 1 / 1.5, accuracy: 1e-12)
        XCTAssertEqual(ConfusionMatrix().accuracy, 0, "empty matrix scores 0, not NaN")
    }
}

final class CheckpointWatchTests: XCTestCase {
    func testNoticesEachAtomicReplacementOnceAndPrefersTheNewerFile() throws {
        let dir = TempDir()
        let run = RunDirectory(path: dir.path)
        try run.create()
        var watch = CheckpointWatch(run: run)
        XCTAssertNil(watch.changed(), "no checkpoint yet")
        try RunDirectory.writeAtomically([1, 2, 3], to: run.latestCheckpoint)
        XCTAssertEqual(watch.changed(), run.latestCheckpoint)
        XCTAssertNil(watch.changed(), "the same file is not reported twice")
        // Same size, same second: the rename still gives it away (a new inode).
        try RunDirectory.writeAtomically([4, 5, 6], to: run.latestCheckpoint)
        XCTAssertEqual(watch.changed(), run.latestCheckpoint)
        XCTAssertNil(watch.changed())
        // A best checkpoint written later is the newest.
        usleep(20_000)
        try RunDirectory.writeAtomically([7], to: run.bestCheckpoint)
        XCTAssertEqual(watch.changed(), run.bestCheckpoint)
    }
}
