import FERData
import Foundation
import XCTest
@testable import FaceDetection
import FERTestSupport

/// A hand-made 6×6 cascade. Feature 0 = right half − left half, feature 1 = bottom − top.
/// Stage 0: one stump on feature 0. Stage 1: a two-node tree (feature 1, then feature 0).
let tinyCascadeXML = """
<?xml version="1.0"?>
<opencv_storage>
<cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
  <featureType>HAAR</featureType>
  <height>6</height>
  <width>6</width>
  <stageNum>2</stageNum>
  <stages>
    <_>
      <maxWeakCount>1</maxWeakCount>
      <stageThreshold>0.</stageThreshold>
      <weakClassifiers>
        <_>
          <internalNodes>
            0 -1 0 1.0000000000000001e-01</internalNodes>
          <leafValues>
            -1. 1.</leafValues></_></weakClassifiers></_>
    <_>
      <maxWeakCount>1</maxWeakCount>
      <stageThreshold>0.</stageThreshold>
      <weakClassifiers>
        <_>
          <internalNodes>
            0 1 1 0. -1 -2 0 0.5</internalNodes>
          <leafValues>
            -2. 0.5 1.5</leafValues></_></weakClassifiers></_></stages>
  <features>
    <_>
      <rects>
        <_>
          0 0 6 6 -1.</_>
        <_>
          3 0 3 6 2.</_></rects></_>
    <_>
      <rects>
        <_>
          0 0 6 6 -1.</_>
        <_>
          0 3 6 3 2.</_></rects>
      <tilted>0</tilted></_></features></cascade>
</opencv_storage>

"""

final class CascadeLoaderTests: XCTestCase {
    func parse(_ text: String) throws -> HaarCascade {
        try HaarCascade.parse(data: Data(text.utf8), name: "tiny.xml")
    }

    /// Parsing must fail with a FaceDetectorError naming the file whose reason contains `expected`.
    func assertRejects(_ text: String, _ expected: String, line: UInt = #line) {
        do {
            _ = try parse(text)
            XCTFail("parsed a broken cascade; expected error containing '\(expected)'", line: line)
        } catch let error as FaceDetectorError {
            XCTAssertEqual(error.file, "tiny.xml", line: line)
            XCTAssertTrue(error.description.hasPrefix("tiny.xml: "), line: line)
            XCTAssertTrue(error.reason.contains(expected), "'\(error.reason)' lacks '\(expected)'", line: line)
        } catch {
            XCTFail("wrong error type \(error)", line: line)
        }
    }

    func replacing(_ old: String, with new: String) -> String {
        precondition(tinyCascadeXML.contains(old), "test fixture lacks \(old)")
        return tinyCascadeXML.replacingOccurrences(of: old, with: new)
    }

    func testTinyCascadeParses() throws {
        let c = try parse(tinyCascadeXML)
        XCTAssertEqual(c.windowWidth, 6)
        XCTAssertEqual(c.windowHeight, 6)
        XCTAssertEqual(c.featureCount, 2)
        XCTAssertEqual(c.featureRectStart, [0, 2, 4])
        XCTAssertEqual(c.rects[1], HaarCascade.Rect(x: 3, y: 0, width: 3, height: 6, weight: 2))
        XCTAssertEqual(c.stages.count, 2)
        XCTAssertEqual(c.stages[1], HaarCascade.Stage(threshold: 0, firstClassifier: 1, classifierCount: 1))
        XCTAssertEqual(c.nodes, [
            .init(feature: 0, threshold: 0.1, left: 0, right: -1),
            .init(feature: 1, threshold: 0, left: 0, right: 1),
            .init(feature: 0, threshold: 0.5, left: -1, right: -2),
        ])
        XCTAssertEqual(c.leaves, [-1, 1, -2, 0.5, 1.5])
        XCTAssertEqual(c.classifierNodeStart, [0, 1])
        XCTAssertEqual(c.classifierLeafStart, [0, 2])
    }

    func testTruncatedFile() {
        let text = tinyCascadeXML
        assertRejects(String(text.prefix(text.count / 2)), "malformed or truncated XML")
        assertRejects("", "malformed or truncated XML")
    }

    /// Every cut before the end of the root element fails with a typed error: never a crash,
    /// never a half-read cascade.
    func testEveryTruncationIsAnError() {
        let bytes = Array(tinyCascadeXML.utf8)
        let end = tinyCascadeXML.range(of: "</opencv_storage>")!.upperBound.utf16Offset(in: tinyCascadeXML)
        for length in stride(from: 0, to: end, by: 1) {
            XCTAssertThrowsError(try HaarCascade.parse(data: Data(bytes[0..<length]), name: "cut.xml"),
                                 "prefix of \(length) bytes") { error in
                XCTAssertTrue(error is FaceDetectorError)
            }
        }
    }

