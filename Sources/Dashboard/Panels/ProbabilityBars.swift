import TermUI

/// The seven class probabilities as bars, one row each, or two columns of four when the rows
/// run out; marks say which class is true (*), predicted (>) or both (=). Without
/// probabilities, why there are none.
struct ProbabilityBars: Widget {
    var probabilities: [Float]?
    var truth: Int?
    var predicted: Int?
    var hasModel: Bool
    /// What to say instead of "no model: no probabilities" (watching a run with no checkpoint yet).
    var noModel: String? = nil
    /// Colours each class's bar its own way (the video view's emotion colours); without it the
    /// bars say true, wrong and other.
    var classStyle: ((Int) -> Style)? = nil

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        g.fill(r)
        guard !r.isEmpty else { return }
        let classNames = DashboardView.classNames
        guard let probs = probabilities, probs.count >= classNames.count else {
            g.put(hasModel ? "predicting…" : noModel ?? "no model: no probabilities", x: r.x, y: r.y, .dim, clip: r)
            return
        }
        let columns = r.height < classNames.count && r.width >= 32 ? 2 : 1
        let rowsPerColumn = (classNames.count + columns - 1) / columns
        let colW = columns == 1 ? r.width : (r.width - 1) / 2
        let nameW = colW >= 30 ? 9 : 4
        for (c, name) in classNames.enumerated() {
            let y = r.y + c % rowsPerColumn
            guard y < r.maxY else { continue }
            let column = Rect(x: r.x + (c / rowsPerColumn) * (colW + 1), y: r.y, width: colW, height: r.height)
            let isPred = c == predicted, isTrue = c == truth
            let mark = isTrue ? (isPred ? "=" : "*") : (isPred ? ">" : " ")
            let label = (nameW == 9 ? name : String(name.prefix(3))).padded(nameW)
            let x = g.put(mark + label, x: column.x, y: y, isPred ? .bold : .plain, clip: column)
            let pct = column.width >= 30 ? String(format: "%5.1f%%", probs[c] * 100) : String(format: "%3.0f%%", probs[c] * 100)
            let barW = max(0, column.maxX - x - pct.count - 1)
            Bar(fraction: Double(probs[c]),
                style: classStyle?(c) ?? Theme(caps: caps).classBar(isTrue: isTrue, isPredicted: isPred))
                .draw(&g, Rect(x: x, y: y, width: barW, height: 1), caps: caps)
            g.put(pct, x: x + barW + 1, y: y, isPred ? .bold : .plain, clip: column)
        }
        if columns == 1 && r.height > classNames.count && truth != nil {
            g.put("* true  > predicted  = both", x: r.x, y: r.y + classNames.count, .dim, clip: r)
        }
    }
}
