import Dispatch
import FERData
import FERModel

// Every setting of a training run, described once: its flag (name and help), where its value
// comes from (the flag, else the run's checkpoint when resuming, else the architecture's
// recipe), and how the run records it (checkpoint metadata, the `started` record).
//
// To add a setting:
//   1. here: a `TrainingFlag` in `TrainingFlags` (if people may ask for it) and a
//      `TrainingSetting` in `TrainingSettings`, listed in `TrainingSettings.all` after the
//      settings its resolution reads;
//   2. a field of `TrainingConfiguration` for the training to read (its `field`);
//   3. in ferdash's `Train` command, the flag's property (swift-argument-parser needs one; its
//      name and help come from the `TrainingFlag`) and one line in `Train.request`.
// Resolution (`TrainingConfiguration.resolve`), checkpoint metadata, the `started` record's
// `recipe` object and reading it back (`RunStart.value(of:)`) then follow from the entry.

/// A `ferdash train` flag, typed by the value it asks for.
public struct TrainingFlag<Asked: Sendable>: TrainingFlagDescription {
    /// The long name, without dashes: "learning-rate".
    public let name: String
    public let help: String
    public init(_ name: String, help: String) {
        self.name = name
        self.help = help
    }
}

/// A flag without its type, for listing.
public protocol TrainingFlagDescription: Sendable {
    var name: String { get }
    var help: String { get }
}

/// Where a run writes a setting.
public struct SettingRecord: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Checkpoint metadata: what `--resume` continues with (and exported models keep).
    public static let checkpoint = SettingRecord(rawValue: 1)
    /// The `started` record's `recipe` object, which viewers of the run show.
    public static let startedRecipe = SettingRecord(rawValue: 2)
    /// Both: the usual for a setting that shapes the run.
    public static let run: SettingRecord = [.checkpoint, .startedRecipe]
}

/// How a setting's value is spelled in the run's files, and read back.
public struct SettingText<Value>: Sendable {
    /// The text, or nil to leave the key out.
    let encode: @Sendable (Value) -> String?
    let decode: @Sendable (String) -> Value?
    /// A whole number is written as a JSON number where the `started` record has the setting at
    /// its top level; everything else as a JSON string (a 64-bit seed does not survive a double).
    var isNumber = false

    public init(encode: @escaping @Sendable (Value) -> String?, decode: @escaping @Sendable (String) -> Value?) {
        self.encode = encode
        self.decode = decode
    }
}

extension SettingText where Value: LosslessStringConvertible & Sendable {
    /// Swift's own round-tripping text (`String(0.001 as Float)` is "0.001").
    public static var plain: SettingText { SettingText(encode: { String($0) }, decode: { Value($0) }) }
}

extension SettingText where Value == Int {
    public static var number: SettingText {
        var text = SettingText(encode: { String($0) }, decode: { Int($0) })
        text.isNumber = true
        return text
    }
}

extension SettingText where Value: RawRepresentable & Sendable, Value.RawValue == String {
    public static var name: SettingText { SettingText(encode: { $0.rawValue }, decode: { Value(rawValue: $0) }) }
}

/// What a setting's resolution may read: the request, the stored settings, and the settings
/// resolved before it.
public struct SettingResolution: Sendable {
    public let request: TrainingRequest
    /// The checkpoint metadata of the run being resumed (empty for a new run).
    public let stored: [String: String]
    /// Images in the training split: epochs become steps through it.
    public let trainCount: Int
    /// When the command started, on the session's clock; a time budget counts from here.
    public let launched: UInt64
    /// Compute threads when the request names none.
    public let defaultThreads: Int
    /// The settings resolved so far (those before this one in the schema).
    public internal(set) var configuration: TrainingConfiguration

    /// The recipe of the architecture resolved so far.
    public var recipe: TrainingRecipe { TrainingRecipe.defaults(for: configuration.architecture, length: configuration.recipe) }
    public var stepsPerEpoch: Double { Double(trainCount) / Double(configuration.batchSize) }

    public func asked<T>(_ flag: TrainingFlag<T>) -> T? { request[flag] }

    /// The setting as the resumed run stored it; nil when it did not (or not legibly).
    public func stored<V>(_ setting: TrainingSetting<V>) -> V? {
        guard setting.record.contains(.checkpoint), let text = setting.text, let value = stored[setting.key] else { return nil }
        return text.decode(value)
    }
}

