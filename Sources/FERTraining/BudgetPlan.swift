import Foundation

/// How a run with a time budget spends it, decided once from the pace of its first minute.
///
/// The recipe's 60 epochs are made for the fast machines; a slower one would overrun the hour.
/// Rather than start the recipe's schedule and cut it off, the session trains the warm-up (whose
/// learning rates do not depend on the run's length) while it measures, then fixes the length
/// that fits the time left, so the cosine that follows is one made for that length. The
/// session's pace check still corrects the plan afterwards if the machine gets busier or quieter.
public struct BudgetPlan: Sendable, Equatable {
    /// The step at which the plan was made.
    public var step: Int
    /// The run's length under the plan (the schedule's end).
    public var totalSteps: Int
    /// The length the recipe asked for: the plan never goes beyond it.
    public var recipeSteps: Int
    public var stepsPerEpoch: Int
    /// Training images per second over the measured steps (evaluations and pauses excluded).
    public var imagesPerSecond: Double
    /// Seconds of training the pace was measured over.
    public var measuredSeconds: Double
    /// Seconds left before the deadline when the plan was made.
    public var secondsLeft: Double
    /// Seconds one evaluation of the validation split takes (or is expected to take).
    public var evaluationSeconds: Double
    /// Whether `evaluationSeconds` was measured (else estimated from the training pace).
    public var evaluationMeasured: Bool

    public init(step: Int, totalSteps: Int, recipeSteps: Int, stepsPerEpoch: Int, imagesPerSecond: Double,
                measuredSeconds: Double, secondsLeft: Double, evaluationSeconds: Double, evaluationMeasured: Bool) {
        self.step = step
        self.totalSteps = totalSteps
        self.recipeSteps = recipeSteps
        self.stepsPerEpoch = max(1, stepsPerEpoch)
        self.imagesPerSecond = imagesPerSecond
        self.measuredSeconds = measuredSeconds
        self.secondsLeft = secondsLeft
        self.evaluationSeconds = evaluationSeconds
        self.evaluationMeasured = evaluationMeasured
    }

    public var epochs: Double { Double(totalSteps) / Double(stepsPerEpoch) }
    public var recipeEpochs: Double { Double(recipeSteps) / Double(stepsPerEpoch) }
    /// The whole recipe fits: the budget changes nothing.
    public var isFullLength: Bool { totalSteps >= recipeSteps }

    /// "44.3 of 60 epochs".
    public var length: String { "\(Self.epochText(epochs)) of \(Self.epochText(recipeEpochs)) epochs" }

    /// Why: "372 img/s over the first 60 s, 56.8 min left, evaluations ≈ 3.1 s each".
    public var reason: String {
        let evaluation = (evaluationMeasured ? "" : "≈ ") + String(format: "%.1f s", evaluationSeconds)
        return "\(Int(imagesPerSecond.rounded())) img/s over the first \(Int(measuredSeconds.rounded())) s, "
            + String(format: "%.1f min left", secondsLeft / 60) + ", evaluations \(evaluation) each"
    }

    /// One sentence for the log and the dashboard's message line.
    public var sentence: String {
        isFullLength ? "the recipe's \(Self.epochText(recipeEpochs)) epochs fit the time budget (\(reason))"
            : "\(length) fit the time budget, so the schedule is made for \(Self.epochText(epochs)) (\(reason))"
    }

    /// Whole epochs without a decimal, others with one: "60", "44.3".
    public static func epochText(_ value: Double) -> String {
        let tenths = (value * 10).rounded(.down) / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(format: "%.1f", tenths)
    }
}

/// Makes the `BudgetPlan`: pure arithmetic on what the session measured.
public enum BudgetPlanner {
    /// The fraction of the time left that the plan spends: the rest absorbs jitter and the last
    /// checkpoint, as the pace check's own margin does.
    public static let spend = 0.98
    /// Training time over which the pace is measured before the plan is made (unless the
    /// warm-up ends first).
    public static let measureSeconds = 60.0
    /// Steps measured at least, so thread start-up and cold caches are averaged away.
    public static let minimumSteps = 20

    /// Whether the session has measured enough to plan: at least `minimumSteps`, and either the
    /// warm-up is over (the cosine's shape starts to depend on the length) or a minute of
    /// training has passed.
    public static func ready(stepsDone: Int, step: Int, warmupSteps: Int, trainingSeconds: Double) -> Bool {
        stepsDone >= minimumSteps && (step >= warmupSteps || trainingSeconds >= measureSeconds)
    }

    /// The longest run that fits: each further step costs its measured time plus its share of
    /// the evaluation every `evalEvery` steps, one evaluation is kept for the last step (which
    /// is always evaluated), and `spend` of the time left is used (by default `BudgetPlanner.spend`;
    /// the session's check asks what all of it holds, to shrink a plan only when it would overrun).
    /// - Parameters:
    ///   - secondsPerStep: training time per step measured so far.
    ///   - evaluationSeconds: measured, or nil to estimate it from the training pace: evaluating
    ///     an image is one forward pass, about a third of a training step's work (forward and two
    ///     backward products), so this errs on the long side (folded inference is faster still).
    public static func plan(step: Int, recipeSteps: Int, stepsPerEpoch: Int, batchSize: Int, evalEvery: Int,
                            validationCount: Int, secondsPerStep: Double, trainingSeconds: Double,
                            evaluationSeconds: Double?, secondsLeft: Double, spend: Double = spend) -> BudgetPlan {
        let perImage = secondsPerStep / Double(max(1, batchSize))
        let evaluation = evaluationSeconds ?? Double(validationCount) * perImage / 3
        let evaluates = validationCount > 0
        let perStep = secondsPerStep + (evaluates ? evaluation / Double(max(1, evalEvery)) : 0)
        let usable = max(0, spend * secondsLeft - (evaluates ? evaluation : 0))
        let more = perStep > 0 ? Int((usable / perStep).rounded(.down)) : recipeSteps
        let total = min(recipeSteps, step + max(0, more))
        return BudgetPlan(step: step, totalSteps: max(step, total), recipeSteps: recipeSteps, stepsPerEpoch: stepsPerEpoch,
                          imagesPerSecond: secondsPerStep > 0 ? Double(batchSize) / secondsPerStep : 0,
                          measuredSeconds: trainingSeconds, secondsLeft: secondsLeft,
                          evaluationSeconds: evaluation, evaluationMeasured: evaluationSeconds != nil)
    }
}
