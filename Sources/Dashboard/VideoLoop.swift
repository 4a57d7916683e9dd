import Foundation
import TermUI

/// The video view's UI loop, on the thread that owns the terminal: each tick reads keys, drains
/// the analysis's events, reduces, hands requests to the control and presents one diffed frame.
/// The same shape as `DashboardLoop`, over `VideoState`.
public struct VideoLoop {
    let term: Terminal
    let control: VideoAnalysisControl
    let inbox: VideoInbox
    let presenter: FramePresenter
    let clock: () -> Double
    public private(set) var state = VideoState()
    public private(set) var exitCode: Int32?
    /// Frames actually presented (tests: a burst of events must not mean a frame per event).
    public private(set) var framesPresented = 0
    var dirty = true
    /// A key was pressed or a picture came: show it in this tick, not at the next render slot.
    var urgent = true
    var lastRender = -1.0
    private var lastSize = (width: -1, height: -1)

    /// Analysis events alone redraw at most this often, leaving the CPU to the analysis.
    static let eventFrameInterval = 0.1
    /// Ticks wait this long for a key: shorter while playing, so pictures come at video pace.
    static let idleTickMs: Int32 = 50, playingTickMs: Int32 = 20

    /// `quitTimeout`: how long `q` waits for `.finished` after `stop()` before leaving anyway.
    public init(terminal: Terminal, control: VideoAnalysisControl, inbox: VideoInbox, quitTimeout: Double = 10,
                clock: (() -> Double)? = nil) {
        term = terminal
        self.control = control
        self.inbox = inbox
        presenter = FramePresenter(backend: terminal)
        state.quitTimeout = quitTimeout
        let start = Date()
        self.clock = clock ?? { Date().timeIntervalSince(start) }
    }

    /// Runs until the person quits; returns the exit status.
    public mutating func run() -> Int32 {
        start()
        while exitCode == nil { tick() }
        return exitCode ?? 0
    }

    /// Before the first tick: the screen's size.
    public mutating func start() {
        lastSize = term.size
        dispatch(.screen(ScreenInfo(width: lastSize.width, height: lastSize.height, caps: term.capabilities)))
    }

    mutating func dispatch(_ action: VideoAction) {
        let effects = reduceVideo(into: &state, action)
        for e in effects { perform(e) }
    }

    mutating func perform(_ effect: VideoEffect) {
        switch effect {
        case .requestFrame(let r): control.requestFrame(at: r.time, width: r.width, height: r.height)
        case .requestCrop(let r): control.requestCrop(faceID: r.faceID, at: r.time, saliency: r.saliency)
        case .exportCSV: control.exportCSV()
        case .stop: control.stop()
        case .redraw: presenter.invalidate()
        case .exit(let code): exitCode = code
        }
    }

    /// One turn: keys, signals, events, the clock, at most one frame.
    public mutating func tick() {
        var key = term.readKey(timeoutMs: state.playing ? Self.playingTickMs : Self.idleTickMs)
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
        if term.takeSignal() != 0 { dispatch(.terminate); dirty = true }
        // Every event reduces (every analysed frame is kept); the screen renders once.
        for e in inbox.drain() {
            dispatch(.event(e))
            dirty = true
            if case .frame = e { urgent = true }
        }
        let before = state.cursor
        dispatch(.tick(now: clock()))
        if state.cursor != before { dirty = true }
        if exitCode != nil { return }
        let size = term.size
        if size != lastSize {
            presenter.invalidate(); lastSize = size; dirty = true; urgent = true
            dispatch(.screen(ScreenInfo(width: size.width, height: size.height, caps: term.capabilities)))
        }
        let t = clock()
        if dirty && (urgent || t - lastRender >= Self.eventFrameInterval) {
            presenter.present(VideoView.render(state, width: size.width, height: size.height, caps: term.capabilities))
            framesPresented += 1
            dirty = false
            urgent = false
            lastRender = t
        }
    }
}
