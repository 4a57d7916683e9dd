import TermUI

/// The video view's top panel: the analysis's phase and pace, playback, where the cursor is,
/// what the video is, and the message line. The words come from `VideoStatusText`.
struct VideoStatusPanel: Widget {
    let state: VideoState

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state, theme = Theme(caps: caps)
        Box(title: VideoStatusText.title(unicode: caps.unicode)).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        let (flowR, msgR) = s.message != nil && inner.height >= 2 ? inner.splitBottom(1) : (inner, Rect(x: 0, y: 0, width: 0, height: 0))
        SegmentFlow(segments: segments(theme: theme, width: inner.width, lines: flowR.height, unicode: caps.unicode))
            .draw(&g, flowR, caps: caps)
        if let message = s.message, !msgR.isEmpty {
            let m = VideoStatusText.plain(message, unicode: caps.unicode)
            g.fill(msgR)
            g.put(m.clipped(msgR.width, ellipsis: Glyphs(unicode: caps.unicode).ellipsis), x: msgR.x, y: msgR.y,
                  s.messageIsError ? theme.error : .plain, clip: msgR)
        }
    }

    func segments(theme: Theme, width: Int, lines: Int, unicode: Bool) -> [Segment] {
        let s = state
        var segs: [Segment] = [.text(VideoStatusText.phaseWord(s.phase, quitting: s.quitting), theme.phase(s.phase))]
        segs.append(.text(VideoStatusText.playState(followingLive: s.followingLive, playing: s.playing, unicode: unicode),
                          s.followingLive ? theme.error : (s.playing ? .bold : .plain)))
        guard let info = s.info else {
            segs.append(.text(VideoStatusText.plain("opening the video…", unicode: unicode), .dim))
            return segs
        }
        segs.append(.text(VideoStatusText.sourceName(info.source), .bold))
        let upTo = s.analysedUpTo
        segs.append(.text(VideoStatusText.position(cursor: s.cursor, span: s.span, live: s.isLive), .plain))
        if s.isLive {
            segs.append(.text(VideoStatusText.analysed(upTo: upTo, fraction: nil, finished: false), .plain))
        } else {
            let fraction = VideoStatusText.analysedFraction(upTo: upTo, span: s.span, finished: s.phase == .finished)
            segs.append(.bar(width: width >= 110 ? 24 : 12, fraction: fraction, style: theme.progress))
            segs.append(.text(VideoStatusText.analysed(upTo: upTo, fraction: fraction, finished: s.phase == .finished), .plain))
        }
        if let p = s.progress, s.phase.isLive {
            segs.append(.text(VideoStatusText.framesPerSecond(p.framesPerSecond), .plain))
            if !s.isLive, let eta = VideoStatusText.eta(upTo: upTo, span: s.span, frameInterval: s.frameInterval,
                                                         framesPerSecond: p.framesPerSecond) {
                segs.append(.text(eta, .plain))
            }
        }
        segs.append(.text(VideoStatusText.facesSeen(s.timeline.faceIDsSeen.count), .plain))
        // Wide: what the video is on its own line. Narrow: it flows after and fills what is left.
        if lines >= 2 && width >= 110 { segs.append(.lineBreak) }
        segs.append(.text(VideoStatusText.about(width: info.width, height: info.height, codec: info.codec, frameRate: info.frameRate,
                                                rotation: info.rotation, unicode: unicode), .dim))
        segs.append(.text("\(s.timeline.count) frames analysed", .dim))
        return segs
    }
}

extension Theme {
    /// The video status panel's phase word.
    func phase(_ p: VideoPhase) -> Style {
        switch p {
        case .analysing: return working
        case .finished: return done
        case .failed: return broken
        case .opening: return waiting
        }
    }
}
