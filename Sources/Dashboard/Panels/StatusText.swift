import FERTraining
import Foundation

/// Everything the training status panel says, as pure functions of plain values: the panel
/// only places these strings, and the tests read them without drawing.
enum StatusText {
    /// The message line: the reducer's message, else why training failed, else the last checkpoint.
    static func message(_ s: AppState) -> (text: String, isError: Bool)? {
        if let m = s.message { return (m, s.messageIsError) }
        if case .failed(let m) = s.phase { return ("training failed: \(m)", true) }
        if let c = s.lastCheckpoint { return ("last checkpoint: step \(c.step)\(c.isBest ? " (best)" : "")  \(c.path)", false) }
        return nil
    }

    /// "stopping" and "pausing" while a stop or pause is on its way, else the phase's own word.
    static func phaseWord(_ phase: Phase, quitting: Bool, pauseRequested: Bool) -> String {
        quitting && phase.isLive ? "stopping" : (pauseRequested && phase == .running ? "pausing" : phase.word)
    }

    /// "step 40/100", or "step 40" for an older run that did not record its planned length.
    static func step(_ step: Int, of total: Int) -> String {
        total > 0 ? "step \(step)/\(total)" : "step \(step)"
    }

    /// How far through the planned steps (0 when the length is unknown).
    static func fraction(step: Int, of total: Int) -> Double {
        total > 0 ? Double(step) / Double(total) : 0
    }

    static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
    static func epoch(_ epoch: Double) -> String { String(format: "epoch %.2f", epoch) }
    static func throughput(imagesPerSecond: Double) -> String { String(format: "%.0f img/s", imagesPerSecond) }
    static func elapsed(_ seconds: Double) -> String { "elapsed \(DashboardView.duration(seconds))" }
    static func learningRate(_ lr: Float) -> String { String(format: "lr %.2e", lr) }

    /// Time left at the pace so far: `stepsDone` steps took `elapsed` seconds. "ETA --" when there
    /// is no pace yet or the run is not moving (paused, watched and stale).
    static func eta(elapsed: Double, stepsDone: Int, stepsLeft: Int, progressing: Bool) -> String {
        let eta = stepsDone > 0 && progressing ? elapsed / Double(stepsDone) * Double(stepsLeft) : .nan
        return "ETA \(DashboardView.duration(eta))"
    }

    /// Before the run has said how long it is: why the panel shows no progress.
    static func waitingNote(_ s: AppState) -> String? {
        if s.watch != nil { return "the run has not written its start yet" }
        if s.phase == .starting { return "waiting for the training session…" }
        if s.phase == .browsing { return s.hasModel ? "model loaded: predictions on" : "no model: browsing only" }
        return nil
    }

    /// "train 28709 · val 3589 · test 3589".
    static func splitSizes(train: Int, validation: Int, test: Int, unicode: Bool) -> String {
        let dot = unicode ? "·" : "/"
        return "train \(train) \(dot) val \(validation) \(dot) test \(test)"
    }

    static func architecture(_ name: String, batchSize: Int) -> String { "arch \(name)  batch \(batchSize)" }

    /// The time budget's plan and why: "plan 44.3 of 60 epochs (372 img/s over the first 60 s,
    /// 56.8 min left, …)"; "plan: all 60 epochs (…)" when the budget changes nothing.
    static func plan(_ p: BudgetPlan) -> String {
        (p.isFullLength ? "plan: all \(BudgetPlan.epochText(p.recipeEpochs)) epochs" : "plan \(p.length)") + " (\(p.reason))"
    }

    /// Watching: when the run's files last changed, seen from the last check.
    static func written(_ w: WatchStatus) -> String? {
        w.lastWrite.map { "written \(DashboardView.ago(w.checkedAt.timeIntervalSince($0)))" }
    }

    /// Watching: the run's state as its files tell it ("stale since 14:02:11" when it stopped writing).
    static func watchWord(_ w: WatchStatus) -> String {
        if case .stale(let since) = w.state { return w.state.word + " since " + DashboardView.clockTime(since, w.timeZone) }
        return w.state.word
    }

    /// The panel's title.
    static func title(watching: Bool, unicode: Bool) -> String {
        "ferdash " + (watching ? "watch " : "") + (unicode ? "— " : "- ") + "Status"
    }
}
