import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

final class ReducerTests: XCTestCase {
    func keys(_ s: AppState, _ ks: [Key]) -> (AppState, [Effect]) {
        var st = s
        var all: [Effect] = []
        for k in ks {
            let (n, fx) = reduce(st, .key(k))
            st = n
            all += fx
        }
        return (st, all)
    }

    func testSpaceTogglesPauseAndAsksTheSession() {
        let s = Fixture.runningState()
        XCTAssertEqual(s.phase, .running)
        let (asked, fx) = keys(s, [.char(" ")])
        XCTAssertEqual(fx, [.pause])
        // Not "paused" until the session says so: its current batch may still finish.
        XCTAssertEqual(asked.phase, .running)
        XCTAssertTrue(Fixture.render(asked, 120, 40).text.contains("pausing"))
        let p = reduce(asked, .event(.paused(step: 300))).0
        XCTAssertEqual(p.phase, .paused)
        XCTAssertTrue(Fixture.render(p, 120, 40).text.contains("paused"))
        let (r, fx2) = keys(p, [.char(" ")])
        XCTAssertEqual(r.phase, .running)
        XCTAssertEqual(fx2, [.resume])
        // Space twice before the batch ends: resumed, and the late `.paused` does not show.
        let (undo, fx3) = keys(asked, [.char(" ")])
        XCTAssertEqual(fx3, [.resume])
        XCTAssertEqual(reduce(undo, .event(.paused(step: 300))).0.phase, .running)
    }

    /// A distilled run says so on the screen: what the teachers answered, in the message line.
    func testADistilledRunSaysWhatItsTeachersAnswered() {
        var info = Fixture.info
        info.teachers = "2 teachers answered for every training face in 41 s; their answer matches the label for 81.3 % of them"
        let s = Fixture.apply(AppState(dataset: Fixture.dataset, training: true, hasModel: true), [.appeared, .event(.started(info))])
        XCTAssertTrue(Fixture.render(s, 120, 40).text.contains("distilling: 2 teachers answered"), Fixture.render(s, 120, 40).text)
        let plain = Fixture.apply(AppState(dataset: Fixture.dataset, training: true, hasModel: true), [.appeared, .event(.started(Fixture.info))])
        XCTAssertFalse(Fixture.render(plain, 120, 40).text.contains("distilling"))
    }

    func testPauseDoesNothingWhenTrainingIsOver() {
        let s = Fixture.apply(Fixture.runningState(), [.event(.finished(FinishReport(step: 300, elapsed: 9, stoppedEarly: false)))])
        let (p, fx) = keys(s, [.char(" ")])
        XCTAssertEqual(p.phase, .finished(stoppedEarly: false))
        XCTAssertFalse(fx.contains(.pause))
    }

    func testArrowsMoveAndRequestTheNewSamplesPrediction() {
        let s = Fixture.runningState()
        let (n, fx) = keys(s, [.right])
        XCTAssertEqual(n.currentIndex, 1)
        let expected = Array(Fixture.dataset.train.image(1))
        XCTAssertEqual(fx, [.requestPrediction(pixels: expected, tag: n.requestedTag!, saliency: false)])
        XCTAssertEqual(keys(s, [.down]).0.currentIndex, 10)
        XCTAssertEqual(keys(s, [.pageDown]).0.currentIndex, 39, "clamped to the last image")
        XCTAssertEqual(keys(s, [.end, .left]).0.currentIndex, 38)
        XCTAssertEqual(keys(s, [.end, .home]).0.currentIndex, 0)
        XCTAssertEqual(keys(s, [.left, .up, .pageUp]).0.currentIndex, 0)
    }

    func testStalePredictionIsIgnored() {
        let s = Fixture.runningState()
        let oldTag = s.requestedTag!
        let (moved, _) = keys(s, [.right])
        let afterStale = reduce(moved, .event(.prediction(tag: oldTag, probabilities: Fixture.probabilities(0)))).0
        XCTAssertNotEqual(afterStale.probabilitiesFor, afterStale.showing, "an answer for the previous image must not show")
        let answered = reduce(moved, .event(.prediction(tag: moved.requestedTag!, probabilities: Fixture.probabilities(5)))).0
        XCTAssertEqual(answered.probabilitiesFor, answered.showing)
        XCTAssertEqual(answered.probabilities, Fixture.probabilities(5))
    }

