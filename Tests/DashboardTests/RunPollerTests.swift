import FERData
import FERTraining
import Foundation
import XCTest
@testable import Dashboard
import FERTestSupport

/// `ferdash watch`'s watcher: a run's files in, the dashboard's actions out.
final class RunPollerTests: XCTestCase {
    let dir = TempDir()
    // Now, as the files are written now and an older "now" would make the run look stale.
    let t0 = Date()
    let utc = TimeZone(identifier: "UTC")!

    let started = #"{"event":"started","step":0,"time":1000,"dataset":"bands","architecture":"seed","total_steps":40,"batch_size":8,"steps_per_epoch":6,"pid":42,"host":"box"}"#
    func stepLine(_ i: Int) -> String {
        #"{"step":\#(i),"epoch":\#(Double(i) / 6),"loss":1.5,"lr":0.001,"train_seconds":\#(Double(i) * 0.5)}"#
    }

    func makeRun(_ lines: [String]) -> String {
        let run = dir.mkdir("run")
        _ = dir.write("run/" + RunDirectory.metricsName, lines.map { $0 + "\n" }.joined())
        return run
    }

    func append(_ line: String, to run: String) throws {
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: RunDirectory(path: run).metrics))
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        try handle.close()
    }

    func poller(_ run: String, note: String? = nil) -> sending RunPoller {
        RunPoller(run: run, dataset: Fixture.dataset, datasetNote: note, control: WatchControl(mailbox: EventMailbox()),
                  now: t0, timeZone: utc)
    }

    func events(_ actions: [Action]) -> [String] {
        actions.compactMap { if case .event(let e) = $0 { return e.kind } else { return nil } }
    }

    func statuses(_ actions: [Action]) -> [WatchStatus] {
        actions.compactMap { if case .watch(let w) = $0 { return w } else { return nil } }
    }

    func testFirstPollGivesTheRecordsAsEventsThenTheStatus() throws {
        let run = makeRun([started, stepLine(1), stepLine(2)])
        var p = poller(run, note: "dataset gone")
        XCTAssertEqual(p.status.checkedAt, t0)
        XCTAssertEqual(p.status.datasetNote, "dataset gone")
        let actions = p.poll(now: t0)
        XCTAssertEqual(events(actions), ["started", "step", "step"])
        guard case .watch(let status)? = actions.last else { return XCTFail("the status comes last: \(actions)") }
        XCTAssertEqual(status.run, run)
        XCTAssertEqual(status.trainer, "pid 42 on box")
        XCTAssertEqual(status.state, .running)
        XCTAssertEqual(status.problemCount, 0)
        XCTAssertNil(status.checkpointStep, "no checkpoint yet")
        XCTAssertNil(status.fileNote)
        XCTAssertEqual(status.datasetNote, "dataset gone")
        XCTAssertNotNil(status.lastWrite)
    }

    func testAnUnchangedStatusIsPostedOnlyOnceASecondAChangedOneAtOnce() throws {
        let run = makeRun([started, stepLine(1)])
        var p = poller(run)
        XCTAssertEqual(statuses(p.poll(now: t0)).count, 1)
        XCTAssertTrue(p.poll(now: t0.addingTimeInterval(0.25)).isEmpty, "nothing new, nothing said")
        let later = p.poll(now: t0.addingTimeInterval(1.0))
        XCTAssertEqual(statuses(later).map(\.checkedAt), [t0.addingTimeInterval(1.0)], "a second on, \"written ago\" moves")
        try append(stepLine(2), to: run)
        let more = p.poll(now: t0.addingTimeInterval(1.25))
        XCTAssertEqual(events(more), ["step"])
        XCTAssertEqual(statuses(more).count, 1, "the file's write time changed")
    }

    func testAnEndedRunAndACorruptLineChangeTheStatus() throws {
        let run = makeRun([started, stepLine(1), "{not json"])
        var p = poller(run)
        let first = statuses(p.poll(now: t0))
        XCTAssertEqual(first.first?.problemCount, 1)
        XCTAssertTrue(first.first?.firstProblem?.contains("line 3") ?? false, "\(String(describing: first.first?.firstProblem))")
        try append(#"{"event":"finished","step":1}"#, to: run)
        let actions = p.poll(now: t0.addingTimeInterval(0.25))
        XCTAssertEqual(events(actions), ["finished"])
        XCTAssertEqual(statuses(actions).first?.state, .finished)
    }

    func testAMissingMetricsFileIsNotedAndWhatWasReadStays() throws {
        let run = makeRun([started, stepLine(1)])
        var p = poller(run)
        _ = p.poll(now: t0)
        try FileManager.default.removeItem(atPath: RunDirectory(path: run).metrics)
        let status = statuses(p.poll(now: t0.addingTimeInterval(0.25))).first
        XCTAssertTrue(status?.fileNote?.contains(RunDirectory.metricsName) ?? false, "\(String(describing: status?.fileNote))")
        XCTAssertEqual(status?.trainer, "pid 42 on box")
    }

    func testACheckpointThatDoesNotDecodeIsNamedAndNotUsed() throws {
        let run = makeRun([started])
        _ = dir.write("run/" + RunDirectory.latestName, "not a checkpoint")
        var p = poller(run)
        let status = statuses(p.poll(now: t0)).first
        XCTAssertTrue(status?.fileNote?.hasPrefix("cannot load the run's checkpoint: ") ?? false, "\(String(describing: status?.fileNote))")
        XCTAssertNil(status?.checkpointStep)
    }

    func testANewCheckpointIsServedAndAnswersPredictions() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(ShippedModel.relativePath).path
        let run = makeRun([started])
        try FileManager.default.copyItem(atPath: shipped, toPath: RunDirectory(path: run).latestCheckpoint)
        let mailbox = EventMailbox()
        let control = WatchControl(mailbox: mailbox)
        defer { control.close() }
        var p = RunPoller(run: run, dataset: Fixture.dataset, datasetNote: nil, control: control, now: t0, timeZone: utc)
        let status = statuses(p.poll(now: t0)).first
        XCTAssertNil(status?.fileNote)
        let step = try XCTUnwrap(status?.checkpointStep)
        XCTAssertGreaterThan(step, 0)
        XCTAssertTrue(statuses(p.poll(now: t0.addingTimeInterval(0.25))).isEmpty, "the same file is not loaded again")

        control.requestPrediction(pixels: [UInt8](repeating: 128, count: ImageSet.pixelsPerImage), tag: 7, saliency: false)
        let deadline = Date(timeIntervalSinceNow: 30)
        var answer: [Float]?
        while answer == nil && Date() < deadline {
            for case .prediction(let tag, let probabilities) in mailbox.drain() where tag == 7 { answer = probabilities }
            if answer == nil { Thread.sleep(forTimeInterval: 0.01) }
        }
        let probabilities = try XCTUnwrap(answer, "the served checkpoint answers")
        XCTAssertEqual(probabilities.count, 7)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
    }

    func testTheWatcherPostsIntoTheInboxUntilStopped() throws {
        let run = makeRun([started, stepLine(1)])
        let inbox = ActionInbox()
        let watcher = RunWatcher(poller: poller(run), inbox: inbox)
        XCTAssertEqual(watcher.initialStatus.run, run)
        watcher.start()
        var seen: [Action] = []
        let deadline = Date(timeIntervalSinceNow: 10)
        while statuses(seen).isEmpty && Date() < deadline {
            seen += inbox.drain()
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(events(seen), ["started", "step"])
        watcher.stop()
        _ = inbox.drain()
        try append(stepLine(2), to: run)
        Thread.sleep(forTimeInterval: RunWatcher.pollInterval * 2)
        XCTAssertTrue(events(inbox.drain()).isEmpty, "no polls after stop")
    }

    func testStoppingAWatcherThatNeverStartedReturnsAtOnce() {
        let watcher = RunWatcher(poller: poller(dir.path), inbox: ActionInbox())
        let began = Date()
        watcher.stop()
        XCTAssertLessThan(Date().timeIntervalSince(began), 1)
    }
}
