import EmotionTimeline
import FERData
import XCTest
@testable import Dashboard

/// The flat storage of analysed frames gives back what went in.
final class VideoTimelineTests: XCTestCase {
    func testFacesComeBackAsTheyWereAnalysed() {
        var t = VideoTimeline()
        let frames = (0..<300).map { VideoFixture.analysis(frame: $0 * 2) }
        for f in frames { XCTAssertTrue(t.append(f)) }
        XCTAssertEqual(t.count, 300)
        for i in [0, 1, 124, 125, 126, 299] {
            XCTAssertEqual(t.frameNumbers[i], frames[i].frame)
            // Confidence is kept as a Float: compare what a Float holds.
            let expected = frames[i].faces.map { f -> FaceObservation in
                var f = f
                f.confidence = Double(Float(f.confidence))
                return f
            }
            XCTAssertEqual(t.faces(at: i), expected)
        }
        XCTAssertNil(t.face(1, at: 0))
        XCTAssertEqual(t.face(1, at: 200)?.faceID, 1)
    }

    func testLookupsByTime() {
        var t = VideoTimeline()
        for f in [0, 5, 10] { t.append(VideoFixture.analysis(frame: f)) }   // 0, 0.2, 0.4 s
        XCTAssertEqual(t.lastIndex(atOrBefore: 0.2), 1)
        XCTAssertEqual(t.lastIndex(atOrBefore: 0.39), 1)
        XCTAssertEqual(t.lastIndex(atOrBefore: 9), 2)
        XCTAssertNil(t.lastIndex(atOrBefore: -1))
        XCTAssertEqual(t.firstIndex(atOrAfter: 0.1), 1)
        XCTAssertEqual(t.firstIndex(atOrAfter: 0.5), 3)
        XCTAssertFalse(t.append(FrameAnalysis(frame: 11, timestamp: .nan, faces: [])))
        XCTAssertFalse(t.append(FrameAnalysis(frame: 3, timestamp: 0.1, faces: [])))
        XCTAssertEqual(t.count, 3)
    }

    func testMeanProbabilitiesSampleLongRanges() {
        var t = VideoTimeline()
        // Face 0 happy in even frames, sad in odd ones; 1000 frames.
        for f in 0..<1000 {
            let p = VideoFixture.probabilities(f % 2 == 0 ? .happy : .sad, 0.7)
            t.append(FrameAnalysis(frame: f, timestamp: Double(f), faces: [
                FaceObservation(faceID: 0, box: PixelRect(x: 0, y: 0, width: 10, height: 10), confidence: 1, probabilities: p)]))
        }
        let all = t.meanProbabilities(of: 0, in: 0..<1000, maxSamples: 1000)!
        XCTAssertEqual(all[Emotion.happy.rawValue], 0.375, accuracy: 1e-4)   // (0.7 + 0.05) / 2
        XCTAssertEqual(all[Emotion.sad.rawValue], 0.375, accuracy: 1e-4)
        XCTAssertEqual(all.reduce(0, +), 1, accuracy: 1e-4)
        XCTAssertNotNil(t.meanProbabilities(of: 0, in: 0..<1000, maxSamples: 32), "sampled: at most 32 frames looked at")
        XCTAssertNil(t.meanProbabilities(of: 7, in: 0..<1000))
        XCTAssertNil(t.meanProbabilities(of: 0, in: 5..<5))
    }
}