    func testEvaluationRerequestsThePrediction() {
        let s = Fixture.runningState()
        let (_, fx) = reduce(s, .event(.evaluated(Fixture.evaluation(400))))
        XCTAssertEqual(fx.count, 1)
        guard case .requestPrediction = fx[0] else { return XCTFail("expected a prediction request, got \(fx)") }
    }

    func testSplitSwitching() {
        let s = Fixture.runningState()
        let (v, _) = keys(s, [.right, .right, .char("v")])
        XCTAssertEqual(v.split, .validation)
        XCTAssertEqual(v.currentIndex, 0, "a new split starts at its first image")
        XCTAssertEqual(keys(v, [.char("T")]).0.split, .test)
        XCTAssertEqual(keys(v, [.char("t")]).0.split, .train)
        XCTAssertEqual(keys(v, [.char("T"), .end]).0.currentIndex, 9)
    }

    func testEmptySplitIsRefusedWithAMessage() {
        var d = Fixture.dataset
        d.test = ImageSet()
        let s = AppState(dataset: d, training: false, hasModel: false)
        let (n, _) = keys(s, [.char("T")])
        XCTAssertEqual(n.split, .train)
        XCTAssertEqual(n.message, "the test split is empty")
    }

    func testMisclassifiedFilterWalksTheLatestEvaluationsErrors() {
        let s = Fixture.runningState()
        let (m, _) = keys(s, [.char("m")])
        XCTAssertTrue(m.misclassifiedOnly)
        XCTAssertEqual(m.currentSplit, .validation)
        XCTAssertEqual(m.browseCount, 7)   // indices 0, 3, …, 18
        XCTAssertEqual(m.currentIndex, 0)
        XCTAssertEqual(keys(m, [.right]).0.currentIndex, 3)
        XCTAssertEqual(keys(m, [.end]).0.currentIndex, 18)
        let off = keys(m, [.char("m")]).0
        XCTAssertFalse(off.misclassifiedOnly)
        // Before any evaluation there is nothing to filter.
        let fresh = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        let (f, _) = keys(fresh, [.char("m")])
        XCTAssertFalse(f.misclassifiedOnly)
        XCTAssertEqual(f.message, "no evaluation yet: nothing to filter")
    }

    func testPromptEditingAndSubmit() {
        let s = Fixture.runningState()
        let (p, _) = keys(s, [.char("p"), .char("a"), .char("c"), .left, .char("b"), .right, .char("x"), .backspace,
                              .char("q"), .char(" ")])
        guard case .prompt(let f) = p.overlay else { return XCTFail("prompt should be open") }
        XCTAssertEqual(f.string, "abcq ", "typed keys (even q and space) edit the text instead of running commands")
        XCTAssertEqual(p.phase, .running)
        let (done, fx) = keys(p, [.backspace, .enter])
        XCTAssertEqual(fx, [.loadFile("abcq")])
        XCTAssertEqual(done.overlay, .none)
        let (cancel, fx2) = keys(p, [.escape])
        XCTAssertEqual(cancel.overlay, .none)
        XCTAssertEqual(fx2, [])
    }

    func testTabCompletion() {
        let s = Fixture.runningState()
        let (p, fx) = keys(s, [.char("p"), .char("f"), .tab])
        XCTAssertEqual(fx, [.completePath("f")])
        let one = reduce(p, .completions(for: "f", candidates: ["faces/"])).0
        XCTAssertEqual(one.overlay, .prompt(TextField("faces/")))
        let many = reduce(p, .completions(for: "f", candidates: ["face1.png", "face2.png"])).0
        XCTAssertEqual(many.overlay, .prompt(TextField("face")))
        XCTAssertEqual(many.completions.count, 2)
        // A late answer for text that has since changed is dropped.
        let late = reduce(keys(p, [.char("x")]).0, .completions(for: "f", candidates: ["faces/"])).0
        XCTAssertEqual(late.overlay, .prompt(TextField("fx")))
    }

