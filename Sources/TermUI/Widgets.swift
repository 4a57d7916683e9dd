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

public enum Widgets {
    /// A border with a title; returns the interior.
    @discardableResult
    public static func box(_ grid: inout CellGrid, _ r: Rect, title: String, glyphs: Glyphs,
                           style: Style = .plain, titleStyle: Style = .bold) -> Rect {
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
        for (i, row) in rows.enumerated() where inner.y + i < inner.maxY - 2 {
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

// MARK: - Image

/// A grayscale image drawn with the best method the terminal allows:
/// 256 colours → half blocks `▀` on the gray ramp (2 pixels per cell, 1:1 at scale 1);
/// 8/16 colours or none with Unicode → shade blocks; otherwise an ASCII ramp.
public struct ShadedImage {
    public var pixels: [UInt8]
    public var width: Int
    public var height: Int
    public init(pixels: [UInt8], width: Int, height: Int) {
        self.pixels = pixels; self.width = width; self.height = height
    }

    /// The 256-colour gray ramp step nearest to a 0...255 gray.
    static func grayColor(_ value: Int) -> Color { .gray(value * 23 / 255 + (value * 23 % 255 >= 128 ? 1 : 0)) }

    /// Cells needed at integer downscale `scale` (1 = full resolution).
    public func cellSize(scale: Int) -> (width: Int, height: Int) {
        let s = max(1, scale)
        return (width / s, (height / s + 1) / 2)
    }

    func sample(_ x: Int, _ y: Int, _ s: Int) -> Int {
        // Area average of an s×s block, so downscaling keeps the face readable.
        var sum = 0, n = 0
        for yy in y * s..<min(height, (y + 1) * s) {
            for xx in x * s..<min(width, (x + 1) * s) { sum += Int(pixels[yy * width + xx]); n += 1 }
        }
        return n == 0 ? 0 : sum / n
    }

    public func draw(_ grid: inout CellGrid, at origin: (x: Int, y: Int), scale: Int, caps: Capabilities) {
        let s = max(1, scale)
        guard pixels.count >= width * height else { return }
        let (cw, ch) = cellSize(scale: s)
        let glyphs = Glyphs(unicode: caps.unicode)
        let ph = height / s
        for cy in 0..<ch {
            for cx in 0..<cw {
                let top = sample(cx, cy * 2, s)
                let bottom = cy * 2 + 1 < ph ? sample(cx, cy * 2 + 1, s) : top
                let cell: Cell
                if caps.colors >= 256 && caps.unicode {
                    cell = Cell("▀", Style(fg: Self.grayColor(top), bg: Self.grayColor(bottom)))
                } else {
                    let ramp = caps.unicode ? glyphs.shades : Glyphs.asciiRamp
                    let avg = (top + bottom) / 2
                    cell = Cell(ramp[min(ramp.count - 1, avg * ramp.count / 256)], .plain)
                }
                grid[origin.x + cx, origin.y + cy] = cell
            }
        }
    }
}

// MARK: - Braille line chart

public struct ChartSeries {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var style: Style
    /// ASCII marker when braille is not available.
    public var marker: Character
    /// Draw points only (no connecting lines) — for sparse series like validation loss.
    public var connect: Bool
    public var inLegend: Bool
    public init(name: String, points: [(x: Double, y: Double)], style: Style, marker: Character = "*",
                connect: Bool = true, inLegend: Bool = true) {
        self.name = name; self.points = points; self.style = style; self.marker = marker
        self.connect = connect; self.inLegend = inLegend
    }
}

public enum Downsample {
    /// Reduces a series to at most ~2×`buckets` points keeping each bucket's minimum and maximum
    /// in their original order, so spikes survive however long the run gets.
    public static func minMax(_ points: [(x: Double, y: Double)], buckets: Int) -> [(x: Double, y: Double)] {
        guard buckets > 0, points.count > 2 * buckets else { return points }
        var out: [(x: Double, y: Double)] = []
        out.reserveCapacity(2 * buckets)
        let n = points.count
        for b in 0..<buckets {
            let lo = b * n / buckets, hi = (b + 1) * n / buckets
            guard lo < hi else { continue }
            var iMin = lo, iMax = lo
            for i in lo..<hi {
                if points[i].y < points[iMin].y { iMin = i }
                if points[i].y > points[iMax].y { iMax = i }
            }
            if iMin == iMax { out.append(points[iMin]) }
            else if iMin < iMax { out.append(points[iMin]); out.append(points[iMax]) }
            else { out.append(points[iMax]); out.append(points[iMin]) }
        }
        return out
    }
}

public struct LineChart {
    public var series: [ChartSeries]
    public var logY: Bool
    public var yLabelWidth = 7
    /// A fixed x extent (charts stacked over one axis); nil fits the data.
    public var xRange: ClosedRange<Double>?
    public init(series: [ChartSeries], logY: Bool = false, xRange: ClosedRange<Double>? = nil) {
        self.series = series; self.logY = logY; self.xRange = xRange
    }

    static func format(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1000 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        if a >= 0.01 || a == 0 { return String(format: "%.3f", v) }
        return String(format: "%.0e", v)
    }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        guard r.width >= 12 && r.height >= 4 else {
            if r.height >= 1 { grid.put("(too small)".clipped(r.width), x: r.x, y: r.y, .dim) }
            return
        }
        let glyphs = Glyphs(unicode: caps.unicode)
        // Legend on the first row.
        var lx = r.x + yLabelWidth + 1
        for s in series where s.inLegend {
            let mark: String = caps.unicode ? "━" : String(s.marker)
            lx = grid.put(mark, x: lx, y: r.y, s.style, clip: r)
            lx = grid.put(" " + s.name + "  ", x: lx, y: r.y, .plain, clip: r)
        }
        let plot = Rect(x: r.x + yLabelWidth + 1, y: r.y + 1, width: r.width - yLabelWidth - 1, height: r.height - 2)
        guard plot.width > 0 && plot.height > 0 else { return }
        let tf: (Double) -> Double = logY ? { log10(max($0, 1e-6)) } : { $0 }
        let all = series.flatMap { $0.points }.filter { $0.y.isFinite && $0.x.isFinite }
        // Axes even when empty so the panel never looks broken.
        for y in plot.y..<plot.maxY { grid[plot.x - 1, y] = Cell(glyphs.v, .dim) }
        guard let minX0 = xRange?.lowerBound ?? all.map({ $0.x }).min(), let maxX0 = xRange?.upperBound ?? all.map({ $0.x }).max(),
              !all.isEmpty else {
            grid.put("waiting for data", x: plot.x + 1, y: plot.y + plot.height / 2, .dim, clip: plot)
            return
        }
        var minY = all.map { tf($0.y) }.min()!, maxY = all.map { tf($0.y) }.max()!
        if maxY - minY < 1e-9 { minY -= 0.5; maxY += 0.5 }
        let pad = (maxY - minY) * 0.05
        minY -= pad; maxY += pad
        let minX = minX0, maxX = maxX0 > minX0 ? maxX0 : minX0 + 1
        let sx = caps.unicode ? 2 : 1, sy = caps.unicode ? 4 : 1
        let pw = plot.width * sx, ph = plot.height * sy
        // Per-cell dot masks and the style of the last series that touched the cell.
        var masks = [UInt8](repeating: 0, count: plot.width * plot.height)
        var owner = [Int](repeating: -1, count: plot.width * plot.height)
        func px(_ x: Double) -> Int { Int(((x - minX) / (maxX - minX) * Double(pw - 1)).rounded()) }
        func py(_ y: Double) -> Int { Int(((maxY - tf(y)) / (maxY - minY) * Double(ph - 1)).rounded()) }
        let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
        func dot(_ x: Int, _ y: Int, _ s: Int) {
            guard x >= 0, y >= 0, x < pw, y < ph else { return }
            let i = (y / sy) * plot.width + x / sx
            masks[i] |= caps.unicode ? bits[x % 2][y % 4] : 1
            owner[i] = s
        }
        for (si, s) in series.enumerated() {
            let pts = Downsample.minMax(s.points.filter { $0.y.isFinite }, buckets: pw)
            var last: (Int, Int)?
            for p in pts {
                let cur = (px(p.x), py(p.y))
                if s.connect, let l = last {
                    // Bresenham between consecutive points keeps the curve continuous.
                    var x0 = l.0, y0 = l.1
                    let dx = abs(cur.0 - x0), dy = -abs(cur.1 - y0)
                    let stepX = x0 < cur.0 ? 1 : -1, stepY = y0 < cur.1 ? 1 : -1
                    var err = dx + dy
                    while true {
                        dot(x0, y0, si)
                        if x0 == cur.0 && y0 == cur.1 { break }
                        let e2 = 2 * err
                        if e2 >= dy { err += dy; x0 += stepX }
                        if e2 <= dx { err += dx; y0 += stepY }
                    }
                } else {
                    dot(cur.0, cur.1, si)
                    if !s.connect && caps.unicode { dot(cur.0 + 1, cur.1, si); dot(cur.0, cur.1 + 1, si); dot(cur.0 + 1, cur.1 + 1, si) }
                }
                last = cur
            }
        }
        for cy in 0..<plot.height {
            for cx in 0..<plot.width {
                let i = cy * plot.width + cx
                guard owner[i] >= 0 else { continue }
                let s = series[owner[i]]
                let ch: Character = caps.unicode ? Character(Unicode.Scalar(0x2800 + UInt32(masks[i]))!) : s.marker
                grid[plot.x + cx, plot.y + cy] = Cell(ch, s.style)
            }
        }
        // Y labels: top, middle, bottom.
        let untf: (Double) -> Double = logY ? { pow(10, $0) } : { $0 }
        let rows = plot.height > 4 ? [0, plot.height / 2, plot.height - 1] : [0, plot.height - 1]
        for row in rows {
            let v = maxY - (maxY - minY) * Double(row) / Double(max(1, plot.height - 1))
            grid.put(Self.format(untf(v)).leftPadded(yLabelWidth).clipped(yLabelWidth), x: r.x, y: plot.y + row, .dim)
        }
        // X axis labels: first, middle and last step.
        let axisY = plot.maxY
        let left = String(Int(minX)), right = String(Int(maxX0)), mid = String(Int((minX + maxX) / 2))
        grid.put(left, x: plot.x, y: axisY, .dim, clip: r)
        if plot.width > left.count + right.count + mid.count + 4 {
            grid.put(mid, x: plot.x + plot.width / 2 - mid.count / 2, y: axisY, .dim, clip: r)
        }
        grid.put(right, x: plot.maxX - right.count, y: axisY, .dim, clip: r)
        grid.put("step", x: r.x + max(0, yLabelWidth - 4), y: axisY, .dim, clip: r)
    }
}

// MARK: - Confusion matrix

public struct ConfusionView {
    public var counts: [[Int]]
    public var names: [String]
    public var percent: Bool
    /// The focused cell (row = true, column = predicted): reverse video, and in brackets when
    /// the cell is wide enough, so it shows without colour too.
    public var cursor: (truth: Int, predicted: Int)?
    public init(counts: [[Int]], names: [String], percent: Bool, cursor: (truth: Int, predicted: Int)? = nil) {
        self.counts = counts; self.names = names; self.percent = percent; self.cursor = cursor
    }

    /// Draws rows = true class, columns = predicted, with precision and recall when room allows.
    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let k = counts.count
        guard k > 0, r.width > 0, r.height > 0 else { return }
        let maxCount = counts.flatMap { $0 }.max() ?? 0
        // Without colour the diagonal gets a "*" after its number (the others a blank, to stay aligned).
        let mark = caps.hasColor ? 0 : 1
        let longName = names.map { $0.count }.max() ?? 3
        // The richest layout that fits: full names + precision/recall, then abbreviations, then
        // narrower cells (percent without its "%" sign; the title says "row %").
        let digits = String(maxCount).count
        let wideContent = (percent ? 4 : digits) + mark, narrowContent = (percent ? 3 : digits) + mark
        let wide = max(5, wideContent + 2), narrow = max(4, narrowContent + 1)
        let options: [(nameW: Int, pr: Bool, cellW: Int)] = [
            (longName, true, wide), (3, true, wide), (3, true, narrow), (longName, false, wide),
            (3, false, wide), (3, false, narrow),
        ]
        let fit = options.first { $0.nameW + 1 + k * $0.cellW + ($0.pr ? 14 : 0) <= r.width } ?? (3, false, narrow)
        let nameW = fit.nameW, cellW = fit.cellW
        let pctSign = fit.cellW == wide
        var y = r.y
        // Header: predicted class abbreviations.
        var x = grid.put((nameW + 1 >= 9 ? "true\\pred" : "t\\p").padded(nameW + 1), x: r.x, y: y, .dim, clip: r)
        for c in 0..<k { x = grid.put(String(names[c].prefix(3)).leftPadded(cellW), x: x, y: y, .bold, clip: r) }
        if fit.pr { grid.put("   prec   rec", x: x, y: y, .bold, clip: r) }
        y += 1
        let rowSums = counts.map { $0.reduce(0, +) }
        for t in 0..<k where y < r.maxY {
            let label = nameW >= longName ? names[t] : String(names[t].prefix(3))
            x = grid.put(label.padded(nameW + 1), x: r.x, y: y, .plain, clip: r)
            for p in 0..<k {
                let n = counts[t][p]
                let frac = rowSums[t] == 0 ? 0 : Double(n) / Double(rowSums[t])
                var text = percent ? String(format: pctSign ? "%.0f%%" : "%.0f", frac * 100) : String(n)
                if mark > 0 { text += t == p ? "*" : " " }   // diagonal still distinct without colour
                var style = Style.plain
                if caps.hasColor {
                    // Shade by row fraction: diagonal on a green ramp, errors on a red ramp.
                    let level = Int((frac * 5).rounded())
                    if caps.colors >= 256 {
                        let bg: Color = t == p ? .index(UInt8(16 + 36 * 0 + 6 * min(5, level) + 0))
                                               : .index(UInt8(16 + 36 * min(5, level) + 0 + 0))
                        style = Style(fg: level >= 3 ? .index(231) : .index(250), bg: level == 0 ? .default : bg, bold: t == p)
                    } else {
                        style = Style(fg: t == p ? .green : (level > 0 ? .red : .default), bold: level >= 2 || t == p)
                    }
                } else if t == p { style = .bold }
                if let c = cursor, c.truth == t, c.predicted == p {
                    style = Style(bold: true, reverse: true)
                    if text.count + 2 <= cellW { text = "[" + text + "]" }
                }
                x = grid.put(text.leftPadded(cellW), x: x, y: y, style, clip: r)
            }
            if fit.pr {
                let col = counts.reduce(0) { $0 + $1[t] }
                let prec = col == 0 ? 0 : Double(counts[t][t]) / Double(col)
                let rec = rowSums[t] == 0 ? 0 : Double(counts[t][t]) / Double(rowSums[t])
                grid.put(String(format: "%6.1f%%%6.1f%%", prec * 100, rec * 100), x: x, y: y, .plain, clip: r)
            }
            y += 1
        }
    }
}

// MARK: - Text field (prompt)

/// A single-line editable text with a cursor. Pure value: the reducer edits it, a widget draws it.
public struct TextField: Equatable, Sendable {
    public var text: [Character]
    public var cursor: Int
    public init(_ s: String = "") { text = Array(s); cursor = text.count }
    public var string: String { String(text) }
    public mutating func insert(_ c: Character) { text.insert(c, at: cursor); cursor += 1 }
    public mutating func insert(_ s: String) { for c in s { insert(c) } }
    public mutating func backspace() { if cursor > 0 { text.remove(at: cursor - 1); cursor -= 1 } }
    public mutating func deleteForward() { if cursor < text.count { text.remove(at: cursor) } }
    public mutating func left() { cursor = max(0, cursor - 1) }
    public mutating func right() { cursor = min(text.count, cursor + 1) }
    public mutating func home() { cursor = 0 }
    public mutating func end() { cursor = text.count }
    public mutating func set(_ s: String) { text = Array(s); cursor = text.count }

    /// Draws `label` then the text, scrolled so the cursor is visible; the cursor cell is reversed.
    public func draw(_ grid: inout CellGrid, _ r: Rect, label: String) {
        guard r.width > 0, r.height > 0 else { return }
        let x0 = grid.put(label, x: r.x, y: r.y, .bold, clip: r)
        let room = r.maxX - x0
        guard room > 0 else { return }
        let start = max(0, cursor - room + 1)
        for i in 0..<room {
            let idx = start + i
            let ch: Character = idx < text.count ? text[idx] : " "
            grid[x0 + i, r.y] = Cell(ch, idx == cursor ? .reverse : .plain)
        }
    }
}

/// Longest common prefix — Tab completion extends the typed text by this much.
public func commonPrefix(_ words: [String]) -> String {
    guard var p = words.first else { return "" }
    for w in words.dropFirst() {
        while !w.hasPrefix(p) { p.removeLast() }
    }
    return p
}