/// One setting: its key in the run's files, its flag, where its value comes from, where it is kept.
public struct TrainingSetting<Value: Sendable>: AnyTrainingSetting {
    /// Key in checkpoint metadata and in the `started` record: "learning_rate".
    public let key: String
    public let flags: [any TrainingFlagDescription]
    public let record: SettingRecord
    /// Where the resolved value lives (and where the training reads it).
    public let field: WritableKeyPath<TrainingConfiguration, Value> & Sendable
    public let text: SettingText<Value>?
    let choose: @Sendable (SettingResolution) -> Value

    /// A setting with its own rule for choosing the value (steps from epochs, a stored value
    /// that beats the flag, …).
    public init(_ key: String, flags: [any TrainingFlagDescription] = [], field: WritableKeyPath<TrainingConfiguration, Value> & Sendable,
                record: SettingRecord = [], text: SettingText<Value>? = nil,
                choose: @escaping @Sendable (SettingResolution) -> Value) {
        self.key = key
        self.flags = flags
        self.field = field
        self.record = record
        self.text = text
        self.choose = choose
    }

    /// The usual precedence: the flag, else the resumed run's stored value, else `fallback`
    /// (the recipe's, usually).
    public init(_ key: String, flag: TrainingFlag<Value>, field: WritableKeyPath<TrainingConfiguration, Value> & Sendable,
                record: SettingRecord = .run, text: SettingText<Value>,
                fallback: @escaping @Sendable (SettingResolution) -> Value) {
        let storedKey = key
        let stored: @Sendable (SettingResolution) -> Value? = { r in
            record.contains(.checkpoint) ? r.stored[storedKey].flatMap(text.decode) : nil
        }
        self.init(key, flags: [flag], field: field, record: record, text: text) { r in
            r.asked(flag) ?? stored(r) ?? fallback(r)
        }
    }

    public func resolve(into resolution: inout SettingResolution) {
        resolution.configuration[keyPath: field] = choose(resolution)
    }

    public func recordedText(of configuration: TrainingConfiguration) -> String? {
        text.flatMap { $0.encode(configuration[keyPath: field]) }
    }

    public var isNumber: Bool { text?.isNumber ?? false }
}

/// A setting without its value type, as the schema lists it.
public protocol AnyTrainingSetting: Sendable {
    var key: String { get }
    var flags: [any TrainingFlagDescription] { get }
    var record: SettingRecord { get }
    /// Whether the `started` record writes it as a JSON number (else as a string).
    var isNumber: Bool { get }
    func resolve(into resolution: inout SettingResolution)
    /// The value as the run's files spell it; nil: left out.
    func recordedText(of configuration: TrainingConfiguration) -> String?
}

/// The settings of a run, in the order they are resolved.
public struct TrainingSchema: Sendable {
    public private(set) var settings: [any AnyTrainingSetting]
    public init(_ settings: [any AnyTrainingSetting]) { self.settings = settings }

    /// ferdash's settings.
    public static let standard = TrainingSchema(TrainingSettings.all)

    /// This schema and one more setting, resolved after the others.
    public func adding(_ setting: any AnyTrainingSetting) -> TrainingSchema { TrainingSchema(settings + [setting]) }

    public func setting(_ key: String) -> (any AnyTrainingSetting)? { settings.first { $0.key == key } }

    /// Every flag, in the schema's order.
    public var flags: [any TrainingFlagDescription] { settings.flatMap(\.flags) }

    /// A flag's help text.
    public func help(flag name: String) -> String? { flags.first { $0.name == name }?.help }

    /// What the run records in `place`, by key.
    public func recorded(_ configuration: TrainingConfiguration, in place: SettingRecord) -> [String: String] {
        var out: [String: String] = [:]
        for setting in settings where setting.record.contains(place) {
            out[setting.key] = setting.recordedText(of: configuration)
        }
        return out
    }
}