    /// Every single-byte corruption either still parses (e.g. a changed digit) or fails with a
    /// typed error naming the file; none may crash or hang.
    func testByteFlipsNeverCrash() {
        let bytes = Array(tinyCascadeXML.utf8)
        var rng = SplitMix64(seed: 99)
        let replacements: [UInt8] = Array("<>/_ x9-.e\u{0}".utf8)
        var rejected = 0
        for i in bytes.indices {
            var corrupted = bytes
            corrupted[i] = replacements[Int(rng.next() % UInt64(replacements.count))]
            do {
                let c = try HaarCascade.parse(data: Data(corrupted), name: "flip.xml")
                // Whatever parsed must still be internally consistent.
                XCTAssertTrue(c.nodes.allSatisfy { (0..<c.featureCount).contains($0.feature) })
            } catch let error as FaceDetectorError {
                XCTAssertEqual(error.file, "flip.xml")
                XCTAssertFalse(error.reason.isEmpty)
                rejected += 1
            } catch {
                XCTFail("untyped error \(error) after flipping byte \(i)")
            }
        }
        XCTAssertGreaterThan(rejected, bytes.count / 4)
    }

    /// Found by the cascade fuzzer: Foundation's XMLParser trapped on an attribute name with
    /// bytes that are not UTF-8 (Tests/FuzzReplayTests/regressions/cascade/ holds the input).
    func testBytesThatAreNotUTF8AreRefusedBeforeTheXMLParser() {
        var bytes = Array(tinyCascadeXML.utf8)
        let at = bytes.firstIndex(of: UInt8(ascii: "y"))!   // inside `type_id`, an attribute name
        bytes.replaceSubrange(at..<(at + 1), with: [0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try HaarCascade.parse(data: Data(bytes), name: "tiny.xml")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("tiny.xml: not a text file: invalid UTF-8 at byte \(at) (line 3)"), text)
        }
        XCTAssertNoThrow(try parse(tinyCascadeXML), "plain ASCII still parses")
    }

    /// Found by the cascade fuzzer: Foundation's XMLParser read a null pointer on a processing
    /// instruction without data (`<?xm?>`; the input is in regressions/cascade/). Only the XML
    /// declaration at the very start is let through.
    func testProcessingInstructionsOtherThanTheDeclarationAreRefusedBeforeTheXMLParser() {
        assertRejects("<?xm?>\n" + tinyCascadeXML, "line 1: a processing instruction")
        assertRejects(replacing("<stages>", with: "<stages>\n<?pi?>"), "a processing instruction")
        assertRejects(replacing("<?xml version=\"1.0\"?>", with: "<?xml?>"), "line 1: a processing instruction")
        XCTAssertTrue(tinyCascadeXML.hasPrefix("<?xml version=\"1.0\"?>"))
        XCTAssertNoThrow(try parse(tinyCascadeXML), "the declaration is fine")
    }

    func testMissingTags() {
        assertRejects(replacing("<stages>", with: "<stagez>").replacingOccurrences(of: "</stages>", with: "</stagez>"),
                      "missing <stages>")
        assertRejects(replacing("<stageThreshold>0.</stageThreshold>\n      <weakClassifiers>\n        <_>\n          <internalNodes>\n            0 -1",
                                with: "<weakClassifiers>\n        <_>\n          <internalNodes>\n            0 -1"),
                      "stage 0 (line 9): missing <stageThreshold>")
        assertRejects(replacing("<width>6</width>", with: ""), "missing <width>")
        assertRejects(replacing("<leafValues>\n            -1. 1.</leafValues>", with: ""), "missing <leafValues>")
        assertRejects("<?xml version=\"1.0\"?><opencv_storage><other/></opencv_storage>", "missing <cascade>")
    }

    func testFeatureIndexOutOfRange() {
        assertRejects(replacing("0 -1 0 1.0000000000000001e-01", with: "0 -1 7 1.0000000000000001e-01"),
                      "stage 0 (line 9), weak classifier 0, node 0: feature index 7 is out of range (the file has 2 features)")
        assertRejects(replacing("0 -1 0 1.0000000000000001e-01", with: "0 -1 -1 1.0000000000000001e-01"),
                      "feature index -1 is out of range")
    }

    func testBadTreeIndices() {
        assertRejects(replacing("0 1 1 0. -1 -2 0 0.5", with: "0 1 1 0. -1 -3 0 0.5"), "child index -3 is out of range")
        // A child pointing back to its own node would loop forever.
        assertRejects(replacing("0 1 1 0. -1 -2 0 0.5", with: "0 1 1 0. 1 -2 0 0.5"), "child index 1 is out of range")
        assertRejects(replacing("-2. 0.5 1.5", with: "-2. 0.5"), "needs 3 leaf values, found 2")
        assertRejects(replacing("0 1 1 0. -1 -2 0 0.5", with: "0 1 1 0. -1 -2 0"), "groups of 4 numbers")
    }

