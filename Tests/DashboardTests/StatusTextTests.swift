import FERData
import FERTraining
import Foundation
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// What the status panels say, read as strings: no drawing, no screen.
final class StatusTextTests: XCTestCase {
    func testMessagePrefersTheReducersThenTheFailureThenTheCheckpoint() {
        var s = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        XCTAssertNil(StatusText.message(s))
        s.lastCheckpoint = CheckpointReport(step: 400, path: "runs/a/best.ckpt", isBest: true)
        XCTAssertEqual(StatusText.message(s)?.text, "last checkpoint: step 400 (best)  runs/a/best.ckpt")
        XCTAssertEqual(StatusText.message(s)?.isError, false)
        s.phase = .failed("out of memory")
        XCTAssertEqual(StatusText.message(s)?.text, "training failed: out of memory")
        XCTAssertEqual(StatusText.message(s)?.isError, true)
        s.message = "saved"
        XCTAssertEqual(StatusText.message(s)?.text, "saved")
        XCTAssertEqual(StatusText.message(s)?.isError, false, "the reducer's own message keeps its own kind")
    }

    func testPhaseWordSaysWhatIsOnItsWay() {
        XCTAssertEqual(StatusText.phaseWord(.running, quitting: false, pauseRequested: false), "running")
        XCTAssertEqual(StatusText.phaseWord(.running, quitting: false, pauseRequested: true), "pausing")
        XCTAssertEqual(StatusText.phaseWord(.paused, quitting: true, pauseRequested: false), "stopping")
        XCTAssertEqual(StatusText.phaseWord(.finished(stoppedEarly: false), quitting: true, pauseRequested: true),
                       Phase.finished(stoppedEarly: false).word,
                       "a finished run is not stopping")
    }

    func testProgressWords() {
        XCTAssertEqual(StatusText.step(40, of: 100), "step 40/100")
        XCTAssertEqual(StatusText.step(40, of: 0), "step 40", "an older run without its planned length")
        XCTAssertEqual(StatusText.fraction(step: 40, of: 100), 0.4)
        XCTAssertEqual(StatusText.fraction(step: 40, of: 0), 0)
        XCTAssertEqual(StatusText.percent(0.4), "40.0%")
        XCTAssertEqual(StatusText.epoch(1.234), "epoch 1.23")
        XCTAssertEqual(StatusText.throughput(imagesPerSecond: 411.6), "412 img/s")
        XCTAssertEqual(StatusText.elapsed(3725), "elapsed 1:02:05")
        XCTAssertEqual(StatusText.learningRate(0.001), "lr 1.00e-03")
    }

    func testThePlanSaysHowLongAndWhy() {
        let plan = BudgetPlan(step: 180, totalSteps: 9_940, recipeSteps: 13_458, stepsPerEpoch: 225, imagesPerSecond: 372.4,
                              measuredSeconds: 60.2, secondsLeft: 3_410, evaluationSeconds: 2.71, evaluationMeasured: true)
        XCTAssertEqual(StatusText.plan(plan),
                       "plan 44.1 of 59.8 epochs (372 img/s over the first 60 s, 56.8 min left, evaluations 2.7 s each)")
        var whole = plan
        whole.totalSteps = whole.recipeSteps
        whole.evaluationMeasured = false
        XCTAssertEqual(StatusText.plan(whole),
                       "plan: all 59.8 epochs (372 img/s over the first 60 s, 56.8 min left, evaluations ≈ 2.7 s each)")
    }

