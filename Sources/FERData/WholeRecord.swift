#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends `record` to the file open on `fd` (opened with O_APPEND) whole or not at all: in as
/// few `write(2)` calls as the kernel allows, with no buffering in user space, so a process
/// killed at any moment leaves only whole records. When it cannot finish (no space, file too
/// large, device gone), what did go out is cut off again at `size`, the length of the whole
/// records before it. Returns 0, or the errno of the failure (ENOSPC for a write of 0 bytes).
/// The run directory's metrics and event files and the video tables all write through this.
public func appendWholeRecord(_ record: [UInt8], to fd: Int32, cuttingBackTo size: off_t) -> Int32 {
    var code: Int32 = 0
    var written = 0
    record.withUnsafeBytes { raw in
        while written < raw.count {
            let n = write(fd, raw.baseAddress! + written, raw.count - written)
            if n < 0 && errno == EINTR { continue }
            // A write of 0 bytes makes no progress: the device is full.
            guard n > 0 else { code = n == 0 ? ENOSPC : errno; return }
            written += n
        }
    }
    if code != 0 && written > 0 { _ = ftruncate(fd, size) }
    return code
}
