import FERData
import FERModel
import Foundation

/// The files of one training run, and the only code that writes them.
///
/// Layout: `checkpoint-latest.ferdash`, `checkpoint-best.ferdash`, `metrics.jsonl` and the
/// TensorBoard event file (TensorBoardLog) with the same scalars.
/// Checkpoints are written to a temporary file, flushed and renamed over the old one, so a crash
/// (even `kill -9`) at any moment leaves either the previous or the new checkpoint, never half of one.
public struct RunDirectory: Sendable {
    public static let latestName = "checkpoint-latest.ferdash"
    public static let bestName = "checkpoint-best.ferdash"
    public static let metricsName = "metrics.jsonl"

    public let path: String
    public init(path: String) { self.path = path }

    public var latestCheckpoint: String { path + "/" + Self.latestName }
    public var bestCheckpoint: String { path + "/" + Self.bestName }
    public var metrics: String { path + "/" + Self.metricsName }

    /// The checkpoint files already in the directory (latest first): a run lives here. (A
    /// directory of that name is no checkpoint: saving names it as in the way.)
    public var checkpointNames: [String] {
        [Self.latestName, Self.bestName].filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// A new run directory name under `parent`: `runs/20261126-201500` (UTC).
    public static func timestamped(under parent: String = "runs", date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return parent + "/" + f.string(from: date)
    }

    /// Creates the directory (and its parents) and removes temporary files that writes killed
    /// midway (`kill -9`, power loss) left behind.
    public func create() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw RunError("cannot use \(path) as the run directory: a file is in the way")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create run directory \(path): \(error.localizedDescription)")
        }
        removeStaleTemporaries()
    }

    /// Deletes `*.tmp-<pid>` files whose writer is gone; a live process's (another ferdash
    /// saving into the same run, or this one) are left alone. Returns the removed paths.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let marker = name.range(of: ".tmp-", options: .backwards),
                  let pid = pid_t(name[marker.upperBound...]), pid > 0 else { continue }
            let writerAlive = pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
            if !writerAlive, unlink(path + "/" + name) == 0 { removed.append(path + "/" + name) }
        }
        return removed
    }

    /// Writes `bytes` to `destination` atomically: a temporary file beside it, fsync, rename,
    /// fsync of the directory. On any failure (no space, read-only, a directory in the way) the
    /// temporary file is removed, the previous `destination` is untouched, and the error names
    /// the file and the system's reason.
    public static func writeAtomically(_ bytes: [UInt8], to destination: String) throws {
        try writeAtomically(to: destination) { write in bytes.withUnsafeBytes(write) }
    }

    /// Writes what `produce` hands to its `write` function, in order, to `destination`
    /// atomically: a checkpoint streams its tensors without first building the whole file.
    public static func writeAtomically(to destination: String,
                                       _ produce: ((UnsafeRawBufferPointer) -> Void) -> Void) throws {
        let temporary = destination + ".tmp-\(getpid())"
        // Messages name the destination: the temporary name is ours, not the user's.
        func failure(_ what: String, _ code: Int32) -> RunError {
            RunError("cannot \(what) \(destination): \(String(cString: strerror(code)))")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("write", errno) }
        var code: Int32 = 0
        produce { raw in
            var written = 0
            while code == 0 && written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                // A write of 0 bytes makes no progress: the device is full.
                guard n > 0 else { code = n == 0 ? ENOSPC : errno; return }
                written += n
            }
        }
        if code == 0 && fsync(fd) != 0 { code = errno }
        if close(fd) != 0 && code == 0 { code = errno }
        guard code == 0 else {
            unlink(temporary)
            throw failure("write", code)
        }
        guard rename(temporary, destination) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure("replace", code)
        }
        syncDirectory(of: destination)
    }

    /// Makes a rename durable across a power loss (a crash of the process alone cannot undo it).
    private static func syncDirectory(of file: String) {
        let directory = file.lastIndex(of: "/").map { String(file[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Reads and decodes a checkpoint file, naming the file in every error. The classifier is
    /// the checkpoint's model, computing on `engine`: a training checkpoint's weight average, if it
    /// keeps one, becomes the weights. `trainingState` keeps the raw weights and the average apart, to resume.
    public static func loadCheckpoint(_ file: String, engine: Engine,
                                      trainingState: Bool = false) throws -> (Classifier, metadata: [String: String]) {
        guard let data = FileManager.default.contents(atPath: file) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) {
                throw RunError("\(file): cannot read checkpoint\(isDirectory.boolValue ? " (it is a directory)" : "")")
            }
            throw RunError("\(file): no such checkpoint")
        }
        do {
            let (classifier, metadata) = try Classifier.fromCheckpoint([UInt8](data), engine: engine)
            if !trainingState { classifier.adoptAveragedWeights() }
            return (classifier, metadata)
        } catch let error as CheckpointError {
            throw RunError("\(file): \(error.description)")
        }
    }

    /// Resolves what `--model` names: a checkpoint file, or a run directory (its best checkpoint,
    /// else its latest); nil means the most recent run under `./runs`.
    public static func resolveModel(_ given: String?, runsRoot: String = "runs") throws -> String {
        let fm = FileManager.default
        guard let given else {
            guard let newest = newestRun(under: runsRoot) else {
                throw RunError("no model given and no runs under ./\(runsRoot); train one with `ferdash train` or pass --model PATH")
            }
            return try resolveModel(newest, runsRoot: runsRoot)
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: given, isDirectory: &isDirectory) else {
            throw RunError("\(given): no such checkpoint file or run directory")
        }
        if !isDirectory.boolValue { return given }
        let run = RunDirectory(path: given)
        for candidate in [run.bestCheckpoint, run.latestCheckpoint] where fm.fileExists(atPath: candidate) {
            return candidate
        }
        throw RunError("\(given): run directory holds no checkpoint (\(bestName) or \(latestName))")
    }

    /// The most recently modified run directory holding a checkpoint.
    public static func newestRun(under root: String) -> String? {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: root) else { return nil }
        var best: (String, Date)?
        for name in names {
            let run = RunDirectory(path: root + "/" + name)
            for file in [run.latestCheckpoint, run.bestCheckpoint] {
                guard let attributes = try? fm.attributesOfItem(atPath: file),
                      let modified = attributes[.modificationDate] as? Date else { continue }
                if best == nil || modified > best!.1 { best = (run.path, modified) }
            }
        }
        return best?.0
    }
}

