import Foundation

// Reading a run's metrics.jsonl back, possibly while another process is still appending to it
// (`ferdash watch`, `ferdash runs`). The parser and the summary are pure; only `MetricsFollower`
// touches the file.

/// One line of metrics.jsonl, understood.
public enum MetricsRecord: Equatable, Sendable {
    /// `started`, or `resumed` (then `start.resumed` and `start.step` > 0).
    case started(RunStart)
    case step(StepLine)
    case evaluation(EvaluationLine)
    /// A time budget's plan, made from the run's first minute.
    case planned(BudgetPlan)
    /// A time budget shortened the run.
    case replanned(step: Int, totalSteps: Int)
    case ended(RunEnding)
    /// An event this version does not know (a newer ferdash wrote it): skipped, not an error.
    case other(event: String)
}

/// What the `started` line records. Older runs wrote only step, dataset and architecture: every
/// other field is optional so they still open with what they have.
public struct RunStart: Equatable, Sendable {
    public var resumed = false
    public var step = 0
    /// Wall clock, seconds since 1970.
    public var time: Double?
    public var dataset: String?
    /// Absolute dataset path, or "built-in" for the synthetic faces.
    public var datasetPath: String?
    public var splitSeed: UInt64?
    public var skipBadRows: Bool?
    public var trainCount: Int?
    public var validationCount: Int?
    public var testCount: Int?
    public var stepsPerEpoch: Int?
    /// The settings the line has at its top level (`StartedRecord.topLevelSettings`), as text.
    public var settings: [String: String] = [:]
    /// Hyperparameters and schedule, as the checkpoint metadata spells them.
    public var recipe: [String: String] = [:]
    public var pid: Int?
    public var host: String?
    public init() {}

    public static let builtInDataset = "built-in"

    /// A setting's value as the run recorded it (at the top level, else in `recipe`); nil when
    /// the run did not record it (an older run) or it does not read.
    public func value<V>(of setting: TrainingSetting<V>) -> V? {
        guard let text = setting.text, let recorded = settings[setting.key] ?? recipe[setting.key] else { return nil }
        return text.decode(recorded)
    }

    // The top-level settings by name, as text (an architecture this version does not know still shows).
    public var architecture: String? {
        get { settings[TrainingSettings.architecture.key] }
        set { settings[TrainingSettings.architecture.key] = newValue }
    }
    public var seed: String? {
        get { settings[TrainingSettings.seed.key] }
        set { settings[TrainingSettings.seed.key] = newValue }
    }
    public var command: String? {
        get { settings[TrainingSettings.command.key] }
        set { settings[TrainingSettings.command.key] = newValue }
    }
    public var totalSteps: Int? {
        get { value(of: TrainingSettings.totalSteps) }
        set { settings[TrainingSettings.totalSteps.key] = newValue.map(String.init) }
    }
    public var batchSize: Int? {
        get { value(of: TrainingSettings.batchSize) }
        set { settings[TrainingSettings.batchSize.key] = newValue.map(String.init) }
    }
    public var evalEvery: Int? {
        get { value(of: TrainingSettings.evalEvery) }
        set { settings[TrainingSettings.evalEvery.key] = newValue.map(String.init) }
    }
}

public struct StepLine: Equatable, Sendable {
    public var step: Int
    public var epoch: Double?
    public var loss: Float
    public var learningRate: Float?
    /// Seconds of training in the process that wrote the line (restarts at 0 on resume).
    public var trainSeconds: Double?
    public init(step: Int, epoch: Double?, loss: Float, learningRate: Float?, trainSeconds: Double?) {
        self.step = step; self.epoch = epoch; self.loss = loss; self.learningRate = learningRate
        self.trainSeconds = trainSeconds
    }
}

public struct EvaluationLine: Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public var accuracy: Double
    public var confusion: ConfusionMatrix?
    public init(step: Int, loss: Float, accuracy: Double, confusion: ConfusionMatrix?) {
        self.step = step; self.loss = loss; self.accuracy = accuracy; self.confusion = confusion
    }
}

public struct RunEnding: Equatable, Sendable {
    public enum Kind: String, Sendable { case finished, stopped, failed }
    public var kind: Kind
    public var step: Int
    public var message: String?
    public var time: Double?
    public init(kind: Kind, step: Int, message: String? = nil, time: Double? = nil) {
        self.kind = kind; self.step = step; self.message = message; self.time = time
    }
}

/// A complete line that could not be understood; the lines around it are still used.
public struct MetricsProblem: Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number in the file.
    public var line: Int
    public var reason: String
    public var description: String { "\(RunDirectory.metricsName) line \(line): \(reason)" }
}

