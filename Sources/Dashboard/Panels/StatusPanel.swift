import FERTraining
import TermUI

/// The training view's top panel: what the run is doing and how far it got, what it trains on,
/// and the message line. The words come from `StatusText`; this decides where they go.
struct StatusPanel: Widget {
    let state: AppState

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state
        Box(title: StatusText.title(watching: s.watch != nil, unicode: caps.unicode)).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        let message = StatusText.message(s)
        // The message always keeps the last line; progress and data flow into the rest.
        let (flowR, msgR) = message != nil && inner.height >= 2 ? inner.splitBottom(1) : (inner, Rect(x: 0, y: 0, width: 0, height: 0))
        let theme = Theme(caps: caps)
        SegmentFlow(segments: segments(theme: theme, width: inner.width, lines: flowR.height, unicode: caps.unicode))
            .draw(&g, flowR, caps: caps)
        if let m = message, !msgR.isEmpty {
            g.fill(msgR)
            g.put(m.text.clipped(msgR.width, ellipsis: Glyphs(unicode: caps.unicode).ellipsis), x: msgR.x, y: msgR.y,
                  m.isError ? theme.error : .plain, clip: msgR)
        }
    }

    /// Most useful first: on a narrow screen the tail is what gets dropped.
    func segments(theme: Theme, width: Int, lines: Int, unicode: Bool) -> [Segment] {
        let s = state
        let word = s.watch.map { Segment.text(StatusText.watchWord($0), theme.runState($0.state)) }
            ?? .text(StatusText.phaseWord(s.phase, quitting: s.quitting, pauseRequested: s.pauseRequested), theme.phase(s.phase))
        var segs = [word]
        if let info = s.info {
            let step = s.lastStep?.step ?? info.firstStep
            let fraction = StatusText.fraction(step: step, of: info.totalSteps)
            segs.append(.text(StatusText.step(step, of: info.totalSteps), .bold))
            segs.append(.bar(width: width >= 110 ? 24 : 12, fraction: fraction, style: theme.progress))
            segs.append(.text(StatusText.percent(fraction), .plain))
            segs.append(.text(StatusText.epoch(s.lastStep?.epoch ?? 0), .plain))
            if let st = s.lastStep {
                segs.append(.text(StatusText.eta(elapsed: st.elapsed, stepsDone: st.step - (s.firstStepSeen ?? info.firstStep),
                                                 stepsLeft: info.totalSteps - st.step, progressing: s.progressing), .plain))
                segs.append(.text(StatusText.throughput(imagesPerSecond: st.imagesPerSecond), .plain))
                segs.append(.text(StatusText.elapsed(st.elapsed), .plain))
                segs.append(.text(StatusText.learningRate(st.learningRate), .plain))
            }
        } else if let note = StatusText.waitingNote(s) {
            segs.append(.text(note, .dim))
        }
        // Wide: data on its own line. Narrow: it flows after the progress and fills what is left.
        if lines >= 2 && width >= 110 { segs.append(.lineBreak) }
        let d = s.dataset
        segs.append(.text("data \(d.name)", .plain))
        segs.append(.text(StatusText.splitSizes(train: d.train.count, validation: d.validation.count, test: d.test.count,
                                                unicode: unicode), .plain))
        if let info = s.info {
            segs.append(.text(StatusText.architecture(info.architecture, batchSize: info.batchSize), .plain))
            // The time budget's plan: a line of its own where the layout gave one, else ahead of
            // the run's folder (the tail a narrow screen drops).
            let planLine = lines >= 3 && width >= 110
            if let plan = s.plan, !planLine { segs.append(.text(StatusText.plan(plan), .bold)) }
            segs.append(.text("run \(info.runDirectory)", .plain))
            if let plan = s.plan, planLine { segs += [.lineBreak, .text(StatusText.plan(plan), .bold)] }
        }
        if let w = s.watch {
            if let written = StatusText.written(w) { segs.append(.text(written, .plain)) }
            if let trainer = w.trainer { segs.append(.text("trainer \(trainer)", .dim)) }
        }
        return segs
    }
}

extension Theme {
    /// The status panel's phase word.
    func phase(_ p: Phase) -> Style {
        switch p {
        case .running: return working
        case .paused: return halted
        case .finished: return done
        case .failed: return broken
        case .starting, .browsing: return waiting
        }
    }

    /// Watching: the run's state word.
    func runState(_ state: RunState) -> Style {
        switch state {
        case .running: return working
        case .finished, .stopped: return done
        case .failed: return broken
        case .stale: return halted
        }
    }
}
