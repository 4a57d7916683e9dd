import Dispatch
import FERData
import FERModel
import Foundation

/// Everything that shapes a training run.
public struct TrainingConfiguration: Sendable {
    public var architecture: Architecture = .seed
    /// The architecture's recipe the defaults come from (`--recipe`).
    public var recipe: TrainingRecipe.Length = .hour
    public var hyperparameters = Hyperparameters()
    /// The run's total steps (with `resume`, training continues until this total).
    public var totalSteps = 1001
    public var batchSize = 128
    public var evalEvery = 100
    public var seed: UInt64 = 0
    public var threads = 2
    public var runDirectory: String
    public var resume = false
    /// Learning-rate curve; its peak is `hyperparameters.learningRate`.
    public var schedule: LearningRateSchedule.Kind = .constant
    public var warmupSteps = 0
    /// Final rate as a fraction of the peak (cosine).
    public var scheduleFloor: Float = 0
    /// Training-image perturbation, drawn per (seed, step, slot).
    public var augmentation: Augmentation = .none
    /// Blending of training images and their labels in pairs (off: `.none`).
    public var mixup: Mixup = .none
    /// Checkpoints whose answers for the training images are blended into the labels
    /// (distillation, `TeacherTargets`); empty: none.
    public var teachers: [String] = []
    /// The teachers' share of each target (nil without teachers).
    public var distillWeight: Float?
    /// The temperature that softens the teachers' probabilities (nil without teachers).
    public var distillTemperature: Float?
    /// Decay of the weights' moving average that evaluations and the best checkpoint use
    /// (nil: none). See `Classifier.averageWeights`.
    public var weightAverageDecay: Float?
    /// When the run must be over (nanoseconds on the session's clock, by default `DispatchTime`
    /// uptime); time spent paused moves it later. The session shortens the run to fit (see
    /// `fitToDeadline`). nil: none.
    public var deadline: UInt64?
    /// The command line that started the run, kept in checkpoints (and so in exported models).
    public var command: String?
    public static let commandKey = "command"
    /// How the run was launched, recorded for viewers of the run (`ferdash watch`, `ferdash runs`).
    public var launch = LaunchRecord()
    public init(runDirectory: String) { self.runDirectory = runDirectory }

    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(kind: schedule, peak: hyperparameters.learningRate, warmupSteps: warmupSteps,
                             floor: scheduleFloor)
    }

    /// The settings this configuration was resolved with (see TrainingSettings.swift).
    public var schema = TrainingSchema.standard
    /// Values of settings that have no field of their own (a setting's `field` may point here).
    public var more = SettingValues()

    /// Everything `--resume` needs to continue the same run, as checkpoint metadata.
    public var metadata: [String: String] { schema.recorded(self, in: .checkpoint) }
}

/// Where a run's data came from: what another process needs to open the run
/// (`ferdash watch` loads the same dataset to browse it). Written into the `started` event.
public struct LaunchRecord: Sendable, Equatable {
    /// Absolute path of the dataset; nil for the built-in synthetic faces.
    public var datasetPath: String?
    /// The loader options, so a viewer gets the very same splits.
    public var splitSeed: UInt64 = 0
    public var skipBadRows = false
    public init(datasetPath: String? = nil, splitSeed: UInt64 = 0, skipBadRows: Bool = false) {
        self.datasetPath = datasetPath
        self.splitSeed = splitSeed
        self.skipBadRows = skipBadRows
    }
}

/// Runs training on a background queue and reports through `sink`.
///
/// `pause`, `resume`, `stop`, `saveCheckpointNow` and `requestPrediction` may be called from any
/// thread; they only set flags under a lock. The training loop reads them between mini-batches
/// (`controlPoint`), the only place the loop looks at control, and it also answers prediction
/// requests there, so the UI gets predictions from the current weights without touching the model.
public final class TrainingSession: @unchecked Sendable {   // unchecked: control flags are guarded by `condition` (paused training sleeps on it), the rest is owned by `queue`
    private let dataset: Dataset
    private let configuration: TrainingConfiguration
    private let sink: @Sendable (TrainingEvent) -> Void
    private let queue = DispatchQueue(label: "ferdash.training", qos: .userInitiated)

    // Shared with other threads; guarded by `condition`.
    private let condition = NSCondition()
    private var pauseRequested = false
    private var stopRequested = false
    private var saveRequested = false
    private var pendingPredictions: [(pixels: [UInt8], tag: Int, saliency: Bool)] = []
    private var done = false
    private var closed = false

