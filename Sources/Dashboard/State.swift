import Foundation
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

/// `ferdash watch`: the run is written by another process; this one only reads it.
/// The watcher (I/O side) builds it from the run's files and posts it whenever it changes.
public struct WatchStatus: Equatable, Sendable {
    /// The run directory as given.
    public var run: String
    public var state: RunState
    /// When the metrics file was last written, and when that was checked (for "written 3s ago").
    public var lastWrite: Date?
    public var checkedAt: Date
    /// Who writes the run: "pid 123 on host", when recorded.
    public var trainer: String?
    /// Corrupt metrics lines so far, and the first one's description (line number and reason).
    public var problemCount = 0
    public var firstProblem: String?
    /// Why the Sample panel has nothing to browse (dataset gone, not recorded…), if so.
    public var datasetNote: String?
    /// Step of the checkpoint predictions come from; nil while the run has none.
    public var checkpointStep: Int?
    /// Why a file of the run could not be read (the newest checkpoint, the metrics), if so.
    public var fileNote: String?
    /// Clock times ("stale since 22:41:05") are shown in this zone (tests fix it).
    public var timeZone: TimeZone
    public init(run: String, state: RunState, lastWrite: Date?, checkedAt: Date, timeZone: TimeZone = .current) {
        self.run = run; self.state = state; self.lastWrite = lastWrite; self.checkedAt = checkedAt; self.timeZone = timeZone
    }
}

/// Another run overlaid on the Loss panel (`--compare`): its validation results by epoch, so
/// runs of different batch sizes or dataset sizes line up.
public struct ComparedRun: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        public var epoch: Double
        public var loss: Double
        public var accuracy: Double
        public init(epoch: Double, loss: Double, accuracy: Double) { self.epoch = epoch; self.loss = loss; self.accuracy = accuracy }
    }
    public var name: String
    public var points: [Point]
    public init(name: String, points: [Point]) { self.name = name; self.points = points }
    public var bestAccuracy: Double? { points.map(\.accuracy).max() }
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
    /// The latest evaluation of each split. Training evaluates validation only; browsing with a
    /// model scores each split once, when it comes on screen.
    public var evaluations: [SplitName: EvaluationReport] = [:]
    /// The latest validation evaluation (what training reports).
    public var latestEval: EvaluationReport? {
        get { evaluations[.validation] }
        set { evaluations[.validation] = newValue }
    }
    /// Splits asked of the session (`Effect.evaluate`) whose report has not come yet.
    public var evaluating: Set<SplitName> = []
    /// Browsing with a model whose run left no training curves: why the Loss panel is empty.
    public var historyNote: String?
    public var lastCheckpoint: CheckpointReport?
    public var finish: FinishReport?
    /// The time budget's plan (its length follows any later re-plan), for the Status panel.
    public var plan: BudgetPlan?

    /// Smoothing weight in hundredths (TensorBoard's default 0.6).
    public var smoothingPercent = 60
    public var logY = false
    public var confusionPercent = false

    public var split: SplitName
    public var position = 0
    /// Which samples the arrows walk: the whole split, or those a filter keeps (`m`, Enter on
    /// a confusion cell, `1`–`7`).
    public var filter: SampleFilter?
    public var misclassifiedOnly: Bool {
        get { filter == .misclassified }
        set { filter = newValue ? .misclassified : nil }
    }
    /// Tab: which panel the arrows and Enter act on.
    public var focus: Focus = .sample
    /// The confusion cell under the cursor while that panel has the focus.
    public var confusionCursor = ConfusionCell(truth: 0, predicted: 0)
    /// `g`: the browsed samples as a grid of faces (the selection is `position`); nil when closed.
    public var gallery: GalleryReturn?
    /// The terminal as last measured: the gallery's rows and what a click hits depend on it.
    public var screen = ScreenInfo(width: 0, height: 0, caps: .full)
    /// Where the panels are on that screen (as `DashboardView.draw` places them).
    var layout: DashboardLayout { DashboardLayout(width: screen.width, height: screen.height, planLine: plan != nil) }

    public var file: FilePrediction?
    public var fileError: String?
    public var showing: SampleSource { file.map { .file($0.path) } ?? .dataset(currentSplit, currentIndex ?? -1) }

    public var nextTag = 1
    public var requestedTag: Int?
    public var requestedFor: SampleSource?
    public var probabilities: [Float]?
    public var probabilitiesFor: SampleSource?
    /// `x`: the Sample panel draws the saliency map of the predicted class over the face.
    public var saliencyShown = false
    public var saliency: SaliencyMap?
    public var saliencyFor: SampleSource?

    /// Set in `ferdash watch`: another process trains; this one never controls it.
    public var watch: WatchStatus?
    /// Runs overlaid on the Loss panel, in their legend order.
    public var comparisons: [ComparedRun] = []

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

    /// Training runs in this process: quitting must stop it, pause and save reach it.
    public var controlsTraining: Bool { watch == nil && phase.isLive }
    /// Steps are still coming (in this process or, watched, in another one): ETA makes sense.
    public var progressing: Bool { watch.map { $0.state == .running } ?? phase.isLive }

    /// The split whose evaluation the Confusion panel, `m` and a cell's samples read: the one on
    /// screen when browsing (each is scored when it comes on screen), else validation (the only
    /// split training evaluates).
    public var evaluatedSplit: SplitName { phase == .browsing ? split : .validation }
    /// The evaluation of `evaluatedSplit`, once there is one.
    public var shownEval: EvaluationReport? { evaluations[evaluatedSplit] }

    /// Filters on an evaluation read indices of the evaluated split.
    public var currentSplit: SplitName { filter?.readsEvaluation == true ? evaluatedSplit : split }

    /// Dataset indices the arrows walk through (nil: every index of the split).
    public var filteredIndices: [Int]? {
        guard let filter else { return nil }
        switch filter {
        case .misclassified: return misclassifiedIndices
        case .cell(let cell):
            let labels = dataset[evaluatedSplit].labels
            guard let predicted = evaluatedPredictions else { return [] }
            return labels.indices.filter { Int(labels[$0]) == cell.truth && Int(predicted[$0]) == cell.predicted }
        case .trueClass(let c):
            let labels = dataset[split].labels
            return labels.indices.filter { Int(labels[$0]) == c }
        }
    }

    /// Each sample's class of the evaluated split as its evaluation predicted it; nil when none
    /// listed them (no evaluation yet, or a watched run, whose metrics hold only the matrix).
    public var evaluatedPredictions: [Int8]? {
        guard let p = shownEval?.predicted, !p.isEmpty, p.count == dataset[evaluatedSplit].count else { return nil }
        return p
    }

    public var browseCount: Int { filteredIndices?.count ?? dataset[split].count }
    public var misclassifiedIndices: [Int] {
        let n = dataset[evaluatedSplit].count
        return (shownEval?.misclassified ?? []).filter { $0 >= 0 && $0 < n }
    }
    public var currentIndex: Int? {
        let indices = filteredIndices
        let n = indices?.count ?? dataset[split].count
        guard n > 0 else { return nil }
        let p = max(0, min(n - 1, position))
        return indices.map { $0[p] } ?? p
    }
}

