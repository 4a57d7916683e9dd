import FERData
import FERModel
import XCTest
@testable import FERTraining
import FERTestSupport

/// The settings schema: one entry gives a setting its flag's help, its resolution, its place in
/// checkpoints and in the `started` record, and its reading back.
final class SettingsSchemaTests: XCTestCase {
    let dir = TempDir()

    /// A setting ferdash does not have, declared only here.
    static let dropoutFlag = TrainingFlag<Float>("dropout-rate", help: "Dropout before the classifier head.")
    static let dropout = TrainingSetting<Float>("dropout_rate", flag: dropoutFlag,
                                                field: \.more[key: "dropout_rate", default: Float(0)],
                                                text: .plain) { r in r.recipe.learningRate > 2e-3 ? 0.3 : 0.25 }
    let schema = TrainingSchema.standard.adding(SettingsSchemaTests.dropout)

    func resolve(_ request: TrainingRequest, stored: [String: String] = [:], runDirectory: String = "runs/r") -> TrainingConfiguration {
        TrainingConfiguration.resolve(request, stored: stored, runDirectory: runDirectory, trainCount: 48, launched: 0,
                                      defaultThreads: 1, schema: schema)
    }

    func testASettingAddedInOnePlaceHasItsHelpAndResolvesFlagOverCheckpointOverRecipe() {
        XCTAssertEqual(schema.help(flag: "dropout-rate"), "Dropout before the classifier head.")
        XCTAssertEqual(schema.flags.last?.name, "dropout-rate")
        XCTAssertNil(TrainingSchema.standard.help(flag: "dropout-rate"), "the standard schema is untouched")

        var seed = TrainingRequest()
        seed[TrainingFlags.arch] = Architecture.seed
        XCTAssertEqual(resolve(seed)[keyPath: Self.dropout.field], 0.25, "the recipe's (seed: lr 1e-3)")
        XCTAssertEqual(resolve(TrainingRequest())[keyPath: Self.dropout.field], 0.3, "the recipe's (vgg9: lr 3e-3)")
        var resumed = seed
        resumed[TrainingFlags.resume] = true
        XCTAssertEqual(resolve(resumed, stored: ["dropout_rate": "0.4"])[keyPath: Self.dropout.field], 0.4, "checkpoint over recipe")
        resumed[Self.dropoutFlag] = 0.5
        XCTAssertEqual(resolve(resumed, stored: ["dropout_rate": "0.4"])[keyPath: Self.dropout.field], 0.5, "flag over checkpoint")
    }

    /// Through a real (two-step) run: the checkpoint keeps the setting, the `started` record
    /// has it, the reader gives it back, and resuming from the checkpoint continues with it.
    func testASettingAddedInOnePlaceIsWrittenIntoTheRunAndReadBack() throws {
        var request = TrainingRequest()
        request[TrainingFlags.arch] = Architecture.seed
        request[TrainingFlags.steps] = 2
        request[TrainingFlags.batchSize] = 8
        request[Self.dropoutFlag] = 0.125
        let run = dir.path + "/run"
        let c = resolve(request, runDirectory: run)
        XCTAssertEqual(c.metadata["dropout_rate"], "0.125")

        let session = TrainingSession(dataset: bandDataset(), configuration: c) { _ in }
        session.start()
        XCTAssertTrue(session.wait(timeout: 120))

        let (summary, _) = try RunSummary.read(RunDirectory(path: run).metrics)
        let start = try XCTUnwrap(summary.start)
        XCTAssertEqual(start.recipe["dropout_rate"], "0.125")
        XCTAssertEqual(start.value(of: Self.dropout), 0.125)
        XCTAssertEqual(start.value(of: TrainingSettings.batchSize), 8, "the standard settings read back the same way")
        XCTAssertEqual(start.value(of: TrainingSettings.architecture), .seed)

        let (_, metadata) = try RunDirectory.loadCheckpoint(RunDirectory(path: run).latestCheckpoint, engine: Engine(threads: 1))
        XCTAssertEqual(metadata["dropout_rate"], "0.125")
        var resume = TrainingRequest()
        resume[TrainingFlags.resume] = true
        XCTAssertEqual(resolve(resume, stored: metadata)[keyPath: Self.dropout.field], 0.125)
    }

    /// Checkpoints written before the schema must still resume: the same keys, spelled the same.
    func testCheckpointMetadataKeepsItsKeysAndSpelling() {
        var c = TrainingConfiguration(runDirectory: "r")
        c.command = "ferdash train"
        XCTAssertEqual(c.metadata, [
            "architecture": "seed", "augmentation": "none", "batch_size": "128", "command": "ferdash train",
            "l2": "0.01", "label_smoothing": "0.0", "learning_rate": "0.001", "mixup_alpha": "0.0",
            "recipe": "hour", "schedule": "constant", "schedule_floor": "0.0", "seed": "0", "total_steps": "1001", "warmup_steps": "0",
            "weight_average_decay": "0.0", "weight_decay": "0.0",
        ])
        c.command = nil
        c.weightAverageDecay = 0.999
        c.augmentation = .standard
        XCTAssertNil(c.metadata["command"], "no command, no key")
        XCTAssertEqual(c.metadata["weight_average_decay"], "0.999")
        XCTAssertEqual(c.metadata["augmentation"], Augmentation.standard.summary)
    }

