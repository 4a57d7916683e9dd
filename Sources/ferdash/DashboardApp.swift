import ArgumentParser
import Dashboard
import FERData
import FERModel
import FERTraining
import ImagePrediction
import Foundation
import TermUI
import TermUINcurses

/// Everything the live dashboard needs; the command-line layer builds it.
struct DashboardEnvironment {
    var dataset: Dataset
    /// nil in browse mode without a model.
    var control: DashboardSessionControl?
    /// The session's sink posts here; the UI loop drains it each tick.
    var mailbox: EventMailbox
    /// Loads and preprocesses an image file into the 48×48 pixels the network sees (plus a note).
    /// The probabilities come back later as a `.prediction` event after `control.requestPrediction`.
    var predictFile: (String) -> Result<FilePrediction, Error>
    var options: DisplayOptions
    /// True when a training session runs behind `control` (quitting must stop it and wait).
    var training: Bool
    /// How long `q` waits for `.finished` after `stop()` before leaving anyway.
    var quitTimeout: Double = 60
    /// Called once the terminal is ready (e.g. `session.start()`), so nothing starts when the
    /// terminal cannot show the dashboard.
    var onReady: (() -> Void)?
    /// `watch`: actions from the run watcher, and the run's status to start with.
    var feed: ActionInbox?
    var watch: WatchStatus?
    /// Runs overlaid on the Loss panel (`--compare`).
    var comparisons: [ComparedRun] = []

    init(dataset: Dataset, control: DashboardSessionControl?, mailbox: EventMailbox,
         predictFile: @escaping (String) -> Result<FilePrediction, Error>,
         options: DisplayOptions, training: Bool, quitTimeout: Double = 60, onReady: (() -> Void)? = nil) {
        self.dataset = dataset
        self.control = control
        self.mailbox = mailbox
        self.predictFile = predictFile
        self.options = options
        self.training = training
        self.quitTimeout = quitTimeout
        self.onReady = onReady
    }
}

/// Runs the dashboard on the calling (main) thread until the person quits.
/// Returns the exit status; the terminal is restored on every path out.
func runDashboard(_ env: DashboardEnvironment) -> Int32 {
    let term: NcursesTerminal
    do {
        term = try NcursesTerminal(noColor: env.options.noColor, ascii: env.options.ascii, mouse: env.options.mouse)
    } catch {
        FileHandle.standardError.write(Data("ferdash: \(error)\n".utf8))
        return 1
    }
    defer { term.shutdown() }
    env.onReady?()
    var loop = DashboardLoop(terminal: term, dataset: env.dataset, control: env.control, mailbox: env.mailbox,
                             predictFile: env.predictFile, training: env.training, quitTimeout: env.quitTimeout,
                             feed: env.feed, watch: env.watch, comparisons: env.comparisons)
    return loop.run()
}

// MARK: - Wiring helpers for the command layer

/// Image file → the 48×48 input and a note, through the same face preparation as `ferdash predict`.
/// Without a usable face cascade it still predicts, on the centre crop, and says so.
func dashboardFilePredictor() -> (String) -> Result<FilePrediction, Error> {
    var fallbackNote = ""
    var preparer: FacePreparer?
    do {
        preparer = try FacePreparer(options: FaceOptions.parse([]))
    } catch {
        fallbackNote = "face detection unavailable (\(error)); centre crop"
        preparer = try? FacePreparer(options: FaceOptions.parse(["--no-detect"]))
    }
    return { path in
        guard let preparer else { return .failure(FileLoadError("face preparation unavailable")) }
        do {
            let prepared = try preparer.prepare(path: path)
            // The largest face is what a person means by "this photo".
            guard let face = prepared.faces.max(by: { ($0.box?.width ?? 0) < ($1.box?.width ?? 0) }) else {
                return .failure(FileLoadError("\(path): no face to predict on"))
            }
            var note = prepared.note ?? fallbackNote
            if note.isEmpty, let b = face.box { note = "face at \(b.x),\(b.y) \(b.width)×\(b.height) of \(prepared.width)×\(prepared.height)" }
            if prepared.faces.count > 1 { note += note.isEmpty ? "\(prepared.faces.count) faces, largest shown" : "; \(prepared.faces.count) faces, largest shown" }
            return .success(FilePrediction(path: path, pixels: face.pixels, note: note))
        } catch {
            return .failure(error)
        }
    }
}

/// `ferdash` / `ferdash train` on a terminal: trains behind the dashboard. Returns the exit status.
func runTrainingDashboard(dataset: Dataset, configuration: TrainingConfiguration, options: DisplayOptions,
                          comparisons: [ComparedRun] = []) -> Int32 {
    let mailbox = EventMailbox()
    let session = TrainingSession(dataset: dataset, configuration: configuration) { mailbox.post($0) }
    var started = false
    var env = DashboardEnvironment(dataset: dataset, control: session, mailbox: mailbox,
                                   predictFile: dashboardFilePredictor(), options: options, training: true,
                                   onReady: { started = true; session.start() })
    env.comparisons = comparisons
    let status = runDashboard(env)
    // q/Ctrl-C already waited for `finished`; this only matters when the wait timed out.
    if started { session.wait(timeout: 5) }
    session.close()
    return status
}

/// `ferdash browse`: the dataset without training; predictions when a model is given, with the
/// model's scores on each split as it comes on screen and the training curves of its run.
func runBrowseDashboard(dataset: Dataset, model: (Classifier, checkpoint: String)?, options: DisplayOptions) -> Int32 {
    let mailbox = EventMailbox()
    let session = model.map { TrainingSession.serving($0.0, dataset: dataset) { mailbox.post($0) } }
    // Validation first, as the session starts; the reducer asks for the other splits on screen.
    session?.requestEvaluation(of: .validation)
    var env = DashboardEnvironment(dataset: dataset, control: session, mailbox: mailbox,
                                   predictFile: dashboardFilePredictor(), options: options, training: false)
    if let checkpoint = model?.checkpoint {
        // The run's metrics are small, but a long run's take a moment to parse: not on the UI thread.
        let feed = ActionInbox()
        DispatchQueue.global(qos: .userInitiated).async { feed.post(.history(modelHistory(checkpoint: checkpoint))) }
        env.feed = feed
    }
    let status = runDashboard(env)
    session?.close()
    return status
}
