import EmotionTimeline
import FERData
import TermUI

/// The video view's whole behaviour as a pure function: no I/O, no clock (time arrives in
/// `.tick`). The loop executes the returned effects.
public func reduceVideo(_ state: VideoState, _ action: VideoAction) -> (VideoState, [VideoEffect]) {
    var s = state
    let fx = reduceVideo(into: &s, action)
    return (s, fx)
}

/// In place, so the loop appends to a long timeline instead of copying it at every frame.
public func reduceVideo(into s: inout VideoState, _ action: VideoAction) -> [VideoEffect] {
    var fx: [VideoEffect] = []
    switch action {
    case .tick(let now):
        // Play runs on the clock, not on ticks: a late tick moves the cursor further. A gap of
        // more than a second (the process was stopped) is not played through.
        let elapsed = s.lastTick.map { min(1, max(0, now - $0)) } ?? 0
        s.lastTick = now
        s.now = now
        if s.playing { play(&s, for: elapsed) }
        if s.quitting, let t0 = s.quitStartedAt, now - t0 > s.quitTimeout {
            // The analysis did not confirm in time; leave anyway rather than hang the terminal.
            exit(&s, 1, &fx)
        }
    case .event(let e): handle(&s, e, &fx)
    case .key(let k): handleKey(&s, k, &fx)
    case .screen(let screen): s.screen = screen
    case .mouse(let m): pointed(&s, m, &fx)
    case .terminate:
        s.overlay = .none
        if s.phase.isLive && !s.quitting { beginQuit(&s, &fx) } else { exit(&s, s.quitting ? 1 : 0, &fx) }
    }
    if s.exitCode == nil { settle(&s, &fx) }
    return fx
}

// MARK: events

private func handle(_ s: inout VideoState, _ e: VideoEvent, _ fx: inout [VideoEffect]) {
    switch e {
    case .opened(let info):
        s.info = info
        if s.phase == .opening { s.phase = .analysing }
        // A stream is watched as it comes; a file from its start.
        s.followingLive = info.isLive
    case .analysed(let frame):
        s.timeline.append(frame)
        if s.followingLive { s.cursor = s.lastFrameTime }
    case .progress(let p):
        s.progress = p
        if s.followingLive { s.cursor = s.lastFrameTime }
    case .frame(let time, let image):
        s.frame = ShownPicture(time: time, image: image)
        s.frameNote = nil
        s.frameRequestSince = nil
    case .frameUnavailable(_, let reason):
        s.frameNote = reason
        s.frameRequestSince = nil
    case .faceCrop(let crop):
        s.crop = crop
        s.cropNote = nil
        s.cropRequestSince = nil
    case .cropUnavailable(_, _, let reason):
        s.cropNote = reason
        s.cropRequestSince = nil
    case .exported(let path):
        setMessage(&s, "wrote \(path)")
    case .exportFailed(let why):
        setMessage(&s, "could not write the CSV: \(why)", error: true)
    case .finished:
        s.phase = .finished
        if s.quitting { return exit(&s, 0, &fx) }
        let faces = s.timeline.faceIDsSeen.count
        setMessage(&s, "analysis finished: \(s.timeline.count) frames analysed, \(faces) face\(faces == 1 ? "" : "s") seen")
    case .failed(let why):
        s.phase = .failed(why)
        if s.quitting { return exit(&s, 1, &fx) }
        setMessage(&s, "analysis failed: \(why)", error: true)
    }
}

// MARK: keys

private func handleKey(_ s: inout VideoState, _ key: Key, _ fx: inout [VideoEffect]) {
    if s.overlay == .confirmQuit {
        switch key {
        case .char("y"), .char("Y"), .ctrl("c"):
            s.overlay = .none
            // The analysis may have ended while the question was open: nothing to wait for then.
            if s.phase.isLive { beginQuit(&s, &fx) } else { exit(&s, 0, &fx) }
        case .char("n"), .char("N"), .escape, .char("q"):
            s.overlay = .none
            setMessage(&s, "quit cancelled")
        default: break
        }
        return
    }
    guard let command = VideoKeyTable.command(for: key) else { return }
    run(command, &s, &fx)
}

