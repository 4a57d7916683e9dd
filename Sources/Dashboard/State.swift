import FERData
import FERTraining
import TermUI

public enum Phase: Equatable, Sendable {
    /// Training requested but `.started` not yet received.
    case starting
    case running
    case paused
    case finished(stoppedEarly: Bool)
    case failed(String)
    /// No training in this process (ferdash browse).
    case browsing

    /// The word shown in the status panel (the e2e test looks for these).
    public var word: String {
        switch self {
        case .starting: return "starting"
        case .running: return "running"
        case .paused: return "paused"
        case .finished: return "finished"
        case .failed: return "failed"
        case .browsing: return "browse"
        }
    }
    /// Training is live: quitting must stop it and wait for the checkpoint.
    public var isLive: Bool { self == .starting || self == .running || self == .paused }
}

/// What the Sample panel shows.
public enum SampleSource: Equatable, Sendable {
    case dataset(SplitName, Int)
    case file(String)
}

public enum Overlay: Equatable, Sendable {
    case none
    case help
    case prompt(TextField)
    case confirmQuit
}

public struct EvalPoint: Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public var accuracy: Double
}

/// Everything the screen shows, as plain values. Only `reduce` changes it.
public struct AppState {
    public var dataset: Dataset
    public var hasModel: Bool
    public var phase: Phase
    public var info: SessionInfo?
    public var lastStep: StepReport?
    public var firstStepSeen: Int?
    /// Every training loss (never dropped: the chart downsamples at draw time).
    public var lossSteps: [Int] = []
    public var losses: [Float] = []
    public var evals: [EvalPoint] = []
    public var latestEval: EvaluationReport?
    public var lastCheckpoint: CheckpointReport?
    public var finish: FinishReport?

    /// Smoothing weight in hundredths (TensorBoard's default 0.6).
    public var smoothingPercent = 60
    public var logY = false
    public var confusionPercent = false

    public var split: SplitName
    public var position = 0
    public var misclassifiedOnly = false

    public var file: FilePrediction?
    public var fileError: String?
    public var showing: SampleSource { file.map { .file($0.path) } ?? .dataset(currentSplit, currentIndex ?? -1) }

    public var nextTag = 1
    public var requestedTag: Int?
    public var requestedFor: SampleSource?
    public var probabilities: [Float]?
    public var probabilitiesFor: SampleSource?

    public var overlay: Overlay = .none
    public var message: String?
    public var messageIsError = false
    public var completions: [String] = []

    /// Space was pressed; the session confirms with `.paused` after its current batch.
    public var pauseRequested = false
    public var quitting = false
    public var quitStartedAt: Double?
    public var quitTimeout = 30.0
    public var now = 0.0
    public var exitCode: Int32?

    public init(dataset: Dataset, training: Bool, hasModel: Bool) {
        self.dataset = dataset
        self.hasModel = hasModel
        phase = training ? .starting : .browsing
        // Start on a split that has images.
        split = SplitName.allCases.first { !dataset[$0].isEmpty } ?? .train
    }

    public var smoothing: Double { Double(smoothingPercent) / 100 }

    /// The misclassified filter reads validation indices from the latest evaluation.
    public var currentSplit: SplitName { misclassifiedOnly ? .validation : split }

    /// Dataset indices the arrows walk through.
    public var browseCount: Int {
        if misclassifiedOnly { return misclassifiedIndices.count }
        return dataset[split].count
    }
    public var misclassifiedIndices: [Int] {
        let n = dataset.validation.count
        return (latestEval?.misclassified ?? []).filter { $0 >= 0 && $0 < n }
    }
    public var currentIndex: Int? {
        let n = browseCount
        guard n > 0 else { return nil }
        let p = max(0, min(n - 1, position))
        return misclassifiedOnly ? misclassifiedIndices[p] : p
    }
}

public enum Action {
    case key(Key)
    case event(TrainingEvent)
    /// Once per loop tick with a monotonic time in seconds.
    case tick(now: Double)
    /// The loop started (first frame): ask for the first prediction.
    case appeared
    case fileLoaded(path: String, result: Result<FilePrediction, FileLoadError>)
    case completions(for: String, candidates: [String])
    /// SIGTERM/SIGINT from outside: stop training cleanly without asking; twice exits at once.
    case terminate
}

public struct FileLoadError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Work the reducer asks the loop to do (the reducer itself never does I/O).
public enum Effect: Equatable {
    case pause
    case resume
    case stop
    case saveCheckpoint
    case requestPrediction(pixels: [UInt8], tag: Int)
    case loadFile(String)
    case completePath(String)
    case redraw
    case exit(Int32)
}
