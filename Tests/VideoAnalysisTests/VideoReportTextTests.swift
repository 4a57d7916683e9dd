import EmotionTimeline
@testable import VideoAnalysis
import VideoDecoding
import XCTest

/// The lines `ferdash video` prints: the closing report and the progress line, as text.
final class VideoReportTextTests: XCTestCase {
    let info = VideoInfo(source: "talk.mp4", container: "mov,mp4", codec: "h264", width: 640, height: 480,
                         duration: 100, frameRate: 25)

    func report(_ outcome: VideoRunOutcome, written: [String] = [], rows: Int = 0, info: VideoInfo? = nil) -> VideoReport {
        VideoReport(info: info ?? self.info, outcome: outcome, summary: TimelineSummary(), rowsWritten: rows,
                    segments: [], written: written)
    }

    func testAFinishedVideoSaysWhatWasReadHowFastAndWhatWasWritten() {
        var o = VideoRunOutcome()
        o.decodedFrames = 2500; o.analysedFrames = 500; o.seconds = 20; o.lastTimestamp = 99.96; o.lastFrame = 2499
        o.warnings = ["skipped 3 damaged packets near 0:41.2"]
        let text = VideoReportText.closingLines(report(o, written: ["out/talk.csv", "out/talk-summary.txt"], rows: 512))
        XCTAssertEqual(text, """
            talk.mp4: 640×480 h264, 500 of 2500 frames analysed in 20.0 s (125 frames/s, 5.0× real time)
              note: skipped 3 damaged packets near 0:41.2
              wrote out/talk.csv, out/talk-summary.txt (512 rows)
            No faces found.

            """)
    }

    func testAStoppedOrFailedVideoSaysWhereItsRowsEnd() {
        var o = VideoRunOutcome()
        o.decodedFrames = 300; o.analysedFrames = 300; o.seconds = 4; o.lastTimestamp = 11.96; o.lastFrame = 299
        o.stopped = true
        let rotated = VideoInfo(source: "phone.mov", container: "mov,mp4", codec: "hevc", width: 1080, height: 1920,
                                rotation: 90, duration: nil, frameRate: nil)
        let stopped = VideoReportText.closingLines(report(o, info: rotated)).split(separator: "\n").map(String.init)
        XCTAssertEqual(stopped[0], "phone.mov: 1080×1920 hevc, rotated 90°, 300 of 300 frames analysed in 4.0 s (75 frames/s, 3.0× real time)")
        XCTAssertEqual(stopped[1], "  stopped at 0:12.0 (frame 299); the files cover every frame up to there")

        o.stopped = false
        let error = VideoError(.damaged, file: "phone.mov", time: 12, message: "invalid data")
        o.error = error
        let failed = VideoReportText.closingLines(report(o, info: rotated)).split(separator: "\n").map(String.init)
        XCTAssertEqual(failed[1], "  stopped early: \(error); rows up to 0:12.0 are written")
        o.lastTimestamp = nil
        XCTAssertEqual(VideoReportText.closingLines(report(o)).split(separator: "\n").map(String.init)[1], "  stopped early: \(error)")
    }

    func progress(at t: Double, elapsed: Double, faces: Int = 1) -> VideoProgress {
        VideoProgress(timestamp: t, decodedFrames: Int(t * 25), analysedFrames: Int(t * 5), faces: faces, elapsed: elapsed)
    }

    func testTheLineHasABarAndETAWhenTheLengthIsKnownAndSaysLiveOtherwise() {
        let file = VideoProgressLine(label: "talk.mp4", info: info, terminal: false)
        XCTAssertEqual(file.text(progress(at: 25, elapsed: 5)),
                       "talk.mp4: 0:25.0 / 1:40.0 [#####...............]  25%, ETA 0:15.0, 125 frames/s (5.0× real time), 1 face")
        let stream = VideoInfo(source: "udp://:5000", container: "mpegts", codec: "h264", width: 640, height: 480,
                               duration: nil, frameRate: nil, isLive: true)
        let live = VideoProgressLine(label: "udp://:5000", info: stream, terminal: false)
        XCTAssertEqual(live.text(progress(at: 10, elapsed: 10, faces: 2)),
                       "udp://:5000: 0:10.0 (live), 25 frames/s (1.0× real time), 2 faces")
    }

    func testALogGetsALineEveryTenthOfTheVideoOrEveryThirtySeconds() {
        var line = VideoProgressLine(label: "talk.mp4", info: info, terminal: false)
        var written: [Double] = []
        // Half a second of video per update, at 1× real time: 0–100 s of video.
        for step in 0...200 {
            let t = Double(step) / 2
            if let text = line.update(progress(at: t, elapsed: t)) {
                XCTAssertTrue(text.hasSuffix("\n") && !text.contains("\r"), text)
                written.append(t)
            }
        }
        XCTAssertEqual(written, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
        XCTAssertNil(line.finish(), "a log keeps its lines")

        // Slow and long: nothing new in a tenth, but 30 s have passed.
        var slow = VideoProgressLine(label: "long.mp4", info: VideoInfo(source: "long.mp4", container: "mp4", codec: "h264",
                                                                        width: 64, height: 64, duration: 36000, frameRate: 25),
                                     terminal: false)
        XCTAssertNotNil(slow.update(progress(at: 1, elapsed: 1)))
        XCTAssertNil(slow.update(progress(at: 20, elapsed: 29)))
        XCTAssertNotNil(slow.update(progress(at: 21, elapsed: 31)))
    }

    func testATerminalRedrawsOneLineAtMostFiveTimesASecondAndClearsItAtTheEnd() {
        var line = VideoProgressLine(label: "talk.mp4", info: info, terminal: true)
        XCTAssertNil(line.finish(), "nothing drawn, nothing to clear")
        let first = line.update(progress(at: 1, elapsed: 1))
        XCTAssertEqual(first, "\r\u{1B}[K" + line.text(progress(at: 1, elapsed: 1)))
        XCTAssertNil(line.update(progress(at: 1.1, elapsed: 1.1)), "too soon")
        XCTAssertNotNil(line.update(progress(at: 1.3, elapsed: 1.3)))
        XCTAssertEqual(line.finish(), "\r\u{1B}[K")
    }
}
