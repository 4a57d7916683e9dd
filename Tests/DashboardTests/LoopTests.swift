import FERData
import FERTraining
import Foundation
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// A terminal that replays queued keys and never waits, over an in-memory screen.
final class ScriptedTerminal: Terminal {
    let screen: MemoryBackend
    var keys: [Key] = []
    var signal: Int32 = 0
    init(width: Int, height: Int) { screen = MemoryBackend(width: width, height: height) }
    var size: (width: Int, height: Int) { screen.size }
    var capabilities: Capabilities { screen.capabilities }
    func write(_ runs: [CellRun]) { screen.write(runs) }
    func flush() { screen.flush() }
    func invalidate() { screen.invalidate() }
    func readKey(timeoutMs: Int32) -> Key? { keys.isEmpty ? nil : keys.removeFirst() }
    func takeSignal() -> Int32 { defer { signal = 0 }; return signal }
}

final class RecordingControl: DashboardSessionControl {
    var calls: [String] = []
    var predictions: [(pixels: [UInt8], tag: Int, saliency: Bool)] = []
    func pause() { calls.append("pause") }
    func resume() { calls.append("resume") }
    func stop() { calls.append("stop") }
    func saveCheckpointNow() { calls.append("save") }
    func requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool) { predictions.append((pixels, tag, saliency)) }
    func requestEvaluation(of split: SplitName) { calls.append("evaluate \(split.rawValue)") }
}

final class LoopTests: XCTestCase {
    var time = 0.0
    let mailbox = EventMailbox()
    let control = RecordingControl()
    let term = ScriptedTerminal(width: 120, height: 40)

    func makeLoop(training: Bool = true, control: DashboardSessionControl? = nil,
                  predictFile: @escaping (String) -> Result<FilePrediction, Error> = { _ in .failure(FileLoadError("unused")) }) -> DashboardLoop {
        var loop = DashboardLoop(terminal: term, dataset: Fixture.dataset, control: control ?? self.control, mailbox: mailbox,
                                 predictFile: predictFile, training: training, quitTimeout: 10, clock: { [unowned self] in self.time })
        loop.start()
        return loop
    }

