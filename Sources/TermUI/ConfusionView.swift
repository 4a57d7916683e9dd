import Foundation

public struct ConfusionView: Widget {
    public var counts: [[Int]]
    public var names: [String]
    public var percent: Bool
    /// The focused cell (row = true, column = predicted): reverse video, and in brackets when
    /// the cell is wide enough, so it shows without colour too.
    public var cursor: (truth: Int, predicted: Int)?
    public init(counts: [[Int]], names: [String], percent: Bool, cursor: (truth: Int, predicted: Int)? = nil) {
        self.counts = counts; self.names = names; self.percent = percent; self.cursor = cursor
    }

    /// Column widths chosen for an area `width` wide.
    struct Geometry {
        /// The class-name column (one blank follows it), each count cell, and whether precision
        /// and recall fit; `percentSign` is false in the narrow cells.
        var nameW: Int, cellW: Int, precisionRecall: Bool, percentSign: Bool
    }

    /// The richest layout that fits: full names + precision/recall, then abbreviations, then
    /// narrower cells (percent without its "%" sign; the title says "row %").
    func geometry(width: Int, hasColor: Bool) -> Geometry {
        let k = counts.count
        let maxCount = counts.flatMap { $0 }.max() ?? 0
        // Without colour the diagonal gets a "*" after its number (the others a blank, to stay aligned).
        let mark = hasColor ? 0 : 1
        let longName = names.map { $0.count }.max() ?? 3
        let digits = String(maxCount).count
        let wideContent = (percent ? 4 : digits) + mark, narrowContent = (percent ? 3 : digits) + mark
        let wide = max(5, wideContent + 2), narrow = max(4, narrowContent + 1)
        let options: [(nameW: Int, pr: Bool, cellW: Int)] = [
            (longName, true, wide), (3, true, wide), (3, true, narrow), (longName, false, wide),
            (3, false, wide), (3, false, narrow),
        ]
        let fit = options.first { $0.nameW + 1 + k * $0.cellW + ($0.pr ? 14 : 0) <= width } ?? (3, false, narrow)
        return Geometry(nameW: fit.nameW, cellW: fit.cellW, precisionRecall: fit.pr, percentSign: fit.cellW == wide)
    }

    /// The cell drawn at (x, y) when the view fills `r` (row = true, column = predicted); nil
    /// on the header, the names, precision and recall, and outside. For mouse clicks.
    public func cell(atX x: Int, y: Int, in r: Rect, caps: Capabilities) -> (truth: Int, predicted: Int)? {
        let geo = geometry(width: r.width, hasColor: Theme(caps: caps).hasColor)
        let dx = x - (r.x + geo.nameW + 1), truth = y - (r.y + 1)
        guard dx >= 0, x < r.maxX, truth >= 0, truth < counts.count, y < r.maxY else { return nil }
        let predicted = dx / geo.cellW
        return predicted < counts.count ? (truth, predicted) : nil
    }

    /// Draws rows = true class, columns = predicted, with precision and recall when room allows.
    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        grid.fill(r)
        let k = counts.count
        guard k > 0, r.width > 0, r.height > 0 else { return }
        let theme = Theme(caps: caps)
        let mark = theme.hasColor ? 0 : 1
        let geo = geometry(width: r.width, hasColor: theme.hasColor)
        let nameW = geo.nameW, cellW = geo.cellW, pctSign = geo.percentSign
        let longName = names.map { $0.count }.max() ?? 3
        var y = r.y
        // Header: predicted class abbreviations.
        var x = grid.put((nameW + 1 >= 9 ? "true\\pred" : "t\\p").padded(nameW + 1), x: r.x, y: y, .dim, clip: r)
        for c in 0..<k { x = grid.put(String(names[c].prefix(3)).leftPadded(cellW), x: x, y: y, .bold, clip: r) }
        if geo.precisionRecall { grid.put("   prec   rec", x: x, y: y, .bold, clip: r) }
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
                // Shaded by the row fraction (see Theme.confusionCell).
                var style = theme.confusionCell(level: Int((frac * 5).rounded()), diagonal: t == p)
                if let c = cursor, c.truth == t, c.predicted == p {
                    style = theme.cursor
                    if text.count + 2 <= cellW { text = "[" + text + "]" }
                }
                x = grid.put(text.leftPadded(cellW), x: x, y: y, style, clip: r)
            }
            if geo.precisionRecall {
                let col = counts.reduce(0) { $0 + $1[t] }
                let prec = col == 0 ? 0 : Double(counts[t][t]) / Double(col)
                let rec = rowSums[t] == 0 ? 0 : Double(counts[t][t]) / Double(rowSums[t])
                grid.put(String(format: "%6.1f%%%6.1f%%", prec * 100, rec * 100), x: x, y: y, .plain, clip: r)
            }
            y += 1
        }
    }
}
