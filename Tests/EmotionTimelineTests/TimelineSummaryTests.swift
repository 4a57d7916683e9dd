import EmotionTimeline
import FERData
import XCTest

final class TimelineSummaryTests: XCTestCase {
    private func summarise(_ frames: [FrameAnalysis]) -> TimelineSummary {
        var summary = TimelineSummary()
        for frame in frames { summary.add(frame) }
        return summary
    }

    func testThreeSecondsHappyThenTwoSadAreSixtyFortyOverFiveSeconds() throws {
        let faces = summarise(happyThenSad()).faces()
        XCTAssertEqual(faces.count, 1)
        let face = faces[0]
        XCTAssertEqual(face.faceID, 0)
        XCTAssertEqual(face.framesSeen, 50)
        XCTAssertEqual(face.firstSeen, 0)
        XCTAssertEqual(face.lastSeen, 4.9, accuracy: 1e-9)
        XCTAssertEqual(face.secondsVisible, 5, accuracy: 1e-9, "the last frame counts one interval too")
        XCTAssertEqual(face.shares[Emotion.happy.rawValue], 0.6, accuracy: 1e-9)
        XCTAssertEqual(face.shares[Emotion.sad.rawValue], 0.4, accuracy: 1e-9)
        XCTAssertEqual(face.shares.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(face.dominant, .happy)
        // Frame means: 0.8 where it was the label, 1/30 elsewhere.
        XCTAssertEqual(face.meanProbabilities[Emotion.happy.rawValue], 0.6 * 0.8 + 0.4 / 30, accuracy: 1e-6)
        XCTAssertEqual(face.meanProbabilities[Emotion.anger.rawValue], 1.0 / 30, accuracy: 1e-6)
    }

    func testAGapIsNotCountedAsVisible() {
        // Face 0 for 2 s, missing for 2 s (the frames are still analysed), back for 1 s; face 1 throughout.
        let frames = frames(seconds: 5) { t in
            let present = t < 2 - 1e-9 || t > 4 - 1e-9
            return (present ? [face(0, t < 3 ? .fear : .neutral)] : []) + [face(1, .surprise, box: PixelRect(x: 400, y: 80, width: 60, height: 60))]
        }
        let faces = summarise(frames).faces()
        XCTAssertEqual(faces.map(\.faceID), [0, 1])
        XCTAssertEqual(faces[0].secondsVisible, 3, accuracy: 1e-9)
        XCTAssertEqual(faces[0].framesSeen, 30)
        XCTAssertEqual(faces[0].shares[Emotion.fear.rawValue], 2.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(faces[0].shares[Emotion.neutral.rawValue], 1.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(faces[1].secondsVisible, 5, accuracy: 1e-9)
        XCTAssertEqual(faces[1].shares[Emotion.surprise.rawValue], 1)
    }

    func testUnevenFrameTimesCountTheirWholeSpan() {
        // A variable frame rate: intervals of 0.08 and 0.12 s in turn, one face for 40 frames.
        var t = 0.0
        var summary = TimelineSummary()
        for i in 0..<40 {
            summary.add(FrameAnalysis(frame: i, timestamp: t, faces: [face(0, .happy)]))
            t += i % 2 == 0 ? 0.08 : 0.12
        }
        // 39 intervals (3.88 s) and the last frame as long as the one before it (0.08 s).
        XCTAssertEqual(summary.faces()[0].secondsVisible, 3.96, accuracy: 1e-9)
    }

    func testAOneFrameVideoHasNoVisibleTimeButStillADominantEmotion() {
        var summary = TimelineSummary()
        summary.add(FrameAnalysis(frame: 0, timestamp: 0, faces: [face(0, .disgust)]))
        let face = summary.faces()[0]
        XCTAssertEqual(face.secondsVisible, 0)
        XCTAssertEqual(face.shares[Emotion.disgust.rawValue], 1)
        XCTAssertEqual(face.dominant, .disgust)
    }

    func testFacesCanBeAskedForMidwayWithoutDisturbingTheTotals() {
        var summary = TimelineSummary()
        let frames = happyThenSad()
        for frame in frames.prefix(30) { summary.add(frame) }
        XCTAssertEqual(summary.faces()[0].secondsVisible, 3, accuracy: 1e-9)
        for frame in frames.dropFirst(30) { summary.add(frame) }
        XCTAssertEqual(summary.faces()[0].secondsVisible, 5, accuracy: 1e-9)
    }

    func testTheTextHasOneBlockPerFace() {
        let frames = frames(seconds: 5) { t in
            [face(0, t < 3 - 1e-9 ? .happy : .sad)] + (t >= 4 - 1e-9 ? [face(1, .neutral, box: PixelRect(x: 400, y: 0, width: 40, height: 40))] : [])
        }
        XCTAssertEqual(summarise(frames).text(), """
            Face 0: visible 0:05 (0:00.0–0:04.9, 50 frames), mostly happy
              happy      60%  ████████████
              sad        40%  ████████

            Face 1: visible 0:01 (0:04.0–0:04.9, 10 frames), mostly neutral
              neutral   100%  ████████████████████

            """)
        XCTAssertTrue(summarise(frames).text(ascii: true).contains("  happy      60%  ############\n"))
        XCTAssertEqual(TimelineSummary().text(), "No faces found.\n")
    }
}
