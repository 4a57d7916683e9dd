import FERData
import TermUI

/// The video view's screen: each panel of `VideoLayout` drawn by its own widget from
/// `VideoState` (status, the frame with its face boxes, the selected face with its
/// probabilities, the timeline, the key bar), and the overlay on top.
public enum VideoView {
    /// "1:23.4": the cursor to a tenth of a second (frames are closer than a second apart).
    public static func timecode(_ t: Double) -> String {
        guard t.isFinite && t >= 0 else { return "--" }
        let tenths = Int((t * 10 + 1e-6).rounded(.down))
        return DashboardView.duration(Double(tenths / 10)) + ".\(tenths % 10)"
    }

    /// Each emotion's letter where no colour tells them apart (sUrprise, as Sad has the S).
    static let emotionLetters: [Character] = ["A", "D", "F", "H", "S", "U", "N"]

    public static func render(_ s: VideoState, width: Int, height: Int, caps: Capabilities) -> CellGrid {
        var g = CellGrid(width: width, height: height)
        draw(s, into: &g, caps: caps)
        return g
    }

    /// Draws every cell of `g` (the tests start from a grid of "x" to prove it).
    public static func draw(_ s: VideoState, into g: inout CellGrid, caps: Capabilities) {
        let layout = VideoLayout(width: g.width, height: g.height)
        guard layout.fits else {
            return TooSmallNotice(minWidth: DashboardView.minWidth, minHeight: DashboardView.minHeight).draw(&g, g.bounds, caps: caps)
        }
        VideoStatusPanel(state: s).draw(&g, layout.status, caps: caps)
        FramePanel(state: s, fit: { layout.frameFit(sourceWidth: $0, sourceHeight: $1) }).draw(&g, layout.frame, caps: caps)
        VideoFacePanel(state: s).draw(&g, layout.face, caps: caps)
        TimelinePanel(state: s, track: layout.timelineTrack).draw(&g, layout.timeline, caps: caps)
        KeyBar { VideoKeyTable.hintLine(unicode: caps.unicode, width: $0) }.draw(&g, layout.hint, caps: caps)
        switch s.overlay {
        case .help:
            let help = HelpOverlay(title: "Help  video keys", rows: VideoKeyTable.helpRows(unicode: caps.unicode),
                                   footer: "Esc or ? closes")
            help.draw(&g, help.area(centredIn: g.bounds), caps: caps)
        case .confirmQuit:
            let confirm = ConfirmBox(question: ["The video is still being analysed.", "Stop the analysis and quit?"])
            confirm.draw(&g, confirm.area(centredIn: g.bounds), caps: caps)
        case .none: break
        }
    }
}

extension Style {
    func with(bold: Bool) -> Style { var s = self; s.bold = bold; return s }
}