    func testNonNumbers() {
        assertRejects(replacing("-1. 1.</leafValues>", with: "-1. abc</leafValues>"), "'abc' is not a number")
        assertRejects(replacing("<width>6</width>", with: "<width>six</width>"), "<width> in <cascade> (line 6) is not an integer: 'six'")
        assertRejects(replacing("3 0 3 6 2.", with: "3 0 3 6 nan"), "'nan' is not a number")
        assertRejects(replacing("3 0 3 6 2.", with: "3 0.5 3 6 2."), "is not an integer")
        assertRejects(replacing("0 -1 0 1.0000000000000001e-01", with: "0 -1 0.5 1.0000000000000001e-01"), "is not an integer")
    }

    func testInconsistentCounts() {
        assertRejects(replacing("<stageNum>2</stageNum>", with: "<stageNum>3</stageNum>"), "<stageNum> says 3 stages but <stages> holds 2")
        assertRejects(replacing("<maxWeakCount>1</maxWeakCount>\n      <stageThreshold>0.</stageThreshold>\n      <weakClassifiers>\n        <_>\n          <internalNodes>\n            0 1",
                                with: "<maxWeakCount>2</maxWeakCount>\n      <stageThreshold>0.</stageThreshold>\n      <weakClassifiers>\n        <_>\n          <internalNodes>\n            0 1"),
                      "stage 1 (line 18): <maxWeakCount> says 2 weak classifiers but there are 1")
        assertRejects(replacing("3 0 3 6 2.", with: "3 0 4 6 2."), "feature 0 (line 28), rect 1: 3 0 4 6 lies outside the 6×6 window")
        // Found by the cascade fuzzer: a coordinate beyond Int's range trapped in Int(_:).
        assertRejects(replacing("3 0 3 6 2.", with: "3 0 3 6\(String(repeating: "8", count: 70)) 2."),
                      "feature 0 (line 28), rect 1: coordinate 6.888888888888889e+70 lies far outside the 6×6 window")
        assertRejects(replacing("3 0 3 6 2.", with: "3 0 3 2."), "expected 5 number(s), found 4")
        assertRejects(replacing("<tilted>0</tilted>", with: "<tilted>1</tilted>"), "tilted (45°) features are not supported")
        assertRejects(replacing("<featureType>HAAR</featureType>", with: "<featureType>LBP</featureType>"), "only HAAR cascades")
    }

    func testMissingFileSaysHowToInstall() {
        XCTAssertThrowsError(try FaceDetector(cascadePath: "/nonexistent/cascade.xml")) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("/nonexistent/cascade.xml: "), text)
            XCTAssertTrue(text.contains("apt-get install opencv-data"), text)
            XCTAssertTrue(text.contains("pass the path"), text)
        }
        let folder = TempDir()
        XCTAssertThrowsError(try FaceDetector(cascadePath: folder.path)) { error in
            XCTAssertTrue(String(describing: error).contains("is a directory"))
        }
    }

    func testLoadsFromFile() throws {
        let dir = TempDir()
        let path = dir.write("tiny-cascade.xml", tinyCascadeXML)
        let detector = try FaceDetector(cascadePath: path)
        XCTAssertEqual(detector.cascadePath, path)
        XCTAssertEqual(detector.cascade.stages.count, 2)
    }

    func testRealCascadeLoads() throws {
        guard realCascadeAvailable else { throw XCTSkip("Haar cascade not installed (apt-get install opencv-data)") }
        let c = try HaarCascade.load(path: FaceDetector.defaultCascadePath)
        XCTAssertEqual(c.windowWidth, 24)
        XCTAssertEqual(c.windowHeight, 24)
        XCTAssertEqual(c.stages.count, 25)
        XCTAssertEqual(c.classifierNodeStart.count, 2913)
        XCTAssertEqual(c.featureCount, 2913)
        XCTAssertEqual(c.stages.first?.classifierCount, 9)
    }

    /// The real file cut mid-way and with a corrupted number: clear errors, no crash.
    func testRealCascadeCorrupted() throws {
        guard realCascadeAvailable else { throw XCTSkip("Haar cascade not installed (apt-get install opencv-data)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: FaceDetector.defaultCascadePath))
        XCTAssertThrowsError(try HaarCascade.parse(data: data.prefix(data.count * 2 / 3), name: "cut.xml")) { error in
            XCTAssertTrue(String(describing: error).hasPrefix("cut.xml: malformed or truncated XML"), "\(error)")
        }
        var text = String(decoding: data, as: UTF8.self)
        text = text.replacingOccurrences(of: "-5.0425500869750977e+00", with: "-5.04255x")
        XCTAssertThrowsError(try HaarCascade.parse(data: Data(text.utf8), name: "bad.xml")) { error in
            XCTAssertTrue(String(describing: error).contains("stage 0"), "\(error)")
            XCTAssertTrue(String(describing: error).contains("'-5.04255x' is not a number"), "\(error)")
        }
    }
}
