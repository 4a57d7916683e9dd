import FERTraining
import Foundation
import TermUI

/// The loss curves (raw under smoothed, validation as points) with the validation accuracy on
/// the row under them; other runs behind them with `--compare`; browsing with no curves, why.
struct LossPanel: Widget {
    let state: AppState

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state
        let title = String(format: "Loss  smoothing %.2f%@", s.smoothing, s.logY ? "  log-y" : "")
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        let (chartR, accR) = inner.splitBottom(1)
        if s.phase == .browsing && s.lossSteps.isEmpty && s.evals.isEmpty {
            return BrowseLossNote(note: s.historyNote ?? "no training in this session (browse)").draw(&g, chartR, caps: caps)
        }
        let series = liveSeries(chartWidth: chartR.width, caps: caps)
        if let info = s.info, !s.comparisons.isEmpty {
            return ComparisonChart(state: s, info: info, live: series).draw(&g, inner, caps: caps)
        }
        LineChart(series: series, logY: s.logY).draw(&g, chartR, caps: caps)
        // Validation accuracy under the chart: latest, best and a sparkline of every evaluation.
        if let last = s.evals.last {
            let best = s.evals.map { $0.accuracy }.max() ?? 0
            let x = g.put(String(format: "val acc %.1f%%  best %.1f%%  ", last.accuracy * 100, best * 100), x: accR.x, y: accR.y,
                          .bold, clip: accR)
            let accs = s.evals.suffix(max(0, accR.maxX - x)).map { $0.accuracy }
            g.put(Curves.sparkline(Array(accs), unicode: caps.unicode), x: x, y: accR.y, Theme(caps: caps).secondTrend, clip: accR)
        } else {
            g.put("val acc: no evaluation yet", x: accR.x, y: accR.y, .dim, clip: accR)
        }
    }

    /// This run's curves: raw training loss (when smoothing), smoothed, and validation.
    func liveSeries(chartWidth: Int, caps: Capabilities) -> [ChartSeries] {
        let s = state, theme = Theme(caps: caps)
        // Reduce to ~2 points per braille column before drawing: long runs stay cheap and keep extremes.
        let buckets = max(1, (chartWidth - 8) * (caps.unicode ? 2 : 1))
        let raw = Curves.bucketMinMax(steps: s.lossSteps, values: s.losses.map { Double($0) }, buckets: buckets)
        let smooth = Curves.bucketMinMax(steps: s.lossSteps, values: Curves.debiasedEMA(s.losses, weight: s.smoothing), buckets: buckets)
        let val = s.evals.map { (x: Double($0.step), y: Double($0.loss)) }
        let short = chartWidth < 64   // legend must fit beside the y labels
        var series = [
            ChartSeries(name: short ? "raw" : "train (raw)", points: raw, style: theme.faintCurve,
                        marker: ".", inLegend: s.smoothingPercent > 0),
            ChartSeries(name: s.smoothingPercent > 0 ? (short ? "smoothed" : "train (smoothed)") : "train", points: smooth,
                        style: theme.mainCurve, marker: "*"),
        ]
        if s.smoothingPercent == 0 { series.removeFirst() }
        series.append(ChartSeries(name: short ? "val" : "validation", points: val, style: theme.secondCurve,
                                  marker: "o", connect: true))
        return series
    }
}

/// Browsing with no curves to draw: why, under the middle of the chart, wrapped to its width.
struct BrowseLossNote: Widget {
    let note: String

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        g.fill(r)
        var y = r.y + r.height / 2
        for line in wrapped(note, width: r.width - 1) where y < r.maxY {
            g.put(line, x: r.x + 1, y: y, .dim, clip: r)
            y += 1
        }
    }
}