public enum Action: Sendable {
    case key(Key)
    case event(TrainingEvent)
    /// Once per loop tick with a monotonic time in seconds.
    case tick(now: Double)
    /// The loop started (first frame): ask for the first prediction.
    case appeared
    case fileLoaded(path: String, result: Result<FilePrediction, FileLoadError>)
    case completions(for: String, candidates: [String])
    /// `ferdash watch`: the run's state, files and problems as last read.
    case watch(WatchStatus)
    /// SIGTERM/SIGINT from outside: stop training cleanly without asking; twice exits at once.
    case terminate
    /// The terminal's size and capabilities, at the start and after every resize.
    case screen(ScreenInfo)
    /// A click or wheel turn at a cell of the screen.
    case mouse(MouseEvent)
    /// Browsing with a model: the training curves of the run it came from, or why there are none.
    case history(ModelHistory)
}

public struct ScreenInfo: Equatable, Sendable {
    public var width: Int, height: Int
    public var caps: Capabilities
    public init(width: Int, height: Int, caps: Capabilities) { self.width = width; self.height = height; self.caps = caps }
}

/// Where `g` or Esc takes the Sample panel back to when the gallery closes: the sample shown
/// before it opened, unless the split or filter changed meanwhile.
public struct GalleryReturn: Equatable, Sendable {
    public var split: SplitName
    public var filter: SampleFilter?
    public var position: Int
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
    case requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool)
    /// Score the model on a split (browsing); answered by an `.evaluated` event for it.
    case evaluate(SplitName)
    case loadFile(String)
    case completePath(String)
    case redraw
    case exit(Int32)
}

/// Where the network looked for one image (`Classifier.saliency`): 48×48 values in 0...1 for
/// the class it predicted.
public struct SaliencyMap: Equatable, Sendable {
    public var classIndex: Int
    public var values: [Float]
    public init(classIndex: Int, values: [Float]) { self.classIndex = classIndex; self.values = values }
}

/// A cell of the confusion matrix: row = true class, column = predicted class.
public struct ConfusionCell: Equatable, Sendable {
    public var truth: Int
    public var predicted: Int
    public init(truth: Int, predicted: Int) { self.truth = truth; self.predicted = predicted }
}

public enum Focus: Equatable, Sendable {
    case sample, confusion
}

/// What the sample browser shows instead of the whole split.
public enum SampleFilter: Equatable, Sendable {
    /// Samples of the evaluated split its evaluation got wrong (`m`).
    case misclassified
    /// Samples of the evaluated split of true class `truth` predicted as `predicted` (Enter on a
    /// confusion cell).
    case cell(ConfusionCell)
    /// Samples of the current split whose true class is this one (`1`–`7`).
    case trueClass(Int)

    var readsEvaluation: Bool { if case .trueClass = self { return false }; return true }

    /// The Sample panel's title words, e.g. "filter: true anger → pred sad".
    public func title(names: [String], unicode: Bool) -> String {
        switch self {
        case .misclassified: return "filter: misclassified"
        case .cell(let c): return "filter: true \(names[c.truth]) \(unicode ? "→" : "->") pred \(names[c.predicted])"
        case .trueClass(let c): return "filter: true \(names[c])"
        }
    }
}
