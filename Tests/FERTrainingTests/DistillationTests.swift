import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

/// Distillation (`--teacher`): the teachers' answers for the training images, and a run that
/// learns them.
final class DistillationTests: XCTestCase {
    let dir = TempDir()

    /// A seed network saved as a checkpoint file: a teacher.
    func teacherFile(_ name: String, seed: UInt64) throws -> (path: String, classifier: Classifier) {
        let classifier = Classifier(architecture: .seed, hyperparameters: Hyperparameters(), seed: seed, engine: Engine(threads: 1))
        let path = dir.path + "/" + name
        try Data(classifier.checkpointBytes(metadata: ["architecture": "seed"], inferenceOnly: true)).write(to: URL(fileURLWithPath: path))
        return (path, classifier)
    }

    func testTheTargetsAreTheTeachersMirrorAveragedProbabilitiesAveraged() throws {
        let set = bandDataset(train: 20).train
        let (a, modelA) = try teacherFile("a.ferdash", seed: 1)
        let (b, modelB) = try teacherFile("b.ferdash", seed: 2)
        let engine = Engine(threads: 1)
        let one = try XCTUnwrap(TeacherTargets.compute(teachers: [a], set: set, temperature: 1, engine: engine))
        let two = try XCTUnwrap(TeacherTargets.compute(teachers: [a, b], set: set, temperature: 1, engine: engine))
        let pa = Evaluator.probabilities(modelA, pixels: set.pixels, tta: .mirror)
        let pb = Evaluator.probabilities(modelB, pixels: set.pixels, tta: .mirror)
        XCTAssertEqual(one.probabilities.count, set.count * 7)
        XCTAssertEqual(one.teacherCount, 1)
        XCTAssertEqual(two.teacherCount, 2)
        for i in pa.indices {
            XCTAssertEqual(one.probabilities[i], pa[i], accuracy: 1e-6)
            XCTAssertEqual(two.probabilities[i], (pa[i] + pb[i]) / 2, accuracy: 1e-6)
        }
        for r in 0..<set.count {
            XCTAssertEqual(two.probabilities[(r * 7)..<(r * 7 + 7)].reduce(0, +), 1, accuracy: 1e-5, "row \(r) is a distribution")
        }
        // The agreement is the share of rows whose most likely class is the label.
        let agreeing = (0..<set.count).filter { argmax(two.probabilities[($0 * 7)..<($0 * 7 + 7)]) == Int(set.labels[$0]) }.count
        XCTAssertEqual(two.agreement, Double(agreeing) / Double(set.count))
        XCTAssertTrue(two.summary.hasPrefix("2 teachers answered for every training face in "), two.summary)
    }

    func testATemperatureAboveOneSoftensEveryAnswer() throws {
        let set = bandDataset(train: 14).train
        let (a, _) = try teacherFile("a.ferdash", seed: 5)
        let engine = Engine(threads: 1)
        let plain = try XCTUnwrap(TeacherTargets.compute(teachers: [a], set: set, temperature: 1, engine: engine))
        let soft = try XCTUnwrap(TeacherTargets.compute(teachers: [a], set: set, temperature: 4, engine: engine))
        for r in 0..<set.count {
            let p = plain.probabilities[(r * 7)..<(r * 7 + 7)], q = soft.probabilities[(r * 7)..<(r * 7 + 7)]
            XCTAssertLessThan(q.max()!, p.max()!, "row \(r): the most likely class gets less")
            XCTAssertGreaterThan(q.min()!, p.min()!, "row \(r): the least likely gets more")
        }
    }

