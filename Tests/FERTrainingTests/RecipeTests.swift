import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

final class RecipeTests: XCTestCase {
    func testCosineScheduleValuesAtKnownSteps() {
        let s = LearningRateSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 10)
        XCTAssertEqual(s.rate(step: 0, totalSteps: 111), 1e-4, accuracy: 1e-9)      // 1/10 of the peak
        XCTAssertEqual(s.rate(step: 4, totalSteps: 111), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(s.rate(step: 9, totalSteps: 111), 1e-3, accuracy: 1e-9)      // warm-up ends at the peak
        XCTAssertEqual(s.rate(step: 10, totalSteps: 111), 1e-3, accuracy: 1e-9)     // cosine starts at the peak
        XCTAssertEqual(s.rate(step: 60, totalSteps: 111), 5e-4, accuracy: 1e-9)     // halfway: cos(π/2)
        XCTAssertEqual(s.rate(step: 110, totalSteps: 111), 0, accuracy: 1e-9)       // last step: the floor
        let floored = LearningRateSchedule(kind: .cosine, peak: 1e-3, warmupSteps: 0, floor: 0.1)
        XCTAssertEqual(floored.rate(step: 100, totalSteps: 101), 1e-4, accuracy: 1e-9)
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).rate(step: 12345, totalSteps: 10), 3e-4)
    }

    func testSeedRecipeIsTheBookChapters() {
        let r = TrainingRecipe.defaults(for: .seed)
        XCTAssertNil(r.epochs)
        XCTAssertEqual(r.learningRate, 1e-3)
        XCTAssertEqual(r.l2, 1e-2)
        XCTAssertEqual(r.schedule, .constant)
        XCTAssertTrue(r.augmentation.isNone)
        XCTAssertEqual(r.weightDecay, 0)
        XCTAssertEqual(r.labelSmoothing, 0)
    }

    private func face(seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<2304).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    private func augmented(_ source: [UInt8], _ aug: Augmentation, seed: UInt64, step: Int, slot: Int) -> [Float] {
        var out = [Float](repeating: -1, count: 2304)
        var rng = Augmentation.generator(seed: seed, step: step, slot: slot)
        source.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { aug.apply(s.baseAddress!, into: $0.baseAddress!, rng: &rng) } }
        return out
    }

    func testAugmentationIsDeterministicPerSeedStepAndSlotAndStaysInRange() {
        let src = face(seed: 1)
        let a = augmented(src, .standard, seed: 7, step: 100, slot: 3)
        XCTAssertEqual(a, augmented(src, .standard, seed: 7, step: 100, slot: 3))
        XCTAssertNotEqual(a, augmented(src, .standard, seed: 7, step: 101, slot: 3))
        XCTAssertNotEqual(a, augmented(src, .standard, seed: 8, step: 100, slot: 3))
        XCTAssertNotEqual(a, augmented(src, .standard, seed: 7, step: 100, slot: 4))
        // Extreme settings on many draws: values never leave [0, 1].
        let strong = Augmentation(maxShift: 20, maxRotation: 180, maxScale: 0.5, flip: true, maxBrightness: 0.8, maxContrast: 0.9)
        for step in 0..<50 {
            let v = augmented(face(seed: UInt64(step)), strong, seed: 1, step: step, slot: 0)
            XCTAssertTrue(v.allSatisfy { $0 >= 0 && $0 <= 1 }, "step \(step)")
        }
    }

    /// Erasing always on: one axis-aligned rectangle of a single gray, 2–20 % of the image, and
    /// everything outside it exactly what the same warp without erasing gives.
    func testRandomErasingBlanksOneRectangleAndLeavesTheRestOfTheWarp() {
        var erasing = Augmentation.standard
        erasing.eraseProbability = 1
        var plain = Augmentation.standard
        plain.eraseProbability = 0
        for slot in 0..<20 {
            let src = face(seed: UInt64(100 + slot))
            let a = augmented(src, erasing, seed: 3, step: 9, slot: slot)
            let b = augmented(src, plain, seed: 3, step: 9, slot: slot)
            let changed = (0..<2304).filter { a[$0] != b[$0] }
            let xs = changed.map { $0 % 48 }, ys = changed.map { $0 / 48 }
            guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else {
                return XCTFail("slot \(slot): nothing erased")
            }
            let box = (x0...x1).flatMap { x in (y0...y1).map { y in y * 48 + x } }
            let grays = Set(box.map { a[$0] })
            XCTAssertEqual(grays.count, 1, "slot \(slot): the erased box holds one gray")
            let area = Double(box.count) / 2304
            XCTAssertTrue(area >= 0.012 && area <= 0.23, "slot \(slot): area \(area)")
        }
        // Probability ½: over many images, about half are erased.
        let erased = (0..<200).filter { slot in
            let src = face(seed: 7)
            return augmented(src, .standard, seed: 5, step: 1, slot: slot) != augmented(src, plain, seed: 5, step: 1, slot: slot)
        }.count
        XCTAssertTrue((70...130).contains(erased), "\(erased) of 200 erased")
    }

    func testNoAugmentationIsThePlainConversionAndAPureFlipMirrors() {
        let src = face(seed: 2)
        XCTAssertEqual(augmented(src, .none, seed: 1, step: 0, slot: 0), src.map { Float($0) * (1 / 255) })
        let flipOnly = Augmentation(flip: true)
        // Over a few slots both outcomes occur; each output is the source or its exact mirror.
        var sawMirror = false, sawSame = false
        let plain = src.map { Float($0) * (1 / 255) }
        var mirrored = plain
        for r in 0..<48 { for c in 0..<48 { mirrored[r * 48 + c] = plain[r * 48 + 47 - c] } }
        for slot in 0..<16 {
            let v = augmented(src, flipOnly, seed: 1, step: 0, slot: slot)
            let dSame = zip(v, plain).map { abs($0 - $1) }.max()!, dMirror = zip(v, mirrored).map { abs($0 - $1) }.max()!
            XCTAssertTrue(dSame < 1e-5 || dMirror < 1e-5, "slot \(slot)")
            if dSame < 1e-5 { sawSame = true } else { sawMirror = true }
        }
        XCTAssertTrue(sawMirror && sawSame)
    }
}