/// Every flag of `ferdash train` that asks for a setting.
public enum TrainingFlags {
    public static let arch = TrainingFlag<Architecture>("arch", help: "Network: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")). Default: \(TrainingRecipe.defaultArchitecture.rawValue) (with --resume: the run's own). Each brings its own defaults for the options below (vgg9, vgg8 and vgg7: 60 epochs within a 58-minute budget, AdamW 3e-3 (vgg8, vgg7: 2e-3) with warm-up + cosine, label smoothing 0.1, augmentation with random erasing; seed: the book chapter's 1001 steps, Adam 1e-3, no augmentation).")
    public static let recipe = TrainingFlag<TrainingRecipe.Length>("recipe", help: "Which recipe the defaults come from: hour (\(Int(TrainingRecipe.defaults(for: .vgg9).epochs ?? 0)) epochs planned to fit a \(Int(TrainingRecipe.defaults(for: .vgg9).timeBudgetMinutes ?? 0))-minute budget) or long (\(Int(TrainingRecipe.longEpochs)) epochs, no budget: the shipped model's recipe, some hours on two cores; after an interruption the same command with --resume continues it). vgg9, vgg8 and vgg7 only (with --resume: the run's own).")
    public static let steps = TrainingFlag<Int>("steps", help: "Total steps of the run (with --resume: continue until this total).")
    public static let epochs = TrainingFlag<Double>("epochs", help: "Train for this many passes over the training split instead of --steps.")
    public static let timeBudget = TrainingFlag<Double>("time-budget", help: "Finish within this many minutes of wall clock, data loading included: when the pace so far says the run would overrun, it is shortened and its learning-rate schedule with it. 0: no limit. Default: the recipe's when the run length is too (vgg9, vgg8 and vgg7: 58), else none.")
    public static let batchSize = TrainingFlag<Int>("batch-size", help: "Images per step (default: the architecture's).")
    public static let learningRate = TrainingFlag<Float>("learning-rate", help: "Adam learning rate; the peak of the schedule (default: the architecture's).")
    public static let schedule = TrainingFlag<LearningRateSchedule.Kind>("schedule", help: "Learning-rate schedule: constant, or cosine (linear warm-up, then cosine to 0).")
    public static let warmupEpochs = TrainingFlag<Double>("warmup-epochs", help: "Warm-up length in epochs for --schedule cosine.")
    public static let l2 = TrainingFlag<Float>("l2", help: "Weight of the seed's L2 term on the convolution weights and biases.")
    public static let weightDecay = TrainingFlag<Float>("weight-decay", help: "Decoupled (AdamW) weight decay on weight tensors, scaled by the learning rate.")
    public static let labelSmoothing = TrainingFlag<Float>("label-smoothing", help: "Label smoothing ε (0 = plain cross-entropy).")
    public static let augment = TrainingFlag<Augmentation>("augment", help: "Training augmentation: standard (shift, rotation, zoom, mirror, brightness/contrast) or none.")
    /// 0 asks for none.
    public static let averageDecay = TrainingFlag<Float>("average-decay", help: "Decay per step of the weights' moving average, which validation and the best checkpoint use (default: none, the raw weights; 0.999 is a memory of about 1 000 steps).")
    /// 0 asks for none.
    public static let mixup = TrainingFlag<Float>("mixup", help: "Mixup's α: blend training images and their labels in pairs, λ ~ Beta(α, α) per batch (0 = none, the default).")
    public static let teachers = TrainingFlag<[String]>("teacher", help: "Distil from this checkpoint (repeatable; a run directory means its best): its answers for the training faces, and the mirror images', averaged over the teachers, are blended into the labels. Teachers trained on the same training split, never on the validation split.")
    public static let distillWeight = TrainingFlag<Float>("distill-weight", help: "With --teacher: the teachers' share of each training target (default 0.5).")
    public static let distillTemperature = TrainingFlag<Float>("distill-temperature", help: "With --teacher: soften the teachers' probabilities by this temperature (default 1: as they are).")
    public static let evalEvery = TrainingFlag<Int>("eval-every", help: "Evaluate on the validation split (and save checkpoints) every N steps (default: seed 100, others once per epoch).")
    public static let seed = TrainingFlag<UInt64>("seed", help: "Seed of initialisation, dropout, batch order and augmentation.")
    public static let threads = TrainingFlag<Int>("threads", help: "Compute threads (default: all cores).")
    public static let resume = TrainingFlag<Bool>("resume", help: "Continue the run in --run-dir from its latest checkpoint.")
}