    /// The plan sits on the panel's data line, ahead of the run's folder (the tail a narrow
    /// screen drops), for as long as the run lasts.
    func testTheStatusPanelShowsThePlan() {
        var s = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        s.info = SessionInfo(architecture: "vgg9", datasetName: "fer2013.csv", trainCount: 28_709, validationCount: 3_589,
                             testCount: 0, batchSize: 128, totalSteps: 13_458, firstStep: 0, runDirectory: "runs/x")
        let plan = BudgetPlan(step: 180, totalSteps: 9_940, recipeSteps: 13_458, stepsPerEpoch: 225, imagesPerSecond: 372,
                              measuredSeconds: 60, secondsLeft: 3_410, evaluationSeconds: 2.7, evaluationMeasured: false)
        _ = reduce(into: &s, .event(.planned(plan)))
        XCTAssertEqual(s.info?.totalSteps, 9_940, "progress and ETA follow the plan")
        XCTAssertEqual(s.message, "time budget: the schedule is made for 44.1 of 59.8 epochs")
        _ = reduce(into: &s, .event(.replanned(totalSteps: 9_800, reason: "busier")))
        XCTAssertEqual(s.plan?.totalSteps, 9_800, "a re-plan moves the plan's length")
        let caps = Capabilities(unicode: true, colors: 0)
        var grid = CellGrid(width: 200, height: 5)
        StatusPanel(state: s).draw(&grid, Rect(x: 0, y: 0, width: 200, height: 5), caps: caps)
        let text = grid.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("plan 43.5 of 59.8 epochs (372 img/s over the first 60 s, 56.8 min left"), text)
        XCTAssertLessThan(text.range(of: "plan 43.5")!.lowerBound, text.range(of: "run runs/x")!.lowerBound)
        // A full-size screen gives the status panel a line for the plan.
        XCTAssertEqual(DashboardLayout(width: 120, height: 40, planLine: true).status.height,
                       DashboardLayout(width: 120, height: 40).status.height + 1)
        var tall = CellGrid(width: 120, height: 6)
        StatusPanel(state: s).draw(&tall, Rect(x: 0, y: 0, width: 120, height: 6), caps: caps)
        XCTAssertTrue(tall.lines[3].hasPrefix("│plan 43.5 of 59.8 epochs (372 img/s"), tall.lines.joined(separator: "\n"))
        XCTAssertTrue(tall.lines[2].contains("run runs/x"), tall.lines.joined(separator: "\n"))
    }

    func testETAFromThePaceSoFar() {
        // 100 steps in 50 s, 300 to go: 150 s.
        XCTAssertEqual(StatusText.eta(elapsed: 50, stepsDone: 100, stepsLeft: 300, progressing: true), "ETA 2:30")
        XCTAssertEqual(StatusText.eta(elapsed: 50, stepsDone: 0, stepsLeft: 300, progressing: true), "ETA --", "no pace yet")
        XCTAssertEqual(StatusText.eta(elapsed: 50, stepsDone: 100, stepsLeft: 300, progressing: false), "ETA --", "paused")
    }

    func testDataAndWatchWords() {
        XCTAssertEqual(StatusText.splitSizes(train: 28709, validation: 3589, test: 3589, unicode: true),
                       "train 28709 · val 3589 · test 3589")
        XCTAssertEqual(StatusText.splitSizes(train: 1, validation: 2, test: 3, unicode: false), "train 1 / val 2 / test 3")
        XCTAssertEqual(StatusText.architecture("seed", batchSize: 64), "arch seed  batch 64")
        XCTAssertEqual(StatusText.title(watching: true, unicode: true), "ferdash watch — Status")
        XCTAssertEqual(StatusText.title(watching: false, unicode: false), "ferdash - Status")
        let utc = TimeZone(identifier: "UTC")!
        let checked = Date(timeIntervalSince1970: 50_000)
        var w = WatchStatus(run: "runs/a", state: .stale(since: Date(timeIntervalSince1970: 3600 * 14 + 2 * 60 + 11)),
                            lastWrite: checked.addingTimeInterval(-125), checkedAt: checked, timeZone: utc)
        XCTAssertEqual(StatusText.watchWord(w), w.state.word + " since 14:02:11")
        XCTAssertEqual(StatusText.written(w), "written 2m ago")
        w.lastWrite = nil
        XCTAssertNil(StatusText.written(w))
        w.state = .finished
        XCTAssertEqual(StatusText.watchWord(w), "finished")
    }

    func testWaitingNoteBeforeTheRunSaysItsLength() {
        var s = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        s.phase = .starting
        XCTAssertEqual(StatusText.waitingNote(s), "waiting for the training session…")
        s.phase = .browsing
        XCTAssertEqual(StatusText.waitingNote(s), "model loaded: predictions on")
        s.hasModel = false
        XCTAssertEqual(StatusText.waitingNote(s), "no model: browsing only")
        s.watch = WatchStatus(run: "r", state: .running, lastWrite: nil, checkedAt: Date())
        XCTAssertEqual(StatusText.waitingNote(s), "the run has not written its start yet")
        s.watch = nil
        s.phase = .running
        XCTAssertNil(StatusText.waitingNote(s))
    }

    func testStatusSegmentsOfARunningSessionMostUsefulFirst() {
        let s = Fixture.runningState()
        let texts = StatusPanel(state: s).segments(theme: Theme(caps: .full), width: 118, lines: 3, unicode: true).compactMap {
            if case .text(let t, _) = $0 { return t } else { return nil }
        }
        XCTAssertEqual(Array(texts.prefix(4)), ["running", "step 300/1000", "30.0%", "epoch 60.00"])
        XCTAssertEqual(texts[4], "ETA 2:55", "300 steps in 75 s, 700 to go")
        XCTAssertTrue(texts.contains("412 img/s"))
        XCTAssertEqual(texts.last, "run runs/test-run")
    }
}

