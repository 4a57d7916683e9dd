import FERTraining
import Foundation
import TermUI

/// `--compare`: other runs' validation loss behind the live curves and, when there is room, a
/// validation-accuracy chart under them on the same axis; the bottom row names the runs.
struct ComparisonChart: Widget {
    let state: AppState
    let info: SessionInfo
    /// This run's curves, drawn last so the live run stays in front.
    let live: [ChartSeries]

    static let markers: [Character] = ["+", "x", "#", "%", "&"]

    func draw(_ g: inout CellGrid, _ area: Rect, caps: Capabilities) {
        g.fill(area)
        let s = state, theme = Theme(caps: caps)
        let (r, legendR) = area.splitBottom(1)
        // An epoch of another run sits where the live run reaches the same epoch; its curve is
        // shown over the live run's planned length.
        let perEpoch = Double(info.stepsPerEpoch)
        let end = Double(max(info.totalSteps, s.lastStep?.step ?? 0, 1))
        let others = s.comparisons.enumerated().map { i, run in
            (run: run, style: theme.comparedRun(i),
             marker: Self.markers[i % Self.markers.count],
             points: run.points.map { (x: $0.epoch * perEpoch, p: $0) }.filter { $0.x <= end })
        }
        let xs = live.flatMap { $0.points.map(\.x) } + others.flatMap { $0.points.map(\.x) }
        let xRange = (xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1)
        let lossSeries = others.map {
            ChartSeries(name: $0.run.name, points: $0.points.map { (x: $0.x, y: $0.p.loss) }, style: $0.style,
                        marker: $0.marker, inLegend: false)
        } + live
        let withAccuracy = r.height >= 14
        let (lossR, accuracyR) = withAccuracy ? r.splitBottom(r.height * 2 / 5) : (r, Rect(x: 0, y: 0, width: 0, height: 0))
        LineChart(series: lossSeries, logY: s.logY, xRange: xRange).draw(&g, lossR, caps: caps)
        if withAccuracy {
            let accuracySeries = others.map {
                ChartSeries(name: $0.run.name, points: $0.points.map { (x: $0.x, y: $0.p.accuracy) }, style: $0.style,
                            marker: $0.marker, inLegend: false)
            } + [ChartSeries(name: "validation accuracy", points: s.evals.map { (x: Double($0.step), y: $0.accuracy) },
                             style: theme.secondCurve, marker: "o")]
            LineChart(series: accuracySeries, xRange: xRange).draw(&g, accuracyR, caps: caps)
        }
        // Legend: each run's colour, name and best validation accuracy.
        func best(_ a: Double?) -> String { a.map { String(format: " %.1f%%", $0 * 100) } ?? "" }
        let mark = caps.unicode ? "━" : "-"
        var x = g.put(mark, x: legendR.x, y: legendR.y, theme.secondCurve, clip: legendR)
        x = g.put(" this run" + best(s.evals.map(\.accuracy).max()) + "  ", x: x, y: legendR.y, .bold, clip: legendR)
        for o in others {
            x = g.put(caps.unicode ? mark : String(o.marker), x: x, y: legendR.y, o.style, clip: legendR)
            x = g.put(" " + o.run.name + best(o.run.bestAccuracy) + "  ", x: x, y: legendR.y, .plain, clip: legendR)
        }
    }
}
