import EmotionTimeline
import FERData
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

final class VideoReducerTests: XCTestCase {
    /// Applies actions in order, collecting every effect.
    func run(_ s: inout VideoState, _ actions: [VideoAction]) -> [VideoEffect] {
        actions.flatMap { reduceVideo(into: &s, $0) }
    }

    func frameRequests(_ fx: [VideoEffect]) -> [FrameRequest] {
        fx.compactMap { if case .requestFrame(let r) = $0 { return r } else { return nil } }
    }

    func cropRequests(_ fx: [VideoEffect]) -> [CropRequest] {
        fx.compactMap { if case .requestCrop(let r) = $0 { return r } else { return nil } }
    }

    // MARK: the cursor

    func testArrowsStepToTheNeighbouringAnalysedFrame() {
        // Every fifth frame analysed: 0.0, 0.2, 0.4, … up to 59.8 s.
        var s = VideoFixture.opened(120, 40, frameStep: 5)
        _ = run(&s, [.key(.right)])
        XCTAssertEqual(s.cursor, 0.2, accuracy: 1e-9)
        _ = run(&s, [.key(.right), .key(.right)])
        XCTAssertEqual(s.cursor, 0.6, accuracy: 1e-9)
        _ = run(&s, [.key(.left)])
        XCTAssertEqual(s.cursor, 0.4, accuracy: 1e-9)
        _ = run(&s, [.key(.left), .key(.left), .key(.left)])
        XCTAssertEqual(s.cursor, 0, "never before the start")
        // Between analysed frames (a click put it there), the arrows go to the neighbours.
        s.cursor = 0.5
        _ = run(&s, [.key(.right)])
        XCTAssertEqual(s.cursor, 0.6, accuracy: 1e-9)
        s.cursor = 0.5
        _ = run(&s, [.key(.left)])
        XCTAssertEqual(s.cursor, 0.4, accuracy: 1e-9)
        // Past the analysed minute the video still has frames: one frame interval (1/25 s) a press.
        s.cursor = 59.8
        _ = run(&s, [.key(.right)])
        XCTAssertEqual(s.cursor, 59.84, accuracy: 1e-9)
    }

    func testPageKeysJumpTenSecondsClampedToTheVideo() {
        var s = VideoFixture.opened(120, 40)
        _ = run(&s, [.key(.pageDown)])
        XCTAssertEqual(s.cursor, 10)
        _ = run(&s, [.key(.pageUp), .key(.pageUp)])
        XCTAssertEqual(s.cursor, 0, "clamped at the start")
        _ = run(&s, Array(repeating: .key(.pageDown), count: 20))
        XCTAssertEqual(s.cursor, 119.96, accuracy: 1e-9, "clamped at the last frame of the 120 s file")
    }

    func testHomeAndEnd() {
        var s = VideoFixture.opened(120, 40)
        _ = run(&s, [.key(.end)])
        XCTAssertEqual(s.cursor, 119.96, accuracy: 1e-9)
        _ = run(&s, [.key(.home)])
        XCTAssertEqual(s.cursor, 0)
    }

    // MARK: faces

    func testTabCyclesTheFacesPresentAtTheCursor() {
        var s = VideoFixture.opened(120, 40)
        XCTAssertEqual(s.selectedFace, 0, "the first face seen is picked by itself")
        _ = run(&s, [.key(.tab)])
        XCTAssertEqual(s.selectedFace, 0, "alone at 0:00: Tab stays on it")
        _ = run(&s, [.key(.pageDown), .key(.pageDown)])   // 0:20: both people
        XCTAssertEqual(s.facesAtCursor.map(\.faceID), [0, 1])
        _ = run(&s, [.key(.tab)])
        XCTAssertEqual(s.selectedFace, 1)
        _ = run(&s, [.key(.tab)])
        XCTAssertEqual(s.selectedFace, 0)
        _ = run(&s, [.key(.tab)])
        XCTAssertEqual(s.selectedFace, 1)
        // Past the analysed part there is no face to pick.
        _ = run(&s, Array(repeating: .key(.pageDown), count: 6))
        XCTAssertEqual(s.cursor, 80)
        _ = run(&s, [.key(.tab)])
        XCTAssertEqual(s.selectedFace, 1)
        XCTAssertEqual(s.message, "no face at 1:20.0")
    }