private func run(_ command: VideoCommand, _ s: inout VideoState, _ fx: inout [VideoEffect]) {
    switch command {
    case .playPause: playOrPause(&s)
    case .previousFrame:
        s.playing = false
        let i = s.timeline.firstIndex(atOrAfter: s.cursor - VideoState.sameTime)
        moveCursor(&s, to: i > 0 ? s.timeline.times[i - 1] : s.cursor - s.frameInterval)
    case .nextFrame:
        s.playing = false
        let i = s.timeline.firstIndex(atOrAfter: s.cursor + VideoState.sameTime)
        // Past the analysed part the video still has frames: step by one frame interval.
        moveCursor(&s, to: i < s.timeline.count ? s.timeline.times[i] : s.cursor + s.frameInterval)
    case .seek(let seconds): moveCursor(&s, to: s.cursor + seconds, keepPlaying: true)
    case .start: moveCursor(&s, to: 0, keepPlaying: true)
    case .end:
        s.playing = false
        moveCursor(&s, to: s.lastFrameTime)
    case .nextFace: nextFace(&s)
    case .saliency:
        s.saliencyShown.toggle()
        setMessage(&s, s.saliencyShown ? "saliency: HiResCAM of the face's most probable class" : "saliency off")
    case .export:
        if s.timeline.isEmpty { return setMessage(&s, "nothing analysed yet: no table to write") }
        fx.append(.exportCSV)
        setMessage(&s, s.phase.isLive ? "writing the CSV of what is analysed so far…" : "writing the CSV…")
    case .help: s.overlay = s.overlay == .help ? .none : .help
    case .close:
        if s.overlay != .none { s.overlay = .none } else { s.message = nil }
    case .redraw: fx.append(.redraw)
    case .quit:
        if s.quitting { exit(&s, 1, &fx) }   // asked twice while waiting: the person wants out
        else if s.phase.isLive { s.overlay = .confirmQuit }
        else { exit(&s, 0, &fx) }
    }
}

extension VideoState {
    /// Times closer than this are the same frame (timestamps are exact; this only absorbs rounding).
    static let sameTime = 1e-6
}

/// Space: play from the cursor at 1×, or pause. At the end of a file play starts over; a stream
/// followed live pauses where it is.
private func playOrPause(_ s: inout VideoState) {
    if s.playing || s.followingLive {
        s.playing = false
        s.followingLive = false
        setMessage(&s, "paused at \(VideoView.timecode(s.cursor))")
        return
    }
    if !s.isLive && s.cursor >= s.lastFrameTime - VideoState.sameTime { s.cursor = 0 }
    s.playing = true
    s.message = nil
}

/// Advances the cursor by `elapsed` seconds of video. A file stops at its last frame; a stream
/// that catches up with its newest analysed frame is followed live from then on.
private func play(_ s: inout VideoState, for elapsed: Double) {
    s.cursor += elapsed
    guard s.cursor >= s.lastFrameTime else { return }
    s.cursor = s.lastFrameTime
    s.playing = false
    if s.isLive { s.followingLive = true } else if s.phase == .finished { setMessage(&s, "end of the video") }
}

/// Moves the cursor (clamped to the video), leaving live following unless it lands on the edge.
private func moveCursor(_ s: inout VideoState, to t: Double, keepPlaying: Bool = false) {
    let end = s.lastFrameTime
    s.cursor = max(0, min(end, t))
    if !keepPlaying { s.playing = false }
    s.followingLive = s.isLive && s.cursor >= end - VideoState.sameTime
    if s.followingLive { s.playing = false }
}

/// Tab: the face after the selected one (by id) among those at the cursor, round to the first.
private func nextFace(_ s: inout VideoState) {
    let ids = s.facesAtCursor.map(\.faceID)
    guard let first = ids.first else { return setMessage(&s, "no face at \(VideoView.timecode(s.cursor))") }
    let next = s.selectedFace.flatMap { sel in ids.first { $0 > sel } } ?? first
    s.selectedFace = next
    setMessage(&s, "face #\(next) (\(ids.count) at \(VideoView.timecode(s.cursor)))")
}

// MARK: mouse

