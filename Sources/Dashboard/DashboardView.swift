import FERData
import Foundation
import TermUI

/// The training view's screen: each panel of `DashboardLayout` drawn by its own widget from
/// `AppState` (Panels/), and the overlay on top.
public enum DashboardView {
    public static let minWidth = 80, minHeight = 24
    public static let classNames = Emotion.allCases.map { $0.name }

    public static func render(_ s: AppState, width: Int, height: Int, caps: Capabilities) -> CellGrid {
        var g = CellGrid(width: width, height: height)
        draw(s, into: &g, caps: caps)
        return g
    }

    /// Draws the screen over whatever `g` holds: every cell is written (the tests start from a
    /// grid of "x" to prove it), so no earlier frame can show through.
    public static func draw(_ s: AppState, into g: inout CellGrid, caps: Capabilities) {
        let layout = DashboardLayout(width: g.width, height: g.height, planLine: s.plan != nil)
        guard layout.fits else {
            return TooSmallNotice(minWidth: minWidth, minHeight: minHeight).draw(&g, g.bounds, caps: caps)
        }
        StatusPanel(state: s).draw(&g, layout.status, caps: caps)
        if s.gallery != nil {
            GalleryPanel(state: s).draw(&g, layout.body, caps: caps)
        } else {
            LossPanel(state: s).draw(&g, layout.loss, caps: caps)
            ConfusionPanel(state: s).draw(&g, layout.confusion, caps: caps)
            SamplePanel(state: s).draw(&g, layout.sample, caps: caps)
        }
        switch s.overlay {
        case .prompt(let field):
            TextFieldView(field, label: " predict file: ").draw(&g, layout.hint, caps: caps)
        default:
            KeyBar { KeyTable.hintLine(unicode: caps.unicode, width: $0, training: s.controlsTraining) }
                .draw(&g, layout.hint, caps: caps)
        }
        switch s.overlay {
        case .help:
            let help = HelpOverlay(title: "Help  keys", rows: KeyTable.helpRows(unicode: caps.unicode).map { ($0.keys, $0.help) },
                                   footer: "Esc or ? closes")
            help.draw(&g, help.area(centredIn: g.bounds), caps: caps)
        case .confirmQuit:
            let confirm = ConfirmBox()
            confirm.draw(&g, confirm.area(centredIn: g.bounds), caps: caps)
        case .prompt where !s.completions.isEmpty:
            let completions = PathCompletions(paths: s.completions)
            completions.draw(&g, completions.area(above: layout.hint, in: g.bounds), caps: caps)
        case .prompt, .none:
            break
        }
    }

    /// "1:23" or "1:02:03"; "--" when unknown.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "--" }
        let t = Int(seconds)
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// "14:02:11" in `zone`.
    public static func clockTime(_ date: Date, _ zone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// "5s ago", "3m ago", "2h 5m ago", "4d ago".
    public static func ago(_ seconds: Double) -> String {
        let t = max(0, Int(seconds))
        if t < 60 { return "\(t)s ago" }
        if t < 3600 { return "\(t / 60)m ago" }
        return t < 86400 ? "\(t / 3600)h \(t / 60 % 60)m ago" : "\(t / 86400)d ago"
    }
}
