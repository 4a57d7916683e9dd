import FERData
import Foundation
import Synchronization

/// The plain log of a run trained without a screen (`ferdash train --headless`): the seed
/// chapter's lines ("Training Loss: …", "Validation Loss: …") and a few of ferdash's own.
/// Each event's lines go to `write` at once, as one piece of text ending in a newline, so a
/// pipe reading the log sees every line when it happens. A `.failed` event writes nothing: it
/// is kept as `failure` for the command to end with.
///
/// Events arrive on the session's queue while the command waits, hence `Sendable`.
public final class TrainingLog: Sendable {
    private let write: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date
    private let timeZone: TimeZone
    private let failureMessage = Mutex<String?>(nil)

    /// `clock` and `timeZone` give the validation lines' timestamps (tests fix both).
    public init(timeZone: TimeZone = .current, clock: @escaping @Sendable () -> Date = { Date() },
                write: @escaping @Sendable (String) -> Void) {
        self.write = write
        self.clock = clock
        self.timeZone = timeZone
    }

    /// The message of the `.failed` event, if the run failed.
    public var failure: String? { failureMessage.withLock { $0 } }

    /// What is said before training starts: the split sizes, the recipe (except for the seed,
    /// whose log stays as the book prints it) and the time left in the budget. `now` is the
    /// monotonic clock (`DispatchTime.now().uptimeNanoseconds`) the deadline is measured on.
    public func begin(dataset: Dataset, configuration: TrainingConfiguration, now: UInt64) {
        var lines = ["Train size: \(dataset.train.count)", "Validation size: \(dataset.validation.count)",
                     "Test size: \(dataset.test.count)"]
        let c = configuration, h = c.hyperparameters
        if c.architecture != .seed {
            lines.append("Recipe: \(c.architecture.rawValue)\(c.recipe == .long ? " (the long recipe)" : ""), \(c.totalSteps) steps of \(c.batchSize), \(c.schedule.rawValue) lr \(h.learningRate) (warm-up \(c.warmupSteps) steps), weight decay \(h.weightDecay), label smoothing \(h.labelSmoothing), augmentation: \(c.augmentation.isNone ? "none" : c.augmentation.summary), weight average: \(c.weightAverageDecay.map { "decay \($0)" } ?? "none")\(c.mixup.isNone ? "" : ", mixup α \(c.mixup.alpha)")\(Self.distillation(c))")
        }
        if let deadline = c.deadline {
            let minutes = Double(Int64(bitPattern: deadline &- now)) / 60e9
            lines.append("Time budget: \(String(format: "%.1f", minutes)) minutes left; the run's length is planned from the pace of its first minute")
        }
        emit(lines)
    }

    /// Logs one session event (the sink a `TrainingSession` is given).
    public func record(_ event: TrainingEvent) {
        if case .failed(let message) = event { failureMessage.withLock { $0 = message } }
        emit(lines(for: event))
    }

    /// The lines an event is logged as: every tenth step, every evaluation, the best
    /// checkpoints, a replan, the end; nothing for the rest.
    public func lines(for event: TrainingEvent) -> [String] {
        switch event {
        case .started(let info):
            let resuming = "Resuming \(info.runDirectory) from step \(info.firstStep) (until step \(info.totalSteps))"
            return (info.firstStep > 0 ? [resuming] : []) + ["Run directory: \(info.runDirectory)"]
                + (info.teachers.map { ["Teachers: \($0)"] } ?? [])
        case .step(let report):
            guard report.step % 10 == 0 else { return [] }
            return ["Training Loss: \(Self.sixDecimals(report.loss))  (step \(report.step), epoch \(String(format: "%.2f", report.epoch)), lr \(report.learningRate), \(Int(report.imagesPerSecond)) img/s)"]
        case .evaluated(let report):
            return ["\(timestamp()) Validation Loss: \(Self.sixDecimals(report.validationLoss))  (step \(report.step), accuracy \(String(format: "%.2f", report.accuracy * 100))%)"]
        case .checkpointSaved(let report):
            return report.isBest ? ["Saved best checkpoint: \(report.path)"] : []
        case .planned(let plan):
            return ["Plan: \(plan.sentence)"]
        case .replanned(_, let reason):
            return ["Replanned: \(reason)"]
        case .finished(let report):
            let how = report.stoppedEarly ? "Stopped" : "Finished"
            return ["\(how) at step \(report.step) after \(String(format: "%.1f", report.elapsed)) s of training"]
        case .paused, .resumed, .prediction, .saliency, .failed:
            return []
        }
    }

    /// Like the seed chapter's `datetime.now()`: local time with microseconds.
    func timestamp() -> String {
        let now = clock()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // To the nearest microsecond, then split: the seconds and the fraction come from one number,
        // so a fraction rounding up carries into the seconds.
        let microseconds = Int64((now.timeIntervalSince1970 * 1e6).rounded())
        let whole = Date(timeIntervalSince1970: Double(microseconds.quotientFloor(1_000_000)))
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        let fraction = microseconds - microseconds.quotientFloor(1_000_000) * 1_000_000
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
                      parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, Int(fraction))
    }

    /// Losses as the seed chapter prints them: six decimals.
    /// ", distilled from N teachers (weight w, temperature t)", or nothing.
    static func distillation(_ c: TrainingConfiguration) -> String {
        guard !c.teachers.isEmpty, let weight = c.distillWeight, let temperature = c.distillTemperature else { return "" }
        return ", distilled from \(c.teachers.count) teacher\(c.teachers.count == 1 ? "" : "s") (weight \(weight), temperature \(temperature))"
    }

    static func sixDecimals(_ value: Float) -> String { String(format: "%.6f", Double(value)) }

    private func emit(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        write(lines.map { $0 + "\n" }.joined())
    }
}

extension Int64 {
    /// Division rounding towards minus infinity (times before 1970 included).
    fileprivate func quotientFloor(_ divisor: Int64) -> Int64 {
        let (q, r) = quotientAndRemainder(dividingBy: divisor)
        return r < 0 ? q - 1 : q
    }
}