    /// The `started` line byte for byte as runs have always written it (viewers parse JSON, but
    /// the files stay what they were).
    func testTheStartedRecordKeepsItsBytes() {
        var c = TrainingConfiguration(runDirectory: "r")
        c.command = "ferdash train"
        c.seed = 18_446_744_073_709_551_615
        let info = SessionInfo(architecture: "seed", datasetName: "bands", trainCount: 48, validationCount: 14, testCount: 0,
                               batchSize: 128, totalSteps: 1001, firstStep: 0, runDirectory: "r")
        let line = MetricValue.object(StartedRecord.fields(info: info, configuration: c, time: 1000.5, pid: 42, host: "box")).json
        XCTAssertEqual(line, #"{"event":"started","step":0,"time":1000.5,"dataset":"bands","dataset_path":"built-in","split_seed":"0","skip_bad_rows":false,"train_count":48,"validation_count":14,"test_count":0,"architecture":"seed","total_steps":1001,"batch_size":128,"steps_per_epoch":1,"eval_every":100,"seed":"18446744073709551615","recipe":{"architecture":"seed","augmentation":"none","batch_size":"128","l2":"0.01","label_smoothing":"0.0","learning_rate":"0.001","mixup_alpha":"0.0","recipe":"hour","schedule":"constant","schedule_floor":"0.0","seed":"18446744073709551615","total_steps":"1001","warmup_steps":"0","weight_average_decay":"0.0","weight_decay":"0.0"},"command":"ferdash train","pid":42,"host":"box"}"#)
        c.command = nil
        let resumed = SessionInfo(architecture: "seed", datasetName: "bands", trainCount: 48, validationCount: 14, testCount: 0,
                                  batchSize: 128, totalSteps: 1001, firstStep: 7, runDirectory: "r")
        let fields = StartedRecord.fields(info: resumed, configuration: c, time: 0, pid: 1, host: "h")
        XCTAssertEqual(fields.first?.1.json, #""resumed""#)
        XCTAssertEqual(fields.first { $0.0 == "command" }?.1.json, "null")
    }

    /// What the writer puts at the top level, the reader finds there (and a 64-bit seed survives).
    func testTheTopLevelSettingsReadBackFromTheirOwnFields() throws {
        var c = TrainingConfiguration(runDirectory: "r")
        c.architecture = .vgg7
        c.totalSteps = 900
        c.batchSize = 64
        c.evalEvery = 25
        c.seed = 18_446_744_073_709_551_615
        c.command = "ferdash train --arch vgg7"
        let info = SessionInfo(architecture: "vgg7", datasetName: "bands", trainCount: 48, validationCount: 14, testCount: 0,
                               batchSize: 64, totalSteps: 900, firstStep: 0, runDirectory: "r")
        var fields = StartedRecord.fields(info: info, configuration: c, time: 1, pid: 1, host: "h")
        fields.removeAll { $0.0 == RecordKey.recipe }   // the top-level fields alone
        var parser = MetricsParser()
        let records = parser.feed(Array((MetricValue.object(fields).json + "\n").utf8)).records
        guard case .started(let start)? = records.first else { return XCTFail("\(records)") }
        XCTAssertEqual(start.architecture, "vgg7")
        XCTAssertEqual(start.totalSteps, 900)
        XCTAssertEqual(start.batchSize, 64)
        XCTAssertEqual(start.evalEvery, 25)
        XCTAssertEqual(start.seed, "18446744073709551615")
        XCTAssertEqual(start.value(of: TrainingSettings.seed), 18_446_744_073_709_551_615)
        XCTAssertEqual(start.command, "ferdash train --arch vgg7")
        XCTAssertEqual(Set(start.settings.keys), Set(StartedRecord.topLevelSettings.map(\.key)))
    }

    /// Every event the writer can name, the reader understands as the record it means.
    func testEveryRunEventReadsBack() {
        for event in RunEvent.allCases {
            var parser = MetricsParser()
            let plan = BudgetPlan(step: 3, totalSteps: 9, recipeSteps: 12, stepsPerEpoch: 2, imagesPerSecond: 371.5,
                                  measuredSeconds: 60.25, secondsLeft: 3300.5, evaluationSeconds: 2.75, evaluationMeasured: false)
            let fields: [(String, MetricValue)] = event == .planned ? PlanRecord.fields(plan, time: 1)
                : [(RecordKey.event, .text(event.rawValue)), (RecordKey.step, .int(3)), (RecordKey.totalSteps, .int(9))]
            let line = MetricValue.object(fields).json
            let records = parser.feed(Array((line + "\n").utf8)).records
            switch (event, records.first) {
            case (.started, .started(let s)?), (.resumed, .started(let s)?):
                XCTAssertEqual(s.resumed, event == .resumed)
                XCTAssertEqual(s.totalSteps, 9)
            case (.planned, .planned(let read)?):
                XCTAssertEqual(read, plan, "the plan reads back whole")
            case (.replanned, .replanned(let step, let total)?):
                XCTAssertEqual([step, total], [3, 9])
            case (.finished, .ended(let e)?), (.stopped, .ended(let e)?), (.failed, .ended(let e)?):
                XCTAssertEqual(e.kind.rawValue, event.rawValue)
            default:
                XCTFail("\(event): \(records)")
            }
        }
    }

    /// Every flag has a name and help, and names are unique (swift-argument-parser would trap).
    func testTheStandardFlagsAreNamedOnceWithHelp() {
        let names = TrainingSchema.standard.flags.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "\(names)")
        XCTAssertTrue(TrainingSchema.standard.flags.allSatisfy { !$0.help.isEmpty })
        XCTAssertEqual(Set(names), ["arch", "recipe", "steps", "epochs", "time-budget", "batch-size", "learning-rate", "schedule",
                                    "warmup-epochs", "l2", "weight-decay", "label-smoothing", "augment", "average-decay",
                                    "mixup", "teacher", "distill-weight", "distill-temperature", "eval-every", "seed",
                                    "threads", "resume"])
        let keys = TrainingSchema.standard.settings.map(\.key)
        XCTAssertEqual(Set(keys).count, keys.count, "\(keys)")
    }
}