/// Splits bytes into lines and parses each. Fed in pieces as the file grows: a last line without
/// its newline is kept until the rest arrives (the writer may be in the middle of it).
public struct MetricsParser: Sendable {
    /// Complete lines consumed so far.
    public private(set) var lineCount = 0
    private var partial: [UInt8] = []

    public init() {}

    /// Bytes of an unfinished last line, waiting for their newline.
    public var pendingBytes: Int { partial.count }

    public mutating func feed(_ bytes: [UInt8]) -> (records: [MetricsRecord], problems: [MetricsProblem]) {
        var records: [MetricsRecord] = []
        var problems: [MetricsProblem] = []
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "\n") {
            let line: [UInt8]
            if partial.isEmpty {
                line = Array(bytes[start..<i])
            } else {
                line = partial + bytes[start..<i]
                partial.removeAll()
            }
            start = i + 1
            lineCount += 1
            switch Self.parse(line) {
            case .success(let record?): records.append(record)
            case .success(nil): break   // blank line
            case .failure(let reason): problems.append(MetricsProblem(line: lineCount, reason: reason.text))
            }
        }
        partial += bytes[start...]
        return (records, problems)
    }

    struct Reason: Error { var text: String }

    /// One line (without its newline); nil for a blank line.
    static func parse(_ bytes: [UInt8]) -> Result<MetricsRecord?, Reason> {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return .success(nil) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            return .failure(Reason(text: "not valid JSON: \(preview(bytes))"))
        }
        guard let fields = object as? [String: Any] else {
            return .failure(Reason(text: "expected a JSON object, found \(preview(bytes))"))
        }
        return Result { try record(Fields(fields)) }.mapError { $0 as? Reason ?? Reason(text: "\($0)") }
    }

    /// A recipe value that is not a string, as text that is the same every time the line is read:
    /// a nested object printed with "\(value)" comes out in its dictionary's per-instance order.
    private static func canonicalText(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
            return "\(value)"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func preview(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(60), as: UTF8.self)
        return bytes.count > 60 ? text + "…" : text
    }

    private static func record(_ f: Fields) throws -> MetricsRecord {
        typealias K = RecordKey
        if let name = f.string(K.event) {
            guard let event = RunEvent(rawValue: name) else { return .other(event: name) }
            switch event {
            case .started, .resumed: return .started(try start(f, resumed: event == .resumed))
            case .planned: return .planned(try plan(f))
            case .replanned: return .replanned(step: try f.required(K.step), totalSteps: try f.required(K.totalSteps))
            case .finished, .stopped, .failed:
                return .ended(RunEnding(kind: RunEnding.Kind(rawValue: event.rawValue)!, step: try f.required(K.step),
                                        message: f.string(K.message), time: f.double(K.time)))
            }
        }
        let step: Int = try f.required(K.step)
        if f.has(K.validationLoss) {
            let confusion = f.matrix(K.confusion).map(ConfusionMatrix.init(counts:))
            let accuracy = f.double(K.validationAccuracy) ?? confusion?.accuracy
            guard let accuracy else { throw Reason(text: "evaluation without \"\(K.validationAccuracy)\"") }
            return .evaluation(EvaluationLine(step: step, loss: Float(f.double(K.validationLoss) ?? .nan),
                                              accuracy: accuracy, confusion: confusion))
        }
        if f.has(K.loss) {
            return .step(StepLine(step: step, epoch: f.double(K.epoch), loss: Float(f.double(K.loss) ?? .nan),
                                  learningRate: f.double(K.learningRate).map(Float.init),
                                  trainSeconds: f.double(K.trainSeconds)))
        }
        throw Reason(text: "neither an event, a step (\"\(K.loss)\") nor an evaluation (\"\(K.validationLoss)\")")
    }

    private static func start(_ f: Fields, resumed: Bool) throws -> RunStart {
        typealias K = RecordKey
        var s = RunStart()
        s.resumed = resumed
        s.step = try f.required(K.step)
        s.time = f.double(K.time)
        s.dataset = f.string(K.dataset)
        s.datasetPath = f.string(K.datasetPath)
        s.splitSeed = f.string(K.splitSeed).flatMap(UInt64.init)
        s.skipBadRows = f.bool(K.skipBadRows)
        s.trainCount = f.int(K.trainCount)
        s.validationCount = f.int(K.validationCount)
        s.testCount = f.int(K.testCount)
        s.stepsPerEpoch = f.int(K.stepsPerEpoch)
        for setting in StartedRecord.topLevelSettings {
            s.settings[setting.key] = setting.isNumber ? f.int(setting.key).map(String.init) : f.string(setting.key)
        }
        if let recipe = f.raw[K.recipe] as? [String: Any] {
            for (key, value) in recipe { s.recipe[key] = value as? String ?? canonicalText(value) }
        }
        s.pid = f.int(K.pid)
        s.host = f.string(K.host)
        return s
    }

    private static func plan(_ f: Fields) throws -> BudgetPlan {
        typealias K = RecordKey
        func number(_ key: String) throws -> Double {
            guard let v = f.double(key), v.isFinite else { throw Reason(text: f.has(key) ? "\"\(key)\" is not a number" : "missing \"\(key)\"") }
            return v
        }
        let stepsPerEpoch: Int = try f.required(K.stepsPerEpoch)
        guard stepsPerEpoch > 0 else { throw Reason(text: "\"\(K.stepsPerEpoch)\" must be above 0") }
        return BudgetPlan(step: try f.required(K.step), totalSteps: try f.required(K.totalSteps),
                          recipeSteps: try f.required(K.recipeSteps), stepsPerEpoch: stepsPerEpoch,
                          imagesPerSecond: try number(K.imagesPerSecond), measuredSeconds: try number(K.measuredSeconds),
                          secondsLeft: try number(K.secondsLeft), evaluationSeconds: try number(K.evaluationSeconds),
                          evaluationMeasured: f.bool(K.evaluationMeasured) ?? false)
    }

    /// Typed access to a decoded JSON object (JSONSerialization hands back NSNumber and friends).
    struct Fields {
        let raw: [String: Any]
        init(_ raw: [String: Any]) { self.raw = raw }
        func has(_ key: String) -> Bool { raw[key] != nil }
        func string(_ key: String) -> String? { raw[key] as? String }
        func double(_ key: String) -> Double? { (raw[key] as? NSNumber)?.doubleValue }
        func bool(_ key: String) -> Bool? { raw[key] as? Bool }
        func int(_ key: String) -> Int? {
            guard let d = double(key), d == d.rounded(), abs(d) < 1e15 else { return nil }
            return Int(d)
        }
        func required(_ key: String) throws -> Int {
            guard let v = int(key) else { throw Reason(text: raw[key] == nil ? "missing \"\(key)\"" : "\"\(key)\" is not a whole number") }
            return v
        }
        func matrix(_ key: String) -> [[Int]]? {
            guard let rows = raw[key] as? [Any] else { return nil }
            let m = rows.compactMap { ($0 as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } }
            return m.count == rows.count && !m.isEmpty && m.allSatisfy({ $0.count == m.count }) ? m : nil
        }
    }
}

