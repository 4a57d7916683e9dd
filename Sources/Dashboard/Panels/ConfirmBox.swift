import TermUI

/// "Quit?": the question and "y = yes, n = no" in a box over the screen. It owns only its box:
/// `area(centredIn:)` says where that goes.
struct ConfirmBox: Widget {
    var question = ["Training is running.", "Stop it, save a checkpoint and quit?"]

    var lines: [String] { question + ["", "y = yes, n = no"] }

    func area(centredIn bounds: Rect) -> Rect { bounds.centered(width: 44, height: lines.count + 2) }

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        Box(title: "Quit?", style: .bold).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r), lines = lines
        for (i, l) in lines.enumerated() { g.put(l, x: inner.x + 1, y: inner.y + i, i == lines.count - 1 ? .bold : .plain, clip: inner) }
    }
}
