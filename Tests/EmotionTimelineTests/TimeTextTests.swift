import EmotionTimeline
import XCTest

/// The one way the analysis writes times: decoder messages, progress, summaries, the plot's axis.
final class TimeTextTests: XCTestCase {
    func testClockToTheSecond() {
        XCTAssertEqual(TimeText.clock(0), "0:00")
        XCTAssertEqual(TimeText.clock(65), "1:05")
        XCTAssertEqual(TimeText.clock(600), "10:00")
        XCTAssertEqual(TimeText.clock(3723), "1:02:03")
        XCTAssertEqual(TimeText.clock(36000), "10:00:00")
        XCTAssertEqual(TimeText.clock(59.6), "1:00", "rounded to the second")
        XCTAssertEqual(TimeText.clock(-3), "0:00")
        XCTAssertEqual(TimeText.clock(.nan), "0:00")
    }

    func testPositionToATenth() {
        XCTAssertEqual(TimeText.position(0), "0:00.0")
        XCTAssertEqual(TimeText.position(59.96), "1:00.0")
        XCTAssertEqual(TimeText.position(3723.46), "1:02:03.5")
        XCTAssertEqual(TimeText.position(-1), "0:00.0")
        XCTAssertEqual(TimeText.position(.infinity), "0:00.0")
    }
}
