import ArgumentParser
import Dashboard
import FERData
import FERModel
import FERTraining
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

    init(dataset: Dataset, control: DashboardSessionControl?, mailbox: EventMailbox,
         predictFile: @escaping (String) -> Result<FilePrediction, Error>,
         options: DisplayOptions, training: Bool, quitTimeout: Double = 60) {
        self.dataset = dataset
        self.control = control
        self.mailbox = mailbox
        self.predictFile = predictFile
        self.options = options
        self.training = training
        self.quitTimeout = quitTimeout
    }
}

/// Runs the dashboard on the calling (main) thread until the person quits.
/// Returns the exit status; the terminal is restored on every path out.
func runDashboard(_ env: DashboardEnvironment) -> Int32 {
    let term: NcursesTerminal
    do {
        term = try NcursesTerminal(noColor: env.options.noColor, ascii: env.options.ascii)
    } catch {
        FileHandle.standardError.write(Data("ferdash: \(error)\n".utf8))
        return 1
    }
    defer { term.shutdown() }
    var loop = DashboardLoop(env: env, term: term)
    return loop.run()
}

/// The UI loop: one thread owns every curses call. Each tick reads keys (getch with a timeout),
/// drains the mailbox, reduces, executes effects and presents one diffed frame.
struct DashboardLoop {
    let env: DashboardEnvironment
    let term: NcursesTerminal
    let presenter: FramePresenter
    var state: AppState
    var exitCode: Int32?
    var dirty = true
    /// A key was pressed: answer it in this tick rather than at the next render slot.
    var urgent = true
    var lastRender = -1.0
    /// Training events alone redraw at most this often, so the UI leaves the CPU to training.
    static let eventFrameInterval = 0.1
    /// Coalesced per tick: while arrows are held only the last sample's prediction is requested.
    var pendingPrediction: (pixels: [UInt8], tag: Int)?
    let clock = Date()

    /// A frame every 50 ms at most (~20 Hz); keys are answered in the same tick they arrive.
    static let tickMs: Int32 = 50

    init(env: DashboardEnvironment, term: NcursesTerminal) {
        self.env = env
        self.term = term
        presenter = FramePresenter(backend: term)
        state = AppState(dataset: env.dataset, training: env.training, hasModel: env.control != nil)
        state.quitTimeout = env.quitTimeout
    }

    mutating func dispatch(_ action: Action) {
        let (next, effects) = reduce(state, action)
        state = next
        for e in effects { perform(e) }
    }

    mutating func perform(_ effect: Effect) {
        switch effect {
        case .pause: env.control?.pause()
        case .resume: env.control?.resume()
        case .stop: env.control?.stop()
        case .saveCheckpoint: env.control?.saveCheckpointNow()
        case .requestPrediction(let pixels, let tag): pendingPrediction = (pixels, tag)
        case .loadFile(let path):
            let expanded = PathCompletion.expandTilde(path)
            let result: Result<FilePrediction, FileLoadError>
            if !FileManager.default.fileExists(atPath: expanded) {
                result = .failure(FileLoadError("\(path): no such file"))
            } else {
                switch env.predictFile(expanded) {
                case .success(let fp): result = .success(fp)
                case .failure(let err): result = .failure(FileLoadError("\(err)"))
                }
            }
            dispatch(.fileLoaded(path: path, result: result))
        case .completePath(let typed):
            dispatch(.completions(for: typed, candidates: PathCompletion.candidates(for: typed)))
        case .redraw: presenter.invalidate()
        case .exit(let code): exitCode = code
        }
        dirty = true
    }

    var now: Double { Date().timeIntervalSince(clock) }

    mutating func run() -> Int32 {
        var lastSize = term.size
        dispatch(.appeared)
        while exitCode == nil {
            // 1. Keys: wait up to one tick for the first, then take whatever else is queued.
            var key = term.readKey(timeoutMs: Self.tickMs)
            var taken = 0
            while let k = key, exitCode == nil {
                if k == .resize { presenter.invalidate() } else { dispatch(.key(k)) }
                dirty = true
                urgent = true
                taken += 1
                key = taken < 64 ? term.readKey(timeoutMs: 0) : nil
            }
            // 2. Signals from outside (kill, hang-up): stop cleanly like a confirmed quit.
            if term.takeSignal() != 0 { dispatch(.terminate) }
            // 3. Training events: all of them reduce (every loss is kept), the screen renders once.
            let events = env.mailbox.drain()
            for e in events { dispatch(.event(e)) }
            if !events.isEmpty { dirty = true }
            dispatch(.tick(now: now))
            if let p = pendingPrediction {
                env.control?.requestPrediction(pixels: p.pixels, tag: p.tag)
                pendingPrediction = nil
            }
            if exitCode != nil { break }
            // 4. Render only when something changed; the presenter writes only changed cells.
            let size = term.size
            if size != lastSize { presenter.invalidate(); lastSize = size; dirty = true; urgent = true }
            let t = now
            if dirty && (urgent || t - lastRender >= Self.eventFrameInterval) {
                let grid = DashboardView.render(state, width: size.width, height: size.height, caps: term.capabilities)
                presenter.present(grid)
                dirty = false
                urgent = false
                lastRender = t
            }
        }
        return exitCode ?? 0
    }
}

