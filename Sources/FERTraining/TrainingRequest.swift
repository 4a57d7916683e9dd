import FERData
import FERModel

/// What a person asked for when starting or resuming a run (each nil: not asked).
public struct TrainingRequest: Sendable {
    public var architecture: Architecture?
    public var steps: Int?
    public var epochs: Double?
    /// Minutes; 0 means no limit.
    public var timeBudgetMinutes: Double?
    public var batchSize: Int?
    public var learningRate: Float?
    public var schedule: LearningRateSchedule.Kind?
    public var warmupEpochs: Double?
    public var l2: Float?
    public var weightDecay: Float?
    public var labelSmoothing: Float?
    public var augmentation: Augmentation?
    /// Decay of the weights' moving average; 0 asks for none.
    public var weightAverageDecay: Float?
    /// Mixup's α; 0 asks for none.
    public var mixupAlpha: Float?
    public var evalEvery: Int?
    public var seed: UInt64?
    public var threads: Int?
    public var resume = false
    /// The command line asking for the run (a resumed run keeps the one that started it).
    public var command: String?
    public init() {}
}

extension TrainingConfiguration {
    /// The run's settings, each taken from the first of: the request, then (on resume) what the
    /// run was started with (`stored`, its checkpoint's metadata), then the architecture's
    /// recipe, so a resumed run continues the same schedule to the same end. Pure: the caller
    /// reads the checkpoint and chooses the directory.
    ///
    /// - Parameters:
    ///   - trainCount: images in the training split (epochs become steps through it).
    ///   - launched: when the command started, on the session's clock; a time budget counts from here.
    ///   - defaultThreads: compute threads when the request names none.
    public static func resolve(_ request: TrainingRequest, stored: [String: String], runDirectory: String,
                               trainCount: Int, launched: UInt64, defaultThreads: Int) -> TrainingConfiguration {
        // Without an architecture a resumed run keeps its own; a new one gets the default network
        // (the others stay one flag away).
        let arch = request.architecture ?? stored["architecture"].flatMap(Architecture.init)
            ?? TrainingRecipe.defaultArchitecture
        let recipe = TrainingRecipe.defaults(for: arch)
        func pick<T: LosslessStringConvertible>(_ asked: T?, _ key: String, _ fallback: T) -> T {
            asked ?? stored[key].flatMap(T.init) ?? fallback
        }
        var c = TrainingConfiguration(runDirectory: runDirectory)
        c.architecture = arch
        c.batchSize = pick(request.batchSize, "batch_size", recipe.batchSize)
        c.hyperparameters = Hyperparameters(
            learningRate: pick(request.learningRate, "learning_rate", recipe.learningRate),
            l2: pick(request.l2, "l2", recipe.l2),
            weightDecay: pick(request.weightDecay, "weight_decay", recipe.weightDecay),
            labelSmoothing: pick(request.labelSmoothing, "label_smoothing", recipe.labelSmoothing))
        c.seed = pick(request.seed, "seed", 0)
        c.threads = request.threads ?? defaultThreads
        c.resume = request.resume
        c.command = stored[commandKey] ?? request.command
        let stepsPerEpoch = Double(trainCount) / Double(c.batchSize)
        c.totalSteps = totalSteps(request, stored: stored, recipe: recipe, stepsPerEpoch: stepsPerEpoch)
        // The recipe's time budget belongs to the recipe's run length; an explicit length, or
        // a resumed run's stored one, runs in full unless a budget is asked for.
        let lengthFromRecipe = request.epochs == nil && request.steps == nil && stored["total_steps"] == nil
            && recipe.epochs != nil
        if let minutes = request.timeBudgetMinutes ?? (lengthFromRecipe ? recipe.timeBudgetMinutes : nil), minutes > 0 {
            c.deadline = launched + UInt64(minutes * 60e9)
        }
        c.evalEvery = request.evalEvery ?? recipe.evalEvery ?? max(1, Int(stepsPerEpoch.rounded(.up)))
        c.schedule = request.schedule ?? stored["schedule"].flatMap(LearningRateSchedule.Kind.init) ?? recipe.schedule
        if let warmupEpochs = request.warmupEpochs {
            c.warmupSteps = Int((warmupEpochs * stepsPerEpoch).rounded())
        } else {
            // The recipe's warm-up never takes more than a tenth of a short run, so a quick
            // `--steps 50` still reaches the peak and anneals.
            c.warmupSteps = stored["warmup_steps"].flatMap(Int.init)
                ?? min(Int((recipe.warmupEpochs * stepsPerEpoch).rounded()), c.totalSteps / 10)
        }
        c.scheduleFloor = stored["schedule_floor"].flatMap(Float.init) ?? recipe.floor
        c.augmentation = request.augmentation
            ?? stored["augmentation"].map { $0 == "none" ? Augmentation.none : .standard }
            ?? recipe.augmentation
        // No recipe averages its weights or mixes images: only a flag, or a resumed run that
        // was started with one, does ("0" and a missing key both mean none).
        c.weightAverageDecay = pick(request.weightAverageDecay, Classifier.averageDecayKey, 0).nonZero
        c.mixup = Mixup(alpha: pick(request.mixupAlpha, "mixup_alpha", 0))
        return c
    }

    /// Epochs or steps asked for, else the run's stored total, else the recipe's epochs, else
    /// the seed chapter's 1001 steps.
    private static func totalSteps(_ request: TrainingRequest, stored: [String: String], recipe: TrainingRecipe,
                                   stepsPerEpoch: Double) -> Int {
        if let epochs = request.epochs { return max(1, Int((epochs * stepsPerEpoch).rounded(.up))) }
        if let steps = request.steps { return steps }
        if let total = stored["total_steps"].flatMap(Int.init) { return total }
        if let epochs = recipe.epochs { return max(1, Int((epochs * stepsPerEpoch).rounded(.up))) }
        return 1001
    }
}

private extension Float {
    /// nil for 0 (and below): "none" for settings where 0 turns a feature off.
    var nonZero: Float? { self > 0 ? self : nil }
}
