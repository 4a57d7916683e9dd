import FERData
import VideoAnalysis
import XCTest

final class ScriptAndSelectionTests: XCTestCase {
    func testAScriptParsesIntoTimelinesPerFace() throws {
        let script = try VideoScript(parsing: "happy:3,none:1,sad:2.5;none:4,surprise:3")
        XCTAssertEqual(script.faces.count, 2)
        XCTAssertEqual(script.faces[0], [.init(.happy, seconds: 3), .init(nil, seconds: 1), .init(.sad, seconds: 2.5)])
        XCTAssertEqual(script.duration, 7)
        XCTAssertEqual(script.emotion(face: 0, at: 2.99), .happy)
        XCTAssertNil(script.emotion(face: 0, at: 3.5))
        XCTAssertEqual(script.emotion(face: 0, at: 4), .sad)
        XCTAssertNil(script.emotion(face: 1, at: 3.9))
        XCTAssertEqual(script.emotion(face: 1, at: 4), .surprise)
        XCTAssertNil(script.emotion(face: 0, at: 6.5), "past its timeline a face is gone")
    }

    func testABadScriptNamesThePartAndWhatWasExpected() {
        XCTAssertThrowsError(try VideoScript(parsing: "happy:3,glee:2")) { error in
            XCTAssertEqual(String(describing: error), "script, face 1: 'glee' is not an emotion (anger, disgust, fear, happy, sad, surprise, neutral or none)")
        }
        XCTAssertThrowsError(try VideoScript(parsing: "happy:3;sad")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("script, face 2: 'sad' is not EMOTION:SECONDS"), "\(error)")
        }
        XCTAssertThrowsError(try VideoScript(parsing: "happy:-1"))
    }

    func testScriptedFramesPlaceEachPresentFaceAndOnlyThose() throws {
        var frames = ScriptedFrames(script: try VideoScript(parsing: "happy:1,none:1;none:1,sad:1"), width: 320, height: 240)
        let a = frames.frame(at: 0.5), b = frames.frame(at: 1.5)
        XCTAssertEqual(a.count, 320 * 240)
        // Face 0 sits in the left half, face 1 in the right; an absent face leaves the background.
        let p0 = frames.position(face: 0, at: 0.5), p1 = frames.position(face: 1, at: 1.5)
        XCTAssertLessThan(p0.x + frames.faceSide, 170)
        XCTAssertGreaterThan(p1.x, 150)
        func differs(_ pixels: [UInt8], from other: [UInt8], in x: Range<Int>) -> Bool {
            (0..<240).contains { y in x.contains { pixels[y * 320 + $0] != other[y * 320 + $0] } }
        }
        var empty = ScriptedFrames(script: try VideoScript(parsing: "none:2;none:2"), width: 320, height: 240)
        let background = empty.frame(at: 0)
        XCTAssertTrue(differs(a, from: background, in: 0..<160))
        XCTAssertFalse(differs(a, from: background, in: 160..<320))
        XCTAssertTrue(differs(b, from: background, in: 160..<320))
        XCTAssertFalse(differs(b, from: background, in: 0..<160))
    }

    func testFrameSelectionByIndexAndByTime() {
        XCTAssertEqual((0..<12).filter { FrameSelection.every(5).selects(index: $0, timestamp: 0, lastSelected: nil) }, [0, 5, 10])
        XCTAssertFalse(FrameSelection.every(5).wantsImage(index: 3))
        XCTAssertTrue(FrameSelection.perSecond(10).wantsImage(index: 3))
        // 30 fps sampled at 10 a second: every third frame, despite pts rounding.
        var last: Double?
        var chosen: [Int] = []
        for i in 0..<30 {
            let t = Double(Int(Double(i) * 90000 / 30)) / 90000
            if FrameSelection.perSecond(10).selects(index: i, timestamp: t, lastSelected: last) { chosen.append(i); last = t }
        }
        XCTAssertEqual(chosen, [0, 3, 6, 9, 12, 15, 18, 21, 24, 27])
    }

    func testShardsSplitASortedListWithNoOverlapAndNothingLeftOut() throws {
        let files = (0..<10).map { "v\($0).mp4" }.shuffled()
        let shards = try (0..<3).map { try Shard(parsing: "\($0)/3").select(files) }
        XCTAssertEqual(shards[0], ["v0.mp4", "v3.mp4", "v6.mp4", "v9.mp4"])
        XCTAssertEqual(Set(shards.flatMap { $0 }).count, 10)
        XCTAssertEqual(shards.map(\.count).reduce(0, +), 10)
        for bad in ["3/3", "1", "-1/2", "a/b", "0/0"] {
            XCTAssertThrowsError(try Shard(parsing: bad)) { XCTAssertTrue(String(describing: $0).contains("expected K/N")) }
        }
    }

    func testOutputNamesNeverCollide() {
        var names = VideoNames()
        XCTAssertEqual(names.name(for: "a/talk.mp4"), "talk")
        XCTAssertEqual(names.name(for: "b/talk.mkv"), "talk-2")
        XCTAssertEqual(names.name(for: "udp://127.0.0.1:5000"), "stream")
        XCTAssertEqual(names.name(for: "/dev/video0"), "stream-2")
        let o = VideoOutputs.inDirectory("res", name: "talk", format: .jsonl, segments: true, plotDirectory: "plots", smoothing: 0.5)
        XCTAssertEqual(o.table, "res/talk.jsonl")
        XCTAssertEqual(o.segments, "res/talk-segments.csv")
        XCTAssertEqual(o.plot, "plots/talk.png")
    }
}