    func testClickOnAFaceBoxSelectsIt() {
        var s = VideoFixture.opened(120, 40)
        _ = run(&s, [.key(.pageDown), .key(.pageDown)])
        let fit = s.layout.frameFit(sourceWidth: VideoFixture.file.width, sourceHeight: VideoFixture.file.height)
        let second = fit.cellRect(of: s.facesAtCursor[1].box)
        _ = run(&s, [.mouse(MouseEvent(x: second.x + second.width / 2, y: second.y + second.height / 2, button: .left))])
        XCTAssertEqual(s.selectedFace, 1)
    }

    // MARK: play

    func testSpaceTogglesPlayAndTicksAdvanceTheCursorAtTheVideosSpeed() {
        var s = VideoFixture.opened(120, 40)
        _ = run(&s, [.key(.pageDown), .key(.char(" "))])
        XCTAssertTrue(s.playing)
        _ = run(&s, [.tick(now: 100.5)])
        XCTAssertEqual(s.cursor, 10.5, accuracy: 1e-9, "half a second of clock, half a second of video")
        _ = run(&s, [.tick(now: 100.55), .tick(now: 101.25)])
        XCTAssertEqual(s.cursor, 11.25, accuracy: 1e-9, "ticks late or early, the cursor follows the clock")
        _ = run(&s, [.key(.char(" ")), .tick(now: 103)])
        XCTAssertFalse(s.playing)
        XCTAssertEqual(s.cursor, 11.25, accuracy: 1e-9, "paused: the clock no longer moves it")
        // Play stops at the last frame; space there starts over.
        _ = run(&s, [.key(.end), .key(.pageUp), .key(.char(" ")), .tick(now: 104), .tick(now: 105)])
        XCTAssertEqual(s.cursor, 111.96, accuracy: 1e-9)
        for i in 1...12 { _ = run(&s, [.tick(now: 105 + Double(i))]) }
        XCTAssertFalse(s.playing)
        XCTAssertEqual(s.cursor, 119.96, accuracy: 1e-9)
        _ = run(&s, [.key(.char(" "))])
        XCTAssertTrue(s.playing)
        XCTAssertEqual(s.cursor, 0)
    }

    func testFrameRequestsAreCoalescedToOneInFlight() {
        var s = VideoFixture.opened(120, 40)
        VideoFixture.answerRequests(&s)
        XCTAssertNil(s.frameRequestSince)
        var fx = run(&s, [.key(.char(" "))])
        // Ten ticks of play while the decoder is slow: one request, at the first new position.
        for i in 1...10 { fx += run(&s, [.tick(now: 100 + Double(i) * 0.05)]) }
        let asked = frameRequests(fx)
        XCTAssertEqual(asked.count, 1)
        XCTAssertEqual(asked[0].time, 0.05, accuracy: 1e-9)
        // At the frame panel's size in pixels, in the video's aspect (16:9 in 70×40 half blocks).
        XCTAssertEqual(asked[0].width, 70)
        XCTAssertEqual(asked[0].height, 39)
        // The answer comes: the next tick asks for where the cursor is now, once.
        fx = run(&s, [.event(.frame(time: 0.04, image: GrayImage(width: 70, height: 39, pixels: [UInt8](repeating: 9, count: 70 * 39))))])
        XCTAssertEqual(frameRequests(fx).map(\.time), [0.5], "answered: the cursor's time is asked for at once")
        fx = run(&s, [.tick(now: 100.55), .tick(now: 100.6)])
        XCTAssertTrue(frameRequests(fx).isEmpty)
        // An answer lost for good: after two seconds the view asks again.
        fx = run(&s, [.tick(now: 102.4), .tick(now: 102.7)])
        XCTAssertEqual(frameRequests(fx).count, 1)
        XCTAssertEqual(frameRequests(fx)[0].time, s.cursor, accuracy: 0.5)
    }

    func testNothingIsRequestedAgainWhenPausedAndAnswered() {
        var s = VideoFixture.halfAnalysed(120, 40)
        let fx = run(&s, [.tick(now: 101), .tick(now: 105), .key(.char("?")), .key(.char("?"))])
        XCTAssertTrue(frameRequests(fx).isEmpty)
        XCTAssertTrue(cropRequests(fx).isEmpty)
    }