    func testAMissingOrBrokenTeacherIsNamedAndAStopEndsTheWork() throws {
        let set = bandDataset(train: 14).train
        let engine = Engine(threads: 1)
        XCTAssertThrowsError(try TeacherTargets.compute(teachers: [dir.path + "/none.ferdash"], set: set, temperature: 1, engine: engine)) {
            XCTAssertTrue(String(describing: $0).contains("none.ferdash: no such checkpoint"), "\($0)")
        }
        let broken = dir.path + "/broken.ferdash"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: broken))
        XCTAssertThrowsError(try TeacherTargets.compute(teachers: [broken], set: set, temperature: 1, engine: engine)) {
            XCTAssertTrue(String(describing: $0).hasPrefix(broken + ": "), "\($0)")
        }
        let (a, _) = try teacherFile("a.ferdash", seed: 1)
        let big = bandDataset(train: 300).train   // three chunks of 128
        var chunks = 0
        XCTAssertNil(try TeacherTargets.compute(teachers: [a], set: big, temperature: 1, engine: engine) { chunks += 1; return false })
        XCTAssertEqual(chunks, 1, "asked after the first chunk, and stopped there")
    }

    /// A batch carries each image's row of targets; mixup blends the rows of a pair by the
    /// batch's weight, as it blends their pixels and labels.
    func testABatchGathersTheTargetsRowsAndMixupBlendsThem() {
        let set = bandDataset(train: 30).train
        let targets = (0..<(set.count * 7)).map { Float($0 % 11) / 10 }
        let sampler = BatchSampler(count: set.count, batchSize: 8, seed: 4)
        let plain = BatchPreparer.Batch(batchSize: 8), mixed = BatchPreparer.Batch(batchSize: 8)
        BatchPreparer.fill(plain, step: 3, set: set, sampler: sampler, augmentation: .none, seed: 9, targets: targets)
        BatchPreparer.fill(mixed, step: 3, set: set, sampler: sampler, augmentation: .none, mixup: Mixup(alpha: 0.4),
                           seed: 9, targets: targets)
        let indices = sampler.indices(step: 3)
        let weight = try! XCTUnwrap(mixed.mix).weight
        XCTAssertLessThan(weight, 1, "this step's draw mixes")
        for (i, index) in indices.enumerated() {
            let partner = indices[Mixup.Draw.partner(i, count: 8)]
            for c in 0..<7 {
                XCTAssertEqual(plain.soft[i * 7 + c], targets[index * 7 + c])
                XCTAssertEqual(mixed.soft[i * 7 + c], weight * targets[index * 7 + c] + (1 - weight) * targets[partner * 7 + c],
                               accuracy: 1e-6)
            }
        }
    }

    func configuration(steps: Int, run: String) -> TrainingConfiguration {
        var c = TrainingConfiguration(runDirectory: dir.path + "/" + run)
        c.totalSteps = steps
        c.batchSize = 8
        c.evalEvery = steps
        c.seed = 3
        c.threads = 1
        return c
    }

    func train(_ dataset: Dataset, _ configuration: TrainingConfiguration) -> EventRecorder {
        let recorder = EventRecorder()
        let session = TrainingSession(dataset: dataset, configuration: configuration) { recorder.record($0) }
        session.start()
        XCTAssertTrue(session.wait(timeout: 300))
        return recorder
    }

    /// The labels of the student's training images are all wrong (each shifted by one class);
    /// with the teachers' weight at 1 it learns the teacher's answers instead, and so scores on
    /// the correctly labelled validation images, which a student of the wrong labels alone
    /// cannot.
    func testAStudentLearnsTheTeachersAnswersNotItsLabels() throws {
        let truth = bandDataset()
        let teacherRun = train(truth, configuration(steps: 60, run: "teacher"))
        let teacherAccuracy = try XCTUnwrap(teacherRun.evaluations.last).accuracy
        XCTAssertGreaterThan(teacherAccuracy, 0.8, "the teacher learns the bands")

        var wrong = truth
        wrong.train.labels = wrong.train.labels.map { ($0 + 1) % 7 }
        var distilled = configuration(steps: 60, run: "student")
        distilled.teachers = [RunDirectory(path: dir.path + "/teacher").bestCheckpoint]
        distilled.distillWeight = 1
        distilled.distillTemperature = 1
        let student = train(wrong, distilled)
        guard case .started(let info) = student.all.first else { return XCTFail("the first event is not started") }
        XCTAssertTrue(info.teachers?.contains("1 teacher answered") ?? false, "\(String(describing: info.teachers))")
        XCTAssertTrue(info.teachers?.contains("matches the label for 0.0 %") ?? false, "every label is wrong: \(String(describing: info.teachers))")
        let studentAccuracy = try XCTUnwrap(student.evaluations.last).accuracy
        XCTAssertGreaterThan(studentAccuracy, 0.8 * teacherAccuracy, "the student answers as the teacher does")

        let alone = train(wrong, configuration(steps: 60, run: "alone"))
        XCTAssertLessThan(try XCTUnwrap(alone.evaluations.last).accuracy, 0.3, "the wrong labels alone teach the wrong answers")
    }

    /// A distilled run resumed from its checkpoint repeats the uninterrupted one exactly: the
    /// teachers are stored with the run and give the same targets again.
    func testAResumedDistilledRunRepeatsTheUninterruptedOne() throws {
        let (teacher, _) = try teacherFile("t.ferdash", seed: 9)
        func make(_ steps: Int, _ run: String) -> TrainingConfiguration {
            var c = configuration(steps: steps, run: run)
            c.evalEvery = 5
            c.teachers = [teacher]
            c.distillWeight = 0.5
            c.distillTemperature = 2
            return c
        }
        let whole = train(bandDataset(), make(10, "whole"))
        _ = train(bandDataset(), make(5, "split"))
        // What --resume reads back: the settings the run stored.
        let stored = try RunDirectory.loadCheckpoint(RunDirectory(path: dir.path + "/split").latestCheckpoint,
                                                     engine: Engine(threads: 1), trainingState: true).metadata
        XCTAssertEqual(stored["teachers"], teacher)
        XCTAssertEqual(stored["distill_weight"], "0.5")
        XCTAssertEqual(stored["distill_temperature"], "2.0")
        var resumed = make(10, "split")
        resumed.resume = true
        let part2 = train(bandDataset(), resumed)
        let expected = whole.all.compactMap(\.stepLoss).filter { $0.0 > 5 }
        XCTAssertEqual(part2.all.compactMap(\.stepLoss).map(\.1), expected.map(\.1))
        // And the teachers changed the losses: the same run without them differs.
        let plain = train(bandDataset(), configuration(steps: 10, run: "plain"))
        XCTAssertNotEqual(plain.all.compactMap(\.stepLoss).map(\.1), whole.all.compactMap(\.stepLoss).map(\.1))
    }
}