/// Follows a growing metrics.jsonl from a byte offset: each `poll` reads only what was appended.
/// Never writes; a file replaced by a shorter one (a new run in the same directory) starts over.
public struct MetricsFollower: Sendable {
    public let path: String
    public private(set) var offset: UInt64 = 0
    public private(set) var parser = MetricsParser()
    /// The file's modification time at the last poll: when the writer last wrote.
    public private(set) var lastWrite: Date?

    public init(path: String) { self.path = path }

    public struct Chunk: Sendable {
        public var records: [MetricsRecord] = []
        public var problems: [MetricsProblem] = []
        /// The file shrank or was replaced: forget what was read before.
        public var restarted = false
    }

    /// Reads what was appended since the last poll (at most `limit` bytes, the rest next time).
    public mutating func poll(limit: Int = 8 << 20) throws -> Chunk {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw RunError("\(path): cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw RunError("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        lastWrite = Date(timeIntervalSince1970: Double(modificationNanoseconds(info)) / 1e9)
        var chunk = Chunk()
        let size = UInt64(info.st_size)
        if size < offset {
            offset = 0
            parser = MetricsParser()
            chunk.restarted = true
        }
        guard size > offset else { return chunk }
        var bytes = [UInt8](repeating: 0, count: Int(min(size - offset, UInt64(limit))))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard n > 0 else { return chunk }
        offset += UInt64(n)
        (chunk.records, chunk.problems) = parser.feed(Array(bytes[..<n]))
        return chunk
    }
}

/// Where a run stands, as far as its metrics file tells.
public enum RunState: Equatable, Sendable {
    case running
    case finished
    case stopped
    case failed(String)
    /// Never ended, and not written since this time: the trainer was killed or hangs.
    case stale(since: Date)

    public var word: String {
        switch self {
        case .running: return "running"
        case .finished: return "finished"
        case .stopped: return "stopped"
        case .failed: return "failed"
        case .stale: return "stale"
        }
    }
}

/// A run's metrics folded into what a viewer shows: progress, curves, evaluations, outcome.
public struct RunSummary: Sendable {
    /// A run that never ended and has not written for this long is shown as stale. Training
    /// writes a line every step (well under a second) and an evaluation of FER2013's 3589
    /// validation images takes some seconds; two minutes without a line means it is not running.
    public static let staleAfter: TimeInterval = 120