/// ferdash's training settings, in the order they are resolved (each may read those before it).
public enum TrainingSettings {
    /// Without --arch a resumed run keeps its own network; a new one gets the default (the
    /// others stay one flag away). Every recipe default below is this network's.
    public static let architecture: TrainingSetting<Architecture> = TrainingSetting("architecture", flag: TrainingFlags.arch, field: \.architecture,
                                                     text: .name) { _ in TrainingRecipe.defaultArchitecture }
    /// Without --recipe a resumed run keeps its own; a new one follows the hour's.
    public static let recipe: TrainingSetting<TrainingRecipe.Length> = TrainingSetting("recipe", flag: TrainingFlags.recipe, field: \.recipe,
                                                            text: .name) { _ in .hour }
    public static let batchSize: TrainingSetting<Int> = TrainingSetting("batch_size", flag: TrainingFlags.batchSize, field: \.batchSize,
                                                  text: .number) { $0.recipe.batchSize }
    public static let learningRate: TrainingSetting<Float> = TrainingSetting("learning_rate", flag: TrainingFlags.learningRate,
                                                     field: \.hyperparameters.learningRate, text: .plain) { $0.recipe.learningRate }
    public static let l2: TrainingSetting<Float> = TrainingSetting("l2", flag: TrainingFlags.l2, field: \.hyperparameters.l2, text: .plain) { $0.recipe.l2 }
    public static let weightDecay: TrainingSetting<Float> = TrainingSetting("weight_decay", flag: TrainingFlags.weightDecay,
                                                    field: \.hyperparameters.weightDecay, text: .plain) { $0.recipe.weightDecay }
    public static let labelSmoothing: TrainingSetting<Float> = TrainingSetting("label_smoothing", flag: TrainingFlags.labelSmoothing,
                                                       field: \.hyperparameters.labelSmoothing, text: .plain) { $0.recipe.labelSmoothing }
    public static let seed: TrainingSetting<UInt64> = TrainingSetting("seed", flag: TrainingFlags.seed, field: \.seed, text: .plain) { _ in 0 }
    /// A property of the machine, not of the run: never stored.
    public static let threads: TrainingSetting<Int> = TrainingSetting("threads", flags: [TrainingFlags.threads], field: \.threads) { r in
        r.asked(TrainingFlags.threads) ?? r.defaultThreads
    }
    public static let resume: TrainingSetting<Bool> = TrainingSetting("resume", flags: [TrainingFlags.resume], field: \.resume) { r in
        r.asked(TrainingFlags.resume) ?? false
    }
    /// The command line that started the run: a resumed run keeps its first one, so the stored
    /// value comes before the request's. Not in the `started` record's recipe (it has its own field).
    public static let command: TrainingSetting<String?> = TrainingSetting("command", field: \.command, record: .checkpoint,
                                                         text: SettingText(encode: { $0 }, decode: { $0 })) { r in
        r.stored[TrainingConfiguration.commandKey] ?? r.request.command
    }
    /// Epochs or steps asked for, else the run's stored total, else the recipe's epochs, else
    /// the seed chapter's 1001 steps.
    public static let totalSteps: TrainingSetting<Int> = TrainingSetting(RecordKey.totalSteps, flags: [TrainingFlags.steps, TrainingFlags.epochs],
                                                   field: \.totalSteps, record: .run, text: .number) { r in
        if let epochs = r.asked(TrainingFlags.epochs) { return max(1, Int((epochs * r.stepsPerEpoch).rounded(.up))) }
        if let steps = r.asked(TrainingFlags.steps) { return steps }
        if let total = r.stored(totalSteps) { return total }
        if let epochs = r.recipe.epochs { return max(1, Int((epochs * r.stepsPerEpoch).rounded(.up))) }
        return 1001
    }
    /// The recipe's time budget belongs to the recipe's run length; an explicit length, or a
    /// resumed run's stored one, runs in full unless a budget is asked for. 0 minutes: no limit.
    public static let deadline: TrainingSetting<UInt64?> = TrainingSetting("deadline", flags: [TrainingFlags.timeBudget], field: \.deadline) { r in
        let lengthFromRecipe = r.asked(TrainingFlags.epochs) == nil && r.asked(TrainingFlags.steps) == nil
            && r.stored(totalSteps) == nil && r.recipe.epochs != nil
        guard let minutes = r.asked(TrainingFlags.timeBudget) ?? (lengthFromRecipe ? r.recipe.timeBudgetMinutes : nil),
              minutes > 0 else { return nil }
        return r.launched + UInt64(minutes * 60e9)
    }
    /// Not stored: a resumed run evaluates as its recipe (or the flag) says now.
    public static let evalEvery: TrainingSetting<Int> = TrainingSetting("eval_every", flags: [TrainingFlags.evalEvery], field: \.evalEvery,
                                                  text: .number) { r in
        r.asked(TrainingFlags.evalEvery) ?? r.recipe.evalEvery ?? max(1, Int(r.stepsPerEpoch.rounded(.up)))
    }
    public static let schedule: TrainingSetting<LearningRateSchedule.Kind> = TrainingSetting("schedule", flag: TrainingFlags.schedule, field: \.schedule,
                                                 text: .name) { $0.recipe.schedule }
    /// The flag says epochs, the run stores steps. The recipe's warm-up never takes more than
    /// a tenth of a short run, so a quick `--steps 50` still reaches the peak and anneals.
    public static let warmupSteps: TrainingSetting<Int> = TrainingSetting("warmup_steps", flags: [TrainingFlags.warmupEpochs], field: \.warmupSteps,
                                                    record: .run, text: .plain) { r in
        if let epochs = r.asked(TrainingFlags.warmupEpochs) { return Int((epochs * r.stepsPerEpoch).rounded()) }
        return r.stored(warmupSteps)
            ?? min(Int((r.recipe.warmupEpochs * r.stepsPerEpoch).rounded()), r.configuration.totalSteps / 10)
    }
    public static let scheduleFloor: TrainingSetting<Float> = TrainingSetting("schedule_floor", field: \.scheduleFloor, record: .run,
                                                      text: .plain) { r in r.stored(scheduleFloor) ?? r.recipe.floor }
    /// Stored as "none" or the standard augmentation's summary (any other text reads as standard).
    public static let augmentation: TrainingSetting<Augmentation> = TrainingSetting(
        "augmentation", flag: TrainingFlags.augment, field: \.augmentation,
        text: SettingText(encode: { $0.isNone ? "none" : $0.summary }, decode: { $0 == "none" ? Augmentation.none : .standard })
    ) { $0.recipe.augmentation }
    /// No recipe averages its weights: only the flag, or a resumed run started with it, does
    /// ("0" and a missing key both mean none).
    public static let weightAverageDecay: TrainingSetting<Float?> = TrainingSetting(
        Classifier.averageDecayKey, flags: [TrainingFlags.averageDecay], field: \.weightAverageDecay, record: .run,
        text: SettingText(encode: { String($0 ?? 0) }, decode: { Float($0).map(\.nonZero) })
    ) { r in
        if let asked = r.asked(TrainingFlags.averageDecay) { return asked.nonZero }
        return r.stored(weightAverageDecay) ?? nil
    }
    /// No recipe mixes images: only the flag, or a resumed run started with it, does.
    public static let mixup: TrainingSetting<Mixup> = TrainingSetting(
        "mixup_alpha", flags: [TrainingFlags.mixup], field: \.mixup, record: .run,
        text: SettingText(encode: { String($0.alpha) }, decode: { Float($0).map(Mixup.init(alpha:)) })
    ) { r in r.asked(TrainingFlags.mixup).map(Mixup.init(alpha:)) ?? r.stored(mixup) ?? .none }

