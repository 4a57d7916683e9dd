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
        let model = Classifier(architecture: .seed, seed: 2, engine: Engine(threads: 2))
        let set = images(Evaluator.chunk + 22, symmetric: false, seed: 1)
        let result = Evaluator.evaluate(model, on: set)
        XCTAssertEqual(result.confusion.total, set.count)
        XCTAssertEqual(result.misclassified.count, set.count - result.confusion.correct)
        XCTAssertTrue(result.loss.isFinite && result.loss > 0)
    }

    /// The hook runs between chunks (not after the last), and a false ends the evaluation with
    /// no result rather than a partial one.
    func testBetweenChunksRunsBetweenThemAndCanStopTheEvaluation() throws {
        let model = Classifier(architecture: .seed, seed: 2, engine: Engine(threads: 2))
        let set = images(2 * Evaluator.chunk + 5, symmetric: false, seed: 1)
        var calls = 0
        let whole = try XCTUnwrap(Evaluator.evaluate(model, on: set, betweenChunks: { calls += 1; return true }))
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(whole.confusion, Evaluator.evaluate(model, on: set).confusion)
        calls = 0
        XCTAssertNil(Evaluator.evaluate(model, on: set, betweenChunks: { calls += 1; return false }))
        XCTAssertEqual(calls, 1, "stopped after the first chunk")
    }

    /// An ensemble scores the mean of its models' probabilities: its predictions are the argmax
    /// of that mean and its loss the mean's cross-entropy; a model twice is that model.
    func testAnEnsembleScoresItsModelsAveragedProbabilities() throws {
        let a = Classifier(architecture: .seed, seed: 7, engine: Engine(threads: 2))
        let b = Classifier(architecture: .seed, seed: 8, engine: Engine(threads: 2))
        let set = images(Evaluator.chunk + 11, symmetric: false, seed: 9)
        let both = try XCTUnwrap(Evaluator.evaluate(ensemble: [a, b], on: set, tta: .mirror))
        let pa = Evaluator.probabilities(a, pixels: set.pixels, tta: .mirror)
        let pb = Evaluator.probabilities(b, pixels: set.pixels, tta: .mirror)
        var expectedLoss = 0.0
        for i in 0..<set.count {
            let mean = (0..<7).map { (pa[i * 7 + $0] + pb[i * 7 + $0]) / 2 }
            XCTAssertEqual(Int(both.predicted[i]), argmax(mean), "image \(i)")
            expectedLoss -= log(Double(mean[Int(set.labels[i])]))
        }
        XCTAssertEqual(Double(both.loss), expectedLoss / Double(set.count), accuracy: 1e-4)
        let twice = try XCTUnwrap(Evaluator.evaluate(ensemble: [a, a], on: set))
        let once = Evaluator.evaluate(a, on: set)
        XCTAssertEqual(twice.confusion, once.confusion)
        XCTAssertEqual(twice.loss, once.loss, accuracy: 1e-4)
    }

    /// On mirror-symmetric faces the mirror adds nothing: same predictions, same loss.
    func testMirrorAverageOfSymmetricImagesChangesNothing() {
        let model = Classifier(architecture: .seed, seed: 3, engine: Engine(threads: 2))
        let set = images(40, symmetric: true, seed: 4)
        let plain = Evaluator.evaluate(model, on: set)
        let tta = Evaluator.evaluate(model, on: set, tta: .mirror)
        XCTAssertEqual(plain.confusion.counts, tta.confusion.counts)
        XCTAssertEqual(plain.loss, tta.loss, accuracy: 1e-4)
    }

    /// With TTA the reported loss is the cross-entropy of the averaged probabilities, i.e. of
    /// the prediction actually scored, not of the plain image alone.
    func testMirrorAverageLossIsTheLossOfTheAveragedPrediction() {
        let model = Classifier(architecture: .seed, seed: 5, engine: Engine(threads: 2))
        let set = images(Evaluator.chunk + 9, symmetric: false, seed: 6)
        let tta = Evaluator.evaluate(model, on: set, tta: .mirror)
        let p = Evaluator.probabilities(model, pixels: set.pixels, tta: .mirror)
        var expected = 0.0
        for i in 0..<set.count { expected -= log(Double(p[i * 7 + Int(set.labels[i])])) }
        expected /= Double(set.count)
        XCTAssertEqual(Double(tta.loss), expected, accuracy: 1e-4)
        XCTAssertNotEqual(tta.loss, Evaluator.evaluate(model, on: set).loss, "the mirror changed the scored prediction")
    }

    /// The ten views: the image first, then its mirror, each shifted 2 px four ways; a shift
    /// repeats the edge pixels like the training augmentation.
    func testShiftViewsMoveThePixelsAndRepeatTheEdge() {
        let views = TestTimeAugmentation.mirrorAndShifts.views
        XCTAssertEqual(views.count, 10)
        XCTAssertEqual(views.first, TestTimeAugmentation.View(dx: 0, dy: 0, mirrored: false))
        XCTAssertEqual(TestTimeAugmentation.mirror.views.count, 2)
        XCTAssertEqual(TestTimeAugmentation.none.views.count, 1)
        let image = (0..<2304).map { Float($0 % 48) + 100 * Float($0 / 48) }   // x + 100·y
        var out = [Float](repeating: 0, count: 2304)
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer {
                Evaluator.render(src.baseAddress!, into: $0.baseAddress!, count: 1, view: .init(dx: 2, dy: -2, mirrored: false))
            }
        }
        XCTAssertEqual(out[10 * 48 + 10], 8 + 100 * 12, "moved right and up by 2")
        XCTAssertEqual(out[0], 0 + 100 * 2, "left edge repeated")
        XCTAssertEqual(out[47 * 48 + 5], 3 + 100 * 47, "bottom edge repeated")
        image.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer {
                Evaluator.render(src.baseAddress!, into: $0.baseAddress!, count: 1, view: .init(dx: 0, dy: 0, mirrored: true))
            }
        }
        XCTAssertEqual(out[5 * 48 + 0], 47 + 500)
    }

    /// On a uniform image every view is the same image, so the ten-view average is the plain
    /// prediction; on real variety it is the mean of the views' probabilities.
    func testShiftAverageIsTheMeanOfTheViews() {
        let model = Classifier(architecture: .seed, seed: 8, engine: Engine(threads: 2))
        let flat = [UInt8](repeating: 90, count: 2304)
        let plain = Evaluator.probabilities(model, pixels: flat)
        let averaged = Evaluator.probabilities(model, pixels: flat, tta: .mirrorAndShifts)
        for (p, q) in zip(plain, averaged) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        let set = images(3, symmetric: false, seed: 9)
        let all = Evaluator.probabilities(model, pixels: set.pixels, tta: .mirrorAndShifts)
        XCTAssertNotEqual(all, Evaluator.probabilities(model, pixels: set.pixels, tta: .mirror))
        for i in 0..<3 { XCTAssertEqual(all[(i * 7)..<(i * 7 + 7)].reduce(0, +), 1, accuracy: 1e-5) }
        let scored = Evaluator.evaluate(model, on: set, tta: .mirrorAndShifts)
        XCTAssertEqual(scored.predicted.map(Int.init), (0..<3).map { argmax(all[($0 * 7)..<($0 * 7 + 7)]) })
    }
}

/// The engine (FERModel) knows no faces and may not import FERData, so it declares its own input
/// and output; this is the one place the two declarations meet, and they must agree.
final class FaceFormatTests: XCTestCase {
    func testDataAndModelAgreeOnTheFaceFormat() {
        XCTAssertEqual(ImageSet.side, ModelShape.side)
        XCTAssertEqual(ImageSet.pixelsPerImage, ModelShape.pixels)
        XCTAssertEqual(ImageSet.pixelsPerImage, ImageSet.side * ImageSet.side)
        XCTAssertEqual(Emotion.count, ModelShape.classes)
        XCTAssertEqual(ConfusionMatrix().classes, Emotion.count)
    }
}
