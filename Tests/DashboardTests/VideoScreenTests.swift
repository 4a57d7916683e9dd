import EmotionTimeline
import FERData
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// The video view's golden screens, each drawn over a grid of "x".
final class VideoScreenTests: XCTestCase {
    func testHalfAnalysed120x40() {
        let s = VideoFixture.halfAnalysed(120, 40)
        let g = VideoFixture.render(s, 120, 40)
        assertSnapshot(g, "video-half-120x40")
        let t = g.text
        for needle in ["interview.mp4", "0:30 / 2:00", "analysed to 1:00 (50%)", "62 frames/s", "ETA 0:24", "2 faces seen",
                       "Frame 0:30.0", "Face #1", "#0 neutral", "#1 sad", "Timeline  face #1", "dominant", "space play", "? help"] {
            XCTAssertTrue(t.contains(needle), needle)
        }
        // The selected face's crop at half size beside its bars.
        XCTAssertTrue(g.lines.contains { $0.contains(String(repeating: "▀", count: 24)) })
        // The analysed minute is drawn; the second minute is still pending.
        let strip = g.lines.first { $0.contains("dominant") }!
        XCTAssertTrue(strip.contains("█"))
        XCTAssertTrue(strip.contains("·"))
    }

    func testHalfAnalysed80x24() {
        let g = VideoFixture.render(VideoFixture.halfAnalysed(80, 24), 80, 24)
        assertSnapshot(g, "video-half-80x24")
        for needle in ["interview.mp4", "Frame", "Face #1", "Timeline", "quit"] { XCTAssertTrue(g.text.contains(needle), needle) }
    }

    func testHalfAnalysedASCIINoColour80x24() {
        let g = VideoFixture.render(VideoFixture.halfAnalysed(80, 24, .plain), 80, 24, .plain)
        assertSnapshot(g, "video-half-80x24-ascii")
        XCTAssertTrue(g.text.unicodeScalars.allSatisfy { $0.isASCII }, "nothing but ASCII when the locale or --ascii says so")
        // Without colour the strip spells emotions with letters, explained in the legend.
        XCTAssertTrue(g.text.contains("A anger"))
        XCTAssertTrue(g.lines.first { $0.contains("dominant") }!.contains("S"))
    }

    func testLiveStream120x40() {
        let g = VideoFixture.render(VideoFixture.live(120, 40), 120, 40)
        assertSnapshot(g, "video-live-120x40")
        for needle in ["live", "rtsp://camera.local/stream", "0:39 / 0:39 live", "live, growing"] { XCTAssertTrue(g.text.contains(needle), needle) }
    }

    func testFinishedWithHelp120x40() {
        var s = VideoFixture.finished(120, 40)
        VideoFixture.apply(&s, [.key(.char("?"))])
        let g = VideoFixture.render(s, 120, 40)
        assertSnapshot(g, "video-finished-help-120x40")
        for row in VideoKeyTable.helpRows(unicode: true) { XCTAssertTrue(g.text.contains(row.help), row.help) }
        XCTAssertTrue(g.text.contains("finished"))
    }

    func testFinishedSaliency120x40() {
        let g = VideoFixture.render(VideoFixture.finished(120, 40), 120, 40)
        assertSnapshot(g, "video-finished-saliency-120x40")
        XCTAssertTrue(g.text.contains("saliency"))
        XCTAssertTrue(g.text.contains("low "), "the saliency legend")
    }

    func testQuitDialog80x24() {
        var s = VideoFixture.halfAnalysed(80, 24)
        VideoFixture.apply(&s, [.key(.char("q"))])
        let g = VideoFixture.render(s, 80, 24)
        XCTAssertTrue(g.text.contains("Stop the analysis and quit?"))
    }

    func testTooSmall() {
        let g = VideoFixture.render(VideoFixture.halfAnalysed(79, 23), 79, 23)
        assertSnapshot(g, "video-too-small-79x23")
        XCTAssertTrue(g.text.contains("terminal too small (need 80×24)"))
    }

    func testOpeningAndTinySizesDoNotCrash() {
        var help = VideoFixture.halfAnalysed(80, 24)
        VideoFixture.apply(&help, [.key(.char("?"))])
        let states = [VideoState(), VideoFixture.opened(80, 24, analysedFrames: 0), VideoFixture.halfAnalysed(80, 24),
                      VideoFixture.live(80, 24), help]
        for s in states {
            for (w, h) in [(0, 0), (1, 1), (79, 23), (80, 24), (81, 25), (200, 60), (120, 24), (80, 40), (300, 34)] {
                // Every cell drawn: the screen does not depend on what the grid held before.
                var other = CellGrid(width: w, height: h, fill: Cell("~", .dim))
                VideoView.draw(s, into: &other, caps: .full)
                XCTAssertEqual(VideoFixture.render(s, w, h), other, "every cell drawn at \(w)×\(h)")
            }
        }
        let opening = VideoFixture.render(VideoState(), 80, 24)
        XCTAssertTrue(opening.text.contains("opening the video"))
    }
}
