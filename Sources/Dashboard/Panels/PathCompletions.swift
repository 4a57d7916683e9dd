import Foundation
import TermUI

/// The file prompt's Tab completions in a box just above the prompt: up to eight names and how
/// many more there are. It owns only its box: `area(above:in:)` says where that goes.
struct PathCompletions: Widget {
    let paths: [String]

    var lines: [String] {
        let names = paths.prefix(8).map { ($0 as NSString).lastPathComponent + ($0.hasSuffix("/") ? "/" : "") }
        return names + (paths.count > 8 ? ["… \(paths.count - 8) more"] : [])
    }

    /// Over the prompt's row `prompt`, from under the end of its label, inside `bounds`.
    func area(above prompt: Rect, in bounds: Rect) -> Rect {
        let lines = lines
        let w = min(bounds.width, (lines.map { $0.count }.max() ?? 0) + 4)
        return Rect(x: prompt.x + 15, y: prompt.y - lines.count - 2, width: w, height: lines.count + 2).intersection(bounds)
    }

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        Box(title: "").draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        for (i, l) in lines.enumerated() { g.put(l, x: inner.x + 1, y: inner.y + i, .plain, clip: inner) }
    }
}
