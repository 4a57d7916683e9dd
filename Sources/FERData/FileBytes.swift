#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file held in one block (image files and the like). Pixel CSVs do not
/// come through here: they are read in bounded blocks (CSVStream.swift), since holding a 271 MB
/// text whole was most of the loader's peak memory.
final class FileBytes {
    let base: UnsafeMutablePointer<UInt8>
    let count: Int
    /// The path the bytes came from (used in every error message).
    let path: String
    /// Mapped files are unmapped, everything else was malloc'ed.
    private let mappedLength: Int

    init(takingOwnershipOf base: UnsafeMutablePointer<UInt8>, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
        mappedLength = 0
    }

    private init(mapped base: UnsafeMutablePointer<UInt8>, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
        mappedLength = count
    }

    deinit {
        if mappedLength > 0 { munmap(base, mappedLength) } else { free(base) }
    }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Reads the file in one go. Missing files and directories give a DataError naming the path.
    static func read(path: String) throws -> FileBytes {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let reason = errno == ENOENT ? "no such file or directory" : String(cString: strerror(errno))
            throw DataError(file: path, reason: reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DataError(file: path, reason: String(cString: strerror(errno))) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw DataError(file: path, reason: "is a directory, expected a file") }
        // Large regular files are mapped: the page cache is used in place, with no anonymous copy to
        // fault in and free. (Mapped pages still count as resident, so this is for files that are
        // needed whole anyway, not for the big CSVs.)
        // MAP_POPULATE reads ahead in the kernel; parsing then never waits on page faults.
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size >= 1 << 20 {
            let length = Int(info.st_size)
            let flags = mapPopulateFlags
            if let p = mmap(nil, length, PROT_READ, flags, fd, 0), p != MAP_FAILED {
                return FileBytes(mapped: p.assumingMemoryBound(to: UInt8.self), count: length, path: path)
            }
        }
        // Small files, pipes and the like: read into a growing buffer.
        var capacity = max(Int(info.st_size), 0) + 1
        var base = malloc(capacity)!.assumingMemoryBound(to: UInt8.self)
        var length = 0
        while true {
            if length == capacity {
                capacity *= 2
                base = realloc(base, capacity)!.assumingMemoryBound(to: UInt8.self)
            }
            let n = systemRead(fd, base + length, capacity - length)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                free(base)
                throw DataError(file: path, reason: "read failed: \(reason)")
            }
            if n == 0 { break }
            length += n
        }
        return FileBytes(takingOwnershipOf: base, count: length, path: path)
    }
}

/// The libc read(2), named apart from `FileBytes.read(path:)`.
func systemRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}

private var mapPopulateFlags: Int32 {
    #if os(Linux)
    return Int32(MAP_PRIVATE) | Int32(MAP_POPULATE)
    #else
    return MAP_PRIVATE
    #endif
}

extension String {
    /// The message a C codec wrote into a fixed-size buffer, up to its terminating NUL (the whole
    /// buffer when there is none, so a message that filled it is not read past its end).
    init(cMessage buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
