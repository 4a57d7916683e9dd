import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

/// Writes that fail half-way, injected for real: RLIMIT_FSIZE makes the kernel refuse bytes past
/// a size (EFBIG) exactly as a full disk refuses them (ENOSPC), mid-file, with part of the data
/// already written. scripts/e2e-full-disk.sh does the same on a real full tmpfs.
final class FullDiskTests: XCTestCase {
    let dir = TempDir()
    var root: String { dir.path }

    /// Runs `body` while no file of this process may grow past `bytes`.
    func withFileSizeLimit(_ bytes: Int, _ body: () throws -> Void) rethrows {
        var old = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)   // else the kernel's signal ends the process
        var limited = old
        limited.rlim_cur = rlim_t(bytes)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
            signal(SIGXFSZ, oldHandler)
        }
        try body()
    }

    func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() }

    func testACheckpointThatDoesNotFitLeavesThePreviousOneAndNoTemporary() throws {
        let file = root + "/checkpoint-latest.ferdash"
        let previous = [UInt8](repeating: 7, count: 100)
        try RunDirectory.writeAtomically(previous, to: file)
        try withFileSizeLimit(4096) {
            XCTAssertThrowsError(try RunDirectory.writeAtomically([UInt8](repeating: 1, count: 100_000), to: file)) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(file) && text.contains("File too large"), text)
            }
        }
        XCTAssertEqual(FileManager.default.contents(atPath: file).map { [UInt8]($0) }, previous)
        XCTAssertEqual(files(), ["checkpoint-latest.ferdash"], "no temporary file left")
    }

    func testADirectoryInTheWayIsNamedAndLeavesNoTemporary() throws {
        let file = root + "/checkpoint-best.ferdash"
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        XCTAssertThrowsError(try RunDirectory.writeAtomically([1, 2], to: file)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("cannot replace \(file)") && text.contains("directory"), text)
        }
        XCTAssertEqual(files(), ["checkpoint-best.ferdash"])
    }

    func testAFileWhereTheRunDirectoryShouldBeIsNamed() throws {
        let path = root + "/run"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        XCTAssertThrowsError(try RunDirectory(path: path).create()) { error in
            XCTAssertTrue(String(describing: error).contains("\(path) as the run directory: a file is in the way"), "\(error)")
        }
    }

    func testStaleTemporariesAreRemovedButNotThoseOfLiveWriters() throws {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let run = RunDirectory(path: root)
        let stale = run.latestCheckpoint + ".tmp-\(finished.processIdentifier)"
        let mine = run.latestCheckpoint + ".tmp-\(getpid())"
        let init1 = run.bestCheckpoint + ".tmp-1"   // pid 1 is always alive
        for file in [stale, mine, init1] { XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data([0]))) }
        try run.create()
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "a killed writer's file is removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine))
        XCTAssertTrue(FileManager.default.fileExists(atPath: init1))
    }

    func testAMetricsLineThatDoesNotFitIsCutAndEarlierLinesStay() throws {
        let path = root + "/metrics.jsonl"
        let log = try MetricsLog(path: path)
        try log.append([("step", .int(1)), ("loss", .number(2.5))])
        let before = try String(contentsOfFile: path, encoding: .utf8)
        try withFileSizeLimit(before.utf8.count + 10) {
            XCTAssertThrowsError(try log.append([("step", .int(2)), ("note", .text(String(repeating: "x", count: 200)))])) { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains("cannot write metrics log \(path)") && text.contains("File too large"), text)
            }
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before, "no partial line")
        try log.append([("step", .int(3))])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before + "{\"step\":3}\n")
    }

    func testALineTornByAKillIsDroppedWhenTheLogIsOpenedAgain() throws {
        let path = root + "/metrics.jsonl"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("{\"step\":1}\n{\"step\":2,\"lo".utf8)))
        let log = try MetricsLog(path: path)
        try log.append([("step", .int(2))])
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"step\":1}\n{\"step\":2}\n")
    }

    /// The policy: a run whose checkpoint cannot be written stops, says where and why, and keeps
    /// what it had saved; the metrics written so far are whole lines.
    func testTrainingStopsWhenACheckpointCannotBeSavedAndKeepsTheLastOne() throws {
        var c = TrainingConfiguration(runDirectory: root + "/run")
        c.totalSteps = 12
        c.batchSize = 8
        c.evalEvery = 4
        c.seed = 3
        c.threads = 1
        let run = RunDirectory(path: c.runDirectory)
        let recorder = EventRecorder()
        // The best checkpoint is first written at step 4; from then on a directory blocks the
        // latest one (created once the first save has happened).
        let session = TrainingSession(dataset: bandDataset(), configuration: c) { event in
            recorder.record(event)
            if case .checkpointSaved(let report) = event, report.isBest, report.step == 4 {
                try? FileManager.default.removeItem(atPath: run.latestCheckpoint)
                try? FileManager.default.createDirectory(atPath: run.latestCheckpoint, withIntermediateDirectories: false)
            }
        }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))
        guard case .failed(let message) = recorder.all.last else { return XCTFail("expected failed, got \(recorder.all.map(\.kind))") }
        XCTAssertTrue(message.contains("cannot replace \(run.latestCheckpoint)"), message)
        XCTAssertTrue(message.contains("Training stopped at step 8; the checkpoint of step 4 is intact"), message)
        XCTAssertTrue(message.contains("--resume"), message)
        XCTAssertEqual(try RunDirectory.loadCheckpoint(run.bestCheckpoint, engine: Engine(threads: 2)).0.step, 4)
        let lines = try String(contentsOfFile: run.metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 9)
        for line in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), String(line)) }
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: run.path).contains { $0.contains(".tmp-") })
    }
}