private func pointed(_ s: inout VideoState, _ m: MouseEvent, _ fx: inout [VideoEffect]) {
    let layout = s.layout
    guard layout.fits, s.overlay == .none else { return }
    switch m.button {
    case .wheelUp: return run(.previousFrame, &s, &fx)
    case .wheelDown: return run(.nextFrame, &s, &fx)
    case .left: break
    }
    if let t = layout.timelineTrack.time(atX: m.x, y: m.y, span: s.span) {
        return moveCursor(&s, to: snapToAnalysedFrame(s, t, layout: layout), keepPlaying: true)
    }
    if let info = s.info {
        let fit = layout.frameFit(sourceWidth: info.width, sourceHeight: info.height)
        // The smallest box under the click: a face inside another's box can still be picked.
        let hit = s.facesAtCursor.filter { fit.cellRect(of: $0.box).contains(x: m.x, y: m.y) }
            .min { $0.box.width * $0.box.height < $1.box.width * $1.box.height }
        if let face = hit {
            s.selectedFace = face.faceID
            setMessage(&s, "face #\(face.faceID)")
        }
    }
}

/// A click means "this column": the analysed frame in it nearest its middle, when there is one,
/// so the cursor lands on a frame whose faces are known.
private func snapToAnalysedFrame(_ s: VideoState, _ t: Double, layout: VideoLayout) -> Double {
    let track = layout.timelineTrack
    let column = track.timeRange(column: track.x(for: t, span: s.span) - track.track.x, span: s.span)
    let lo = s.timeline.firstIndex(atOrAfter: column.lowerBound), hi = s.timeline.firstIndex(atOrAfter: column.upperBound)
    guard lo < hi else { return t }
    return (lo..<hi).map { s.timeline.times[$0] }.min { abs($0 - t) < abs($1 - t) }!
}

extension Rect {
    func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
}

// MARK: requests

/// After every action: pick a face when none is picked, and ask for the picture and the crop the
/// panels now need, never with more than one of each unanswered.
private func settle(_ s: inout VideoState, _ fx: inout [VideoEffect]) {
    let faces = s.facesAtCursor
    if s.selectedFace == nil, let first = faces.first { s.selectedFace = first.faceID }

    if let info = s.info, s.layout.fits {
        let fit = s.layout.frameFit(sourceWidth: info.width, sourceHeight: info.height)
        let wanted = FrameRequest(time: s.cursor, width: fit.pixelWidth, height: fit.pixelHeight)
        if fit.pixelWidth > 0 && wanted != s.frameRequest && canAsk(since: s.frameRequestSince, s) {
            s.frameRequest = wanted
            s.frameRequestSince = s.now
            fx.append(.requestFrame(wanted))
        }
    }

    if let id = s.selectedFace, let i = s.analysedIndexAtCursor, faces.contains(where: { $0.faceID == id }) {
        let wanted = CropRequest(faceID: id, time: s.timeline.times[i], saliency: s.saliencyShown)
        let have = s.crop.map { $0.faceID == id && $0.time == wanted.time && (!wanted.saliency || $0.saliency != nil) } ?? false
        if !have && wanted != s.cropRequest && canAsk(since: s.cropRequestSince, s) {
            s.cropRequest = wanted
            s.cropRequestSince = s.now
            fx.append(.requestCrop(wanted))
        }
    }
}

extension VideoState {
    /// A request unanswered this long is given up on, so one lost answer cannot freeze the panel.
    static let requestTimeout = 2.0
}

private func canAsk(since: Double?, _ s: VideoState) -> Bool {
    guard let since else { return true }
    return s.now - since > VideoState.requestTimeout
}

// MARK: small things

private func setMessage(_ s: inout VideoState, _ text: String, error: Bool = false) {
    s.message = text
    s.messageIsError = error
}

private func beginQuit(_ s: inout VideoState, _ fx: inout [VideoEffect]) {
    s.quitting = true
    s.quitStartedAt = s.now
    s.playing = false
    setMessage(&s, "stopping the analysis…")
    fx.append(.stop)
}

private func exit(_ s: inout VideoState, _ code: Int32, _ fx: inout [VideoEffect]) {
    s.exitCode = code
    fx.append(.exit(code))
}
