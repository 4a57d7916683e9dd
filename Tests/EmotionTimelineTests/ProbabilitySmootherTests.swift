import EmotionTimeline
import FERData
import XCTest

final class ProbabilitySmootherTests: XCTestCase {
    private func smooth(_ input: [FrameAnalysis], window: Double) -> [FrameAnalysis] {
        var smoother = ProbabilitySmoother(window: window)
        return input.flatMap { smoother.push($0) } + smoother.flush()
    }

    func testConstantProbabilitiesComeOutUnchanged() {
        let input = frames(seconds: 3) { _ in [face(0, .happy)] }
        XCTAssertEqual(smooth(input, window: 0.5), input)
    }

    func testAStepIsAveragedOverTheWindow() {
        // anger until 1.0 s, then happy; a 0.5 s window holds 5 frames at 10 fps.
        let input = frames(seconds: 2) { t in [face(0, t < 1 - 1e-9 ? .anger : .happy, strength: 1)] }
        let output = smooth(input, window: 0.5)
        func p(_ t: Double, _ emotion: Emotion) -> Float {
            output.first { abs($0.timestamp - t) < 1e-9 }!.faces[0].probabilities[emotion.rawValue]
        }
        XCTAssertEqual(p(0.7, .anger), 1, accuracy: 1e-6)           // 0.5…0.9: all anger
        XCTAssertEqual(p(0.8, .anger), 0.8, accuracy: 1e-6)         // 0.6…1.0: one happy frame
        XCTAssertEqual(p(1.0, .anger), 0.4, accuracy: 1e-6)         // 0.8…1.2: two anger, three happy
        XCTAssertEqual(p(1.0, .happy), 0.6, accuracy: 1e-6)
        XCTAssertEqual(p(1.2, .happy), 1, accuracy: 1e-6)
        // Windows are cut at the ends: the first frame averages 0.0…0.2 only.
        XCTAssertEqual(p(0, .anger), 1, accuracy: 1e-6)
        XCTAssertEqual(p(1.9, .happy), 1, accuracy: 1e-6)
    }

    func testEachFaceIsSmoothedOnItsOwnAndEverythingElsePassesThrough() {
        // Face 0 is always sad; face 1, in every other frame, is always surprised; some frames have no face.
        let input = frames(seconds: 3) { t in
            let i = Int((t * 10).rounded())
            if i % 7 == 3 { return [] }
            var box = PixelRect(x: 10 + i, y: 10, width: 50, height: 50)
            var faces = [FaceObservation(faceID: 0, box: box, confidence: 0.5 + t / 10, probabilities: probabilities(.sad))]
            box.x += 200
            if i % 2 == 0 { faces.append(FaceObservation(faceID: 1, box: box, confidence: 0.7, probabilities: probabilities(.surprise))) }
            return faces
        }
        XCTAssertEqual(smooth(input, window: 1), input)
    }

    func testFramesLeaveInOrderHalfAWindowLateAndFlushReturnsTheRest() {
        let input = frames(seconds: 4) { t in t > 1 && t < 1.5 ? [] : [face(0, t < 2 ? .fear : .neutral)] }
        var smoother = ProbabilitySmoother(window: 1)
        var output: [FrameAnalysis] = []
        for frame in input {
            let ready = smoother.push(frame)
            // A frame leaves once one at its window's end (t + 0.5) has been seen.
            for done in ready { XCTAssertGreaterThanOrEqual(frame.timestamp, done.timestamp + 0.5 - 1e-6) }
            output += ready
        }
        XCTAssertEqual(output.count, input.count - 5, "the frames within half a window of the end wait")
        let rest = smoother.flush()
        XCTAssertEqual(rest.map(\.timestamp), input.suffix(5).map(\.timestamp))
        output += rest
        XCTAssertEqual(output.map(\.frame), input.map(\.frame))
        XCTAssertEqual(output.map(\.timestamp), input.map(\.timestamp))
        XCTAssertEqual(output.map(\.faces.count), input.map(\.faces.count))
        XCTAssertEqual(smoother.flush(), [], "flush empties the smoother")
    }

    func testAZeroWindowPassesFramesStraightThrough() {
        var smoother = ProbabilitySmoother(window: 0)
        for frame in happyThenSad() { XCTAssertEqual(smoother.push(frame), [frame]) }
        XCTAssertEqual(smoother.flush(), [])
    }
}
