import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

/// A real training session's event file holds exactly the scalars its metrics.jsonl records:
/// same tags, same steps, same values (as float32), nothing missing and nothing extra.
final class TrainingRunLogTests: XCTestCase {
    func testEventFileHoldsTheMetricsScalars() throws {
        let dir = TempDir()
        let root = dir.path
        let faces = SyntheticFaces.generate(count: 60, seed: 4)
        let split = 40 * ImageSet.pixelsPerImage
        let dataset = Dataset(name: "synthetic", train: ImageSet(pixels: Array(faces.pixels[..<split]), labels: Array(faces.labels[..<40])),
                              validation: ImageSet(pixels: Array(faces.pixels[split...]), labels: Array(faces.labels[40...])),
                              test: ImageSet())
        var configuration = TrainingConfiguration(runDirectory: root)
        configuration.totalSteps = 7
        configuration.evalEvery = 3
        configuration.batchSize = 8
        configuration.threads = 1
        let session = TrainingSession(dataset: dataset, configuration: configuration) { _ in }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))

        let files = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(files.count, 1)
        let events = try tensorBoardEvents(root + "/" + XCTUnwrap(files.first))
        XCTAssertEqual(events.first?.string(3), "brain.Event:2")
        let logged = try tensorBoardScalars(events)

        var expected: [String] = []
        let lines = try String(contentsOfFile: RunDirectory(path: root).metrics, encoding: .utf8).split(separator: "\n")
        for line in lines {
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard record["event"] == nil, let step = record["step"] as? Int else { continue }
            func add(_ tag: String, _ value: Any?) throws {
                expected.append("\(step) \(tag) \(Float(try XCTUnwrap(value as? Double, "\(tag) at step \(step)")))")
            }
            if record["loss"] != nil {
                try add("train/loss", record["loss"])
                try add("train/learning_rate", record["lr"])
                try add("train/images_per_s", record["images_per_s"])
            } else {
                try add("val/loss", record["val_loss"])
                try add("val/accuracy", record["val_accuracy"])
                let recall = try XCTUnwrap(record["val_recall"] as? [Double])
                XCTAssertEqual(recall.count, 7)
                for (c, r) in zip(Emotion.allCases, recall) { try add("val/recall/\(c.name)", r) }
            }
        }
        // Steps 1…7 with 3 training scalars each; evaluations at 3, 6 and 7 with 9 each.
        XCTAssertEqual(expected.count, 7 * 3 + 3 * 9)
        XCTAssertEqual(logged, expected)
    }
}
