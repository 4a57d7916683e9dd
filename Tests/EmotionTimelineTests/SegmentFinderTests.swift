import EmotionTimeline
import FERData
import XCTest

final class SegmentFinderTests: XCTestCase {
    private func assertSegments(_ actual: [EmotionSegment], _ expected: [(Int, Double, Double, Emotion)],
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, "\(actual)", file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a.faceID, e.0, file: file, line: line)
            XCTAssertEqual(a.start, e.1, accuracy: 1e-9, "start of \(a)", file: file, line: line)
            XCTAssertEqual(a.end, e.2, accuracy: 1e-9, "end of \(a)", file: file, line: line)
            XCTAssertEqual(a.emotion, e.3, file: file, line: line)
        }
    }

    func testHappyThenSadGivesTwoSegmentsThatMeet() {
        var finder = SegmentFinder()
        var closedAt: [Double: [EmotionSegment]] = [:]
        for frame in happyThenSad() {
            let closed = finder.add(frame)
            if !closed.isEmpty { closedAt[frame.timestamp] = closed }
        }
        // The happy segment closes at the first sad frame; the sad one at the end.
        XCTAssertEqual(Array(closedAt.keys), [3.0])
        assertSegments(closedAt[3.0]!, [(0, 0, 3, .happy)])
        let last = finder.finish()
        assertSegments(last, [(0, 3, 5, .sad)])
        XCTAssertEqual(closedAt[3.0]![0].end, last[0].start, "no hole between them")
        XCTAssertEqual(last[0].meanProbability, 0.8, accuracy: 1e-6)
        XCTAssertEqual(finder.finish(), [], "finish empties the finder")
    }

    func testAFaceGoneLongerThanMaxGapEndsItsSegmentWhenTheGapIsNoticed() {
        // Happy 0.0…1.9, gone until 3.5, happy again 3.5…4.9; the frames in between have no face.
        let frames = frames(seconds: 5) { t in t < 2 - 1e-9 || t > 3.5 - 1e-9 ? [face(0, .happy)] : [] }
        var finder = SegmentFinder(maxGap: 1)
        var closed: [(Double, EmotionSegment)] = []
        for frame in frames { closed += finder.add(frame).map { (frame.timestamp, $0) } }
        // Last seen at 1.9: more than a second gone at 3.0, the first frame past 2.9.
        XCTAssertEqual(closed.map(\.0), [3.0])
        assertSegments(closed.map(\.1) + finder.finish(), [(0, 0, 2, .happy), (0, 3.5, 5, .happy)])
    }

    func testAFaceBackWithinMaxGapContinuesItsSegmentAcrossTheGap() {
        let frames = frames(seconds: 5) { t in t < 2 - 1e-9 || t > 2.6 - 1e-9 ? [face(0, .happy)] : [] }
        var finder = SegmentFinder(maxGap: 1)
        XCTAssertEqual(frames.flatMap { finder.add($0) }, [])
        assertSegments(finder.finish(), [(0, 0, 5, .happy)])
    }

    func testAChangeRightAfterAGapEndsTheSegmentWhereTheFaceWasLastSeen() {
        let frames = frames(seconds: 4) { t in t < 2 - 1e-9 ? [face(0, .anger)] : t > 2.5 - 1e-9 ? [face(0, .fear)] : [] }
        var finder = SegmentFinder(maxGap: 1)
        let segments = frames.flatMap { finder.add($0) } + finder.finish()
        assertSegments(segments, [(0, 0, 2, .anger), (0, 2.5, 4, .fear)])
    }

    func testFacesHaveSegmentsOfTheirOwn() {
        let other = PixelRect(x: 400, y: 80, width: 60, height: 60)
        let frames = frames(seconds: 4) { t in
            [face(0, t < 1 - 1e-9 ? .sad : .happy), face(1, t < 2 - 1e-9 ? .surprise : .neutral, box: other)]
        }
        var finder = SegmentFinder()
        let segments = frames.flatMap { finder.add($0) } + finder.finish()
        assertSegments(segments, [(0, 0, 1, .sad), (1, 0, 2, .surprise), (0, 1, 4, .happy), (1, 2, 4, .neutral)])
    }

    func testTheSegmentsTable() {
        XCTAssertEqual(SegmentFinder.csvHeader, "face_id,start,end,emotion,mean_probability")
        let segment = EmotionSegment(faceID: 2, start: 3.0000004, end: 65.123456789, emotion: .surprise, meanProbability: 0.81236)
        XCTAssertEqual(SegmentFinder.csvRow(segment), "2,3.0,65.123457,surprise,0.8124")
    }
}
