import FERData
import XCTest
@testable import FERTraining
import FERTestSupport

final class MetricsReaderTests: XCTestCase {
    let dir = TempDir()
    var root: String { dir.path }

    let started = #"{"event":"started","step":0,"time":1000,"dataset":"bands","dataset_path":"/data/bands.csv","architecture":"seed","total_steps":40,"batch_size":8,"steps_per_epoch":6,"recipe":{"learning_rate":"0.001"},"pid":42,"host":"box"}"#
    func stepLine(_ i: Int, loss: Double = 1.5) -> String {
        #"{"step":\#(i),"epoch":\#(Double(i) / 6),"loss":\#(loss),"lr":0.001,"train_seconds":\#(Double(i) * 0.5)}"#
    }
    func evalLine(_ i: Int, accuracy: Double) -> String {
        #"{"step":\#(i),"val_loss":0.9,"val_accuracy":\#(accuracy),"confusion":[[1,0],[1,2]]}"#
    }

    func bytes(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

    func testAPartialLastLineWaitsForItsNewline() {
        var parser = MetricsParser()
        let whole = bytes([started, stepLine(1)])
        // Cut inside the second line: only the first is complete.
        let cut = started.utf8.count + 1 + 10
        var out = parser.feed(Array(whole[..<cut]))
        XCTAssertEqual(out.records.count, 1)
        XCTAssertTrue(out.problems.isEmpty, "a partial line is not an error: \(out.problems)")
        XCTAssertEqual(parser.pendingBytes, 10)
        out = parser.feed(Array(whole[cut...]))
        XCTAssertEqual(out.records, [.step(StepLine(step: 1, epoch: 1.0 / 6, loss: 1.5, learningRate: 0.001, trainSeconds: 0.5))])
        XCTAssertEqual(parser.lineCount, 2)
        XCTAssertEqual(parser.pendingBytes, 0)
    }

    func testByteByByteGivesTheSameRecordsAsAtOnce() {
        let whole = bytes([started, stepLine(1), evalLine(1, accuracy: 0.75), #"{"event":"finished","step":1}"#])
        var atOnce = MetricsParser()
        let expected = atOnce.feed(whole).records
        var parser = MetricsParser()
        var got: [MetricsRecord] = []
        for b in whole { got += parser.feed([b]).records }
        XCTAssertEqual(got, expected)
        XCTAssertEqual(got.count, 4)
    }

    func testACorruptLineIsNamedAndTheRestIsUsed() {
        var parser = MetricsParser()
        let out = parser.feed(bytes([started, stepLine(1), #"{"step":2,"loss":1.4"#, "garbage", stepLine(3), "[1,2]",
                                     #"{"step":"x","loss":1}"#, #"{"step":5}"#]))
        XCTAssertEqual(out.records.count, 3, "started and steps 1 and 3")
        XCTAssertEqual(out.problems.map(\.line), [3, 4, 6, 7, 8])
        XCTAssertTrue(out.problems[0].description.hasPrefix("metrics.jsonl line 3: not valid JSON"), out.problems[0].description)
        XCTAssertTrue(out.problems[2].reason.contains("expected a JSON object"), out.problems[2].reason)
        XCTAssertTrue(out.problems[3].reason.contains("\"step\" is not a whole number"), out.problems[3].reason)
        XCTAssertTrue(out.problems[4].reason.contains("neither"), out.problems[4].reason)
    }

    func testTheStartedRecordAndAnOlderRunWithoutItsFields() {
        var parser = MetricsParser()
        let out = parser.feed(bytes([started, #"{"event":"started","step":0,"dataset":"fer2013.csv","architecture":"seed"}"#]))
        guard case .started(let s) = out.records[0], case .started(let old) = out.records[1] else {
            return XCTFail("\(out.records)")
        }
        XCTAssertEqual(s.datasetPath, "/data/bands.csv")
        XCTAssertEqual(s.totalSteps, 40)
        XCTAssertEqual(s.stepsPerEpoch, 6)
        XCTAssertEqual(s.recipe["learning_rate"], "0.001")
        XCTAssertEqual(s.pid, 42)
        XCTAssertEqual(old.dataset, "fer2013.csv")
        XCTAssertNil(old.datasetPath)
        XCTAssertNil(old.totalSteps)
    }

    /// A hand-edited or newer run may put a number or an object in the recipe: it reads as JSON
    /// text, the same every time (an object's keys sorted), so two reads of one line agree.
    func testRecipeValuesThatAreNotStringsReadAsCanonicalJSON() {
        let line = #"{"event":"started","step":0,"recipe":{"epochs":60,"mix":{"b":2,"a":1,"c":[3,4]}}}"#
        var parser = MetricsParser()
        guard case .started(let s) = parser.feed(bytes([line])).records.first else { return XCTFail("no started record") }
        XCTAssertEqual(s.recipe["epochs"], "60")
        XCTAssertEqual(s.recipe["mix"], #"{"a":1,"b":2,"c":[3,4]}"#)
    }

    func testFollowerReadsOnlyWhatWasAppended() throws {
        let path = root + "/metrics.jsonl"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes([started]) + Array(stepLine(1).utf8.prefix(5)))))
        var follower = MetricsFollower(path: path)
        var summary = RunSummary()
        var chunk = try follower.poll()
        summary.apply(chunk)
        XCTAssertEqual(chunk.records.count, 1)
        XCTAssertEqual(summary.step, 0)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((String(stepLine(1).dropFirst(5)) + "\n" + stepLine(2) + "\n").utf8))
        chunk = try follower.poll()
        summary.apply(chunk)
        XCTAssertEqual(chunk.records.count, 2)
        XCTAssertEqual(summary.step, 2)
        XCTAssertEqual(try follower.poll().records.count, 0, "nothing new")
        // Replaced by a shorter file (a new run in the same folder): starts over.
        try Data(bytes([started]).utf8String.utf8).write(to: URL(fileURLWithPath: path))
        chunk = try follower.poll()
        XCTAssertTrue(chunk.restarted)
        summary.apply(chunk)
        XCTAssertEqual(summary.step, 0)
        XCTAssertEqual(summary.losses.count, 0)
    }

    func testFollowerOnAMissingFileNamesIt() {
        var follower = MetricsFollower(path: root + "/nope/metrics.jsonl")
        XCTAssertThrowsError(try follower.poll()) { XCTAssertTrue("\($0)".contains("nope/metrics.jsonl"), "\($0)") }
    }

    func summary(_ lines: [String]) -> RunSummary {
        var parser = MetricsParser()
        var s = RunSummary()
        for r in parser.feed(bytes(lines)).records { s.apply(r) }
        return s
    }

    func testSummaryFoldsProgressEvaluationsAndBest() {
        let s = summary([started, stepLine(1, loss: 2), stepLine(2, loss: 1.8), evalLine(2, accuracy: 0.5), stepLine(3),
                         evalLine(3, accuracy: 0.8), stepLine(4), evalLine(4, accuracy: 0.8),
                         #"{"event":"replanned","step":4,"total_steps":30}"#])
        XCTAssertEqual(s.step, 4)
        XCTAssertEqual(s.lossSteps, [1, 2, 3, 4])
        XCTAssertEqual(s.losses, [2, 1.8, 1.5, 1.5])
        XCTAssertEqual(s.evaluations.count, 3)
        XCTAssertEqual(s.best?.step, 3, "the earliest step reaching the best accuracy")
        XCTAssertEqual(s.best?.accuracy, 0.8)
        XCTAssertEqual(s.latestEvaluation?.confusion?.counts, [[1, 0], [1, 2]])
        XCTAssertEqual(s.totalSteps, 30, "replanned by a time budget")
        XCTAssertEqual(s.trainSeconds, 2)
        XCTAssertEqual(s.stepsPerEpoch, 6)
        XCTAssertEqual(s.start?.architecture, "seed")
    }

    func testAResumeDropsTheStepsLostAfterItsCheckpointAndAddsUpTime() {
        let s = summary([started, stepLine(1), stepLine(2), evalLine(2, accuracy: 0.4), stepLine(3), stepLine(4),
                         evalLine(4, accuracy: 0.6), stepLine(5),
                         #"{"event":"resumed","step":4,"architecture":"seed"}"#, stepLine(5), stepLine(6),
                         #"{"event":"finished","step":6}"#])
        XCTAssertEqual(s.lossSteps, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(s.evaluations.map(\.step), [2, 4])
        // 2.5 s before the resume (step 5's line), then 3 s in the new process.
        XCTAssertEqual(s.trainSeconds, 5.5)
        XCTAssertEqual(s.state(lastWrite: nil, now: Date()), .finished)
        // Trained afresh into the same folder (metrics are appended to): only the new run counts.
        let again = summary([started, stepLine(1), stepLine(2), evalLine(2, accuracy: 0.4), #"{"event":"finished","step":2}"#,
                             started, stepLine(1)])
        XCTAssertEqual(again.lossSteps, [1])
        XCTAssertTrue(again.evaluations.isEmpty)
        XCTAssertEqual(again.trainSeconds, 0.5)
        XCTAssertEqual(again.state(lastWrite: Date(), now: Date()), .running)
    }

    func testStatesFromTheRunsOwnEventsAndFromSilence() {
        let written = Date(timeIntervalSince1970: 5000)
        let live = summary([started, stepLine(1)])
        XCTAssertEqual(live.state(lastWrite: written, now: written.addingTimeInterval(30)), .running)
        XCTAssertEqual(live.state(lastWrite: written, now: written.addingTimeInterval(RunSummary.staleAfter + 1)),
                       .stale(since: written))
        XCTAssertEqual(summary([started, #"{"event":"stopped","step":1}"#]).state(lastWrite: written, now: written.addingTimeInterval(1e6)),
                       .stopped, "an ended run never goes stale")
        XCTAssertEqual(summary([started, #"{"event":"failed","step":1,"message":"disk full"}"#]).state(lastWrite: written, now: written),
                       .failed("disk full"))
        // An older run that wrote no ending and was killed is stale, never "running" for ever.
        XCTAssertEqual(summary([#"{"event":"started","step":0}"#]).state(lastWrite: written, now: written.addingTimeInterval(600)).word, "stale")
    }

    /// The real session writes what the reader expects: the started record, every step, every
    /// evaluation and an unambiguous ending.
    func testATrainingSessionsMetricsReadBackCompletely() throws {
        var c = TrainingConfiguration(runDirectory: root + "/run")
        c.totalSteps = 12
        c.batchSize = 8
        c.evalEvery = 5
        c.threads = 1
        c.launch = LaunchRecord(datasetPath: "/somewhere/bands.csv", splitSeed: 7)
        c.command = "ferdash train --steps 12"
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: bandDataset(), configuration: c) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))
        let (s, lastWrite) = try RunSummary.read(c.runDirectory + "/metrics.jsonl")
        XCTAssertTrue(s.problems.isEmpty, "\(s.problems)")
        XCTAssertNotNil(lastWrite)
        let start = try XCTUnwrap(s.start)
        XCTAssertEqual(start.datasetPath, "/somewhere/bands.csv")
        XCTAssertEqual(start.dataset, "bands")
        XCTAssertEqual(start.splitSeed, 7)
        XCTAssertEqual(start.totalSteps, 12)
        XCTAssertEqual(start.batchSize, 8)
        XCTAssertEqual(start.stepsPerEpoch, 6)
        XCTAssertEqual(start.trainCount, 48)
        XCTAssertEqual(start.evalEvery, 5)
        XCTAssertEqual(start.command, "ferdash train --steps 12")
        XCTAssertEqual(start.pid, Int(getpid()))
        XCTAssertEqual(start.recipe["architecture"], "seed")
        XCTAssertNotNil(start.time)
        XCTAssertEqual(s.lossSteps, Array(1...12))
        XCTAssertEqual(s.evaluations.map(\.step), [5, 10, 12])
        XCTAssertEqual(s.latestEvaluation?.confusion?.total, 14)
        XCTAssertEqual(s.ending?.kind, .finished)
        XCTAssertEqual(s.state(lastWrite: lastWrite, now: Date()), .finished)
        XCTAssertEqual(s.evaluations.map(\.accuracy), recorder.evaluations.map(\.accuracy))
    }

    func testAFailedRunSaysSoInItsMetrics() throws {
        var c = TrainingConfiguration(runDirectory: root + "/diverge")
        c.totalSteps = 5
        c.batchSize = 8
        c.threads = 1
        c.hyperparameters.learningRate = .infinity   // the first step's loss is not finite
        let session = TrainingSession(dataset: bandDataset(), configuration: c) { _ in }
        session.start()
        XCTAssertTrue(session.wait(timeout: 60))
        let (s, _) = try RunSummary.read(c.runDirectory + "/metrics.jsonl")
        guard case .failed(let message) = s.state(lastWrite: nil, now: Date()) else { return XCTFail("\(String(describing: s.ending))") }
        XCTAssertTrue(message.contains("diverged"), message)
    }
}

private extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}
