import Foundation

/// One run directory as `ferdash runs` lists it.
public struct RunEntry: Sendable {
    public var path: String
    public var summary: RunSummary
    public var lastWrite: Date?
    public var state: RunState

    public var name: String { (path as NSString).lastPathComponent }
    public var architecture: String? { summary.start?.architecture }
    /// The dataset's absolute path when the run recorded it, else its name.
    public var dataset: String? { summary.start.flatMap { $0.datasetPath ?? $0.dataset } }

    /// The `--json` object; keys stable for scripts.
    public var json: String {
        let s = summary
        let best = s.best
        let fields: [(String, MetricValue)] = [
            ("path", .text(path)), ("name", .text(name)),
            (TrainingSettings.architecture.key, architecture.map(MetricValue.text) ?? .null),
            (RecordKey.dataset, dataset.map(MetricValue.text) ?? .null),
            (RecordKey.step, .int(s.step)),
            (RecordKey.totalSteps, s.totalSteps.map(MetricValue.int) ?? .null),
            ("best_accuracy", best.map { .number($0.accuracy) } ?? .null),
            ("best_step", best.map { .int($0.step) } ?? .null),
            ("last_val_loss", s.latestEvaluation.map { .number(Double($0.loss)) } ?? .null),
            ("evaluations", .int(s.evaluations.count)),
            (RecordKey.trainSeconds, .number(s.trainSeconds)),
            ("state", .text(state.word)),
            ("stale_since", { if case .stale(let d) = state { return .text(RunCatalog.iso8601(d)) } else { return .null } }()),
            ("failure", { if case .failed(let m) = state { return .text(m) } else { return .null } }()),
            ("last_write", lastWrite.map { .text(RunCatalog.iso8601($0)) } ?? .null),
            ("started_at", s.startedAt.map { .text(RunCatalog.iso8601($0)) } ?? .null),
            ("corrupt_lines", .raw("[" + s.problems.map { String($0.line) }.joined(separator: ",") + "]")),
        ]
        return MetricValue.object(fields).json
    }
}

/// The runs under a folder, read from their metrics files (never written to).
public enum RunCatalog {
    /// Every run directory under `root` (or `root` itself when it is a run), newest write first,
    /// and the names of the folders skipped because they hold no metrics.jsonl.
    public static func list(_ root: String, now: Date = Date()) throws -> (runs: [RunEntry], skipped: [String]) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory) else { throw RunError("\(root): no such directory") }
        guard isDirectory.boolValue else { throw RunError("\(root): not a directory (give the folder that holds the runs)") }
        if isRun(root) { return ([try entry(root, now: now)], []) }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: root).sorted() } catch {
            throw RunError("\(root): cannot list: \(error.localizedDescription)")
        }
        var runs: [RunEntry] = [], skipped: [String] = []
        for name in names where !name.hasPrefix(".") {
            let path = root.hasSuffix("/") ? root + name : root + "/" + name
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if isRun(path), let e = try? entry(path, now: now) { runs.append(e) } else { skipped.append(name) }
        }
        runs.sort { ($0.lastWrite ?? .distantPast) > ($1.lastWrite ?? .distantPast) }
        return (runs, skipped)
    }

    public static func isRun(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: RunDirectory(path: path).metrics)
    }

    public static func entry(_ path: String, now: Date = Date()) throws -> RunEntry {
        let (summary, lastWrite) = try RunSummary.read(RunDirectory(path: path).metrics)
        return RunEntry(path: path, summary: summary, lastWrite: lastWrite, state: summary.state(lastWrite: lastWrite, now: now))
    }

    /// The most recently written run under `root` (for `ferdash watch` without a RUN).
    public static func newest(under root: String) -> String? {
        (try? list(root))?.runs.first?.path
    }

    static func iso8601(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }
}
