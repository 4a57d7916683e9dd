import EmotionTimeline
import FERData
import XCTest

final class FrameAnalysisTests: XCTestCase {
    func testLabelIsTheMostProbableEmotionAndTheFirstOfEquals() {
        let box = PixelRect(x: 0, y: 0, width: 10, height: 10)
        XCTAssertEqual(FaceObservation(faceID: 0, box: box, confidence: 1, probabilities: [0.1, 0, 0, 0.6, 0.2, 0.1, 0]).label, .happy)
        XCTAssertEqual(FaceObservation(faceID: 0, box: box, confidence: 1, probabilities: [0, 0.4, 0, 0, 0.4, 0.2, 0]).label, .disgust)
    }
}
