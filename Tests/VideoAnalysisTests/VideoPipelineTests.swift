import EmotionTimeline
import FaceDetection
import FERData
import FERModel
import FERTestSupport
import VideoAnalysis
import VideoDecoding
import XCTest

/// The analysis on real encoded videos of scripted synthetic faces: every frame at its own
/// timestamp, gaps as frames without faces, the boxes on the scripted faces, one id per person,
/// the same table every run, and a stop that leaves whole rows.
final class VideoPipelineTests: XCTestCase {
    static let fps = 15.0
    var temp: TempDir!
    var detector: FaceDetector!

    override func setUpWithError() throws {
        temp = TempDir()
        detector = try FaceDetector()
    }

    /// Writes `script` as an H.264 file at 320×240 and `fps`; returns its path and the frames' drawer.
    func makeVideo(_ script: String, name: String = "clip.mp4") throws -> (path: String, frames: ScriptedFrames) {
        let parsed = try VideoScript(parsing: script)
        var frames = ScriptedFrames(script: parsed, width: 320, height: 240, detector: detector)
        let path = temp.file(name)
        let encoder = try VideoEncoder(path: path, width: 320, height: 240)
        for k in 0..<Int((parsed.duration * Self.fps).rounded()) {
            try encoder.append(gray: frames.frame(at: Double(k) / Self.fps), at: Double(k) / Self.fps)
        }
        try encoder.finish()
        return (path, frames)
    }

    func analyse(_ path: String, options: VideoAnalysisOptions = .init()) throws -> (frames: [FrameAnalysis], outcome: VideoRunOutcome) {
        let network = Classifier(architecture: .seed, seed: 7, engine: Engine(threads: 2))
        let run = VideoRun(decoder: try VideoDecoder(path: path),
                           analyzer: VideoAnalyzer(classifier: network, detector: detector, options: options))
        var frames: [FrameAnalysis] = []
        let outcome = try run.run { analysis, _ in frames.append(analysis) }
        return (frames, outcome)
    }

    func testEveryFrameAtItsTimestampWithGapsAndBoxesOnTheScriptedFace() throws {
        let (path, drawer) = try makeVideo("happy:1.2,none:0.6,sad:1.2")
        let (frames, outcome) = try analyse(path)
        XCTAssertNil(outcome.error)
        XCTAssertEqual(frames.count, 45)
        XCTAssertEqual(outcome.decodedFrames, 45)
        for (k, frame) in frames.enumerated() {
            XCTAssertEqual(frame.frame, k)
            XCTAssertEqual(frame.timestamp, Double(k) / Self.fps, accuracy: 0.001, "frame \(k)")
        }
        let present = frames.filter { drawer.script.emotion(face: 0, at: $0.timestamp) != nil }
        let absent = frames.filter { drawer.script.emotion(face: 0, at: $0.timestamp) == nil }
        XCTAssertEqual(absent.count, 9)
        XCTAssertTrue(absent.allSatisfy { $0.faces.isEmpty }, "no face in the gap")
        // Found within the first full search's lag, then in (nearly) every frame, on the face.
        let found = present.filter { !$0.faces.isEmpty }
        XCTAssertGreaterThanOrEqual(found.count, present.count - 3, "found in \(found.count) of \(present.count) frames")
        for frame in found {
            let (x, y) = drawer.position(face: 0, at: frame.timestamp)
            let truth = PixelRect(x: x, y: y, width: drawer.faceSide, height: drawer.faceSide)
            XCTAssertEqual(frame.faces.count, 1, "at \(frame.timestamp)")
            XCTAssertGreaterThan(iou(frame.faces[0].box, truth), 0.5, "at \(frame.timestamp): \(frame.faces[0].box) vs \(truth)")
            XCTAssertEqual(frame.faces[0].probabilities.reduce(0, +), 1, accuracy: 1e-4)
        }
        // Back after 0.6 s (under a second): the same person, the same id.
        XCTAssertEqual(Set(found.flatMap { $0.faces.map(\.faceID) }), [0])
    }