/// Hidden developer path: the dashboard on a fake session and a drawn dataset, so the UI can be
/// looked at (and driven in tmux) without the real engine. Wire as e.g. `ferdash dashboard-demo`.
func runDashboardDemo(steps: Int = 2000, options: DisplayOptions = DisplayOptions()) -> Int32 {
    let dataset = DemoSession.demoDataset()
    let mailbox = EventMailbox()
    let run = FileManager.default.temporaryDirectory.appendingPathComponent("ferdash-demo").path
    let info = SessionInfo(architecture: "demo", datasetName: dataset.name, trainCount: dataset.train.count,
                           validationCount: dataset.validation.count, testCount: dataset.test.count,
                           batchSize: 32, totalSteps: steps, firstStep: 0, runDirectory: run)
    let session = DemoSession(info: info, sink: { mailbox.post($0) })
    session.start(validationLabels: dataset.validation.labels)
    let env = DashboardEnvironment(
        dataset: dataset, control: session, mailbox: mailbox,
        predictFile: { path in
            // The demo has no image decoder: treat the file's first 2304 bytes as pixels.
            guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
                return .failure(FileLoadError("\(path): unreadable or empty"))
            }
            var px = [UInt8](data.prefix(2304))
            px += [UInt8](repeating: 0, count: 2304 - px.count)
            return .success(FilePrediction(path: path, pixels: px, note: "demo: raw bytes as pixels"))
        },
        options: options, training: true, quitTimeout: 10)
    return runDashboard(env)
}

// MARK: - Wiring helpers for the command layer

/// Forwards the dashboard's requests to a `TrainingSession`. (An adapter rather than a
/// conformance, so it cannot clash if TrainingSession later conforms itself.)
final class TrainingSessionControl: DashboardSessionControl {
    let session: TrainingSession
    init(_ session: TrainingSession) { self.session = session }
    func pause() { session.pause() }
    func resume() { session.resume() }
    func stop() { session.stop() }
    func saveCheckpointNow() { session.saveCheckpointNow() }
    func requestPrediction(pixels: [UInt8], tag: Int) { session.requestPrediction(pixels: pixels, tag: tag) }
}

/// Image file → the 48×48 input and a note, through the same face preparation as `ferdash predict`.
func dashboardFilePredictor(_ preparer: FacePreparer?) -> (String) -> Result<FilePrediction, Error> {
    return { path in
        guard let preparer else { return .failure(FileLoadError("face preparation unavailable")) }
        do {
            let prepared = try preparer.prepare(path: path)
            // The largest face is what a person means by "this photo".
            guard let face = prepared.faces.max(by: { ($0.box?.width ?? 0) < ($1.box?.width ?? 0) }) else {
                return .failure(FileLoadError("\(path): no face to predict on"))
            }
            var note = prepared.note ?? ""
            if note.isEmpty, let b = face.box { note = "face at \(b.x),\(b.y) \(b.width)×\(b.height) of \(prepared.width)×\(prepared.height)" }
            if prepared.faces.count > 1 { note += note.isEmpty ? "\(prepared.faces.count) faces, largest shown" : "; \(prepared.faces.count) faces, largest shown" }
            return .success(FilePrediction(path: path, pixels: face.pixels, note: note))
        } catch {
            return .failure(error)
        }
    }
}

/// `ferdash` / `ferdash train` on a terminal: trains behind the dashboard. Returns the exit status.
func runTrainingDashboard(dataset: Dataset, configuration: TrainingConfiguration, options: DisplayOptions) -> Int32 {
    let mailbox = EventMailbox()
    let session = TrainingSession(dataset: dataset, configuration: configuration) { mailbox.post($0) }
    let preparer = try? FacePreparer(options: FaceOptions.parse([]))
    let env = DashboardEnvironment(dataset: dataset, control: TrainingSessionControl(session), mailbox: mailbox,
                                   predictFile: dashboardFilePredictor(preparer), options: options, training: true)
    session.start()
    let status = runDashboard(env)
    // q/Ctrl-C already waited for `finished`; this only matters when the wait timed out.
    session.wait(timeout: 5)
    return status
}

/// `ferdash browse`: the dataset without training; predictions when a model is given.
func runBrowseDashboard(dataset: Dataset, classifier: Classifier?, options: DisplayOptions) -> Int32 {
    let mailbox = EventMailbox()
    let control = classifier.map { TrainingSessionControl(TrainingSession.serving($0) { mailbox.post($0) }) }
    let preparer = try? FacePreparer(options: FaceOptions.parse([]))
    let env = DashboardEnvironment(dataset: dataset, control: control, mailbox: mailbox,
                                   predictFile: dashboardFilePredictor(preparer), options: options, training: false)
    return runDashboard(env)
}

/// Flags plus environment: NO_COLOR and TERM=dumb are also checked by the terminal layer.
func displayOptions(noColor: Bool, ascii: Bool) -> DisplayOptions {
    DisplayOptions(noColor: noColor, ascii: ascii)
}

/// Hidden: `ferdash dashboard-demo` runs the dashboard on a fake session (no engine needed).
struct DashboardDemo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard-demo", abstract: "Dashboard on a fake session (developer aid).",
                                                    shouldDisplay: false)
    @Option(help: "Fake steps.") var steps = 2000
    @Flag var noColor = false
    @Flag var ascii = false
    func run() throws {
        let status = runDashboardDemo(steps: steps, options: DisplayOptions(noColor: noColor, ascii: ascii))
        if status != 0 { throw ExitCode(status) }
    }
}
