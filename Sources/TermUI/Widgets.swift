import Foundation

/// Glyph choices for the two character sets (UTF-8 locale or plain ASCII).
public struct Glyphs: Sendable {
    public let unicode: Bool
    public init(unicode: Bool) { self.unicode = unicode }
    public var h: Character { unicode ? "─" : "-" }
    public var v: Character { unicode ? "│" : "|" }
    public var tl: Character { unicode ? "┌" : "+" }
    public var tr: Character { unicode ? "┐" : "+" }
    public var bl: Character { unicode ? "└" : "+" }
    public var br: Character { unicode ? "┘" : "+" }
    public var full: Character { unicode ? "█" : "#" }
    public var upperHalf: Character { "▀" }
    /// Empty-to-full shade ladder for 8/16-colour terminals.
    public var shades: [Character] { unicode ? [" ", "░", "▒", "▓", "█"] : Array(" .:-=+*#%@") }
    public static let asciiRamp: [Character] = Array(" .:-=+*#%@")
    public var ellipsis: String { unicode ? "…" : "~" }
}

extension String {
    /// Cut to `n` characters, marking the cut.
    public func clipped(_ n: Int, ellipsis: String = "~") -> String {
        if n <= 0 { return "" }
        if count <= n { return self }
        if n == 1 { return String(prefix(1)) }
        return String(prefix(n - 1)) + ellipsis
    }
    public func padded(_ n: Int) -> String { count >= n ? String(prefix(n)) : self + String(repeating: " ", count: n - count) }
    public func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

// A widget given a rect owns every cell of it: it clears what it does not draw and never draws
// outside. (The tests draw widgets into a grid of "x" to hold them to that.)

public enum Widgets {
    /// A border with a title around a cleared interior; returns the interior.
    @discardableResult
    public static func box(_ grid: inout CellGrid, _ r: Rect, title: String, glyphs: Glyphs,
                           style: Style = .plain, titleStyle: Style = .bold) -> Rect {
        grid.fill(r)
        guard r.width >= 2 && r.height >= 2 else { return Rect(x: r.x, y: r.y, width: 0, height: 0) }
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
        return r.inset(1)
    }

    /// A centred box listing key → description rows (the caller passes its key table, so help
    /// can never disagree with what the keys do).
    public static func helpOverlay(_ grid: inout CellGrid, title: String, rows: [(keys: String, help: String)],
                                   footer: String, glyphs: Glyphs) {
        let keyW = (rows.map { $0.keys.count }.max() ?? 0) + 2
        let w = min(grid.width, keyW + max(footer.count, rows.map { $0.help.count }.max() ?? 0) + 4)
        let h = min(grid.height, rows.count + 4)
        let r = grid.bounds.centered(width: w, height: h)
        grid.fill(r)
        let inner = box(&grid, r, title: title, glyphs: glyphs, style: .bold)
        // A blank row before the footer, unless the screen is too short to spare it.
        let blank = rows.count + 2 <= inner.height ? 1 : 0
        for (i, row) in rows.enumerated() where inner.y + i < inner.maxY - 1 - blank {
            let x = grid.put(row.keys.padded(keyW), x: inner.x + 1, y: inner.y + i, .bold, clip: inner)
            grid.put(row.help, x: x, y: inner.y + i, .plain, clip: inner)
        }
        grid.put(footer, x: inner.x + 1, y: inner.maxY - 1, .dim, clip: inner)
    }

    /// A horizontal bar of `fraction` (0…1) over `width` cells, with eighth-blocks in Unicode.
    public static func bar(_ grid: inout CellGrid, x: Int, y: Int, width: Int, fraction: Double,
                           style: Style, glyphs: Glyphs, track: Style = .dim) {
        guard width > 0 else { return }
        let f = fraction.isFinite ? max(0, min(1, fraction)) : 0
        let eighths = Int((f * Double(width * 8)).rounded())
        let partials: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for i in 0..<width {
            let filled = eighths - i * 8
            if filled >= 8 {
                grid[x + i, y] = Cell(glyphs.full, style)
            } else if filled > 0 && glyphs.unicode {
                grid[x + i, y] = Cell(partials[filled], style)
            } else if filled >= 4 {
                grid[x + i, y] = Cell(glyphs.full, style)
            } else {
                grid[x + i, y] = Cell(glyphs.unicode ? "·" : ".", track)
            }
        }
    }
}