    // Owned by `queue` only.
    private var classifier: Classifier?
    /// A serving session's evaluations, by split (see `requestEvaluation`).
    private var scoredSplits: [SplitName: EvaluationReport] = [:]
    private var run: RunDirectory
    private var bestAccuracy = -1.0
    private var step = 0
    /// The step of the newest checkpoint on disk (-1: none yet), for the message of a failed save.
    private var savedStep = -1
    /// The run's total: the configuration's, until a deadline shortens it.
    private var plannedSteps = 0
    /// With a deadline: the plan made from the first minute's pace (nil until then).
    private var budgetPlan: BudgetPlan?
    /// This session's evaluations (with their checkpoints): how many, and their seconds in all.
    private var evaluationCount = 0
    private var evaluationSeconds = 0.0
    /// Time spent paused (it does not count against the deadline).
    private var pausedNanoseconds: UInt64 = 0
    /// The run's metrics hold this session's `started` line (so a failure belongs there too).
    private var startRecorded = false

    /// Monotonic nanoseconds (`DispatchTime` uptime unless a test injects its own): step
    /// times, throughput, time spent paused and the deadline are all read from it.
    private let clock: @Sendable () -> UInt64

    public init(dataset: Dataset, configuration: TrainingConfiguration,
                clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds },
                sink: @escaping @Sendable (TrainingEvent) -> Void) {
        self.dataset = dataset
        self.configuration = configuration
        self.clock = clock
        self.sink = sink
        self.run = RunDirectory(path: configuration.runDirectory)
    }

    /// A session that only answers predictions with an already trained model. Given a labelled
    /// `evaluationSet`, it first scores the model on it and reports that as an `evaluated` event,
    /// so the confusion matrix and the misclassified filter work.
    public static func serving(_ classifier: Classifier, evaluationSet: ImageSet? = nil,
                               sink: @escaping @Sendable (TrainingEvent) -> Void) -> TrainingSession {
        let splits = Dataset(name: "", train: ImageSet(), validation: evaluationSet ?? ImageSet(), test: ImageSet())
        let session = serving(classifier, dataset: splits, sink: sink)
        if evaluationSet != nil { session.requestEvaluation(of: .validation) }
        return session
    }

    /// A session that answers predictions with an already trained model and, when asked
    /// (`requestEvaluation`), scores it on a split of `dataset` (for browsing).
    public static func serving(_ classifier: Classifier, dataset: Dataset,
                               sink: @escaping @Sendable (TrainingEvent) -> Void) -> TrainingSession {
        let session = TrainingSession(dataset: dataset, configuration: TrainingConfiguration(runDirectory: ""), sink: sink)
        // Set before the session is shared: every block on its queue comes later and sees it.
        session.classifier = classifier
        session.markDone()
        return session
    }

    /// Serving sessions: scores the model on a split of the dataset, answered by an `evaluated`
    /// event for that split. Each split is scored once; asking again answers with the same report.
    /// The work runs on the session's queue a chunk at a time, answering the predictions asked
    /// for meanwhile between chunks, so the sample on screen does not wait for all 28,709
    /// training faces; `close()` ends it at the next chunk. An empty or unlabelled split has
    /// nothing to score and gets no answer.
    public func requestEvaluation(of split: SplitName) {
        queue.async { [self] in
            guard let classifier, !isClosed else { return }
            if let report = scoredSplits[split] { return sink(.evaluated(report)) }
            let set = dataset[split]
            guard set.count > 0, set.isLabeled else { return }
            let scored = Evaluator.evaluate(classifier, on: set, betweenChunks: {
                answerPredictions(classifier)
                return !isClosed
            })
            guard let result = scored else { return }
            let report = EvaluationReport(step: classifier.step, validationLoss: result.loss, confusion: result.confusion,
                                          misclassified: result.misclassified, predicted: result.predicted, split: split)
            scoredSplits[split] = report
            sink(.evaluated(report))
        }
    }

    public func start() {
        queue.async { [self] in
            do {
                try train()
            } catch {
                recordFailure(error)
                sink(.failed(message: String(describing: error)))
            }
            markDone()
        }
    }

    public func pause() { setFlag { $0.pauseRequested = true } }
    public func resume() { setFlag { $0.pauseRequested = false } }
    /// Stops after the current batch, writes a checkpoint, then emits `finished`.
    public func stop() { setFlag { $0.stopRequested = true } }
    public func saveCheckpointNow() { setFlag { $0.saveRequested = true } }

    /// Predicts on a 48×48 image with the current weights; answered by a `.prediction` event,
    /// and with `saliency` also by a `.saliency` event: the map for the predicted class
    /// (`Evaluator.saliency`), from the same weights at the same control point.
    public func requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool = false) {
        setFlag { $0.pendingPredictions.append((pixels, tag, saliency)) }
        // While training runs the loop answers at its next control point; once it has ended,
        // this block (queued behind it on the serial queue) does.
        queue.async { [self] in
            if let classifier, !isClosed { answerPredictions(classifier) }
        }
    }

    /// Before the process exits: drops predictions not yet answered and waits (up to
    /// `timeout`) for the queue to go idle, so no model code runs while exit() tears down
    /// libraries — OpenBLAS frees its buffers in an exit handler, and an sgemm still running
    /// on this queue then crashed a dashboard quit right after launch.
    public func close(timeout seconds: Double = 5) {
        setFlag { $0.closed = true; $0.pendingPredictions.removeAll() }
        let idle = DispatchSemaphore(value: 0)
        queue.async { idle.signal() }
        _ = idle.wait(timeout: .now() + seconds)
    }

    private var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Blocks until the run has finished or failed; false on timeout.
    @discardableResult
    public func wait(timeout seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard seconds.isFinite else {
            while !done { condition.wait() }
            return true
        }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !done {
            if !condition.wait(until: deadline) { return done }
        }
        return true
    }

    // MARK: - The training loop (on `queue`)

    private func train() throws {
        let train = dataset.train
        guard !train.isEmpty else { throw RunError("\(dataset.name): the training split is empty; nothing to train on") }
        guard train.isLabeled else { throw RunError("\(dataset.name): the training split has unlabelled images") }
        let engine = Engine(threads: configuration.threads)
        try run.create()
        let metrics = try MetricsLog(path: run.metrics)
        let tensorboard = try TensorBoardLog(directory: run.path)

        let model: Classifier
        if configuration.resume {
            (model, bestAccuracy) = try restore(on: engine)
        } else {
            model = Classifier(architecture: configuration.architecture,
                               hyperparameters: configuration.hyperparameters, seed: configuration.seed,
                               engine: engine)
        }
        if let decay = configuration.weightAverageDecay, model.weightAverageDecay != decay {
            // A new run, or a resumed one that kept no average (or another decay): the average
            // starts from the weights as they are.
            model.averageWeights(decay: decay)
        } else if configuration.weightAverageDecay == nil {
            model.stopAveraging()   // resumed with --average-decay 0
        }
        classifier = model
        step = model.step
        if configuration.resume { savedStep = step }
        let firstStep = step
        plannedSteps = configuration.totalSteps
        let batchSize = configuration.batchSize
        let sampler = BatchSampler(count: train.count, batchSize: batchSize, seed: configuration.seed)
        let targets = try teacherTargets(engine: engine)
        var info = SessionInfo(architecture: configuration.architecture.rawValue, datasetName: dataset.name,
                               trainCount: train.count, validationCount: dataset.validation.count,
                               testCount: dataset.test.count, batchSize: batchSize,
                               totalSteps: configuration.totalSteps, firstStep: firstStep, runDirectory: run.path)
        info.teachers = targets?.summary
        sink(.started(info))
        try persisting { try metrics.append(startRecord(info)) }
        startRecorded = true
        try trainSteps(model, metrics: metrics, tensorboard: tensorboard, sampler: sampler, firstStep: firstStep,
                       targets: targets)
    }

    /// The teachers' answers when the run distils (nil otherwise, or when a stop came while
    /// they were computed: the loop then stops before its first step).
    private func teacherTargets(engine: Engine) throws -> TeacherTargets? {
        guard !configuration.teachers.isEmpty, let temperature = configuration.distillTemperature else { return nil }
        return try TeacherTargets.compute(teachers: configuration.teachers, set: dataset.train, temperature: temperature,
                                          engine: engine, betweenChunks: { !isStopRequested })
    }

    private var isStopRequested: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopRequested
    }

    /// A step per batch until the plan is done or a stop is asked for; then the last checkpoint
    /// and `finished`.
    private func trainSteps(_ model: Classifier, metrics: MetricsLog, tensorboard: TensorBoardLog,
                            sampler: BatchSampler, firstStep: Int, targets: TeacherTargets?) throws {
        let train = dataset.train
        let batchSize = configuration.batchSize
        let batches = BatchPreparer(set: train, sampler: sampler, augmentation: configuration.augmentation,
                                    mixup: configuration.mixup, seed: configuration.seed, targets: targets?.probabilities)
        let distillWeight = targets == nil ? nil : configuration.distillWeight
        let schedule = configuration.learningRateSchedule
        var throughput = ThroughputWindow()
        var activeSeconds = 0.0
        var evaluatedAt = -1
        let loopStarted = clock()
        while step < plannedSteps {
            if try controlPoint(model) { break }
            let started = clock()
            // The batch for this step was (normally) prepared while the previous one trained;
            // ask for the next one before training on this.
            let batch = batches.take(step: step)
            if step + 1 < plannedSteps { batches.prepare(step: step + 1) }
            model.hyperparameters.learningRate = schedule.rate(step: step, totalSteps: plannedSteps)
            let loss = model.trainStep(images: UnsafeBufferPointer(start: batch.images, count: batch.count),
                                       labels: batch.labels, mix: batch.mix,
                                       soft: distillWeight.map { SoftTargets(rows: batch.soft, weight: $0) })
            batches.release(batch)
            step += 1
            let seconds = Double(clock() - started) / 1e9
            activeSeconds += seconds
            throughput.add(images: batchSize, seconds: seconds)
            guard loss.isFinite else { throw RunError("training diverged at step \(step): the loss is \(loss)") }
            let report = StepReport(step: step, epoch: sampler.epoch(afterSteps: step), loss: loss,
                                    learningRate: model.hyperparameters.learningRate,
                                    imagesPerSecond: throughput.imagesPerSecond, elapsed: activeSeconds)
            try record(report, metrics: metrics, tensorboard: tensorboard)
            if step % configuration.evalEvery == 0 || step == plannedSteps {
                try evaluateAndSave(model, metrics: metrics, tensorboard: tensorboard)
                evaluatedAt = step
            }
            if let plan = planForBudget(since: loopStarted, firstStep: firstStep) {
                try adopt(plan, metrics: metrics)
            } else if let fitted = fitToDeadline(since: loopStarted, firstStep: firstStep) {
                try replan(to: fitted, metrics: metrics)
            }
            if step == plannedSteps && evaluatedAt != step {
                // The plan or a re-plan ended the run at this step: its last step is evaluated too.
                try evaluateAndSave(model, metrics: metrics, tensorboard: tensorboard)
                evaluatedAt = step
            }
        }
        if evaluatedAt != step && step > firstStep {
            // Stopped early: keep what was learned so far.
            try saveCheckpoint(model, isBest: false)
        }
        let stoppedEarly = step < plannedSteps
        try persisting {
            try metrics.append([(RecordKey.event, .text((stoppedEarly ? RunEvent.stopped : .finished).rawValue)),
                                (RecordKey.step, .int(step)), (RecordKey.totalSteps, .int(plannedSteps)),
                                (RecordKey.trainSeconds, .number(activeSeconds)),
                                (RecordKey.time, .number(Date().timeIntervalSince1970))])
        }
        sink(.finished(FinishReport(step: step, elapsed: activeSeconds, stoppedEarly: stoppedEarly)))
    }

    /// A finished step to the UI, metrics.jsonl and the TensorBoard file.
    private func record(_ r: StepReport, metrics: MetricsLog, tensorboard: TensorBoardLog) throws {
        sink(.step(r))
        try persisting {
            try metrics.append([(RecordKey.step, .int(r.step)), (RecordKey.epoch, .number(r.epoch)),
                                (RecordKey.loss, .number(Double(r.loss))), (RecordKey.learningRate, .number(Double(r.learningRate))),
                                (RecordKey.imagesPerSecond, .number(r.imagesPerSecond)),
                                (RecordKey.trainSeconds, .number(r.elapsed))])
            try tensorboard.add(step: r.step, [("train/loss", r.loss), ("train/learning_rate", r.learningRate),
                                               ("train/images_per_s", Float(r.imagesPerSecond))])
        }
    }

    /// The time budget's plan, once the run has measured its pace: the schedule follows it.
    private func adopt(_ plan: BudgetPlan, metrics: MetricsLog) throws {
        budgetPlan = plan
        plannedSteps = plan.totalSteps
        try persisting { try metrics.append(PlanRecord.fields(plan)) }
        sink(.planned(plan))
    }

    /// The time budget moved the end of the run to `total` steps: say so, and follow the new plan.
    private func replan(to total: Int, metrics: MetricsLog) throws {
        plannedSteps = total
        let epochs = String(format: "%.1f", Double(total) * Double(configuration.batchSize) / Double(dataset.train.count))
        let reason = "time budget: at the pace so far the run ends at step \(total) (epoch \(epochs))"
        try persisting { try metrics.append([(RecordKey.event, .text(RunEvent.replanned.rawValue)), (RecordKey.step, .int(step)),
                                                  (RecordKey.totalSteps, .int(total))]) }
        sink(.replanned(totalSteps: total, reason: reason))
    }

    /// The `started` (or `resumed`) line: everything a viewer of the run needs to show it.
    private func startRecord(_ info: SessionInfo) -> [(String, MetricValue)] {
        StartedRecord.fields(info: info, configuration: configuration, time: Date().timeIntervalSince1970,
                             pid: Int(getpid()), host: ProcessInfo.processInfo.hostName)
    }

    /// The run's own file says how it ended, so a viewer never mistakes a crash for a stall.
    private func recordFailure(_ error: Error) {
        // Best effort: on a full disk this line may not fit either (then it is cut off whole).
        guard startRecorded, let metrics = try? MetricsLog(path: run.metrics) else { return }
        try? metrics.append([(RecordKey.event, .text(RunEvent.failed.rawValue)), (RecordKey.step, .int(step)),
                             (RecordKey.message, .text(String(describing: error))),
                             (RecordKey.time, .number(Date().timeIntervalSince1970))])
    }

    /// With a deadline, the plan once the pace is known (`BudgetPlanner.ready`): nil before, after
    /// it is made, without a deadline, or past the deadline (then `fitToDeadline` ends the run).
    private func planForBudget(since started: UInt64, firstStep: Int) -> BudgetPlan? {
        guard budgetPlan == nil, let pace = pace(since: started, firstStep: firstStep, now: clock()), pace.secondsLeft > 0,
              BudgetPlanner.ready(stepsDone: step - firstStep, step: step, warmupSteps: configuration.warmupSteps,
                                  trainingSeconds: pace.measuredSeconds) else { return nil }
        return pace
    }

    /// What fits in the time left at this session's pace so far: its wall time per step (paused
    /// time and evaluations taken out) plus each step's share of an evaluation (as measured, or
    /// estimated before the first), as `BudgetPlanner` reckons it, at the clock's reading `now`.
    private func pace(since started: UInt64, firstStep: Int, now: UInt64, spend: Double = BudgetPlanner.spend) -> BudgetPlan? {
        guard let deadline = configuration.deadline else { return nil }
        let done = step - firstStep
        let active = Double(now &- started &- pausedNanoseconds) / 1e9
        let remaining = Double(Int64(bitPattern: deadline &+ pausedNanoseconds &- now)) / 1e9
        let training = max(0, active - evaluationSeconds)
        let stepsPerEpoch = SessionInfo.stepsPerEpoch(trainCount: dataset.train.count, batchSize: configuration.batchSize)
        return BudgetPlanner.plan(step: step, recipeSteps: configuration.totalSteps, stepsPerEpoch: stepsPerEpoch,
                                  batchSize: configuration.batchSize, evalEvery: configuration.evalEvery,
                                  validationCount: dataset.validation.count,
                                  secondsPerStep: done > 0 ? training / Double(done) : 0, trainingSeconds: training,
                                  evaluationSeconds: evaluationCount > 0 ? evaluationSeconds / Double(evaluationCount) : nil,
                                  secondsLeft: remaining, spend: spend)
    }

    /// After the plan, the total that ends the run in time when it differs from the current plan:
    /// below it when the plan would overrun even with all the time left (the plan's 2% spare is
    /// there to absorb the pace's jitter, so a plan is not shaved every 25 steps), or (once a busy
    /// spell has passed) at least 2% of the run's own length above it, never beyond that length.
    /// The pace is `pace(since:firstStep:now:)`'s. The learning-rate schedule follows the new
    /// total, so a shortened cosine still anneals to its floor instead of being cut off
    /// mid-curve. Past the deadline it ends the run at once (after this step's evaluation and
    /// checkpoint), plan or no plan.
    private func fitToDeadline(since started: UInt64, firstStep: Int) -> Int? {
        let now = clock()
        guard let pace = pace(since: started, firstStep: firstStep, now: now) else { return nil }
        let fitted: Int
        if pace.secondsLeft <= 0 {
            fitted = step
        } else {
            // Re-plan every 25 steps: often enough to follow a change of load, rarely enough
            // that the jitter of single steps does not shave the plan step by step.
            guard budgetPlan != nil, step % 25 == 0 else { return nil }
            fitted = pace.totalSteps
        }
        let target = min(fitted, configuration.totalSteps)
        if target < plannedSteps {
            let overruns = pace.secondsLeft <= 0
                || (self.pace(since: started, firstStep: firstStep, now: now, spend: 1).map { $0.totalSteps < plannedSteps } ?? true)
            return overruns ? max(target, step) : nil
        }
        // Growing back waits for a real margin, so the plan does not wobble with every re-plan.
        let margin = max(1, configuration.totalSteps / 50)
        let grows = target >= plannedSteps + margin || (target == configuration.totalSteps && target > plannedSteps)
        return grows ? target : nil
    }

    /// Reads the run's latest checkpoint; returns the model and the best accuracy seen so far.
    private func restore(on engine: Engine) throws -> (Classifier, Double) {
        let (model, metadata) = try RunDirectory.loadCheckpoint(run.latestCheckpoint, engine: engine, trainingState: true)
        guard model.architecture == configuration.architecture else {
            throw RunError("\(run.latestCheckpoint): checkpoint is architecture '\(model.architecture.rawValue)', but --arch \(configuration.architecture.rawValue) was asked for")
        }
        guard !model.isInferenceOnly else {
            throw RunError("\(run.latestCheckpoint): an inference checkpoint (weights only, no optimizer state) cannot be resumed; resume from a training run's checkpoint")
        }
        model.hyperparameters.learningRate = configuration.hyperparameters.learningRate
        model.hyperparameters.l2 = configuration.hyperparameters.l2
        model.hyperparameters.weightDecay = configuration.hyperparameters.weightDecay
        model.hyperparameters.labelSmoothing = configuration.hyperparameters.labelSmoothing
        return (model, Double(metadata["best_accuracy"] ?? "") ?? -1)
    }

    private func evaluateAndSave(_ model: Classifier, metrics: MetricsLog, tensorboard: TensorBoardLog) throws {
        let started = clock()
        defer {
            evaluationCount += 1
            evaluationSeconds += Double(clock() &- started) / 1e9
        }
        let validation = dataset.validation
        guard validation.count > 0, validation.isLabeled else {
            try saveCheckpoint(model, isBest: false)
            return
        }
        // The model is the moving average when the run keeps one; the raw weights' accuracy is
        // logged beside it, so a run shows what the average is worth.
        let result = model.withAveragedWeights { Evaluator.evaluate(model, on: validation) }
        let raw = model.weightAverageDecay == nil ? nil : Evaluator.evaluate(model, on: validation).confusion.accuracy
        sink(.evaluated(EvaluationReport(step: step, validationLoss: result.loss, confusion: result.confusion,
                                         misclassified: result.misclassified, predicted: result.predicted)))
        let confusion = result.confusion
        let recall = (0..<confusion.classes).map(confusion.recall)
        try persisting { try metrics.append([(RecordKey.step, .int(step)), (RecordKey.validationLoss, .number(Double(result.loss))),
                        (RecordKey.validationAccuracy, .number(confusion.accuracy)),
                        (RecordKey.validationRecall, .numbers(recall)), (RecordKey.confusion, .intMatrix(confusion.counts))]
                        + (raw.map { [(RecordKey.rawValidationAccuracy, MetricValue.number($0))] } ?? [])) }
        try persisting {
            try tensorboard.add(step: step, [("val/loss", result.loss), ("val/accuracy", Float(confusion.accuracy))]
                                + (raw.map { [("val/raw_accuracy", Float($0))] } ?? [])
                                + Emotion.allCases.map { ("val/recall/\($0.name)", Float(recall[$0.rawValue])) })
        }
        let isBest = result.confusion.accuracy > bestAccuracy
        if isBest { bestAccuracy = result.confusion.accuracy }
        try saveCheckpoint(model, isBest: isBest)
    }

    private func saveCheckpoint(_ model: Classifier, isBest: Bool) throws {
        var metadata = configuration.metadata
        metadata[TrainingSettings.totalSteps.key] = String(plannedSteps)
        metadata["step"] = String(step)
        metadata["best_accuracy"] = String(bestAccuracy)
        metadata["dataset"] = dataset.name
        // Streamed twice rather than built once: no file-sized copy of the model in memory.
        try persisting { try RunDirectory.writeAtomically(to: run.latestCheckpoint) { model.writeCheckpoint(metadata: metadata, to: $0) } }
        savedStep = step
        sink(.checkpointSaved(CheckpointReport(step: step, path: run.latestCheckpoint, isBest: false)))
        if isBest {
            // The best checkpoint is the model (the weights' average, if the run keeps one),
            // not the training state: `--resume` continues from the latest.
            try persisting { try RunDirectory.writeAtomically(to: run.bestCheckpoint) { model.writeCheckpoint(metadata: metadata, inferenceOnly: true, to: $0) } }
            sink(.checkpointSaved(CheckpointReport(step: step, path: run.bestCheckpoint, isBest: true)))
        }
    }

    /// Runs a write to the run's files; a failure becomes the message of a stopped run.
    private func persisting(_ write: () throws -> Void) throws {
        do {
            try write()
        } catch let error as RunError {
            throw stoppedBy(error)
        }
    }

    /// Training stops when its files cannot be written (see README, "When the disk is full"):
    /// going on would spend hours on weights that cannot be kept. What is on disk stays valid.
    private func stoppedBy(_ error: RunError) -> RunError {
        let kept = savedStep >= 0 ? "the checkpoint of step \(savedStep) is intact" : "no checkpoint was saved yet"
        return RunError("\(error.description). Training stopped at step \(step); \(kept) and \(run.metrics) holds every line written so far. Free space (or fix the directory) and continue with --resume --run-dir \(run.path).")
    }

    /// Between mini-batches: answers predictions, saves on request, waits while paused.
    /// Returns true when the run should stop.
    private func controlPoint(_ model: Classifier) throws -> Bool {
        // Set when the pause is announced; the whole pause, from then until training goes on
        // or stops, is added to `pausedNanoseconds`.
        var pauseStarted: UInt64?
        defer { if let pauseStarted { pausedNanoseconds += clock() - pauseStarted } }
        while true {
            answerPredictions(model)
            condition.lock()
            let save = saveRequested
            saveRequested = false
            let stop = stopRequested
            let paused = pauseRequested
            if paused && !stop && !save && pendingPredictions.isEmpty {
                if pauseStarted == nil {
                    condition.unlock()
                    pauseStarted = clock()
                    sink(.paused(step: step))
                    continue
                }
                // Woken early by any flag change; the timeout only bounds a missed signal.
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.25))
                condition.unlock()
                continue
            }
            condition.unlock()
            if save { try saveCheckpoint(model, isBest: false) }
            if stop { return true }
            if !paused {
                if pauseStarted != nil { sink(.resumed(step: step)) }
                return false
            }
        }
    }

    private func answerPredictions(_ model: Classifier) {
        condition.lock()
        let requests = pendingPredictions
        pendingPredictions.removeAll()
        condition.unlock()
        guard !requests.isEmpty else { return }
        // The same model the evaluations score: the average when the run keeps one.
        model.withAveragedWeights {
            for request in requests {
                let probabilities = Evaluator.probabilities(model, pixels: request.pixels)
                sink(.prediction(tag: request.tag, probabilities: probabilities))
                if request.saliency {
                    let predicted = argmax(probabilities)
                    let map = Evaluator.saliency(model, pixels: request.pixels, class: predicted)
                    sink(.saliency(tag: request.tag, classIndex: predicted, map: map))
                }
            }
        }
    }

    private func setFlag(_ change: (TrainingSession) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }

    private func markDone() {
        setFlag { $0.done = true }
    }
}

/// Images per second over the last few steps, so the number follows changes without jitter.
struct ThroughputWindow {
    private var samples: [(images: Int, seconds: Double)] = []
    mutating func add(images: Int, seconds: Double) {
        samples.append((images, seconds))
        if samples.count > 20 { samples.removeFirst() }
    }
    var imagesPerSecond: Double {
        let seconds = samples.reduce(0) { $0 + $1.seconds }
        return seconds > 0 ? Double(samples.reduce(0) { $0 + $1.images }) / seconds : 0
    }
}