    func testFilePredictionAndBadFile() {
        let s = Fixture.runningState()
        let px = [UInt8](repeating: 128, count: 2304)
        let (ok, fx) = reduce(s, .fileLoaded(path: "a.png", result: .success(FilePrediction(path: "a.png", pixels: px, note: "centre crop"))))
        XCTAssertEqual(ok.showing, .file("a.png"))
        XCTAssertEqual(fx, [.requestPrediction(pixels: px, tag: ok.requestedTag!, saliency: false)])
        let (bad, _) = reduce(ok, .fileLoaded(path: "b.png", result: .failure(FileLoadError("b.png: not a PNG"))))
        XCTAssertNil(bad.file)
        XCTAssertEqual(bad.fileError, "b.png: not a PNG")
        XCTAssertTrue(Fixture.render(bad, 120, 40).text.contains("b.png: not a PNG"), "the error shows in the Sample panel")
        // Esc returns to the dataset image.
        XCTAssertNil(keys(bad, [.escape]).0.fileError)
    }

    func testQuitWhileTrainingAsksThenStopsAndWaitsForFinished() {
        let s = Fixture.runningState()
        let (ask, fx) = keys(s, [.char("q")])
        XCTAssertEqual(ask.overlay, .confirmQuit)
        XCTAssertEqual(fx, [])
        XCTAssertEqual(keys(ask, [.char("n")]).0.overlay, .none)
        var (yes, fx2) = keys(ask, [.char("y")])
        XCTAssertEqual(fx2, [.stop])
        XCTAssertTrue(yes.quitting)
        // Steps still in flight do not exit; the finished event (after the checkpoint) does.
        yes = reduce(yes, .event(.step(Fixture.step(301)))).0
        yes = reduce(yes, .event(.checkpointSaved(CheckpointReport(step: 301, path: "runs/x/ckpt", isBest: false)))).0
        let (_, fx3) = reduce(yes, .event(.finished(FinishReport(step: 301, elapsed: 80, stoppedEarly: true))))
        XCTAssertEqual(fx3, [.exit(0)])
    }

    func testTrainingEndingWhileTheQuitQuestionIsOpenExitsAtOnce() {
        let ask = keys(Fixture.runningState(), [.char("q")]).0
        let done = reduce(ask, .event(.finished(FinishReport(step: 1000, elapsed: 1, stoppedEarly: false)))).0
        XCTAssertEqual(keys(done, [.char("y")]).1, [.exit(0)], "no stop, no waiting for a finished event that already came")
    }

    func testStoppingIsShownWhileWaitingForTheCheckpoint() {
        let s = keys(Fixture.runningState(), [.char("q"), .char("y")]).0
        XCTAssertTrue(Fixture.render(s, 120, 40).lines[1].contains("stopping"))
    }

    func testQuitGivesUpAfterTheTimeout() {
        var s = Fixture.runningState()
        s.quitTimeout = 5
        s = reduce(s, .tick(now: 100)).0
        s = keys(s, [.char("q"), .char("y")]).0
        XCTAssertEqual(reduce(s, .tick(now: 104)).1, [])
        XCTAssertEqual(reduce(s, .tick(now: 106)).1, [.exit(1)])
    }

    func testCtrlCIsQuitAndTwiceLeaves() {
        let s = Fixture.runningState()
        let (ask, _) = keys(s, [.ctrl("c")])
        XCTAssertEqual(ask.overlay, .confirmQuit)
        let (stopping, fx) = keys(ask, [.ctrl("c")])
        XCTAssertEqual(fx, [.stop])
        XCTAssertEqual(keys(stopping, [.ctrl("c")]).1, [.exit(1)])
    }

    func testQuitWhenNotTrainingExitsAtOnce() {
        let browse = AppState(dataset: Fixture.dataset, training: false, hasModel: false)
        XCTAssertEqual(keys(browse, [.char("q")]).1, [.exit(0)])
        let finished = Fixture.apply(Fixture.runningState(), [.event(.finished(FinishReport(step: 1000, elapsed: 1, stoppedEarly: false)))])
        XCTAssertEqual(finished.phase.word, "finished")
        XCTAssertEqual(keys(finished, [.char("q")]).1, [.exit(0)])
    }

