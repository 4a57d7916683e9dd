import XCTest
import FERData

/// The class index ↔ emotion helpers that replaced `Emotion(rawValue:)!` everywhere.
final class EmotionTests: XCTestCase {
    func testIndexNamesTheClassesInLabelOrder() {
        XCTAssertEqual(Emotion.count, 7)
        XCTAssertEqual((0..<Emotion.count).map { Emotion(index: $0).name },
                       ["anger", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
    }

    func testMostLikelyIsTheLargestScoreAndTheFirstOfEquals() {
        XCTAssertEqual(Emotion(mostLikelyIn: [0.1, 0.1, 0.1, 0.5, 0.1, 0.05, 0.05] as [Float]), .happy)
        XCTAssertEqual(Emotion(mostLikelyIn: [0, 0, 0, 0, 0, 0, 1.0] as [Double]), .neutral)
        XCTAssertEqual(Emotion(mostLikelyIn: [0, 0.3, 0, 0, 0.3, 0, 0] as [Double]), .disgust, "first of equals")
        XCTAssertEqual(Emotion(mostLikelyIn: [Float](repeating: 0, count: 7)), .anger, "all equal: the first")
        XCTAssertEqual(Emotion(mostLikelyIn: [0, 1, 2, 3, 4, 5, 6][...]), .neutral, "any collection of comparable scores")
    }
}