    func testCropFollowsTheSelectedFaceAndSaliency() {
        var s = VideoFixture.halfAnalysed(120, 40)
        XCTAssertEqual(s.crop?.faceID, 1)
        var fx = run(&s, [.key(.tab)])
        XCTAssertEqual(cropRequests(fx), [CropRequest(faceID: 0, time: 30, saliency: false)])
        VideoFixture.answerRequests(&s)
        fx = run(&s, [.key(.char("x"))])
        XCTAssertEqual(cropRequests(fx), [CropRequest(faceID: 0, time: 30, saliency: true)])
        VideoFixture.answerRequests(&s)
        // Off again: the crop in hand has what is needed.
        fx = run(&s, [.key(.char("x"))])
        XCTAssertTrue(cropRequests(fx).isEmpty)
    }

    func testAResizeAsksForTheFrameAtTheNewSize() {
        var s = VideoFixture.halfAnalysed(120, 40)
        let fx = run(&s, [VideoFixture.screen(80, 24)])
        XCTAssertEqual(frameRequests(fx), [FrameRequest(time: 30, width: 42, height: 24)])
    }

    // MARK: mouse

    func testAClickOnTheTimelineJumpsToThatColumnsTime() {
        var s = VideoFixture.opened(120, 40)
        let track = s.layout.timelineTrack
        XCTAssertEqual(track.columns, 109)
        // The column in the middle of the track covers 120 s × 54/109 … 55/109: 59.45 … 60.55 s.
        let x = track.track.x + 54
        _ = run(&s, [.mouse(MouseEvent(x: x, y: track.strip.y, button: .left))])
        XCTAssertEqual(track.x(for: s.cursor, span: s.span), x, "the cursor is drawn in the column clicked")
        // Analysed there (up to 59.96 s): the analysed frame nearest the column's middle (60 s).
        XCTAssertEqual(s.cursor, 59.96, accuracy: 1e-9)
        // Not analysed yet: the column's middle.
        _ = run(&s, [.mouse(MouseEvent(x: track.track.x + 100, y: track.axis.y, button: .left))])
        XCTAssertEqual(s.cursor, 120 * 100.5 / 109, accuracy: 1e-9)
        // The labels and the border are not the track.
        let before = s.cursor
        _ = run(&s, [.mouse(MouseEvent(x: track.inner.x + 2, y: track.strip.y, button: .left)),
                     .mouse(MouseEvent(x: x, y: s.layout.timeline.y, button: .left))])
        XCTAssertEqual(s.cursor, before)
        // The wheel steps frames.
        _ = run(&s, [.mouse(MouseEvent(x: 0, y: 0, button: .wheelUp))])
        XCTAssertEqual(s.cursor, 59.96, accuracy: 1e-9)
    }

    func testTimelineXAndTimeAgree() {
        let track = VideoLayout(width: 80, height: 24).timelineTrack
        for span in [1.0, 37.5, 3600] {
            for x in track.track.x..<track.track.maxX {
                let t = track.time(atX: x, y: track.strip.y, span: span)!
                XCTAssertEqual(track.x(for: t, span: span), x, "span \(span) x \(x)")
            }
        }
    }

    // MARK: export, analysis, quit

    func testEWritesTheCSV() {
        var s = VideoFixture.halfAnalysed(120, 40)
        XCTAssertEqual(run(&s, [.key(.char("e"))]), [.exportCSV])
        XCTAssertEqual(s.message, "writing the CSV of what is analysed so far…")
        _ = run(&s, [.event(.exported(path: "/home/ana/videos/interview.emotions.csv"))])
        XCTAssertEqual(s.message, "wrote /home/ana/videos/interview.emotions.csv")
        _ = run(&s, [.event(.exportFailed("disk full"))])
        XCTAssertTrue(s.messageIsError)
        var empty = VideoFixture.opened(120, 40, analysedFrames: 0)
        XCTAssertEqual(run(&empty, [.key(.char("e"))]), [], "nothing analysed: nothing to write")
    }

