/// A border with a title around a cleared interior: the frame of every panel.
public struct Box: Widget {
    public var title: String
    public var style: Style
    public var titleStyle: Style
    public init(title: String, style: Style = .plain, titleStyle: Style = .bold) {
        self.title = title; self.style = style; self.titleStyle = titleStyle
    }

    /// What lies inside the border of a box drawn over `area` (empty when there is no inside).
    public static func interior(of area: Rect) -> Rect {
        area.width >= 2 && area.height >= 2 ? area.inset(1) : Rect(x: area.x, y: area.y, width: 0, height: 0)
    }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        grid.fill(r)
        guard r.width >= 2 && r.height >= 2 else { return }
        for x in r.x + 1..<r.maxX - 1 {
            grid[x, r.y] = Cell(glyphs.h, style); grid[x, r.maxY - 1] = Cell(glyphs.h, style)
        }
        for y in r.y + 1..<r.maxY - 1 {
            grid[r.x, y] = Cell(glyphs.v, style); grid[r.maxX - 1, y] = Cell(glyphs.v, style)
        }
        grid[r.x, r.y] = Cell(glyphs.tl, style); grid[r.maxX - 1, r.y] = Cell(glyphs.tr, style)
        grid[r.x, r.maxY - 1] = Cell(glyphs.bl, style); grid[r.maxX - 1, r.maxY - 1] = Cell(glyphs.br, style)
        if !title.isEmpty && r.width > 4 {
            grid.put(" " + title.clipped(r.width - 4, ellipsis: glyphs.ellipsis) + " ", x: r.x + 1, y: r.y, titleStyle,
                     clip: Rect(x: r.x + 1, y: r.y, width: r.width - 2, height: 1))
        }
    }
}
