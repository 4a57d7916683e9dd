import ArgumentParser
import Dispatch
import FERData
import FERModel
import FERTraining
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network (the dashboard on a terminal; plain log lines with --headless or without one).")

    @OptionGroup var dataOptions: DataOptions

    // The flags that ask for a training setting: names and help from the schema
    // (FERTraining/TrainingSettings.swift), values into the request below.
    @Option(name: .customLong(TrainingFlags.arch.name), help: ArgumentHelp(TrainingFlags.arch.help))
    var arch: Architecture?

    @Option(name: .customLong(TrainingFlags.recipe.name), help: ArgumentHelp(TrainingFlags.recipe.help))
    var recipe: TrainingRecipe.Length?

    @Option(name: .customLong(TrainingFlags.steps.name), help: ArgumentHelp(TrainingFlags.steps.help))
    var steps: Int?

    @Option(name: .customLong(TrainingFlags.epochs.name), help: ArgumentHelp(TrainingFlags.epochs.help))
    var epochs: Double?

    @Option(name: .customLong(TrainingFlags.timeBudget.name), help: ArgumentHelp(TrainingFlags.timeBudget.help))
    var timeBudget: Double?

    @Option(name: .customLong(TrainingFlags.batchSize.name), help: ArgumentHelp(TrainingFlags.batchSize.help))
    var batchSize: Int?

    @Option(name: .customLong(TrainingFlags.learningRate.name), help: ArgumentHelp(TrainingFlags.learningRate.help))
    var learningRate: Float?

    @Option(name: .customLong(TrainingFlags.schedule.name), help: ArgumentHelp(TrainingFlags.schedule.help))
    var schedule: LearningRateSchedule.Kind?

    @Option(name: .customLong(TrainingFlags.warmupEpochs.name), help: ArgumentHelp(TrainingFlags.warmupEpochs.help))
    var warmupEpochs: Double?

    @Option(name: .customLong(TrainingFlags.l2.name), help: ArgumentHelp(TrainingFlags.l2.help))
    var l2: Float?

    @Option(name: .customLong(TrainingFlags.weightDecay.name), help: ArgumentHelp(TrainingFlags.weightDecay.help))
    var weightDecay: Float?

    @Option(name: .customLong(TrainingFlags.labelSmoothing.name), help: ArgumentHelp(TrainingFlags.labelSmoothing.help))
    var labelSmoothing: Float?

    @Option(name: .customLong(TrainingFlags.augment.name), help: ArgumentHelp(TrainingFlags.augment.help))
    var augment: AugmentChoice?

    @Option(name: .customLong(TrainingFlags.averageDecay.name), help: ArgumentHelp(TrainingFlags.averageDecay.help))
    var averageDecay: Float?

    @Option(name: .customLong(TrainingFlags.mixup.name), help: ArgumentHelp(TrainingFlags.mixup.help))
    var mixup: Float?

    @Option(name: .customLong(TrainingFlags.teachers.name), help: ArgumentHelp(TrainingFlags.teachers.help))
    var teacher: [String] = []

    @Option(name: .customLong(TrainingFlags.distillWeight.name), help: ArgumentHelp(TrainingFlags.distillWeight.help))
    var distillWeight: Float?

    @Option(name: .customLong(TrainingFlags.distillTemperature.name), help: ArgumentHelp(TrainingFlags.distillTemperature.help))
    var distillTemperature: Float?

    @Option(name: .customLong(TrainingFlags.evalEvery.name), help: ArgumentHelp(TrainingFlags.evalEvery.help))
    var evalEvery: Int?

    @Option(name: .customLong(TrainingFlags.seed.name), help: ArgumentHelp(TrainingFlags.seed.help))
    var seed: UInt64?

    @Option(name: .customLong(TrainingFlags.threads.name), help: ArgumentHelp(TrainingFlags.threads.help))
    var threads: Int?

    @Option(help: "Where checkpoints and metrics go (default: runs/<UTC timestamp>; with --resume: the newest run).")
    var runDir: String?

    @Flag(name: .customLong(TrainingFlags.resume.name), help: ArgumentHelp(TrainingFlags.resume.help))
    var resume = false

    @Flag(help: "Plain log lines instead of the dashboard.")
    var headless = false

    @Option(name: .customLong("compare"), help: "Overlay this earlier run's validation loss and accuracy on the Loss panel, aligned by epoch (repeatable).")
    var compare: [String] = []

    @OptionGroup var display: DisplayFlags

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let epochs, !(epochs > 0) { throw ValidationError("--epochs must be positive") }
        if let batchSize, batchSize < 1 || batchSize > 4096 { throw ValidationError("--batch-size must be 1...4096") }
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be at least 1") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if let l2, !(l2 >= 0) { throw ValidationError("--l2 must be zero or positive") }
        if let weightDecay, !(weightDecay >= 0 && weightDecay < 100) { throw ValidationError("--weight-decay must be zero or positive") }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 1) { throw ValidationError("--label-smoothing must be in [0, 1)") }
        if let averageDecay, !(averageDecay >= 0 && averageDecay < 1) { throw ValidationError("--average-decay must be in [0, 1) (0: no average)") }
        if let mixup, !(mixup >= 0 && mixup <= 10) { throw ValidationError("--mixup must be in [0, 10] (0: none)") }
        if let warmupEpochs, !(warmupEpochs >= 0) { throw ValidationError("--warmup-epochs must be zero or positive") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be 1...256") }
        if let distillWeight, !(distillWeight > 0 && distillWeight <= 1) { throw ValidationError("--distill-weight must be in (0, 1]") }
        if let distillTemperature, !(distillTemperature > 0 && distillTemperature <= 100) { throw ValidationError("--distill-temperature must be in (0, 100]") }
        if teacher.isEmpty && !resume && (distillWeight != nil || distillTemperature != nil) {
            throw ValidationError("--distill-weight and --distill-temperature need --teacher")
        }
        if let timeBudget, !(timeBudget >= 0 && timeBudget < 1e6) { throw ValidationError("--time-budget must be minutes, 0 or more (0: no limit)") }
    }

    func run() throws {
        let launched = DispatchTime.now().uptimeNanoseconds   // the time budget counts loading too
        // Before the (slow) data: a wrong --compare is said at once.
        let comparisons = try loadComparisons(compare)
        _ = try teacherFiles()   // a wrong --teacher too
        let dataset = try dataOptions.load()
        let configuration = try makeConfiguration(dataset: dataset, launched: launched)
        if headless || !isatty(STDOUT_FILENO).boolValue {
            if !compare.isEmpty {
                FileHandle.standardError.write("ferdash: --compare is drawn by the dashboard; headless training ignores it (`ferdash watch RUN --compare …` shows it)\n")
            }
            try HeadlessTraining(dataset: dataset, configuration: configuration).run()
        } else {
            let status = runTrainingDashboard(dataset: dataset, configuration: configuration, options: display.options,
                                              comparisons: comparisons)
            if status != 0 { throw ExitCode(status) }
        }
    }

    func makeConfiguration(dataset: Dataset, launched: UInt64 = DispatchTime.now().uptimeNanoseconds) throws -> TrainingConfiguration {
        let directory: String
        if let runDir {
            directory = runDir
        } else if resume {
            guard let newest = RunDirectory.newestRun(under: "runs") else {
                throw UsageError("--resume: no run with a checkpoint under ./runs; name one with --run-dir")
            }
            directory = newest
        } else {
            directory = RunDirectory.timestamped()
        }
        if resume && !FileManager.default.fileExists(atPath: RunDirectory(path: directory).latestCheckpoint) {
            throw UsageError("--resume: \(directory) holds no \(RunDirectory.latestName) to continue from")
        }
        // A new run would write over the checkpoints of the one already there.
        if !resume, let existing = RunDirectory(path: directory).checkpointNames.first {
            throw UsageError("\(directory) already holds a run (\(existing)); continue it with --resume, or give another --run-dir")
        }
        var configuration = TrainingConfiguration.resolve(request, stored: resume ? storedSettings(directory) : [:],
                                                          runDirectory: directory, trainCount: dataset.train.count,
                                                          launched: launched, defaultThreads: defaultThreads())
        if configuration.recipe == .long && configuration.architecture == .seed {
            throw UsageError("--recipe long is a recipe of vgg9, vgg8 and vgg7; the seed network has only the book chapter's")
        }
        configuration.launch = dataOptions.launchRecord()
        return configuration
    }

    /// The teachers' checkpoint files (a run directory gives its best), as absolute paths: the
    /// run stores them, and a resumed run may start from another directory.
    func teacherFiles() throws -> [String] {
        try teacher.map { given in
            let file = try RunDirectory.resolveModel(given)
            return file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        }
    }

    /// The flags, as the resolver in FERTraining takes them.
    var request: TrainingRequest {
        var r = TrainingRequest()
        r[TrainingFlags.arch] = arch
        r[TrainingFlags.recipe] = recipe
        r[TrainingFlags.steps] = steps
        r[TrainingFlags.epochs] = epochs
        r[TrainingFlags.timeBudget] = timeBudget
        r[TrainingFlags.batchSize] = batchSize
        r[TrainingFlags.learningRate] = learningRate
        r[TrainingFlags.schedule] = schedule
        r[TrainingFlags.warmupEpochs] = warmupEpochs
        r[TrainingFlags.l2] = l2
        r[TrainingFlags.weightDecay] = weightDecay
        r[TrainingFlags.labelSmoothing] = labelSmoothing
        r[TrainingFlags.augment] = augment.map { $0 == .standard ? Augmentation.standard : .none }
        r[TrainingFlags.averageDecay] = averageDecay
        r[TrainingFlags.mixup] = mixup
        r[TrainingFlags.teachers] = teacher.isEmpty ? nil : (try? teacherFiles()) ?? teacher
        r[TrainingFlags.distillWeight] = distillWeight
        r[TrainingFlags.distillTemperature] = distillTemperature
        r[TrainingFlags.evalEvery] = evalEvery
        r[TrainingFlags.seed] = seed
        r[TrainingFlags.threads] = threads
        r[TrainingFlags.resume] = resume
        r.command = shellCommand(CommandLine.arguments)
        return r
    }
}

