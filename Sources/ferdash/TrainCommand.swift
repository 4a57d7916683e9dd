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

    @Option(help: "Network: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Architecture = .seed

    @Option(help: "Total steps of the run (with --resume: continue until this total).")
    var steps: Int?

    @Option(help: "Train for this many passes over the training split instead of --steps.")
    var epochs: Double?

    @Option(help: "Images per step.")
    var batchSize = 128

    @Option(help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Weight of the seed's L2 term on the convolution weights and biases.")
    var l2: Float = 1e-2

    @Option(help: "Evaluate on the validation split (and save checkpoints) every N steps.")
    var evalEvery = 100

    @Option(help: "Seed of initialisation, dropout and batch order.")
    var seed: UInt64 = 0

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Where checkpoints and metrics go (default: runs/<UTC timestamp>; with --resume: the newest run).")
    var runDir: String?

    @Flag(help: "Continue the run in --run-dir from its latest checkpoint.")
    var resume = false

    @Flag(help: "Plain log lines instead of the dashboard.")
    var headless = false

    @OptionGroup var display: DisplayFlags

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let epochs, !(epochs > 0) { throw ValidationError("--epochs must be positive") }
        if batchSize < 1 || batchSize > 4096 { throw ValidationError("--batch-size must be 1...4096") }
        if evalEvery < 1 { throw ValidationError("--eval-every must be at least 1") }
        if !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
        if !(l2 >= 0) { throw ValidationError("--l2 must be zero or positive") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be 1...256") }
    }

    func run() throws {
        let dataset = try dataOptions.load()
        let configuration = try makeConfiguration(dataset: dataset)
        if headless || !isatty(STDOUT_FILENO).boolValue {
            try HeadlessTraining(dataset: dataset, configuration: configuration).run()
        } else {
            let status = try DashboardLauncher.train(dataset: dataset, configuration: configuration, display: display)
            if status != 0 { throw ExitCode(status) }
        }
    }

    func makeConfiguration(dataset: Dataset) throws -> TrainingConfiguration {
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
        var configuration = TrainingConfiguration(runDirectory: directory)
        configuration.architecture = arch
        configuration.hyperparameters = Hyperparameters(learningRate: learningRate, l2: l2)
        configuration.batchSize = batchSize
        configuration.evalEvery = evalEvery
        configuration.seed = seed
        configuration.threads = threads ?? defaultThreads()
        configuration.resume = resume
        if let epochs {
            let images = epochs * Double(dataset.train.count)
            configuration.totalSteps = max(1, Int((images / Double(batchSize)).rounded(.up)))
        } else {
            configuration.totalSteps = steps ?? 1001
        }
        if resume && !FileManager.default.fileExists(atPath: RunDirectory(path: directory).latestCheckpoint) {
            throw UsageError("--resume: \(directory) holds no \(RunDirectory.latestName) to continue from")
        }
        return configuration
    }
}

extension Int32 {
    var boolValue: Bool { self != 0 }
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
        case .paused, .resumed, .prediction:
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

    init(onStop: @escaping @Sendable () -> Void) {
        var count = 0
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                count += 1
                if count > 1 { exit(130) }
                FileHandle.standardError.write("\nferdash: stopping after this step (again to quit at once)\n")
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
