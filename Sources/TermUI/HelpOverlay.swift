/// A box listing key → description rows, drawn over the screen (the caller passes its key
/// table, so help can never disagree with what the keys do). It owns only its own box:
/// `area(centredIn:)` says where that goes.
public struct HelpOverlay: Widget {
    public var title: String
    public var rows: [(keys: String, help: String)]
    public var footer: String
    public init(title: String, rows: [(keys: String, help: String)], footer: String) {
        self.title = title; self.rows = rows; self.footer = footer
    }

    var keyWidth: Int { (rows.map { $0.keys.count }.max() ?? 0) + 2 }

    /// The box at the size its rows ask for (clipped to `bounds`), in the middle of `bounds`.
    public func area(centredIn bounds: Rect) -> Rect {
        let w = min(bounds.width, keyWidth + max(footer.count, rows.map { $0.help.count }.max() ?? 0) + 4)
        let h = min(bounds.height, rows.count + 4)
        return bounds.centered(width: w, height: h)
    }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        Box(title: title, style: .bold).draw(&grid, r, caps: caps)
        let inner = Box.interior(of: r), keyW = keyWidth
        // A blank row before the footer, unless the screen is too short to spare it.
        let blank = rows.count + 2 <= inner.height ? 1 : 0
        for (i, row) in rows.enumerated() where inner.y + i < inner.maxY - 1 - blank {
            let x = grid.put(row.keys.padded(keyW), x: inner.x + 1, y: inner.y + i, .bold, clip: inner)
            grid.put(row.help, x: x, y: inner.y + i, .plain, clip: inner)
        }
        grid.put(footer, x: inner.x + 1, y: inner.maxY - 1, .dim, clip: inner)
    }
}
