import FERData
import FERTraining
import Foundation
import TermUI

/// The confusion matrix of the evaluation on screen with its accuracy and loss under it. Browsing
/// with a model it shows the evaluation of the split on screen; training never reaches the
/// browse-only words, so its panel reads as it always did.
struct ConfusionPanel: Widget {
    let state: AppState

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state
        let focused = s.focus == .confusion
        var title = focused ? (caps.unicode ? "▶ Confusion" : "> Confusion") : "Confusion"
        if let e = s.shownEval { title += Self.titleTail(e, s, room: r.width - 4 - title.count) }
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        guard let e = s.shownEval, let view = Self.matrix(s) else {
            g.put(Self.waiting(s), x: inner.x, y: inner.y, .dim, clip: inner)
            return
        }
        view.draw(&g, inner, caps: caps)
        let footY = inner.y + e.confusion.classes + 1
        if footY < inner.maxY {
            let c = e.confusion
            var foot = String(format: "accuracy %.1f%% (%d/%d)  %@ %.4f", c.accuracy * 100, c.correct, c.total, Self.lossLabel(e),
                              e.validationLoss)
            if foot.count + 30 <= inner.width { foot += "  rows: true, columns: predicted" }
            g.put(foot, x: inner.x, y: footY, .plain, clip: inner)
        }
    }

    /// The matrix of the evaluation shown as drawn (and as a click finds its cells); nil before one.
    static func matrix(_ s: AppState) -> ConfusionView? {
        guard let e = s.shownEval else { return nil }
        return ConfusionView(counts: e.confusion.counts, names: DashboardView.classNames, percent: s.confusionPercent,
                             cursor: s.focus == .confusion ? (s.confusionCursor.truth, s.confusionCursor.predicted) : nil)
    }

    /// What follows "Confusion" in the panel's title. Training: "  step 400  acc 60.0%  counts".
    /// Browsing it names the split first, and drops or shortens words until `room` holds it.
    static func titleTail(_ e: EvaluationReport, _ s: AppState, room: Int) -> String {
        let mode = s.confusionPercent ? "row %" : "counts"
        let step = "step \(e.step)", accuracy = String(format: "acc %.1f%%", e.accuracy * 100)
        guard s.phase == .browsing else { return "  " + [step, accuracy, mode].joined(separator: "  ") }
        let split = e.split.rawValue, short = e.split == .validation ? "val" : split
        let forms = [[split, step, accuracy, mode], [split, step, accuracy], [short, step, accuracy], [short, accuracy]]
            .map { "  " + $0.joined(separator: "  ") }
        return forms.first { $0.count <= room } ?? forms[forms.count - 1]
    }

    /// The panel's one line while the split has no evaluation to show.
    static func waiting(_ s: AppState) -> String {
        let split = s.evaluatedSplit, set = s.dataset[split]
        if s.evaluating.contains(split) { return "evaluating the \(split.rawValue) split…" }
        if s.phase == .browsing && s.hasModel && !set.isEmpty && !set.isLabeled {
            return "the \(split.rawValue) split has no labels to score against"
        }
        return "no evaluation yet"
    }

    /// "val loss" for validation (the only split training evaluates), else "test loss" and so on.
    static func lossLabel(_ e: EvaluationReport) -> String {
        e.split == .validation ? "val loss" : "\(e.split.rawValue) loss"
    }
}
