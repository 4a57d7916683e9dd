import EmotionTimeline
import FERData
import XCTest

final class FaceTrackerTests: XCTestCase {
    private func detection(_ x: Int, _ y: Int, _ side: Int) -> TrackedDetection {
        TrackedDetection(box: PixelRect(x: x, y: y, width: side, height: side), confidence: 0.9)
    }

    func testTwoMovingFacesKeepTheirIdsWhateverTheDetectionOrder() {
        var tracker = FaceTracker()
        for i in 0..<30 {
            let a = detection(10 + 5 * i, 10, 50), b = detection(300, 10 + 6 * i, 60)
            let t = Double(i) / 10
            if i % 2 == 0 {
                XCTAssertEqual(tracker.assign([a, b], at: t), [0, 1], "frame \(i)")
            } else {
                XCTAssertEqual(tracker.assign([b, a], at: t), [1, 0], "frame \(i)")
            }
        }
    }

    func testAFaceGoneLessThanMaxGapKeepsItsIdAndOneGoneLongerGetsANewOne() {
        var tracker = FaceTracker(maxGap: 1.0)
        let spot = detection(100, 100, 60)
        for i in 0...10 { XCTAssertEqual(tracker.assign([spot], at: Double(i) / 10), [0]) }
        // Last seen at 1.0; unseen in the frames 1.1…1.8 (0.8 s), back at 1.9.
        for i in 11...18 { XCTAssertEqual(tracker.assign([], at: Double(i) / 10), []) }
        XCTAssertEqual(tracker.activeFaces(at: 1.85).map(\.id), [0])
        XCTAssertEqual(tracker.assign([spot], at: 1.9), [0])

        // Now unseen for 1.2 s (2.0…3.1): forgotten, and the person back at 3.2 is a new face.
        XCTAssertEqual(tracker.activeFaces(at: 2.95).map(\.id), [])
        XCTAssertEqual(tracker.assign([spot], at: 3.2), [1])
        XCTAssertEqual(tracker.activeFaces(at: 3.2).map(\.id), [1])
    }

    func testActiveFacesGiveTheLastBoxAndTimeByID() {
        var tracker = FaceTracker()
        _ = tracker.assign([detection(0, 0, 40), detection(200, 0, 40)], at: 0)
        _ = tracker.assign([detection(205, 0, 40)], at: 0.5)
        let active = tracker.activeFaces(at: 0.6)
        XCTAssertEqual(active.map(\.id), [0, 1])
        XCTAssertEqual(active.map(\.box), [PixelRect(x: 0, y: 0, width: 40, height: 40), PixelRect(x: 205, y: 0, width: 40, height: 40)])
        XCTAssertEqual(active.map(\.lastSeen), [0, 0.5])
        XCTAssertEqual(tracker.activeFaces(at: 1.2).map(\.id), [1])
    }

    func testCrossingFacesOfDifferentSizesDoNotSwap() {
        var tracker = FaceTracker()
        // A large face walks right, a small one left, on the same line: their centres meet at frame 20.
        for i in 0...40 {
            let big = detection(0 + 10 * i, 100, 100)      // centre x 50 + 10i
            let small = detection(430 - 10 * i, 130, 40)   // centre x 450 - 10i
            let ids = i % 2 == 0 ? tracker.assign([big, small], at: Double(i) / 10)
                : tracker.assign([small, big], at: Double(i) / 10).reversed()
            XCTAssertEqual(Array(ids), [0, 1], "frame \(i)")
        }
    }

    func testANewFaceEnteringGetsTheNextId() {
        var tracker = FaceTracker()
        XCTAssertEqual(tracker.assign([detection(0, 0, 50), detection(400, 0, 50)], at: 0), [0, 1])
        // The newcomer is listed between the two known faces.
        XCTAssertEqual(tracker.assign([detection(3, 0, 50), detection(200, 200, 50), detection(398, 0, 50)], at: 0.1), [0, 2, 1])
        // A face that jumps across the picture is someone else.
        XCTAssertEqual(tracker.assign([detection(3, 0, 50), detection(200, 200, 50), detection(398, 400, 50)], at: 0.2), [0, 2, 3])
    }

    func testTwentyJitteringFacesKeepTheirIdsQuickly() {
        var tracker = FaceTracker()
        var random = SplitMix64(seed: 7)
        let home = (0..<20).map { PixelRect(x: 20 + 100 * ($0 % 5), y: 20 + 100 * ($0 / 5), width: 48, height: 48) }
        let started = Date()
        for i in 0..<300 {
            // Each face wobbles a few pixels and its box a little; after the first frame (which
            // names them 0…19 in reading order) the detector lists them in any order.
            var order = Array(0..<20)
            if i > 0 { order.shuffle(using: &random) }
            let detections = order.map { k in
                TrackedDetection(box: PixelRect(x: home[k].x + Int(random.next() % 9) - 4, y: home[k].y + Int(random.next() % 9) - 4,
                                                width: 44 + Int(random.next() % 9), height: 44 + Int(random.next() % 9)),
                                 confidence: 0.9)
            }
            XCTAssertEqual(tracker.assign(detections, at: Double(i) / 30), order, "frame \(i)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "300 frames of 20 faces")
        XCTAssertEqual(tracker.activeFaces(at: 10).count, 20)
    }
}
