import FERData
@testable import FERModel
import XCTest
@testable import FERTraining

final class EvaluatorTests: XCTestCase {
    /// `count` random faces with labels cycling through the classes; `symmetric` mirrors each
    /// image's left half onto its right half.
    private func images(_ count: Int, symmetric: Bool, seed: UInt64) -> ImageSet {
        var rng = Xoshiro256(seed: seed)
        var set = ImageSet()
        for i in 0..<count {
            var image = (0..<2304).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if symmetric {
                for r in 0..<48 { for c in 24..<48 { image[r * 48 + c] = image[r * 48 + 47 - c] } }
            }
            set.pixels += image
            set.labels.append(Int8(i % 7))
        }
        return set
    }

    func testCountsAddUpAcrossChunks() {
        let model = Classifier(architecture: .seed, seed: 2)
        let set = images(Evaluator.chunk + 22, symmetric: false, seed: 1)
        let result = Evaluator.evaluate(model, on: set)
        XCTAssertEqual(result.confusion.total, set.count)
        XCTAssertEqual(result.misclassified.count, set.count - result.confusion.correct)
        XCTAssertTrue(result.loss.isFinite && result.loss > 0)
    }

    /// On mirror-symmetric faces the mirror adds nothing: same predictions, same loss.
    func testMirrorAverageOfSymmetricImagesChangesNothing() {
        let model = Classifier(architecture: .seed, seed: 3)
        let set = images(40, symmetric: true, seed: 4)
        let plain = Evaluator.evaluate(model, on: set)
        let tta = Evaluator.evaluate(model, on: set, mirrorAverage: true)
        XCTAssertEqual(plain.confusion.counts, tta.confusion.counts)
        XCTAssertEqual(plain.loss, tta.loss, accuracy: 1e-4)
    }

    /// With TTA the reported loss is the cross-entropy of the averaged probabilities, i.e. of
    /// the prediction actually scored, not of the plain image alone.
    func testMirrorAverageLossIsTheLossOfTheAveragedPrediction() {
        let model = Classifier(architecture: .seed, seed: 5)
        let set = images(Evaluator.chunk + 9, symmetric: false, seed: 6)
        let tta = Evaluator.evaluate(model, on: set, mirrorAverage: true)
        let p = Evaluator.probabilities(model, pixels: set.pixels, mirrorAverage: true)
        var expected = 0.0
        for i in 0..<set.count { expected -= log(Double(p[i * 7 + Int(set.labels[i])])) }
        expected /= Double(set.count)
        XCTAssertEqual(Double(tta.loss), expected, accuracy: 1e-4)
        XCTAssertNotEqual(tta.loss, Evaluator.evaluate(model, on: set).loss, "the mirror changed the scored prediction")
    }
}