    func testTerminateSignalStopsCleanlyWithoutAsking() {
        let (s, fx) = reduce(Fixture.runningState(), .terminate)
        XCTAssertEqual(fx, [.stop])
        XCTAssertTrue(s.quitting)
    }

    func testFailureIsShownAndTheDashboardStays() {
        let (s, fx) = reduce(Fixture.runningState(), .event(.failed(message: "loss became NaN at step 301")))
        XCTAssertEqual(s.phase.word, "failed")
        XCTAssertEqual(fx, [])
        let text = Fixture.render(s, 120, 40).text
        XCTAssertTrue(text.contains("failed"))
        XCTAssertTrue(text.contains("loss became NaN at step 301"))
        XCTAssertEqual(keys(s, [.char("q")]).1, [.exit(0)])
    }

    func testHelpOverlayOpensClosesAndListsTheKeyTable() {
        let s = Fixture.runningState()
        let (h, _) = keys(s, [.char("?")])
        XCTAssertEqual(h.overlay, .help)
        XCTAssertEqual(keys(h, [.escape]).0.overlay, .none)
        XCTAssertEqual(keys(h, [.char("?")]).0.overlay, .none)
        for (w, height) in [(120, 40), (80, 24)] {
            let text = Fixture.render(h, w, height).text
            for row in KeyTable.helpRows(unicode: true) {
                XCTAssertTrue(text.contains(row.help), "help shows \(row.help) at \(w)×\(height)")
            }
        }
    }

    func testEveryKeyInTheTableDispatchesItsCommandAndAppearsInHelp() {
        let table = KeyTable.bindings(unicode: true)
        for b in table {
            for k in b.keys { XCTAssertEqual(KeyTable.command(for: k), b.command, "\(k)") }
        }
        // Every binding without its own help row follows one that has it (pairs like ←/→).
        XCTAssertFalse(table.first!.label.isEmpty)
        XCTAssertEqual(KeyTable.helpRows(unicode: true).count, table.filter { !$0.label.isEmpty }.count + 1, "and the mouse")
        XCTAssertEqual(KeyTable.helpRows(unicode: true).last?.keys, "mouse")
        let hint = KeyTable.hintLine(unicode: true, width: 60)
        XCTAssertLessThanOrEqual(hint.count, 60)
        XCTAssertTrue(hint.contains("? help") && hint.contains("quit"), hint)
    }

    func testSmoothingLogAndCountsToggles() {
        let s = Fixture.runningState()
        XCTAssertEqual(keys(s, [.char("+")]).0.smoothingPercent, 65)
        XCTAssertEqual(keys(s, Array(repeating: .char("+"), count: 30)).0.smoothingPercent, 99)
        XCTAssertEqual(keys(s, Array(repeating: .char("-"), count: 30)).0.smoothingPercent, 0)
        XCTAssertTrue(keys(s, [.char("l")]).0.logY)
        XCTAssertTrue(keys(s, [.char("c")]).0.confusionPercent)
        XCTAssertEqual(keys(s, [.ctrl("l")]).1, [.redraw])
        XCTAssertEqual(keys(s, [.char("s")]).1, [.saveCheckpoint])
    }

    func testStepEventsKeepEveryLoss() {
        let s = Fixture.runningState()
        XCTAssertEqual(s.losses.count, 300)
        XCTAssertEqual(s.evals.map { $0.step }, [100, 200, 300])
        XCTAssertEqual(s.lastStep?.step, 300)
    }
}

final class PathCompletionTests: XCTestCase {
    func testCandidatesKeepTheTypedDirectoryAndMarkFolders() throws {
        let dir = TempDir()
        dir.mkdir("faces")
        dir.write("face1.png", [1])
        dir.write(".hidden.png", [1])
        let typed = dir.path + "/fa"
        XCTAssertEqual(PathCompletion.candidates(for: typed), [dir.path + "/face1.png", dir.path + "/faces/"])
        XCTAssertEqual(PathCompletion.candidates(for: dir.path + "/."), [dir.path + "/.hidden.png"])
        XCTAssertEqual(PathCompletion.candidates(for: dir.path + "/nothing"), [])
        XCTAssertEqual(PathCompletion.candidates(for: "/no/such/dir/x"), [])
    }
}
