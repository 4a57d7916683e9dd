import FERData
import Foundation

/// Why a timeline file could not be created or written: names the file and the system's reason.
public struct RecordFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    /// The `errno` behind it (ENOENT, EACCES, EROFS, ENOSPC, …).
    public var code: Int32
    public var description: String

    public init(path: String, code: Int32, description: String) {
        self.path = path; self.code = code; self.description = description
    }
}

/// A file the analysis writes as it goes (the per-frame table, the segments), one whole record
/// per `append`: each record leaves in one `write(2)` straight away, with no buffering in user
/// space, so a run killed at any moment leaves every record appended so far. A record that cannot
/// be written whole (no space, file too large, device gone) is cut off again (`ftruncate`) and the
/// error thrown: the file never holds part of one, and later records may still be appended.
public final class RecordFile {
    public let path: String
    /// What the file is, in messages ("frame table").
    public let what: String
    private var fd: Int32
    /// Bytes of whole records in the file.
    public private(set) var size: off_t = 0

    /// Creates the file, or empties it.
    public init(path: String, what: String) throws {
        self.path = path
        self.what = what
        // O_APPEND: after a torn record is cut off, the next one goes at the new end, not after a hole.
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw RecordFileError(path: path, code: code,
                                  description: "cannot create \(what) \(path): \(Self.reason(code, path: path))")
        }
    }

    deinit {
        if fd >= 0 { _ = Foundation.close(fd) }
    }

    /// Writes `record` whole or not at all. `context` says where in the work it failed
    /// ("at frame 12 (0:00.4)") for the message.
    public func append(_ record: [UInt8], context: String = "") throws {
        guard fd >= 0 else {
            throw RecordFileError(path: path, code: EBADF, description: "cannot write \(what) \(path)\(context): already closed")
        }
        let code = appendWholeRecord(record, to: fd, cuttingBackTo: size)
        guard code == 0 else {
            throw RecordFileError(path: path, code: code,
                                  description: "cannot write \(what) \(path)\(context): \(Self.reason(code, path: path))")
        }
        size += off_t(record.count)
    }

    /// Flushes to the device and closes; the file's errors that surface only now (NFS, delayed
    /// allocation) are reported here. Closing twice does nothing.
    public func close() throws {
        guard fd >= 0 else { return }
        var code: Int32 = 0
        // Pipes and terminals (`/dev/stdout`) cannot be synced and need not be.
        if fsync(fd) != 0, errno != EINVAL, errno != EROFS, errno != ENOTSUP { code = errno }
        if Foundation.close(fd) != 0, code == 0 { code = errno }
        fd = -1
        guard code == 0 else {
            throw RecordFileError(path: path, code: code, description: "cannot finish \(what) \(path): \(Self.reason(code, path: path))")
        }
    }

    /// The system's reason, with the one case whose wording misleads made plain.
    static func reason(_ code: Int32, path: String) -> String {
        let system = String(cString: strerror(code))
        let folder = (path as NSString).deletingLastPathComponent
        if code == ENOENT, !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            return "\(system) (the folder \(folder) does not exist)"
        }
        return system
    }
}