    func testTheTimelineFillsAsAnalysedFramesArrive() {
        var s = VideoState()
        _ = run(&s, [.tick(now: 0), VideoFixture.screen(120, 40), .event(.opened(VideoFixture.file))])
        let track = s.layout.timelineTrack
        func pending() -> Int { TimelinePanel.columns(s, track).filter { $0 == .pending }.count }
        XCTAssertEqual(pending(), track.columns)
        var counts: [Int] = []
        for chunk in 0..<4 {
            for f in chunk * 750..<(chunk + 1) * 750 { _ = run(&s, [.event(.analysed(VideoFixture.analysis(frame: f)))]) }
            counts.append(pending())
        }
        XCTAssertEqual(counts, counts.sorted(by: >), "fewer pending columns after every batch")
        XCTAssertEqual(counts.last, 0)
        XCTAssertEqual(s.timeline.count, 3000)
        XCTAssertEqual(s.timeline.faceIDsSeen, [0, 1])
        // A frame out of order is not taken (the timeline stays sorted).
        _ = run(&s, [.event(.analysed(VideoFixture.analysis(frame: 10)))])
        XCTAssertEqual(s.timeline.count, 3000)
    }

    func testQuitAsksWhileTheAnalysisRunsAndWaitsForItToStop() {
        var s = VideoFixture.halfAnalysed(120, 40)
        XCTAssertEqual(run(&s, [.key(.char("q"))]), [])
        XCTAssertEqual(s.overlay, .confirmQuit)
        _ = run(&s, [.key(.char("n"))])
        XCTAssertEqual(s.overlay, .none)
        XCTAssertEqual(run(&s, [.key(.char("q")), .key(.char("y"))]), [.stop])
        XCTAssertTrue(s.quitting)
        XCTAssertEqual(run(&s, [.event(.finished)]), [.exit(0)])
        // Once it is over, q leaves at once.
        var done = VideoFixture.finished(120, 40)
        XCTAssertEqual(run(&done, [.key(.char("q"))]), [.exit(0)])
        // A signal stops it like a confirmed quit; a second one leaves at once.
        var signalled = VideoFixture.halfAnalysed(120, 40)
        XCTAssertEqual(run(&signalled, [.terminate]), [.stop])
        XCTAssertEqual(run(&signalled, [.terminate]), [.exit(1)])
    }

    func testQuitLeavesAnywayWhenTheAnalysisNeverStops() {
        var s = VideoFixture.halfAnalysed(120, 40)
        s.quitTimeout = 5
        _ = run(&s, [.key(.char("q")), .key(.char("y"))])
        XCTAssertEqual(run(&s, [.tick(now: 104)]), [])
        XCTAssertEqual(run(&s, [.tick(now: 106)]), [.exit(1)])
    }

    func testALiveStreamIsFollowedUntilTheCursorMoves() {
        var s = VideoFixture.live(120, 40)
        XCTAssertTrue(s.followingLive)
        XCTAssertEqual(s.cursor, 39.97, accuracy: 1e-9)
        _ = run(&s, [.event(.analysed(VideoFixture.analysis(frame: 1200, fps: 30, scale: 2)))])
        XCTAssertEqual(s.cursor, 40, accuracy: 1e-9, "the cursor rides the newest frame")
        _ = run(&s, [.key(.pageUp), .event(.analysed(VideoFixture.analysis(frame: 1201, fps: 30, scale: 2)))])
        XCTAssertFalse(s.followingLive)
        XCTAssertEqual(s.cursor, 30, accuracy: 1e-9, "moved back: it stays where it was put")
        _ = run(&s, [.key(.end)])
        XCTAssertTrue(s.followingLive)
        XCTAssertEqual(s.cursor, 1201.0 / 30, accuracy: 1e-9)
        // Space pauses a followed stream; playing catches up and follows again.
        _ = run(&s, [.key(.char(" "))])
        XCTAssertFalse(s.followingLive)
        _ = run(&s, [.key(.char(" ")), .tick(now: 100.5)])
        XCTAssertTrue(s.followingLive)
    }

    func testFailureIsShownAndQuitThenLeaves() {
        var s = VideoFixture.halfAnalysed(120, 40)
        _ = run(&s, [.event(.failed("decoder: invalid data found when processing input"))])
        XCTAssertEqual(s.phase, .failed("decoder: invalid data found when processing input"))
        XCTAssertTrue(s.messageIsError)
        XCTAssertTrue(VideoFixture.render(s, 120, 40).text.contains("analysis failed: decoder"))
        XCTAssertEqual(run(&s, [.key(.char("q"))]), [.exit(0)])
    }
}
