import FERData
import FERTraining
import XCTest
@testable import ImagePrediction

/// `ferdash predict`'s output for given faces and probabilities: the JSON's keys in order and
/// its numbers, and the text. (Scripts read both, so these bytes are the command's contract.)
final class PredictionReportTests: XCTestCase {
    /// Happy wins; every class has a share.
    let happy: [Float] = [0.05, 0.01, 0.04, 0.7, 0.1, 0.05, 0.05]
    let box = PixelRect(x: 10, y: 20, width: 30, height: 31)

    func face(box: PixelRect?, confidence: Double? = nil) -> PreparedFace {
        PreparedFace(pixels: [UInt8](repeating: 0, count: ImageSet.pixelsPerImage), box: box, confidence: confidence)
    }

    func testADetectedFaceHasItsBoxFirstAndConfidenceAfterTheProbabilities() {
        let p = FacePrediction(face: face(box: box, confidence: 0.987654321), probabilities: happy)
        XCTAssertEqual(p.label, .happy)
        XCTAssertEqual(p.json.text, #"{"box": {"x": 10, "y": 20, "width": 30, "height": 31}, "label": "happy", "probabilities": {"anger": 0.05, "disgust": 0.01, "fear": 0.04, "happy": 0.7, "sad": 0.1, "surprise": 0.05, "neutral": 0.05}, "confidence": 0.987654}"#)
    }

    func testTheCentreCropHasANullBoxAndNoConfidence() {
        let p = FacePrediction(face: face(box: nil), probabilities: happy)
        XCTAssertTrue(p.json.text.hasPrefix(#"{"box": null, "label": "happy", "probabilities": {"#), p.json.text)
        XCTAssertFalse(p.json.text.contains("confidence"))
    }

    func testDropoutSharesAndTheExplanationComeLast() {
        let p = FacePrediction(face: face(box: nil), probabilities: happy,
                               dropout: (runs: 1000, shares: [0, 0, 0.125, 0.75, 0.125, 0, 0]), explanation: "out/a-face1.png")
        XCTAssertTrue(p.json.text.hasSuffix(#""dropout_samples": {"anger": 0, "disgust": 0, "fear": 0.125, "happy": 0.75, "sad": 0.125, "surprise": 0, "neutral": 0}, "explanation": "out/a-face1.png"}"#), p.json.text)
    }

    func testNumbersAreShortAndANonFiniteOneIsNull() {
        let odd: [Float] = [1.0 / 3.0, 1e-7, .nan, 0.5, 0, 0, 0]
        let text = JSON.probabilities(odd[...]).text
        XCTAssertEqual(text, #"{"anger": 0.333333, "disgust": 1e-07, "fear": null, "happy": 0.5, "sad": 0, "surprise": 0, "neutral": 0}"#)
    }

    func testTheFilesHeadlineIsItsFirstFaceAndEveryFaceIsListed() {
        let sad: [Float] = [0, 0, 0, 0, 1, 0, 0]
        let image = PreparedImage(width: 640, height: 480, faces: [face(box: box, confidence: 0.9), face(box: box, confidence: 0.8)],
                                  note: "2 faces found")
        let r = ImageFilePrediction(file: "photos/a \"b\".png", image: image, faces: [
            FacePrediction(face: image.faces[0], probabilities: sad), FacePrediction(face: image.faces[1], probabilities: happy),
        ])
        let expected = #"{"file": "photos/a \"b\".png", "label": "sad", "probabilities": {"anger": 0, "disgust": 0, "fear": 0, "happy": 0, "sad": 1, "surprise": 0, "neutral": 0}, "face": {"x": 10, "y": 20, "width": 30, "height": 31}, "note": "2 faces found", "faces": ["#
            + r.faces[0].json.text + ", " + r.faces[1].json.text + "]}"
        XCTAssertEqual(r.json.text, expected)
    }

    func testAFileWithoutANoteSaysNull() {
        let image = PreparedImage(width: 48, height: 48, faces: [face(box: nil)])
        let r = ImageFilePrediction(file: "f.png", image: image, faces: [FacePrediction(face: image.faces[0], probabilities: happy)])
        XCTAssertTrue(r.json.text.contains(#""face": null, "note": null, "faces": [{"box": null"#), r.json.text)
    }

    func testAFailureIsTheFileAndTheError() {
        struct Unreadable: Error, CustomStringConvertible { var description: String { "x.png: not an image" } }
        XCTAssertEqual(ImageFilePrediction.failureJSON(file: "x.png", error: Unreadable()).text,
                       #"{"file": "x.png", "error": "x.png: not an image"}"#)
    }

    func testTheTextHasAHeadlineABarPerClassDropoutAndTheExplanation() {
        let image = PreparedImage(width: 640, height: 480, faces: [face(box: box, confidence: 0.93)], note: "no face found")
        let p = FacePrediction(face: image.faces[0], probabilities: happy, dropout: (runs: 8, shares: [0, 0, 0.125, 0.75, 0.125, 0, 0]),
                               explanation: "out/a-face1.png")
        let r = ImageFilePrediction(file: "a.png", image: image, faces: [p])
        XCTAssertEqual(r.text, """
            a.png: 640×480 — no face found
              face at x=10 y=20 30×31 (confidence 0.93): happy (70.0%)
                anger       5.0% ██
                disgust     1.0% 
                fear        4.0% █
                happy      70.0% █████████████████████
                sad        10.0% ███
                surprise    5.0% ██
                neutral     5.0% ██
                dropout sampling (8 runs): happy = 75.0%, fear = 12.5%, sad = 12.5%
                saliency: out/a-face1.png
            """)
    }

    func testACentreCropWithoutExtrasIsItsLabelAndBars() {
        let p = FacePrediction(face: face(box: nil), probabilities: [0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(p.text.split(separator: "\n", omittingEmptySubsequences: false).first, "  centre crop: neutral (100.0%)")
        XCTAssertEqual(p.text.split(separator: "\n").count, 8, "a headline and seven bars, no trailing newline")
        XCTAssertTrue(p.text.hasSuffix("neutral   100.0% " + String(repeating: "█", count: 30)))
    }

    func testExplanationFilesAreNumberedPerImageName() throws {
        let root = NSTemporaryDirectory() + "/explain-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var files = try ExplanationFiles(directory: root + "/out")
        XCTAssertEqual(files.path(for: "a/face.png"), root + "/out/face-face1.png")
        XCTAssertEqual(files.path(for: "b/face.jpg"), root + "/out/face-face2.png")
        XCTAssertEqual(files.path(for: "c.pgm"), root + "/out/c-face1.png")
        XCTAssertTrue(FileManager.default.createFile(atPath: root + "/file", contents: Data()))
        XCTAssertThrowsError(try ExplanationFiles(directory: root + "/file")) {
            XCTAssertEqual("\($0)", "--explain \(root)/file: exists and is not a directory")
        }
    }
}