    func testASecondFaceEnteringGetsTheNextIdAndTheFirstKeepsItsOwn() throws {
        let (path, drawer) = try makeVideo("neutral:3;none:1,surprise:2")
        let (frames, _) = try analyse(path)
        let late = frames.filter { $0.timestamp >= 2.0 }
        XCTAssertTrue(late.contains { $0.faces.count == 2 }, "both faces found once the second has entered")
        for frame in frames {
            for face in frame.faces {
                let centre = face.box.x + face.box.width / 2
                XCTAssertEqual(face.faceID, centre < drawer.width / 2 ? 0 : 1, "at \(frame.timestamp): \(face.box)")
            }
        }
        // The second face is found within the full-search interval and lag of entering.
        let firstSeen = frames.first { $0.faces.contains { $0.faceID == 1 } }?.timestamp
        XCTAssertNotNil(firstSeen)
        XCTAssertLessThanOrEqual(firstSeen ?? 99, 1.0 + 0.5 + 5 / Self.fps)
    }

    func testTheSameVideoGivesTheSameTableEveryTime() throws {
        let (path, _) = try makeVideo("happy:1,neutral:1;none:0.5,sad:1.5")
        let a = try analyse(path).frames, b = try analyse(path).frames
        XCTAssertEqual(a, b)
    }

    func testEveryNthFrameIsAnalysedButEveryFrameDecoded() throws {
        let (path, _) = try makeVideo("happy:2")
        var options = VideoAnalysisOptions()
        options.selection = .every(4)
        let (frames, outcome) = try analyse(path, options: options)
        XCTAssertEqual(frames.map(\.frame), Array(stride(from: 0, to: 30, by: 4)))
        XCTAssertEqual(outcome.decodedFrames, 30)
        XCTAssertEqual(frames.filter { !$0.faces.isEmpty }.map(\.frame), Array(stride(from: 0, to: 30, by: 4)))
    }

    func testAStopLeavesATableOfWholeRowsForEveryFrameAnalysed() throws {
        let (path, _) = try makeVideo("happy:3")
        let network = Classifier(architecture: .seed, seed: 7, engine: Engine(threads: 2))
        let run = VideoRun(decoder: try VideoDecoder(path: path),
                           analyzer: VideoAnalyzer(classifier: network, detector: detector, options: .init()))
        let table = temp.file("stopped.csv")
        var seen = 0
        let report = try VideoJob(run: run, outputs: VideoOutputs(table: table, segments: temp.file("seg.csv"))).start(
            onAnalysed: { _, _ in
                seen += 1
                if seen == 10 { run.stop() }
            })
        XCTAssertTrue(report.outcome.stopped)
        let lines = try String(contentsOfFile: table, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), FrameTableWriter.columns.joined(separator: ","))
        let frames = Set(lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] })
        XCTAssertEqual(frames.count, report.outcome.analysedFrames)
        XCTAssertLessThan(report.outcome.analysedFrames, 45)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 17 })
        XCTAssertTrue(FileManager.default.fileExists(atPath: temp.file("seg.csv")), "the segments are written for the part done")
    }

    func testARotatedPhoneVideoIsAnalysedUpright() throws {
        let parsed = try VideoScript(parsing: "happy:1")
        var frames = ScriptedFrames(script: parsed, width: 320, height: 240, detector: detector)
        let path = temp.file("phone.mp4")
        // Stored sideways (240 wide, 320 tall) with a display matrix saying: turn 90° clockwise.
        let encoder = try VideoEncoder(path: path, width: 240, height: 320, rotation: 90)
        for k in 0..<15 {
            let t = Double(k) / Self.fps
            try encoder.append(gray: ScriptedFrames.rotated(frames.frame(at: t), width: 320, height: 240, counterClockwise: 90), at: t)
        }
        try encoder.finish()
        let decoder = try VideoDecoder(path: path)
        XCTAssertEqual(decoder.info.rotation, 90)
        XCTAssertEqual([decoder.info.width, decoder.info.height], [320, 240])
        let (analysed, _) = try analyse(path)
        let found = analysed.filter { !$0.faces.isEmpty }
        XCTAssertGreaterThan(found.count, 5)
        for frame in found {
            let (x, y) = frames.position(face: 0, at: frame.timestamp)
            XCTAssertGreaterThan(iou(frame.faces[0].box, PixelRect(x: x, y: y, width: frames.faceSide, height: frames.faceSide)), 0.5)
        }
    }

    func iou(_ a: PixelRect, _ b: PixelRect) -> Double {
        let w = max(0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
        let h = max(0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
        let inter = Double(w * h)
        return inter / (Double(a.width * a.height + b.width * b.height) - inter)
    }
}
