import FERData
import FERTraining
import Foundation
import TermUI

/// The UI loop: one thread owns every curses call. Each tick reads keys (getch with a timeout),
/// drains the mailbox, reduces, executes effects and presents one diffed frame.
public struct DashboardLoop {
    let term: Terminal
    let control: DashboardSessionControl?
    let mailbox: EventMailbox
    /// Actions from elsewhere than the session (the run watcher), drained after its events.
    let feed: ActionInbox?
    let predictFile: FileLoader
    /// Where background file loads leave their results for the UI thread.
    let fileResults = Inbox<(path: String, result: Result<FilePrediction, FileLoadError>)>()
    /// Serial, so the loader (decoder, face detector) never runs twice at once.
    let fileQueue = DispatchQueue(label: "ferdash.dashboard.file-load", qos: .userInitiated)
    let presenter: FramePresenter
    public private(set) var state: AppState
    public private(set) var exitCode: Int32?
    /// Frames actually presented (for tests: event bursts must not mean one frame per event).
    public private(set) var framesPresented = 0
    var dirty = true
    /// A key was pressed: answer it in this tick rather than at the next render slot.
    var urgent = true
    var lastRender = -1.0
    /// Training events alone redraw at most this often, so the UI leaves the CPU to training.
    static let eventFrameInterval = 0.1
    /// Coalesced per tick: while arrows are held only the last sample's prediction is requested.
    var pendingPrediction: (pixels: [UInt8], tag: Int, saliency: Bool)?
    let clock: () -> Double

    /// A frame every 50 ms at most (~20 Hz); keys are answered in the same tick they arrive.
    static let tickMs: Int32 = 50

    public init(terminal: Terminal, dataset: Dataset, control: DashboardSessionControl?, mailbox: EventMailbox,
                predictFile: @escaping (String) -> Result<FilePrediction, Error>, training: Bool, quitTimeout: Double = 60,
                clock: (() -> Double)? = nil, feed: ActionInbox? = nil, watch: WatchStatus? = nil,
                comparisons: [ComparedRun] = []) {
        term = terminal
        self.control = control
        self.mailbox = mailbox
        self.predictFile = FileLoader(load: predictFile)
        presenter = FramePresenter(backend: terminal)
        state = AppState(dataset: dataset, training: training, hasModel: control != nil)
        state.quitTimeout = quitTimeout
        self.feed = feed
        state.watch = watch
        state.comparisons = comparisons
        if watch != nil { state.hasModel = false }   // until the watcher loads a checkpoint
        let start = Date()
        self.clock = clock ?? { Date().timeIntervalSince(start) }
    }

    mutating func dispatch(_ action: Action) {
        let effects = reduce(into: &state, action)
        // Anything but the clock tick may change what is shown.
        if case .tick = action {} else { dirty = true }
        for e in effects { perform(e) }
    }

    mutating func perform(_ effect: Effect) {
        switch effect {
        case .pause: control?.pause()
        case .resume: control?.resume()
        case .stop: control?.stop()
        case .saveCheckpoint: control?.saveCheckpointNow()
        case .requestPrediction(let pixels, let tag, let saliency): pendingPrediction = (pixels, tag, saliency)
        case .evaluate(let split): control?.requestEvaluation(of: split)
        case .loadFile(let path):
            // Decoding and face detection can take a moment on a large photo: do it off the UI
            // thread and pick the answer up in a later tick, so keys keep working meanwhile.
            let expanded = PathCompletion.expandTilde(path)
            let load = predictFile
            let inbox = fileResults
            fileQueue.async {
                let result: Result<FilePrediction, FileLoadError>
                if !FileManager.default.fileExists(atPath: expanded) {
                    result = .failure(FileLoadError("\(path): no such file"))
                } else {
                    switch load.load(expanded) {
                    case .success(let fp): result = .success(fp)
                    case .failure(let err): result = .failure(FileLoadError("\(err)"))
                    }
                }
                inbox.post((path, result))
            }
        case .completePath(let typed):
            dispatch(.completions(for: typed, candidates: PathCompletion.candidates(for: typed)))
        case .redraw: presenter.invalidate()
        case .exit(let code): exitCode = code
        }
        dirty = true
    }

    var now: Double { clock() }

    /// Runs until the person quits; returns the exit status.
    public mutating func run() -> Int32 {
        start()
        while exitCode == nil { tick() }
        return exitCode ?? 0
    }

    private var lastSize = (width: -1, height: -1)

    /// Before the first tick: the screen's size, and ask for the first prediction.
    public mutating func start() {
        lastSize = term.size
        dispatch(.screen(ScreenInfo(width: lastSize.width, height: lastSize.height, caps: term.capabilities)))
        dispatch(.appeared)
    }

    /// One turn of the loop: keys, signals, events, effects, at most one frame.
    public mutating func tick() {
        // 1. Keys: wait up to one tick for the first, then take whatever else is queued.
        var key = term.readKey(timeoutMs: Self.tickMs)
        var taken = 0
        while let k = key, exitCode == nil {
            switch k {
            case .resize: presenter.invalidate()
            case .mouse(let m): dispatch(.mouse(m))
            default: dispatch(.key(k))
            }
            dirty = true
            urgent = true
            taken += 1
            key = taken < 64 ? term.readKey(timeoutMs: 0) : nil
        }
        // 2. Signals from outside (kill, hang-up): stop cleanly like a confirmed quit.
        if term.takeSignal() != 0 { dispatch(.terminate) }
        // Finished file loads (from the background) come back here, on the UI thread.
        for (path, result) in fileResults.drain() {
            dispatch(.fileLoaded(path: path, result: result))
            urgent = true
        }
        // 3. Training events: all of them reduce (every loss is kept), the screen renders once.
        let events = mailbox.drain()
        for e in events { dispatch(.event(e)) }
        if !events.isEmpty { dirty = true }
        for action in feed?.drain() ?? [] { dispatch(action) }
        dispatch(.tick(now: now))
        if let p = pendingPrediction {
            control?.requestPrediction(pixels: p.pixels, tag: p.tag, saliency: p.saliency)
            pendingPrediction = nil
        }
        if exitCode != nil { return }
        // 4. Render only when something changed; the presenter writes only changed cells.
        let size = term.size
        if size != lastSize {
            presenter.invalidate(); lastSize = size; dirty = true; urgent = true
            dispatch(.screen(ScreenInfo(width: size.width, height: size.height, caps: term.capabilities)))
        }
        let t = now
        if dirty && (urgent || t - lastRender >= Self.eventFrameInterval) {
            let grid = DashboardView.render(state, width: size.width, height: size.height, caps: term.capabilities)
            presenter.present(grid)
            framesPresented += 1
            dirty = false
            urgent = false
            lastRender = t
        }
    }
}

/// Reads and prepares an image file off the UI thread. The loader the executable passes holds a
/// face detector (a class, not Sendable), so it is handed to `fileQueue` and called only there.
struct FileLoader: @unchecked Sendable { // unchecked: called only on the serial fileQueue, one load at a time
    let load: (String) -> Result<FilePrediction, Error>
}