    func testBurstOfStepsRendersOnceAndKeepsEveryLoss() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        for i in 1...500 { mailbox.post(.step(Fixture.step(i))) }
        loop.tick()
        XCTAssertEqual(loop.framesPresented, 1)
        XCTAssertEqual(term.screen.flushCount, 1)
        XCTAssertEqual(loop.state.losses.count, 500)
        XCTAssertTrue(term.screen.screen.text.contains("step 500/1000"))
        // Nothing new: no frame, no terminal traffic.
        time += 1
        loop.tick()
        XCTAssertEqual(term.screen.flushCount, 1)
    }

    func testScreenEqualsTheRenderOfTheState() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        mailbox.post(.step(Fixture.step(1)))
        loop.tick()
        term.keys = [.right, .char("c")]
        time += 0.01
        loop.tick()
        XCTAssertEqual(term.screen.screen, DashboardView.render(loop.state, width: 120, height: 40, caps: .full))
    }

    func testEventOnlyFramesAreCapped() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        for i in 1...40 {
            mailbox.post(.step(Fixture.step(i)))
            time += 0.05
            loop.tick()
        }
        XCTAssertLessThanOrEqual(loop.framesPresented, 21, "about 10 frames per second of events, not one per tick")
        XCTAssertGreaterThanOrEqual(loop.framesPresented, 15)
    }

    func testTheMouseReachesTheReducerWhichKnowsTheScreen() {
        var loop = makeLoop()
        XCTAssertEqual(loop.state.screen, ScreenInfo(width: 120, height: 40, caps: .full))
        term.keys = [.char("g"), .mouse(MouseEvent(x: 3, y: 20, button: .wheelDown))]
        loop.tick()
        XCTAssertNotNil(loop.state.gallery)
        XCTAssertEqual(loop.state.position, 7, "the wheel moves a row of the gallery: 7 faces at 120×40")
        let faces = DashboardLayout(width: 120, height: 40).galleryFaces
        let face = faces.faceOrigin(2)
        term.keys = [.mouse(MouseEvent(x: face.x + 1, y: face.y + 1, button: .left))]
        loop.tick()
        XCTAssertNil(loop.state.gallery, "a click on a face opens it")
        XCTAssertEqual(loop.state.currentIndex, 2)
        XCTAssertTrue(term.screen.screen.text.contains("train #2/40"))
        term.screen.resize(width: 80, height: 24)
        term.keys = [.resize]
        loop.tick()
        XCTAssertEqual(loop.state.screen.width, 80, "a resize tells the reducer")
    }

    func testHeldArrowRequestsOnlyTheLastSamplesPrediction() {
        var loop = makeLoop()
        loop.tick()
        control.predictions.removeAll()
        term.keys = Array(repeating: .right, count: 5)
        loop.tick()
        XCTAssertEqual(control.predictions.count, 1)
        XCTAssertEqual(control.predictions[0].pixels, Array(Fixture.dataset.train.image(5)))
        XCTAssertEqual(control.predictions[0].tag, loop.state.requestedTag)
    }

    func testQuitStopsTheSessionAndWaitsForFinished() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        loop.tick()
        term.keys = [.char("q"), .char("y")]
        loop.tick()
        XCTAssertEqual(control.calls, ["stop"])
        XCTAssertNil(loop.exitCode, "still waiting for the checkpoint")
        mailbox.post(.checkpointSaved(CheckpointReport(step: 3, path: "p", isBest: false)))
        mailbox.post(.finished(FinishReport(step: 3, elapsed: 1, stoppedEarly: true)))
        loop.tick()
        XCTAssertEqual(loop.exitCode, 0)
    }

    func testQuitTimesOutWhenTheSessionNeverAnswers() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        loop.tick()
        term.keys = [.ctrl("c"), .char("y")]
        loop.tick()
        time += 11
        loop.tick()
        XCTAssertEqual(loop.exitCode, 1)
    }

    func testSignalStopsCleanly() {
        var loop = makeLoop()
        mailbox.post(.started(Fixture.info))
        loop.tick()
        term.signal = 15
        loop.tick()
        XCTAssertEqual(control.calls, ["stop"])
        XCTAssertTrue(loop.state.quitting)
    }

    func testBrowseWithoutModelQuitsAtOnceAndNeverAsksForPredictions() {
        var loop = DashboardLoop(terminal: term, dataset: Fixture.dataset, control: nil, mailbox: mailbox,
                                 predictFile: { _ in .failure(FileLoadError("x")) }, training: false)
        loop.start()
        term.keys = [.right, .char("q")]
        loop.tick()
        XCTAssertEqual(loop.exitCode, 0)
        XCTAssertTrue(control.predictions.isEmpty)
    }

    func testResizeRepaintsToTheNewSize() {
        var loop = makeLoop()
        loop.tick()
        term.screen.resize(width: 80, height: 24)
        term.keys = [.resize]
        loop.tick()
        XCTAssertEqual(term.screen.screen, DashboardView.render(loop.state, width: 80, height: 24, caps: .full))
        term.screen.resize(width: 30, height: 10)
        term.keys = [.resize]
        loop.tick()
        XCTAssertTrue(term.screen.screen.text.contains("terminal too small"))
    }

    func testPredictOnFileGoodBadAndMissing() throws {
        let dir = TempDir()
        let good = dir.write("face.png", [0])
        let px = [UInt8](repeating: 77, count: 2304)
        var loop = makeLoop(predictFile: { path in
            if path == good { return .success(FilePrediction(path: path, pixels: px, note: "centre crop")) }
            Thread.sleep(forTimeInterval: 0.05)   // a slow decoder: the answer arrives in a later tick
            return .failure(DataError(file: path, reason: "not a PNG"))
        })
        loop.tick()
        control.predictions.removeAll()
        // Loads run in the background; tick until the answer has been picked up.
        func settle(_ done: (AppState) -> Bool) {
            let deadline = Date().addingTimeInterval(5)
            repeat { loop.tick(); Thread.sleep(forTimeInterval: 0.005) } while !done(loop.state) && Date() < deadline
        }
        term.keys = [.char("p")] + good.map { Key.char($0) } + [.enter]
        settle { $0.file != nil }
        XCTAssertEqual(control.predictions.last?.pixels, px)
        XCTAssertEqual(loop.state.showing, .file(good))
        term.keys = [.char("p"), .ctrl("u")] + "/nonexistent/x.png".map { Key.char($0) } + [.enter]
        let before = term.screen.flushCount
        settle { $0.fileError != nil }
        XCTAssertEqual(loop.state.fileError, "/nonexistent/x.png: no such file")
        // Drawn by the tick that picked the answer up, with no other event to trigger a frame.
        XCTAssertTrue(term.screen.screen.text.contains("cannot predict"))
        XCTAssertGreaterThan(term.screen.flushCount, before)
        let bad = dir.path
        term.keys = [.char("p"), .ctrl("u")] + bad.map { Key.char($0) } + [.enter]
        settle { $0.fileError?.hasSuffix("not a PNG") ?? false }
        XCTAssertEqual(loop.state.fileError, "\(bad): not a PNG")
        XCTAssertTrue(term.screen.screen.text.contains("not a PNG"), "the late answer is drawn without another event")
    }
}
