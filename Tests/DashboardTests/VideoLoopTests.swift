import EmotionTimeline
import FERData
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// What the executable's control would be asked, recorded.
final class RecordingVideoControl: VideoAnalysisControl {
    var frames: [FrameRequest] = []
    var crops: [CropRequest] = []
    var exports = 0, stops = 0
    func requestFrame(at time: Double, width: Int, height: Int) { frames.append(FrameRequest(time: time, width: width, height: height)) }
    func requestCrop(faceID: Int, at time: Double, saliency: Bool) { crops.append(CropRequest(faceID: faceID, time: time, saliency: saliency)) }
    func exportCSV() { exports += 1 }
    func stop() { stops += 1 }
}

final class VideoLoopTests: XCTestCase {
    var time = 0.0
    let inbox = VideoInbox()
    let control = RecordingVideoControl()
    let term = ScriptedTerminal(width: 120, height: 40)

    func makeLoop() -> VideoLoop {
        var loop = VideoLoop(terminal: term, control: control, inbox: inbox, quitTimeout: 10, clock: { [unowned self] in self.time })
        loop.start()
        return loop
    }

    func testABurstOfAnalysedFramesRendersOnceAndKeepsEveryFrame() {
        var loop = makeLoop()
        inbox.post(.opened(VideoFixture.file))
        for f in 0..<500 { inbox.post(.analysed(VideoFixture.analysis(frame: f))) }
        loop.tick()
        XCTAssertEqual(loop.framesPresented, 1)
        XCTAssertEqual(loop.state.timeline.count, 500)
        XCTAssertEqual(term.screen.screen, VideoView.render(loop.state, width: 120, height: 40, caps: .full))
        // The view asked for the picture at the cursor and the first face's crop, once each.
        XCTAssertEqual(control.frames, [FrameRequest(time: 0, width: 70, height: 39)])
        XCTAssertEqual(control.crops, [CropRequest(faceID: 0, time: 0, saliency: false)])
        // Nothing new: no frame, no requests.
        time += 1
        loop.tick()
        XCTAssertEqual(loop.framesPresented, 1)
        XCTAssertEqual(control.frames.count, 1)
    }

    func testPlayingAsksForPicturesAtThePaceTheyAreAnswered() {
        var loop = makeLoop()
        inbox.post(.opened(VideoFixture.file))
        for f in 0..<1500 { inbox.post(.analysed(VideoFixture.analysis(frame: f))) }
        loop.tick()
        term.keys = [.char(" ")]
        for _ in 0..<20 {
            time += 0.04
            loop.tick()
            // The control answers each request before the next tick.
            if let r = control.frames.last, loop.state.frameRequestSince != nil {
                inbox.post(.frame(time: r.time, image: GrayImage(width: r.width, height: r.height,
                                                                 pixels: [UInt8](repeating: 80, count: r.width * r.height))))
            }
        }
        // Keys are read before the clock in a tick, so play counts from the tick before the key:
        // 20 ticks of 40 ms, at most one tick more than the person waited.
        XCTAssertEqual(loop.state.cursor, 0.8, accuracy: 1e-6)
        XCTAssertGreaterThanOrEqual(control.frames.count, 15, "about one picture a tick")
        XCTAssertEqual(control.frames.map(\.time), control.frames.map(\.time).sorted(), "in play order")
    }

    func testExportAndQuitReachTheControl() {
        var loop = makeLoop()
        inbox.post(.opened(VideoFixture.file))
        inbox.post(.analysed(VideoFixture.analysis(frame: 0)))
        loop.tick()
        term.keys = [.char("e"), .char("q"), .char("y")]
        time += 0.05
        loop.tick()
        XCTAssertEqual(control.exports, 1)
        XCTAssertEqual(control.stops, 1)
        XCTAssertNil(loop.exitCode)
        inbox.post(.finished)
        time += 0.05
        loop.tick()
        XCTAssertEqual(loop.exitCode, 0)
    }
}
