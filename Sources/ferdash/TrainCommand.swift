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

    @Option(help: "Network: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")). Default: \(TrainingRecipe.defaultArchitecture.rawValue) (with --resume: the run's own). Each brings its own defaults for the options below (vgg9, vgg8 and vgg7: 60 epochs within a 58-minute budget, AdamW 3e-3 (vgg8, vgg7: 2e-3) with warm-up + cosine, label smoothing 0.1, augmentation with random erasing; seed: the book chapter's 1001 steps, Adam 1e-3, no augmentation).")
    var arch: Architecture?

    @Option(help: "Total steps of the run (with --resume: continue until this total).")
    var steps: Int?

    @Option(help: "Train for this many passes over the training split instead of --steps.")
    var epochs: Double?

    @Option(help: "Finish within this many minutes of wall clock, data loading included: when the pace so far says the run would overrun, it is shortened and its learning-rate schedule with it. 0: no limit. Default: the recipe's when the run length is too (vgg9, vgg8 and vgg7: 58), else none.")
    var timeBudget: Double?

    @Option(help: "Images per step (default: the architecture's).")
    var batchSize: Int?

    @Option(help: "Adam learning rate; the peak of the schedule (default: the architecture's).")
    var learningRate: Float?

    @Option(help: "Learning-rate schedule: constant, or cosine (linear warm-up, then cosine to 0).")
    var schedule: LearningRateSchedule.Kind?

    @Option(help: "Warm-up length in epochs for --schedule cosine.")
    var warmupEpochs: Double?

    @Option(help: "Weight of the seed's L2 term on the convolution weights and biases.")
    var l2: Float?

    @Option(help: "Decoupled (AdamW) weight decay on weight tensors, scaled by the learning rate.")
    var weightDecay: Float?

    @Option(help: "Label smoothing ε (0 = plain cross-entropy).")
    var labelSmoothing: Float?

    @Option(help: "Training augmentation: standard (shift, rotation, zoom, mirror, brightness/contrast) or none.")
    var augment: AugmentChoice?

    @Option(help: "Decay per step of the weights' moving average, which validation and the best checkpoint use (default: none, the raw weights; 0.999 is a memory of about 1 000 steps).")
    var averageDecay: Float?

    @Option(help: "Mixup's α: blend training images and their labels in pairs, λ ~ Beta(α, α) per batch (0 = none, the default).")
    var mixup: Float?

    @Option(help: "Evaluate on the validation split (and save checkpoints) every N steps (default: seed 100, others once per epoch).")
    var evalEvery: Int?

    @Option(help: "Seed of initialisation, dropout, batch order and augmentation.")
    var seed: UInt64?

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Where checkpoints and metrics go (default: runs/<UTC timestamp>; with --resume: the newest run).")
    var runDir: String?

    @Flag(help: "Continue the run in --run-dir from its latest checkpoint.")
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
        if let timeBudget, !(timeBudget >= 0 && timeBudget < 1e6) { throw ValidationError("--time-budget must be minutes, 0 or more (0: no limit)") }
    }

    func run() throws {
        let launched = DispatchTime.now().uptimeNanoseconds   // the time budget counts loading too
        // Before the (slow) data: a wrong --compare is said at once.
        let comparisons = try loadComparisons(compare)
        let dataset = try dataOptions.load()
        let configuration = try makeConfiguration(dataset: dataset, launched: launched)
        if headless || !isatty(STDOUT_FILENO).boolValue {
            if !compare.isEmpty {
                FileHandle.standardError.write("ferdash: --compare is drawn by the dashboard; headless training ignores it (`ferdash watch RUN --compare …` shows it)\n")
            }
            try HeadlessTraining(dataset: dataset, configuration: configuration).run()
        } else {
            let status = try DashboardLauncher.train(dataset: dataset, configuration: configuration, display: display,
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
        var configuration = TrainingConfiguration.resolve(request, stored: resume ? storedSettings(directory) : [:],
                                                          runDirectory: directory, trainCount: dataset.train.count,
                                                          launched: launched, defaultThreads: defaultThreads())
        configuration.launch = dataOptions.launchRecord()
        return configuration
    }

    /// The flags, as the resolver in FERTraining takes them.
    var request: TrainingRequest {
        var r = TrainingRequest()
        r.architecture = arch
        r.steps = steps
        r.epochs = epochs
        r.timeBudgetMinutes = timeBudget
        r.batchSize = batchSize
        r.learningRate = learningRate
        r.schedule = schedule
        r.warmupEpochs = warmupEpochs
        r.l2 = l2
        r.weightDecay = weightDecay
        r.labelSmoothing = labelSmoothing
        r.augmentation = augment.map { $0 == .standard ? Augmentation.standard : .none }
        r.weightAverageDecay = averageDecay
        r.mixupAlpha = mixup
        r.evalEvery = evalEvery
        r.seed = seed
        r.threads = threads
        r.resume = resume
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
        print("Train size: \(dataset.train.count)")
        print("Validation size: \(dataset.validation.count)")
        print("Test size: \(dataset.test.count)")
        if configuration.architecture != .seed {
            // The seed's log stays as the book prints it; other recipes say what they run.
            let c = configuration, h = c.hyperparameters
            print("Recipe: \(c.architecture.rawValue), \(c.totalSteps) steps of \(c.batchSize), \(c.schedule.rawValue) lr \(h.learningRate) (warm-up \(c.warmupSteps) steps), weight decay \(h.weightDecay), label smoothing \(h.labelSmoothing), augmentation: \(c.augmentation.isNone ? "none" : c.augmentation.summary), weight average: \(c.weightAverageDecay.map { "decay \($0)" } ?? "none")\(c.mixup.isNone ? "" : ", mixup α \(c.mixup.alpha)")")
        }
        if let deadline = configuration.deadline {
            let minutes = Double(Int64(bitPattern: deadline &- DispatchTime.now().uptimeNanoseconds)) / 60e9
            print("Time budget: \(String(format: "%.1f", minutes)) minutes left; the run is shortened if its pace says it would overrun")
        }
        fflush(stdout)
        let outcome = Outcome()
        let session = TrainingSession(dataset: dataset, configuration: configuration) { event in
            HeadlessTraining.log(event, outcome: outcome)
        }
        let signals = StopSignals { session.stop() }
        session.start()
        session.wait(timeout: .infinity)
        withExtendedLifetime(signals) {}
        if let failure = outcome.failure { throw UsageError(failure) }
    }

    final class Outcome: @unchecked Sendable {
        var failure: String?
    }

    static func log(_ event: TrainingEvent, outcome: Outcome) {
        switch event {
        case .started(let info):
            if info.firstStep > 0 {
                print("Resuming \(info.runDirectory) from step \(info.firstStep) (until step \(info.totalSteps))")
            }
            print("Run directory: \(info.runDirectory)")
        case .step(let report):
            if report.step % 10 == 0 {
                print("Training Loss: \(formatted(Double(report.loss)))  (step \(report.step), epoch \(String(format: "%.2f", report.epoch)), lr \(report.learningRate), \(Int(report.imagesPerSecond)) img/s)")
            }
        case .evaluated(let report):
            print("\(timestamp()) Validation Loss: \(formatted(Double(report.validationLoss)))  (step \(report.step), accuracy \(String(format: "%.2f", report.accuracy * 100))%)")
        case .checkpointSaved(let report):
            if report.isBest { print("Saved best checkpoint: \(report.path)") }
        case .replanned(_, let reason):
            print("Replanned: \(reason)")
        case .paused, .resumed, .prediction, .saliency:
            break
        case .finished(let report):
            let how = report.stoppedEarly ? "Stopped" : "Finished"
            print("\(how) at step \(report.step) after \(String(format: "%.1f", report.elapsed)) s of training")
        case .failed(let message):
            outcome.failure = message
        }
        fflush(stdout)
    }

    /// Like the seed chapter's `datetime.now()`: local time with microseconds.
    static func timestamp() -> String {
        var now = timeval()
        gettimeofday(&now, nil)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(now.tv_usec))
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
