// The terminal-free core: a screen is a grid of styled cells that widgets draw into.
// Nothing here knows about ncurses; a Backend turns grids into terminal writes.

/// A colour as the terminal understands it: the default colour or a palette index
/// (0–15 ANSI, 16–231 colour cube, 232–255 gray ramp).
public enum Color: Hashable, Sendable {
    case `default`
    case index(UInt8)

    public static let black = Color.index(0), red = Color.index(1), green = Color.index(2),
        yellow = Color.index(3), blue = Color.index(4), magenta = Color.index(5),
        cyan = Color.index(6), white = Color.index(7)

    /// Gray ramp step 0 (near black) … 23 (near white).
    public static func gray(_ level: Int) -> Color { .index(UInt8(232 + max(0, min(23, level)))) }
}

public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.fg = fg; self.bg = bg; self.bold = bold; self.dim = dim; self.reverse = reverse
    }
    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let reverse = Style(reverse: true)
    public func with(fg: Color) -> Style { var s = self; s.fg = fg; return s }
    public func with(bg: Color) -> Style { var s = self; s.bg = bg; return s }
}

/// One screen cell: a single-width character and its style.
/// (Every glyph we draw — ASCII, box drawing, blocks, braille — is one column wide.)
public struct Cell: Hashable, Sendable {
    public var char: Character
    public var style: Style
    public init(_ char: Character = " ", _ style: Style = .plain) {
        self.char = char; self.style = style
    }
    public static let blank = Cell()
}

public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }
    /// The rect shrunk by `n` on every side (a border's interior).
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
    public func inset(left: Int = 0, top: Int = 0, right: Int = 0, bottom: Int = 0) -> Rect {
        Rect(x: x + left, y: y + top, width: width - left - right, height: height - top - bottom)
    }
    /// Splits off the top `rows` rows; returns (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = max(0, min(height, rows))
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }
    public func splitBottom(_ rows: Int) -> (Rect, Rect) {
        let r = max(0, min(height, rows))
        return (Rect(x: x, y: y, width: width, height: height - r), Rect(x: x, y: y + height - r, width: width, height: r))
    }
    /// Splits off the left `cols` columns; returns (left, rest).
    public func splitLeft(_ cols: Int) -> (Rect, Rect) {
        let c = max(0, min(width, cols))
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }
    public func splitRight(_ cols: Int) -> (Rect, Rect) {
        let c = max(0, min(width, cols))
        return (Rect(x: x, y: y, width: width - c, height: height), Rect(x: x + width - c, y: y, width: c, height: height))
    }
    /// A rect of at most w×h centred in this one.
    public func centered(width w: Int, height h: Int) -> Rect {
        let ww = min(w, width), hh = min(h, height)
        return Rect(x: x + (width - ww) / 2, y: y + (height - hh) / 2, width: ww, height: hh)
    }
    public func intersection(_ o: Rect) -> Rect {
        let x0 = max(x, o.x), y0 = max(y, o.y)
        return Rect(x: x0, y: y0, width: min(maxX, o.maxX) - x0, height: min(maxY, o.maxY) - y0)
    }
}

/// A width×height array of cells. Drawing outside the grid is silently clipped, so widgets
/// never have to bounds-check and tiny terminals cannot crash the renderer.
public struct CellGrid: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { (x >= 0 && y >= 0 && x < width && y < height) ? cells[y * width + x] : .blank }
        set { if x >= 0 && y >= 0 && x < width && y < height { cells[y * width + x] = newValue } }
    }

    public mutating func fill(_ rect: Rect, _ cell: Cell = .blank) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.maxY { for xx in r.x..<r.maxX { cells[yy * width + xx] = cell } }
    }

    /// Writes `text` from (x, y), clipped to `clip` (default: whole grid). Returns the x after the text.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, _ style: Style = .plain, clip: Rect? = nil) -> Int {
        let c = (clip ?? bounds).intersection(bounds)
        var xx = x
        guard y >= c.y && y < c.maxY else { return x + text.count }
        for ch in text {
            // Control characters would move the terminal cursor; never let them into a cell.
            let safe: Character = (ch.asciiValue.map { $0 < 32 || $0 == 127 } ?? false) ? "?" : ch
            if xx >= c.x && xx < c.maxX { cells[y * width + xx] = Cell(safe, style) }
            xx += 1
        }
        return xx
    }

    /// Restyles cells in a rect without changing their characters.
    public mutating func style(_ rect: Rect, _ transform: (inout Style) -> Void) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.maxY { for xx in r.x..<r.maxX { transform(&cells[yy * width + xx].style) } }
    }

    /// Rows as plain strings (characters only) — what snapshots and tests compare.
    public var lines: [String] {
        (0..<height).map { y in String((0..<width).map { cells[y * width + $0].char }) }
    }
    public var text: String { lines.joined(separator: "\n") }
}

/// A horizontal run of changed cells: what a backend writes in one go.
public struct CellRun: Equatable, Sendable {
    public var x: Int, y: Int
    public var cells: [Cell]
    public init(x: Int, y: Int, cells: [Cell]) { self.x = x; self.y = y; self.cells = cells }
}

public enum GridDiff {
    /// The runs that turn `prev` into `next`. A size change (or no previous frame) yields every row.
    public static func runs(from prev: CellGrid?, to next: CellGrid) -> [CellRun] {
        var out: [CellRun] = []
        let same = prev.map { $0.width == next.width && $0.height == next.height } ?? false
        for y in 0..<next.height {
            let base = y * next.width
            if !same {
                out.append(CellRun(x: 0, y: y, cells: Array(next.cells[base..<base + next.width])))
                continue
            }
            let p = prev!
            var x = 0
            while x < next.width {
                if p.cells[base + x] == next.cells[base + x] { x += 1; continue }
                let start = x
                while x < next.width && p.cells[base + x] != next.cells[base + x] { x += 1 }
                out.append(CellRun(x: start, y: y, cells: Array(next.cells[base + start..<base + x])))
            }
        }
        return out
    }

    /// Applies runs to a grid of the same size (the property tests check runs(prev,next) on prev == next).
    public static func apply(_ runs: [CellRun], to grid: inout CellGrid) {
        for run in runs {
            for (i, cell) in run.cells.enumerated() { grid[run.x + i, run.y] = cell }
        }
    }
}
