import VideoDecoding
import XCTest

final class VideoErrorTests: XCTestCase {
    func testTheMessageNamesTheFileAndTheTimeInTheVideo() {
        let e = VideoError(.damaged, file: "talk.mp4", time: 3723.46, message: "invalid data in a packet")
        XCTAssertEqual(e.description, "talk.mp4 at 1:02:03.5: invalid data in a packet")
        XCTAssertEqual(VideoError(.cannotOpen, file: "x.txt", message: "not a video").description, "x.txt: not a video")
    }
}
