/// A horizontal bar of `fraction` (0…1) along the first row of its area, with eighth-blocks in
/// Unicode; the rows under it are cleared.
public struct Bar: Widget {
    public var fraction: Double
    public var style: Style
    /// The unfilled part.
    public var track: Style
    public init(fraction: Double, style: Style, track: Style = .dim) {
        self.fraction = fraction; self.style = style; self.track = track
    }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        grid.fill(r)
        guard r.width > 0, r.height > 0 else { return }
        let glyphs = Glyphs(unicode: caps.unicode)
        let f = fraction.isFinite ? max(0, min(1, fraction)) : 0
        let eighths = Int((f * Double(r.width * 8)).rounded())
        let partials: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for i in 0..<r.width {
            let filled = eighths - i * 8
            if filled >= 8 {
                grid[r.x + i, r.y] = Cell(glyphs.full, style)
            } else if filled > 0 && glyphs.unicode {
                grid[r.x + i, r.y] = Cell(partials[filled], style)
            } else if filled >= 4 {
                grid[r.x + i, r.y] = Cell(glyphs.full, style)
            } else {
                grid[r.x + i, r.y] = Cell(glyphs.unicode ? "·" : ".", track)
            }
        }
    }
}