/// The arguments as one shell-ready line: `ferdash` and each argument, quoted where needed.
func shellCommand(_ arguments: [String]) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    let words = ["ferdash"] + arguments.dropFirst()
    return words.map { word in
        !word.isEmpty && word.allSatisfy(safe.contains) ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

extension Int32 {
    var boolValue: Bool { self != 0 }
}

enum AugmentChoice: String, ExpressibleByArgument, CaseIterable {
    case standard
    case off = "none"   // not `none`: that would read as Optional.none in a switch
}

extension LearningRateSchedule.Kind: ExpressibleByArgument {}
extension TrainingRecipe.Length: ExpressibleByArgument {}

/// The settings a run was started with (its latest checkpoint's metadata), or none.
func storedSettings(_ directory: String) -> [String: String] {
    let path = RunDirectory(path: directory).latestCheckpoint
    guard let (_, metadata) = try? RunDirectory.loadCheckpoint(path, engine: Engine(threads: 1)) else { return [:] }
    return metadata
}

/// Training with the seed chapter's log lines on stdout; Ctrl-C or SIGTERM stops cleanly (a
/// checkpoint is written), a second Ctrl-C exits at once.
struct HeadlessTraining {
    let dataset: Dataset
    let configuration: TrainingConfiguration

    func run() throws {
        let log = TrainingLog { text in
            print(text, terminator: "")
            fflush(nil)   // every stream: the C `stdout` global is not concurrency-safe to name in Swift 6
        }
        log.begin(dataset: dataset, configuration: configuration, now: DispatchTime.now().uptimeNanoseconds)
        let session = TrainingSession(dataset: dataset, configuration: configuration, sink: { log.record($0) })
        let signals = StopSignals { session.stop() }
        session.start()
        session.wait(timeout: .infinity)
        withExtendedLifetime(signals) {}
        if let failure = log.failure { throw UsageError(failure) }
    }
}

/// SIGINT/SIGTERM → a clean stop; a second signal ends the process at once.
final class StopSignals {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "ferdash.signals")

    init(message: String = "stopping after this step", onStop: @escaping @Sendable () -> Void) {
        var count = 0
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                count += 1
                if count > 1 { exit(130) }
                FileHandle.standardError.write("\nferdash: \(message) (again to quit at once)\n")
                onStop()
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