extension TrainingSessionTests {
    /// Cosine schedule + augmentation: a run stopped at step 6 and resumed continues with the
    /// same learning rates and the same losses as the uninterrupted run.
    func testResumeContinuesTheScheduleAndAugmentationExactly() throws {
        func config(_ steps: Int, _ run: String) -> TrainingConfiguration {
            var c = configuration(steps: steps, run: run)
            c.schedule = .cosine
            c.warmupSteps = 3
            c.hyperparameters = Hyperparameters(learningRate: 2e-3, l2: 0, weightDecay: 0.05, labelSmoothing: 0.1)
            c.augmentation = .standard
            return c
        }
        func lrs(_ r: EventRecorder) -> [(Int, Float, Float)] {
            r.all.compactMap { if case .step(let s) = $0 { return (s.step, s.learningRate, s.loss) } else { return nil } }
        }
        let whole = EventRecorder()
        let a = TrainingSession(dataset: bandDataset(), configuration: config(12, "whole")) { whole.record($0) }
        a.start()
        XCTAssertTrue(a.wait(timeout: 120))
        // The first part is the same 12-step run (the cosine depends on the total), stopped at
        // step 6: the sink runs on the training queue, so a stop requested from it takes effect
        // at the very next control point.
        final class Box: @unchecked Sendable { weak var session: TrainingSession? }   // unchecked: set once before training starts, read on its queue; weak: the session's sink holds the box
        let box = Box()
        let b = TrainingSession(dataset: bandDataset(), configuration: config(12, "split")) { event in
            if case .step(let s) = event, s.step == 6 { box.session?.stop() }
        }
        box.session = b
        b.start()
        XCTAssertTrue(b.wait(timeout: 120))
        let second = EventRecorder()
        var resumed = config(12, "split")
        resumed.resume = true
        let c = TrainingSession(dataset: bandDataset(), configuration: resumed) { second.record($0) }
        c.start()
        XCTAssertTrue(c.wait(timeout: 120))

        let expected = lrs(whole).filter { $0.0 > 6 }, actual = lrs(second)
        XCTAssertEqual(actual.map(\.0), Array(7...12))
        XCTAssertEqual(actual.map(\.1), expected.map(\.1), "the schedule continues where it stopped")
        XCTAssertEqual(actual.map(\.2), expected.map(\.2), "same augmented batches, same losses")
        // The reported rate is the scheduled one: warm-up rises, the cosine falls to 0.
        let all = lrs(whole).map(\.1)
        XCTAssertEqual(all[0], 2e-3 / 3, accuracy: 1e-9)
        XCTAssertEqual(all[2], 2e-3, accuracy: 1e-9)
        XCTAssertEqual(all[11], 0, accuracy: 1e-9)
    }
}