    /// The latest `started`/`resumed` record; nil until the run has written one.
    public private(set) var start: RunStart?
    /// When the run was first started (wall clock), even after resumes.
    public private(set) var startedAt: Date?
    public private(set) var step = 0
    public private(set) var epoch: Double?
    /// Every training loss, by step. A resume drops what the lost steps after its checkpoint wrote.
    public private(set) var lossSteps: [Int] = []
    public private(set) var losses: [Float] = []
    public private(set) var learningRate: Float?
    public private(set) var evaluations: [EvaluationLine] = []
    public private(set) var ending: RunEnding?
    public private(set) var replannedTotal: Int?
    /// The time budget's plan, if the run made one.
    public private(set) var plan: BudgetPlan?
    public private(set) var problems: [MetricsProblem] = []
    /// Training seconds of earlier processes (before the latest resume).
    private var earlierSeconds = 0.0
    private var segmentSeconds = 0.0
    /// Steps per epoch measured from a step line's epoch, for runs that did not record it.
    private var measuredStepsPerEpoch: Double?

    public init() {}

    /// Reads a whole metrics file at once (for `ferdash runs`).
    public static func read(_ path: String) throws -> (RunSummary, lastWrite: Date?) {
        var follower = MetricsFollower(path: path)
        var summary = RunSummary()
        while true {
            let chunk = try follower.poll()
            if chunk.records.isEmpty && chunk.problems.isEmpty && !chunk.restarted { break }
            summary.apply(chunk)
        }
        return (summary, follower.lastWrite)
    }

    public mutating func apply(_ chunk: MetricsFollower.Chunk) {
        if chunk.restarted { self = RunSummary() }
        problems += chunk.problems
        for record in chunk.records { apply(record) }
    }

    public mutating func apply(_ record: MetricsRecord) {
        switch record {
        case .started(let s):
            // Steps after the checkpoint a run resumes from were lost with the old process; a
            // run started afresh in the same folder (step 0) replaces everything before it.
            let keep = lossSteps.firstIndex { $0 > s.step } ?? lossSteps.count
            lossSteps.removeSubrange(keep...)
            losses.removeSubrange(keep...)
            evaluations.removeAll { $0.step > s.step }
            if s.resumed {
                earlierSeconds += segmentSeconds
            } else {
                earlierSeconds = 0
                startedAt = s.time.map { Date(timeIntervalSince1970: $0) }
            }
            segmentSeconds = 0
            start = s
            step = s.step
            ending = nil
            replannedTotal = nil
            plan = nil
        case .step(let l):
            step = l.step
            if let e = l.epoch { epoch = e; if e > 0 { measuredStepsPerEpoch = Double(l.step) / e } }
            lossSteps.append(l.step)
            losses.append(l.loss)
            if let lr = l.learningRate { learningRate = lr }
            if let t = l.trainSeconds { segmentSeconds = t }
        case .evaluation(let e):
            evaluations.append(e)
        case .planned(let p):
            plan = p
            replannedTotal = p.totalSteps
        case .replanned(_, let total):
            replannedTotal = total
        case .ended(let e):
            ending = e
            step = max(step, e.step)
        case .other:
            break
        }
    }

    /// Steps the run means to take (a time budget may have shortened it).
    public var totalSteps: Int? { replannedTotal ?? start?.totalSteps }
    public var trainSeconds: Double { earlierSeconds + segmentSeconds }
    public var latestEvaluation: EvaluationLine? { evaluations.last }
    /// The best validation accuracy (the earliest step reaching it).
    public var best: EvaluationLine? {
        evaluations.reduce(nil) { best, e in best.map { e.accuracy > $0.accuracy ? e : $0 } ?? e }
    }
    public var stepsPerEpoch: Double? { start?.stepsPerEpoch.map(Double.init) ?? measuredStepsPerEpoch }

    /// `lastWrite` is the file's modification time; `now` comes from the caller (tests inject it).
    public func state(lastWrite: Date?, now: Date, staleAfter: TimeInterval = RunSummary.staleAfter) -> RunState {
        if let e = ending {
            switch e.kind {
            case .finished: return .finished
            case .stopped: return .stopped
            case .failed: return .failed(e.message ?? "no message recorded")
            }
        }
        if let lastWrite, now.timeIntervalSince(lastWrite) > staleAfter { return .stale(since: lastWrite) }
        return .running
    }
}