final class VideoStatusTextTests: XCTestCase {
    func testPlaybackAndPosition() {
        XCTAssertEqual(VideoStatusText.playState(followingLive: true, playing: false, unicode: true), "● live")
        XCTAssertEqual(VideoStatusText.playState(followingLive: false, playing: true, unicode: false), "> playing")
        XCTAssertEqual(VideoStatusText.playState(followingLive: false, playing: false, unicode: true), "❚❚ paused")
        XCTAssertEqual(VideoStatusText.position(cursor: 12, span: 90, live: false), "0:12 / 1:30")
        XCTAssertEqual(VideoStatusText.position(cursor: 12, span: 90, live: true), "0:12 / 1:30 live")
        XCTAssertEqual(VideoStatusText.phaseWord(.analysing, quitting: true), "stopping")
        XCTAssertEqual(VideoStatusText.phaseWord(.finished, quitting: true), VideoPhase.finished.word)
    }

    func testAnalysisProgressAndETA() {
        XCTAssertEqual(VideoStatusText.analysedFraction(upTo: 45, span: 90, finished: false), 0.5)
        XCTAssertEqual(VideoStatusText.analysedFraction(upTo: 45, span: 90, finished: true), 1)
        XCTAssertEqual(VideoStatusText.analysedFraction(upTo: 95, span: 90, finished: false), 1)
        XCTAssertEqual(VideoStatusText.analysed(upTo: 45, fraction: 0.5, finished: false), "analysed to 0:45 (50%)")
        XCTAssertEqual(VideoStatusText.analysed(upTo: 45, fraction: 1, finished: true), "analysed")
        XCTAssertEqual(VideoStatusText.analysed(upTo: 45, fraction: nil, finished: false), "analysed to 0:45", "live")
        XCTAssertEqual(VideoStatusText.framesPerSecond(29.6), "30 frames/s")
        // 45 s left at 30 frames a second of video is 1350 frames; at 90 frames/s, 15 s.
        XCTAssertEqual(VideoStatusText.eta(upTo: 45, span: 90, frameInterval: 1.0 / 30, framesPerSecond: 90), "ETA 0:15")
        XCTAssertNil(VideoStatusText.eta(upTo: 45, span: 90, frameInterval: 1.0 / 30, framesPerSecond: 0))
    }

    func testWhatTheVideoIs() {
        XCTAssertEqual(VideoStatusText.sourceName("/home/a/clips/talk.mp4"), "talk.mp4")
        XCTAssertEqual(VideoStatusText.sourceName("rtsp://cam/1"), "rtsp://cam/1")
        XCTAssertEqual(VideoStatusText.facesSeen(1), "1 face seen")
        XCTAssertEqual(VideoStatusText.facesSeen(3), "3 faces seen")
        XCTAssertEqual(VideoStatusText.about(width: 1280, height: 720, codec: "h264", frameRate: 29.97, rotation: 90, unicode: true),
                       "1280×720 h264 29.97 fps rotated 90°")
        XCTAssertEqual(VideoStatusText.about(width: 640, height: 480, codec: "vp9", frameRate: nil, rotation: 0, unicode: false),
                       "640x480 vp9")
        XCTAssertEqual(VideoStatusText.plain("loading…", unicode: false), "loading...")
        XCTAssertEqual(VideoStatusText.plain("loading…", unicode: true), "loading…")
    }
}