/// A file only ever written at its end, one whole record per `append`, so a crash loses nothing
/// already appended. A record that cannot be written whole (no space, read-only, file too large)
/// is cut off again and the error thrown: the file never holds part of one.
final class AppendOnlyFile {
    let path: String
    private let what: String
    private let fd: Int32
    private(set) var size: off_t

    /// `what` names the file in errors ("metrics log").
    init(path: String, what: String) throws {
        self.path = path
        self.what = what
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError("cannot open \(what) \(path): \(String(cString: strerror(errno)))") }
        size = lseek(fd, 0, SEEK_END)
    }

    deinit { close(fd) }

    func append(_ record: [UInt8]) throws {
        let code = appendWholeRecord(record, to: fd, cuttingBackTo: size)
        guard code == 0 else { throw RunError("cannot write \(what) \(path): \(String(cString: strerror(code)))") }
        size += off_t(record.count)
    }

    /// Cuts the file to its first `length` bytes.
    func truncate(to length: off_t) {
        if ftruncate(fd, length) == 0 { size = length }
    }

    func byte(at offset: off_t) -> UInt8? {
        var byte: UInt8 = 0
        return pread(fd, &byte, 1, offset) == 1 ? byte : nil
    }
}

/// Appends one JSON object per line (see `AppendOnlyFile`: never half a line).
public final class MetricsLog {
    private let file: AppendOnlyFile
    public var path: String { file.path }

    public init(path: String) throws {
        file = try AppendOnlyFile(path: path, what: "metrics log")
        dropTornLine()
    }

    public func append(_ fields: [(String, MetricValue)]) throws {
        let body = fields.map { "\"\($0.0)\":\($0.1.json)" }.joined(separator: ",")
        try file.append(Array("{\(body)}\n".utf8))
    }

    /// A process killed in the middle of a line leaves it without its newline: remove that
    /// fragment so the next line starts on its own.
    private func dropTornLine() {
        var end = file.size
        guard end > 0, file.byte(at: end - 1) != UInt8(ascii: "\n") else { return }
        while end > 0, let byte = file.byte(at: end - 1), byte != UInt8(ascii: "\n") { end -= 1 }
        file.truncate(to: end)
    }
}

public enum MetricValue {
    case int(Int)
    case number(Double)
    case text(String)
    case intMatrix([[Int]])
    case numbers([Double])
    case bool(Bool)
    case null
    /// Already JSON (e.g. an array built by the caller).
    case raw(String)
    /// A nested object, keys in the order given.
    case object([(String, MetricValue)])

    public var json: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .raw(let text): return text
        case .object(let fields): return "{" + fields.map { "\(jsonQuoted($0.0)):\($0.1.json)" }.joined(separator: ",") + "}"
        case .int(let v): return String(v)
        case .number(let v): return v.isFinite ? String(v) : "null"
        case .text(let s): return jsonQuoted(s)
        case .intMatrix(let m): return "[" + m.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        case .numbers(let v): return "[" + v.map { MetricValue.number($0).json }.joined(separator: ",") + "]"
        }
    }
}

/// A JSON string literal (quotes, backslashes and control characters escaped).
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

public struct RunError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Notices when a run's newest checkpoint changes, by the file's identity (inode, modification
/// time, size) rather than its contents. Checkpoints are replaced by rename, so a changed
/// identity means a whole new file: opening it never reads half of one.
public struct CheckpointWatch: Sendable {
    public let run: RunDirectory
    private var seen: [Int]?

    public init(run: RunDirectory) { self.run = run }

    /// The newest checkpoint's path when it differs from the one seen last time, else nil.
    public mutating func changed() -> String? {
        var newest: (path: String, identity: [Int])?
        for path in [run.latestCheckpoint, run.bestCheckpoint] {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            let modified = modificationNanoseconds(info)
            if newest == nil || modified > newest!.identity[1] {
                newest = (path, [Int(info.st_ino), modified, Int(info.st_size)])
            }
        }
        guard let newest, newest.identity != seen else { return nil }
        seen = newest.identity
        return newest.path
    }
}

/// A file's modification time in nanoseconds since 1970, from its `stat`.
func modificationNanoseconds(_ info: stat) -> Int {
    Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
}
