import FERData
import TermUI

/// Seven rows of probabilities (when there is room), the dominant emotion as a coloured strip,
/// and the time axis with the cursor, which also marks its column in every row; the emotions'
/// legend in the bottom border.
struct TimelinePanel: Widget {
    let state: VideoState
    /// Where the rows, the strip and the axis go: the layout decides it, as it also decides what
    /// a click on the timeline means.
    let track: TimelineLayout

    /// What one column of the timeline shows.
    enum TimelineColumn: Equatable {
        /// The analysis has not got here yet.
        case pending
        /// Analysed, and the face is not there.
        case absent
        /// The face's mean probabilities over the column.
        case face([Float])
    }

    /// Column by column over the whole video (or the stream so far): the selected face's mean
    /// probabilities. A column no analysed frame falls in (analysis skipping frames, a short
    /// video on a wide screen) shows the frame before it, as the frame panel would.
    static func columns(_ s: VideoState, _ track: TimelineLayout) -> [TimelineColumn] {
        let span = s.span, upTo = s.analysedUpTo
        return (0..<track.columns).map { c in
            let range = track.timeRange(column: c, span: span)
            let lo = s.timeline.firstIndex(atOrAfter: range.lowerBound), hi = s.timeline.firstIndex(atOrAfter: range.upperBound)
            guard lo < hi || range.lowerBound < upTo else { return .pending }
            guard let id = s.selectedFace else { return .absent }
            if lo < hi { return s.timeline.meanProbabilities(of: id, in: lo..<hi).map { .face($0) } ?? .absent }
            let middle = (range.lowerBound + range.upperBound) / 2
            guard let i = s.timeline.lastIndex(atOrBefore: middle), middle - s.timeline.times[i] <= VideoState.faceHoldSeconds,
                  let face = s.timeline.face(id, at: i) else { return .absent }
            return .face(face.probabilities)
        }
    }

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state, glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        var title = "Timeline"
        if let id = s.selectedFace { title += "  face #\(id)" }
        if s.isLive { title += "  live, growing" }
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        let names = DashboardView.classNames
        let blocks = caps.unicode && theme.hasColor

        // Labels.
        for (e, name) in names.enumerated() where e < track.probabilityRows.height {
            g.put(name, x: inner.x, y: track.probabilityRows.y + e, theme.emotion(e), clip: inner)
        }
        g.put("dominant", x: inner.x, y: track.strip.y, .plain, clip: inner)

        // Columns.
        let ramp = caps.unicode ? glyphs.shades : Glyphs.asciiRamp
        for (c, column) in Self.columns(s, track).enumerated() {
            let x = track.track.x + c
            switch column {
            case .pending:
                for y in track.strip.y..<track.strip.maxY { g[x, y] = Cell(caps.unicode ? "·" : ".", .dim) }
            case .absent:
                break
            case .face(let p):
                for e in 0..<min(names.count, track.probabilityRows.height) {
                    let level = min(ramp.count - 1, Int(p[e] * Float(ramp.count)))
                    g[x, track.probabilityRows.y + e] = Cell(ramp[level], theme.emotion(e))
                }
                let dominant = p.indices.max { p[$0] < p[$1] } ?? 0
                let cell = Cell(blocks ? glyphs.full : VideoView.emotionLetters[dominant], theme.emotion(dominant))
                for y in track.strip.y..<track.strip.maxY { g[x, y] = cell }
            }
        }

        // The axis: the cursor's mark and time, right of the mark or, near the right edge, left
        // of it; then the start and the end wherever they leave it room.
        let axis = track.axis, span = s.span
        let cx = track.x(for: s.cursor, span: span)
        g.style(Rect(x: cx, y: inner.y, width: 1, height: axis.y - inner.y)) { $0.reverse.toggle() }
        let stamp = VideoView.timecode(s.cursor), mark = caps.unicode ? "▲" : "^"
        let cursorText = cx + 1 + stamp.count <= axis.maxX ? mark + stamp : stamp + mark
        let cursorX = cx + 1 + stamp.count <= axis.maxX ? cx : cx - stamp.count
        let start = "0:00", end = DashboardView.duration(span) + (s.isLive ? " so far" : "")
        if track.track.x + start.count < cursorX {
            g.put(start, x: track.track.x, y: axis.y, .dim, clip: axis)
        }
        if cursorX + cursorText.count < axis.maxX - end.count {
            g.put(end, x: axis.maxX - end.count, y: axis.y, .dim, clip: axis)
        }
        g.put(cursorText, x: cursorX, y: axis.y, .bold, clip: axis)

        let border = Rect(x: inner.x + 1, y: inner.maxY, width: inner.width - 2, height: 1)
        let legend = Self.emotionLegend(blocks: blocks, theme: theme)
        if legend.width <= border.width { legend.draw(&g, legend.area(atStartOf: border), caps: caps) }
    }

    /// Which colour (or letter) is which emotion, for the panel's bottom border.
    static func emotionLegend(blocks: Bool, theme: Theme) -> Label {
        let runs = DashboardView.classNames.enumerated().flatMap { e, name -> [(String, Style)] in
            [(blocks ? "█" : String(VideoView.emotionLetters[e]), theme.emotion(e)), (" " + name + " ", .plain)]
        }
        return Label([(" ", .plain)] + runs)
    }
}
