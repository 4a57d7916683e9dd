import FERData
import FERTraining
import TermUI

/// Browsing with a model, the Confusion panel shows the evaluation of the split on screen and
/// the Loss panel the curves of the run the model came from: the words and notes they use for
/// that. Training never reaches the browse-only forms, so its panels read as they always did.
extension DashboardView {
    /// What follows "Confusion" in the panel's title. Training: "  step 400  acc 60.0%  counts".
    /// Browsing it names the split first, and drops or shortens words until `room` holds it.
    static func confusionTitleTail(_ e: EvaluationReport, _ s: AppState, room: Int) -> String {
        let mode = s.confusionPercent ? "row %" : "counts"
        let step = "step \(e.step)", accuracy = String(format: "acc %.1f%%", e.accuracy * 100)
        guard s.phase == .browsing else { return "  " + [step, accuracy, mode].joined(separator: "  ") }
        let split = e.split.rawValue, short = e.split == .validation ? "val" : split
        let forms = [[split, step, accuracy, mode], [split, step, accuracy], [short, step, accuracy], [short, accuracy]]
            .map { "  " + $0.joined(separator: "  ") }
        return forms.first { $0.count <= room } ?? forms[forms.count - 1]
    }

    /// The Confusion panel's one line while the split has no evaluation to show.
    static func confusionWaiting(_ s: AppState) -> String {
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

    /// Browsing with no curves to draw: why, under the middle of the chart, wrapped to its width.
    static func drawBrowseLossNote(_ g: inout CellGrid, _ chartR: Rect, _ s: AppState) {
        let note = s.historyNote ?? "no training in this session (browse)"
        var y = chartR.y + chartR.height / 2
        for line in wrapped(note, width: chartR.width - 1) where y < chartR.maxY {
            g.put(line, x: chartR.x + 1, y: y, .dim, clip: chartR)
            y += 1
        }
    }
}
