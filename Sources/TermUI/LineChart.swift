import Foundation

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

/// A line chart: legend on the first row, y labels on the left, step labels on the last row,
/// the series drawn between them on a braille canvas (an ASCII marker per cell without Unicode).
public struct LineChart: Widget {
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
        grid.fill(r)
        guard let layout = ChartLayout(r, yLabelWidth: yLabelWidth) else {
            if r.height >= 1 { grid.put("(too small)".clipped(r.width), x: r.x, y: r.y, .dim) }
            return
        }
        drawLegend(&grid, layout, unicode: caps.unicode)
        let plot = layout.plot
        // The axis even when empty, so the panel never looks broken.
        for y in plot.y..<plot.maxY { grid[layout.axisX, y] = Cell(Glyphs(unicode: caps.unicode).v, .dim) }
        guard let scale = ChartScale(series, logY: logY, xRange: xRange) else {
            grid.put("waiting for data", x: plot.x + 1, y: plot.y + plot.height / 2, .dim, clip: plot)
            return
        }
        var canvas = BrailleCanvas(width: plot.width, height: plot.height, unicode: caps.unicode)
        for (index, s) in series.enumerated() { plotSeries(s, index: index, on: &canvas, scale: scale) }
        for (cx, cy, owner, braille) in canvas.cells() {
            let s = series[owner]
            grid[plot.x + cx, plot.y + cy] = Cell(braille ?? s.marker, s.style)
        }
        drawYLabels(&grid, layout, scale)
        drawXLabels(&grid, layout, scale)
    }

    private func drawLegend(_ grid: inout CellGrid, _ layout: ChartLayout, unicode: Bool) {
        var x = layout.plot.x
        for s in series where s.inLegend {
            x = grid.put(unicode ? "━" : String(s.marker), x: x, y: layout.legendY, s.style, clip: layout.area)
            x = grid.put(" " + s.name + "  ", x: x, y: layout.legendY, .plain, clip: layout.area)
        }
    }

    /// Min–max downsampled to two points per dot column, then joined by lines (or, for a
    /// series that is not connected, each point as a 2×2 block of dots).
    private func plotSeries(_ s: ChartSeries, index: Int, on canvas: inout BrailleCanvas, scale: ChartScale) {
        let points = Downsample.minMax(s.points.filter { $0.y.isFinite }, buckets: canvas.dotsWide)
        var last: (x: Int, y: Int)?
        for p in points {
            let dot = scale.dot(p, width: canvas.dotsWide, height: canvas.dotsHigh)
            if s.connect, let l = last {
                canvas.line(from: l, to: dot, owner: index)
            } else {
                canvas.set(dot.x, dot.y, owner: index)
                if !s.connect && canvas.unicode {
                    canvas.set(dot.x + 1, dot.y, owner: index)
                    canvas.set(dot.x, dot.y + 1, owner: index)
                    canvas.set(dot.x + 1, dot.y + 1, owner: index)
                }
            }
            last = dot
        }
    }

    /// Top, middle (when there is room) and bottom values of the y range.
    private func drawYLabels(_ grid: inout CellGrid, _ layout: ChartLayout, _ scale: ChartScale) {
        let height = layout.plot.height
        let rows = height > 4 ? [0, height / 2, height - 1] : [0, height - 1]
        for row in rows {
            let label = Self.format(scale.value(atRow: row, of: height))
            grid.put(label.leftPadded(yLabelWidth).clipped(yLabelWidth), x: layout.area.x, y: layout.plot.y + row, .dim)
        }
    }

    /// First, middle (when it fits) and last step under the plot, "step" under the y labels.
    private func drawXLabels(_ grid: inout CellGrid, _ layout: ChartLayout, _ scale: ChartScale) {
        let plot = layout.plot, area = layout.area, y = layout.xLabelY
        let left = String(Int(scale.minX)), right = String(Int(scale.lastX))
        let mid = String(Int((scale.minX + scale.maxX) / 2))
        grid.put(left, x: plot.x, y: y, .dim, clip: area)
        if plot.width > left.count + right.count + mid.count + 4 {
            grid.put(mid, x: plot.x + plot.width / 2 - mid.count / 2, y: y, .dim, clip: area)
        }
        grid.put(right, x: plot.maxX - right.count, y: y, .dim, clip: area)
        grid.put("step", x: area.x + max(0, yLabelWidth - 4), y: y, .dim, clip: area)
    }
}

/// Where a chart's parts go in its rect: legend on the first row, y labels in the left
/// `yLabelWidth` columns, then the axis line, the plot, and the step labels on the last row.
struct ChartLayout {
    /// Below this a chart says "(too small)" instead.
    static let minWidth = 12, minHeight = 4
    let area: Rect
    let legendY: Int
    /// The column of the y axis line, between the labels and the plot.
    let axisX: Int
    let plot: Rect
    let xLabelY: Int

    init?(_ area: Rect, yLabelWidth: Int) {
        guard area.width >= Self.minWidth && area.height >= Self.minHeight else { return nil }
        self.area = area
        legendY = area.y
        axisX = area.x + yLabelWidth
        let (_, belowLegend) = area.splitTop(1)
        let (middle, labelRow) = belowLegend.splitBottom(1)
        plot = middle.splitLeft(yLabelWidth + 1).1
        xLabelY = labelRow.y
        guard !plot.isEmpty else { return nil }
    }
}

/// Data to dot coordinates: x spans the steps seen (or a given range); y (log10 with `logY`)
/// spans the values with 5% headroom above and below, and a flat series gets a unit-high band.
struct ChartScale {
    let logY: Bool
    let minX: Double, maxX: Double
    /// The last step itself (`maxX` is one past it when every point has the same step).
    let lastX: Double
    let minY: Double, maxY: Double

    init?(_ series: [ChartSeries], logY: Bool, xRange: ClosedRange<Double>? = nil) {
        self.logY = logY
        let all = series.flatMap { $0.points }.filter { $0.y.isFinite && $0.x.isFinite }
        guard let firstX = xRange?.lowerBound ?? all.map({ $0.x }).min(),
              let lastX = xRange?.upperBound ?? all.map({ $0.x }).max(), !all.isEmpty else { return nil }
        let ys = all.map { Self.transform($0.y, logY: logY) }
        var low = ys.min()!, high = ys.max()!
        if high - low < 1e-9 { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.05
        minY = low - pad
        maxY = high + pad
        minX = firstX
        maxX = lastX > firstX ? lastX : firstX + 1
        self.lastX = lastX
    }

    static func transform(_ y: Double, logY: Bool) -> Double { logY ? log10(max(y, 1e-6)) : y }

    /// The dot for a point on a canvas `width`×`height` dots (y grows downwards).
    func dot(_ p: (x: Double, y: Double), width: Int, height: Int) -> (x: Int, y: Int) {
        let x = (p.x - minX) / (maxX - minX) * Double(width - 1)
        let y = (maxY - Self.transform(p.y, logY: logY)) / (maxY - minY) * Double(height - 1)
        return (Int(x.rounded()), Int(y.rounded()))
    }

    /// The value shown at cell row `row` of a plot `rows` high (0 = top).
    func value(atRow row: Int, of rows: Int) -> Double {
        let v = maxY - (maxY - minY) * Double(row) / Double(max(1, rows - 1))
        return logY ? pow(10, v) : v
    }
}
