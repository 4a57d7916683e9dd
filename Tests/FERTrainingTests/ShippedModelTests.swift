import FERData
import FERModel
import Foundation
import XCTest
@testable import FERTraining

/// The model in assets/models is what people try first: it must load with this build and still
/// know faces, so a change of the checkpoint format or of the network can never break it quietly.
final class ShippedModelTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static var shippedPath: String { packageRoot + "/" + ShippedModel.relativePath }
    /// FER2013 rows beside the checkout (development and CI only; never in the repository).
    static let fer2013 = packageRoot + "/../shared/data/fer2013/fer2013-train-publictest.csv.gz"

    func testTheShippedModelLoadsAsACompactVgg9WithItsTrainingRecord() throws {
        let (model, metadata) = try RunDirectory.loadCheckpoint(Self.shippedPath, engine: Engine(threads: 2))
        XCTAssertEqual(model.architecture, .vgg9)
        XCTAssertTrue(model.isInferenceOnly, "the shipped file carries no optimizer state")
        XCTAssertNotNil(metadata[TrainingConfiguration.commandKey], "it records how it was trained")
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: Self.shippedPath)[.size] as? Int)
        XCTAssertLessThan(size, 8_000_000)
        XCTAssertEqual(ShippedModel.locate(workingDirectory: Self.packageRoot, executable: nil), Self.shippedPath)
    }

    /// The first 300 PublicTest rows: chance is 14% and always answering "happy" 25%; the
    /// shipped model scores about 2/3 on the whole split, so anything under half is broken.
    func testTheShippedModelRecognisesPublicTestFaces() throws {
        guard FileManager.default.fileExists(atPath: Self.fer2013) else {
            throw XCTSkip("\(Self.fer2013) is not here (it is for development and CI only)")
        }
        let dir = NSTemporaryDirectory() + "ferdash-shipped-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/publictest-300.csv"
        let cut = Process()
        cut.executableURL = URL(fileURLWithPath: "/bin/sh")
        cut.arguments = ["-c", "{ echo emotion,pixels,Usage; gzip -dc '\(Self.fer2013)' | grep ',PublicTest' | head -300; } > '\(csv)'"]
        try cut.run()
        cut.waitUntilExit()
        let dataset = try DatasetLoader.load(path: csv)
        XCTAssertEqual(dataset.validation.count, 300)
        let (model, _) = try RunDirectory.loadCheckpoint(Self.shippedPath, engine: Engine(threads: 2))
        let accuracy = Evaluator.evaluate(model, on: dataset.validation).confusion.accuracy
        XCTAssertGreaterThan(accuracy, 0.5, "the shipped model got \(accuracy) of 300 PublicTest faces right")
    }
}
