/// Styled runs of text along the first row of its area, clipped to it; the rest is cleared.
/// Sized to its text (`width`), it can sit on a panel's border and leave the border around it.
public struct Label: Widget {
    public var runs: [(String, Style)]
    public init(_ runs: [(String, Style)]) { self.runs = runs }
    public init(_ text: String, _ style: Style = .plain) { runs = [(text, style)] }

    /// Cells the text takes.
    public var width: Int { runs.reduce(0) { $0 + $1.0.count } }

    /// The cells of `row` it takes from the row's left: where to draw it over a border.
    public func area(atStartOf row: Rect) -> Rect {
        Rect(x: row.x, y: row.y, width: max(0, min(width, row.width)), height: min(1, row.height))
    }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        grid.fill(r)
        var x = r.x
        for (text, style) in runs { x = grid.put(text, x: x, y: r.y, style, clip: r) }
    }
}
