import TermUI

/// The bottom row in reverse video: the keys that matter now, as many as fit.
struct KeyBar: Widget {
    /// The hint line for a given width (the key tables fit it).
    let hints: (_ width: Int) -> String

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        guard !r.isEmpty else { return }
        g.fill(r, Cell(" ", .reverse))
        g.put(" " + hints(r.width - 1).clipped(r.width - 1), x: r.x, y: r.y, .reverse, clip: r)
    }
}
