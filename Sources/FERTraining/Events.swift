import FERData

/// What a training session tells its observers. Plain values only, safe to send across threads.
public enum TrainingEvent: Sendable {
    case started(SessionInfo)
    case step(StepReport)
    case evaluated(EvaluationReport)
    case checkpointSaved(CheckpointReport)
    case paused(step: Int)
    case resumed(step: Int)
    /// With a deadline: the run's length, planned from the pace of its first minute.
    case planned(BudgetPlan)
    /// The run was shortened to `totalSteps` to end by its deadline (`TrainingConfiguration.deadline`).
    case replanned(totalSteps: Int, reason: String)
    /// Answer to `TrainingSession.requestPrediction`: softmax probabilities for the tagged image.
    case prediction(tag: Int, probabilities: [Float])
    /// Answer to `requestPrediction(…, saliency: true)`: the 48×48 saliency map (0...1) of the
    /// tagged image for its predicted class `classIndex`.
    case saliency(tag: Int, classIndex: Int, map: [Float])
    case finished(FinishReport)
    case failed(message: String)
}

/// Facts fixed for the whole run.
public struct SessionInfo: Sendable, Equatable {
    public var architecture: String
    public var datasetName: String
    public var trainCount: Int
    public var validationCount: Int
    public var testCount: Int
    public var batchSize: Int
    /// The run's total steps; `firstStep` > 0 when resuming.
    public var totalSteps: Int
    public var firstStep: Int
    public var runDirectory: String
    /// With teachers (distillation): what they answered, as `TeacherTargets.summary` says it.
    public var teachers: String?
    public init(architecture: String, datasetName: String, trainCount: Int, validationCount: Int, testCount: Int,
                batchSize: Int, totalSteps: Int, firstStep: Int, runDirectory: String) {
        self.architecture = architecture
        self.datasetName = datasetName
        self.trainCount = trainCount
        self.validationCount = validationCount
        self.testCount = testCount
        self.batchSize = batchSize
        self.totalSteps = totalSteps
        self.firstStep = firstStep
        self.runDirectory = runDirectory
    }
    /// Steps in one pass over the training split.
    public var stepsPerEpoch: Int { Self.stepsPerEpoch(trainCount: trainCount, batchSize: batchSize) }
    /// Batches in one pass over `trainCount` images (the last one may be short); at least 1.
    public static func stepsPerEpoch(trainCount: Int, batchSize: Int) -> Int {
        max(1, (trainCount + batchSize - 1) / max(1, batchSize))
    }
}

public struct StepReport: Sendable, Equatable {
    /// Steps completed (1-based after the first step).
    public var step: Int
    /// Fractional epoch: images seen / training images.
    public var epoch: Double
    public var loss: Float
    public var learningRate: Float
    /// Training throughput over the recent window.
    public var imagesPerSecond: Double
    /// Seconds spent training in this process (pauses excluded).
    public var elapsed: Double
    public init(step: Int, epoch: Double, loss: Float, learningRate: Float, imagesPerSecond: Double, elapsed: Double) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.learningRate = learningRate
        self.imagesPerSecond = imagesPerSecond
        self.elapsed = elapsed
    }
}

public struct EvaluationReport: Sendable, Equatable {
    public var step: Int
    /// The mean loss on the evaluated split (named for the split training evaluates).
    public var validationLoss: Float
    public var confusion: ConfusionMatrix
    /// Indices into the evaluated split whose prediction was wrong (for "show only misclassified").
    public var misclassified: [Int]
    /// The predicted class of every sample of the split, in order (for "true X, predicted Y"
    /// drill-down); empty when not known (a watched run's metrics hold only the matrix).
    public var predicted: [Int8]
    /// Which split was scored: always validation while training; a serving session scores
    /// whichever split it is asked for (`TrainingSession.requestEvaluation`).
    public var split: SplitName
    public init(step: Int, validationLoss: Float, confusion: ConfusionMatrix, misclassified: [Int], predicted: [Int8] = [],
                split: SplitName = .validation) {
        self.step = step
        self.validationLoss = validationLoss
        self.confusion = confusion
        self.misclassified = misclassified
        self.predicted = predicted
        self.split = split
    }
    public var accuracy: Double { confusion.accuracy }
}

public struct CheckpointReport: Sendable, Equatable {
    public var step: Int
    public var path: String
    public var isBest: Bool
    public init(step: Int, path: String, isBest: Bool) {
        self.step = step
        self.path = path
        self.isBest = isBest
    }
}

public struct FinishReport: Sendable, Equatable {
    public var step: Int
    public var elapsed: Double
    /// True when stopped early (by the person), false when the step budget was reached.
    public var stoppedEarly: Bool
    public init(step: Int, elapsed: Double, stoppedEarly: Bool) {
        self.step = step
        self.elapsed = elapsed
        self.stoppedEarly = stoppedEarly
    }
}

/// Rows are true classes, columns predicted classes.
public struct ConfusionMatrix: Sendable, Equatable {
    public var counts: [[Int]]
    public init(classes: Int = Emotion.count) {
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
    }
    public init(counts: [[Int]]) { self.counts = counts }
    public var classes: Int { counts.count }
    public mutating func add(truth: Int, predicted: Int) { counts[truth][predicted] += 1 }
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var correct: Int { (0..<classes).reduce(0) { $0 + counts[$1][$1] } }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    /// Support: how many examples truly are class `c`.
    public func support(_ c: Int) -> Int { counts[c].reduce(0, +) }
    public func predictedCount(_ c: Int) -> Int { counts.reduce(0) { $0 + $1[c] } }
    public func recall(_ c: Int) -> Double {
        let s = support(c)
        return s == 0 ? 0 : Double(counts[c][c]) / Double(s)
    }
    public func precision(_ c: Int) -> Double {
        let p = predictedCount(c)
        return p == 0 ? 0 : Double(counts[c][c]) / Double(p)
    }
    public func f1(_ c: Int) -> Double {
        let p = precision(c), r = recall(c)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }
}
