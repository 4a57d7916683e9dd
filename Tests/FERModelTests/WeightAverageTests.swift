import XCTest
@testable import CheckpointFormat
@testable import FERModel

/// The moving average of the weights: its arithmetic, how it takes the weights' place, and how
/// checkpoints keep it (format version 3) so a resumed run goes on with the same average.
final class WeightAverageTests: XCTestCase {
    let x = NetworkTests.images(3, seed: 21)
    let labels: [Int32] = [2, 5, 0]

    func train(_ c: Classifier, steps: Int) -> [Float] {
        x.withUnsafeBufferPointer { xb in (0..<steps).map { _ in c.trainStep(images: xb, labels: labels) } }
    }

    func logits(_ c: Classifier) -> [Float] {
        x.withUnsafeBufferPointer { c.logits(images: $0, count: 3) }
    }

    func values(_ c: Classifier) -> [[Float]] { c.network.parameters.map { $0.value.array($0.count) } }

    func testTheAverageFollowsItsFormulaWithAShortMemoryAtFirst() {
        let c = Classifier(architecture: .seed, hyperparameters: Hyperparameters(learningRate: 5e-3), seed: 2, engine: .testing)
        c.averageWeights(decay: 0.5)
        var expected = values(c)
        for step in 1...4 {
            _ = train(c, steps: 1)
            // (1 + step)/(10 + step) stays below 0.5 for the first 7 steps, so it is the decay here.
            let d = Float(1 + step) / Float(10 + step)
            expected = zip(expected, values(c)).map { a, w in zip(a, w).map { d * $0 + (1 - d) * $1 } }
        }
        let raw = values(c)
        let averaged = c.withAveragedWeights { values(c) }
        XCTAssertEqual(averaged, expected)
        XCTAssertNotEqual(averaged, raw, "after four steps the average lags behind the weights")
        XCTAssertEqual(values(c), raw, "the raw weights come back bit for bit")
        let decays = WeightAverage(copying: [], decay: 0.999)
        XCTAssertEqual(decays.decay(afterStep: 1), 2.0 / 11)
        XCTAssertEqual(decays.decay(afterStep: 100_000), 0.999, "the long-run memory")
    }

    func testTheModelIsTheAverageWhenItIsEvaluatedSavedOrAdopted() throws {
        let c = Classifier(architecture: .vgg7, hyperparameters: Hyperparameters(learningRate: 3e-3, l2: 0), seed: 6, engine: .testing)
        c.averageWeights(decay: 0.9)
        _ = train(c, steps: 3)
        let raw = logits(c)
        let averaged = c.withAveragedWeights { logits(c) }
        XCTAssertNotEqual(averaged, raw)
        XCTAssertEqual(logits(c), raw, "leaving withAveragedWeights restores the raw model (batch-norm folds too)")

        // An inference checkpoint is the model: the average.
        let (compact, _) = try Classifier.fromCheckpoint(c.checkpointBytes(metadata: [:], inferenceOnly: true), engine: .testing)
        XCTAssertNil(compact.weightAverageDecay)
        XCTAssertEqual(logits(compact), averaged)

        c.adoptAveragedWeights()
        XCTAssertNil(c.weightAverageDecay)
        XCTAssertEqual(logits(c), averaged)
    }

    func testATrainingCheckpointKeepsTheAverageAndResumesIdentically() throws {
        let original = Classifier(architecture: .seed, hyperparameters: Hyperparameters(learningRate: 2e-3), seed: 8, engine: .testing)
        original.averageWeights(decay: 0.8)
        _ = train(original, steps: 2)
        let bytes = original.checkpointBytes(metadata: ["run": "a"])
        let plain = Classifier(architecture: .seed, seed: 8, engine: .testing).checkpointBytes(metadata: ["run": "a"])
        XCTAssertEqual(bytes[8], 3, "format version 3")
        XCTAssertEqual(plain[8], 1)
        // The average is a fourth array per tensor beside value, m and v.
        XCTAssertEqual(Double(bytes.count) / Double(plain.count), 4.0 / 3, accuracy: 0.01)

        let (loaded, metadata) = try Classifier.fromCheckpoint(bytes, engine: .testing)
        XCTAssertEqual(metadata[Classifier.averageDecayKey], "0.8")
        XCTAssertEqual(loaded.weightAverageDecay, 0.8)
        XCTAssertEqual(loaded.checkpointBytes(metadata: ["run": "a"]), bytes, "re-encoding gives the same bytes")
        XCTAssertEqual(train(loaded, steps: 3), train(original, steps: 3))
        XCTAssertEqual(loaded.checkpointBytes(metadata: [:], inferenceOnly: true),
                       original.checkpointBytes(metadata: [:], inferenceOnly: true),
                       "the averages went on in step")
    }

    func testAClassifierThatStopsAveragingIsItsRawWeightsAgain() throws {
        let c = Classifier(architecture: .seed, hyperparameters: Hyperparameters(learningRate: 2e-3), seed: 4, engine: .testing)
        c.averageWeights(decay: 0.9)
        _ = train(c, steps: 2)
        let raw = logits(c)
        c.stopAveraging()
        XCTAssertNil(c.weightAverageDecay)
        XCTAssertEqual(c.withAveragedWeights { logits(c) }, raw)
        XCTAssertEqual(c.checkpointBytes(metadata: [:])[8], 1, "a plain training checkpoint again")
        XCTAssertEqual(logits(try Classifier.fromCheckpoint(c.checkpointBytes(metadata: [:], inferenceOnly: true), engine: .testing).0), raw)
    }

    func testAnAverageWithoutItsDecayIsRejected() throws {
        let c = Classifier(architecture: .seed, seed: 1, engine: .testing)
        c.averageWeights(decay: 0.9)
        let s = c.rng.state
        let tensors = c.network.parameters.map {
            CheckpointTensor(name: $0.name, value: $0.value.array($0.count), m: $0.m.array($0.count),
                             v: $0.v.array($0.count), average: $0.value.array($0.count))
        }
        let bytes = CheckpointCodec.encode(CheckpointState(architecture: "seed", metadata: ["k": "v"],
                                                           hyperparameters: OptimizerHeader(c.hyperparameters), step: 0,
                                                           rng: [s.0, s.1, s.2, s.3], tensors: tensors))
        XCTAssertThrowsError(try Classifier.fromCheckpoint(bytes, engine: .testing)) {
            XCTAssertTrue("\($0)".contains("weight_average_decay"), "\($0)")
        }
        XCTAssertThrowsError(try Classifier.fromCheckpoint(Array(bytes.dropLast(9)), engine: .testing)) {
            XCTAssertTrue("\($0)".contains("truncated"), "\($0)")
        }
    }
}
