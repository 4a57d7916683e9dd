import Foundation

// The names in a run's metrics.jsonl, declared once: TrainingSession writes them, MetricsParser
// and RunCatalog read them. The settings' own keys are in TrainingSettings.swift.

/// Keys of metrics.jsonl's records.
public enum RecordKey {
    /// Present on event lines only (`RunEvent`); step and evaluation lines have none.
    public static let event = "event"
    public static let step = "step"
    /// Wall clock, seconds since 1970.
    public static let time = "time"
    public static let message = "message"
    public static let totalSteps = "total_steps"
    public static let trainSeconds = "train_seconds"

    // A step line.
    public static let epoch = "epoch"
    public static let loss = "loss"
    public static let learningRate = "lr"
    public static let imagesPerSecond = "images_per_s"

    // An evaluation line.
    public static let validationLoss = "val_loss"
    public static let validationAccuracy = "val_accuracy"
    public static let validationRecall = "val_recall"
    public static let confusion = "confusion"
    public static let rawValidationAccuracy = "raw_val_accuracy"

    // The started line (with the settings of `StartedRecord.topLevelSettings`).
    public static let dataset = "dataset"
    public static let datasetPath = "dataset_path"
    public static let splitSeed = "split_seed"
    public static let skipBadRows = "skip_bad_rows"
    public static let trainCount = "train_count"
    public static let validationCount = "validation_count"
    public static let testCount = "test_count"
    public static let stepsPerEpoch = "steps_per_epoch"
    /// The settings recorded in `.startedRecipe`, as checkpoint metadata spells them.
    public static let recipe = "recipe"
    public static let pid = "pid"
    public static let host = "host"

    // The planned line (with step, total_steps, steps_per_epoch and images_per_s).
    public static let recipeSteps = "recipe_steps"
    public static let measuredSeconds = "measured_seconds"
    public static let secondsLeft = "seconds_left"
    public static let evaluationSeconds = "evaluation_seconds"
    public static let evaluationMeasured = "evaluation_measured"
}

/// The `event` of an event line.
public enum RunEvent: String, Sendable, CaseIterable {
    case started, resumed
    /// A time budget's plan, made from the run's first minute (`BudgetPlan`).
    case planned
    /// A time budget shortened the run.
    case replanned
    case finished, stopped, failed
}

/// The `planned` line: the `BudgetPlan`, whole, so a viewer of the run can say why it is as long as it is.
public enum PlanRecord {
    public static func fields(_ p: BudgetPlan, time: Double = Date().timeIntervalSince1970) -> [(String, MetricValue)] {
        typealias K = RecordKey
        return [(K.event, .text(RunEvent.planned.rawValue)), (K.step, .int(p.step)), (K.totalSteps, .int(p.totalSteps)),
                (K.recipeSteps, .int(p.recipeSteps)), (K.stepsPerEpoch, .int(p.stepsPerEpoch)),
                (K.imagesPerSecond, .number(p.imagesPerSecond)), (K.measuredSeconds, .number(p.measuredSeconds)),
                (K.secondsLeft, .number(p.secondsLeft)), (K.evaluationSeconds, .number(p.evaluationSeconds)),
                (K.evaluationMeasured, .bool(p.evaluationMeasured)), (K.time, .number(time))]
    }
}

/// The `started` (or `resumed`) line: everything a viewer of the run needs to show it.
public enum StartedRecord {
    /// Settings the line also has at its top level, where runs from before the `recipe` object
    /// keep them (and `ferdash runs` reads them). A new setting needs none: it is in `recipe`.
    public static let topLevelSettings: [any AnyTrainingSetting] = [
        TrainingSettings.architecture, TrainingSettings.totalSteps, TrainingSettings.batchSize,
        TrainingSettings.evalEvery, TrainingSettings.seed, TrainingSettings.command,
    ]

    /// The line's fields, in the order runs have always written them.
    public static func fields(info: SessionInfo, configuration c: TrainingConfiguration, time: Double, pid: Int,
                              host: String) -> [(String, MetricValue)] {
        typealias K = RecordKey
        typealias S = TrainingSettings
        func setting(_ s: any AnyTrainingSetting) -> (String, MetricValue) {
            guard let text = s.recordedText(of: c) else { return (s.key, .null) }
            return (s.key, s.isNumber ? .raw(text) : .text(text))
        }
        let recipe = c.schema.recorded(c, in: .startedRecipe).sorted { $0.key < $1.key }.map { ($0.key, MetricValue.text($0.value)) }
        return [
            (K.event, .text((info.firstStep > 0 ? RunEvent.resumed : .started).rawValue)), (K.step, .int(info.firstStep)),
            (K.time, .number(time)),
            (K.dataset, .text(info.datasetName)), (K.datasetPath, .text(c.launch.datasetPath ?? RunStart.builtInDataset)),
            (K.splitSeed, .text(String(c.launch.splitSeed))), (K.skipBadRows, .bool(c.launch.skipBadRows)),
            (K.trainCount, .int(info.trainCount)), (K.validationCount, .int(info.validationCount)),
            (K.testCount, .int(info.testCount)),
            setting(S.architecture), setting(S.totalSteps), setting(S.batchSize),
            (K.stepsPerEpoch, .int(info.stepsPerEpoch)),
            setting(S.evalEvery), setting(S.seed),
            (K.recipe, .object(recipe)),
            setting(S.command),
            (K.pid, .int(pid)), (K.host, .text(host)),
        ]
    }
}