    /// Without --teacher a resumed run keeps its own teachers (so its targets are the same).
    public static let teachers: TrainingSetting<[String]> = TrainingSetting(
        "teachers", flags: [TrainingFlags.teachers], field: \.teachers, record: .run,
        text: SettingText(encode: { $0.isEmpty ? nil : $0.joined(separator: "\n") },
                          decode: { $0.split(separator: "\n").map(String.init) })
    ) { r in r.asked(TrainingFlags.teachers) ?? r.stored(teachers) ?? [] }
    public static let distillWeight = teacherSetting("distill_weight", flag: TrainingFlags.distillWeight, field: \.distillWeight, default: 0.5)
    public static let distillTemperature = teacherSetting("distill_temperature", flag: TrainingFlags.distillTemperature,
                                                          field: \.distillTemperature, default: 1)

    /// A number that only a run with teachers has (nil without): the flag, else the resumed
    /// run's stored value, else `fallback`.
    static func teacherSetting(_ key: String, flag: TrainingFlag<Float>, field: WritableKeyPath<TrainingConfiguration, Float?> & Sendable,
                               default fallback: Float) -> TrainingSetting<Float?> {
        let text = SettingText<Float?>(encode: { $0.map { String($0) } }, decode: { Float($0) })
        return TrainingSetting(key, flags: [flag], field: field, record: .run, text: text) { r in
            guard !r.configuration.teachers.isEmpty else { return nil }
            return r.asked(flag) ?? r.stored[key].flatMap { Float($0) } ?? fallback
        }
    }

    public static let all: [any AnyTrainingSetting] = [
        architecture, recipe, batchSize, learningRate, l2, weightDecay, labelSmoothing, seed, threads, resume, command,
        totalSteps, deadline, evalEvery, schedule, warmupSteps, scheduleFloor, augmentation, weightAverageDecay, mixup,
        teachers, distillWeight, distillTemperature,
    ]
}

extension Float {
    /// nil for 0 (and below): "none" for settings where 0 turns a feature off.
    var nonZero: Float? { self > 0 ? self : nil }
}

/// Values of settings that have no field of their own in `TrainingConfiguration`, by key: such
/// a setting's `field` is `\.more[key: "its_key", default: …]`.
public struct SettingValues: Sendable {
    private var values: [String: any Sendable] = [:]
    public init() {}

    public subscript<V: Sendable>(key key: String, default fallback: V) -> V {
        get { values[key] as? V ?? fallback }
        set { values[key] = newValue }
    }
}
