import CCodecs
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Reading a pixel CSV in bounded blocks. The whole text of FER2013 is 271 MB while its pixels are
// 74 MB; holding the text (mapped, or inflated from .gz) was most of the loader's peak memory.
// Here one thread reads or inflates into a small ring of blocks, each ending at a line end (the
// partial last line is carried over into the next block), and the calling thread parses each block
// as it arrives, into per-block pixel buffers. Memory: the ring (3 × blockSize) plus the pixels.

extension CSVReader {
    /// Text blocks in flight. Three: one filling, one being parsed, one spare so that neither side
    /// waits for the other on every hand-over.
    static let ringSize = 3

    /// Reads a pixel CSV file, plain or gzip'ed (decided by the magic bytes, not the name).
    /// - Parameter holdOutSeed: when set and the file has no PublicTest rows, a seeded 10% of the
    ///   Training rows goes to `byUsage[1]` (see `collect`).
    /// - Parameter blockSize: bytes per text block; tests and the fuzzer make it small so rows cross block seams.
    package static func read(path: String, options: LoadOptions, requireEmotion: Bool, holdOutSeed: UInt64? = nil,
                     blockSize: Int = 8 << 20) throws -> CSVRows {
        let source = try CSVInput.open(path)
        let parseThreads = source.parseThreads, sourceErrorsComeFirst = source.sourceErrorsComeFirst
        let pipeline = BlockPipeline(blocks: ringSize, blockSize: max(blockSize, 4096))
        // The source goes to the producer thread (the compiler checks that nothing here touches it
        // again); we always wait for the producer below before returning, so the file stays open
        // exactly as long as it reads.
        // (Running the producer inline instead is no fallback: it would block on a full ring.)
        guard startDetachedThread({ pipeline.produce(from: source) }) else {
            throw DataError(file: path, reason: "cannot start a thread to read the file")
        }
        defer { pipeline.stop() }

        let stopAtError = !options.skipBadRows
        var columns: Columns?
        var chunks: [Chunk] = []
        var rowError = false
        do {
            while let block = try pipeline.next() {
                defer { pipeline.recycle(block) }
                let text = block.text
                var bodyStart = 0
                if columns == nil {
                    if block.isLast && text.count == 0 { throw DataError(file: path, reason: "empty file") }
                    (columns, bodyStart) = try header(text, file: path, requireEmotion: requireEmotion)
                }
                // Splitting a block costs a rendezvous of the threads, worth it only for big blocks.
                let parts = text.count - bodyStart < (4 << 20) ? 1 : parseThreads
                let pieces = splitAtLines(text, from: bodyStart, parts: parts)
                if pieces.count == 1 {
                    pieces[0].parse(text, columns: columns!, stopAtError: stopAtError)
                } else {
                    // Every piece reads the block and writes only its own chunk.
                    let shared = WorkerShared(text), columns = columns!
                    DispatchQueue.concurrentPerform(iterations: pieces.count) { k in
                        pieces[k].parse(shared.pointer, columns: columns, stopAtError: stopAtError)
                    }
                }
                chunks += pieces
                if stopAtError && pieces.contains(where: { $0.error != nil }) {
                    rowError = true
                    break
                }
            }
        } catch let error as DataError {
            // (When `error` is the source's own, draining just throws it again.)
            if sourceErrorsComeFirst { try pipeline.drain() }
            throw error
        }
        // A damaged gzip stream explains a bad row (e.g. the cut-off last line) better than the
        // row does, so its error comes first, as when inflating in one go.
        if rowError && sourceErrorsComeFirst { try pipeline.drain() }
        // Give the text blocks back before merging, so they are not part of the peak.
        pipeline.stop()
        guard let columns else { throw DataError(file: path, reason: "empty file") }
        return try collect(chunks, columns: columns, file: path, holdOutSeed: holdOutSeed)
    }
}

// MARK: - Sources

/// Bytes of a CSV, piece by piece. Not Sendable: a source is handed whole to the producer thread.
protocol CSVByteSource: AnyObject {
    var path: String { get }
    /// Fills up to `capacity` bytes; returns how many, 0 at the end. Throws DataError.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int
    /// Threads to parse a block with. 1 where producing the bytes already keeps a core busy.
    var parseThreads: Int { get }
    /// Whether an error of the source (corrupt gzip) should be reported over a row error found
    /// earlier in the text.
    var sourceErrorsComeFirst: Bool { get }
}

enum CSVInput {
    /// Opens `path` and picks the source from its first two bytes.
    static func open(_ path: String) throws -> CSVByteSource {
        let file = try OpenFile(path: path)
        // Sniff the gzip magic with read(), not pread(): pipes and FIFOs work too.
        var prefix = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = prefix.withUnsafeMutableBufferPointer { systemRead(file.fd, $0.baseAddress! + got, 2 - got) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            got += n
        }
        prefix.removeLast(2 - got)
        if prefix == [0x1f, 0x8b] { return try GzipFileSource(file, prefix: prefix) }
        return PlainFileSource(file, prefix: prefix)
    }
}

/// An open descriptor, closed when the last source using it goes away.
final class OpenFile: Sendable {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = openForReading(path)
        if fd < 0 {
            let reason = errno == ENOENT ? "no such file or directory" : String(cString: strerror(errno))
            throw DataError(file: path, reason: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DataError(file: path, reason: reason)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw DataError(file: path, reason: "is a directory, expected a file")
        }
        #if os(Linux)
        // Ask for aggressive read-ahead: the file is read once, front to back.
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
    }

    deinit { close(fd) }
}

/// A plain file, read with read(2) into the caller's block: the page cache is copied from, never
/// mapped, so file pages do not count toward (or pile up in) our resident memory.
final class PlainFileSource: CSVByteSource {
    private let file: OpenFile
    private var prefix: [UInt8]
    var path: String { file.path }
    var parseThreads: Int { CSVReader.parallelism }
    var sourceErrorsComeFirst: Bool { false }

    init(_ file: OpenFile, prefix: [UInt8]) {
        self.file = file
        self.prefix = prefix
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        var filled = 0
        if !prefix.isEmpty {
            filled = min(prefix.count, capacity)
            prefix.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: filled) }
            prefix.removeFirst(filled)
        }
        while filled < capacity {
            let n = systemRead(file.fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}

/// A gzip file inflated on demand; zlib reads the compressed bytes through its own 256 KiB buffer.
final class GzipFileSource: CSVByteSource {
    private let file: OpenFile
    private let stream: OpaquePointer
    private var total = 0
    private var message = [CChar](repeating: 0, count: 256)
    var path: String { file.path }
    /// Inflating is single-threaded and slower than parsing: one parse thread keeps up with it,
    /// and a second would only compete with zlib for a core.
    var parseThreads: Int { 1 }
    var sourceErrorsComeFirst: Bool { true }
    /// Far above any real dataset, low enough that a gzip bomb fails instead of swapping.
    static let maximumSize = 8 << 30

    init(_ file: OpenFile, prefix: [UInt8]) throws {
        self.file = file
        guard let s = prefix.withUnsafeBufferPointer({ ccodecs_gunzip_begin_fd(file.fd, $0.baseAddress, $0.count) }) else {
            throw DataError(file: file.path, reason: "out of memory starting to inflate")
        }
        stream = s
    }

    deinit { ccodecs_gunzip_end(stream) }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        var produced = 0
        var done: Int32 = 0
        let status = ccodecs_gunzip_next(stream, buffer, capacity, &produced, &done, &message, message.count)
        if status != 0 { throw Self.error(status, message: String(cMessage: message), path: path) }
        total += produced
        if total > Self.maximumSize {
            throw Self.error(Int32(CCODECS_ERR_TOO_LARGE), message: "", path: path)
        }
        return produced
    }

    /// The DataError for a failed inflate, by CCodecs status.
    static func error(_ status: Int32, message detail: String, path: String) -> DataError {
        switch Int(status) {
        case Int(CCODECS_ERR_TRUNCATED):
            return DataError(file: path, reason: "truncated gzip file (\(detail))")
        case Int(CCODECS_ERR_IO):
            return DataError(file: path, reason: "read failed: \(detail)")
        case Int(CCODECS_ERR_TOO_LARGE):
            return DataError(file: path, reason: "gzip data decompresses to more than 8 GiB")
        default:
            return DataError(file: path, reason: "corrupt gzip data (\(detail.isEmpty ? "inflate failed" : detail))")
        }
    }
}

// MARK: - Blocks

/// Anonymous pages straight from mmap: freeing them returns them to the system at once, which
/// malloc does not promise (glibc keeps freed heap memory for reuse, and RSS with it).
enum PageMemory {
    static func allocate(_ bytes: Int) -> UnsafeMutablePointer<UInt8> {
        let p = mmap(nil, max(bytes, 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(p != nil && p != MAP_FAILED, "out of memory (mmap of \(bytes) bytes)")
        return p!.assumingMemoryBound(to: UInt8.self)
    }

    static func free(_ p: UnsafeMutablePointer<UInt8>, _ bytes: Int) {
        munmap(p, max(bytes, 1))
    }
}

/// One buffer of the ring. Bytes [0, end) are whole lines (or the file's tail) for the parser.
final class TextBlock: @unchecked Sendable {   // unchecked: owned by one side at a time, handed over under BlockPipeline's lock
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0
    var end = 0
    var isLast = false

    init(capacity: Int) {
        self.capacity = capacity
        base = PageMemory.allocate(capacity)
    }

    deinit { PageMemory.free(base, capacity) }

    /// For a line longer than the block: keeps the bytes filled so far.
    func grow(to newCapacity: Int) {
        let bigger = PageMemory.allocate(newCapacity)
        bigger.update(from: base, count: count)
        PageMemory.free(base, capacity)
        base = bigger
        capacity = newCapacity
    }

    var text: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: end) }

    /// Index of the last '\n' in [0, count). Rows are ~9 KB, so the backward walk is short.
    func lastNewline() -> Int? {
        var i = count - 1
        while i >= 0 && base[i] != 0x0A { i -= 1 }
        return i >= 0 ? i : nil
    }
}

/// The hand-over between the producing thread and the parser: spare blocks go one way, filled
/// blocks (in file order) the other. Each side blocks until the other gives it something, which
/// needs a condition variable: Synchronization's `Mutex` has none, so this keeps a pthread pair.
final class BlockPipeline: @unchecked Sendable {   // unchecked: every stored var is read and written only while holding `lock`
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let blockSize: Int
    private var spare: [TextBlock]
    private var ready: [TextBlock] = []
    private var finished = false
    private var failure: DataError?
    private var cancelled = false

    init(blocks: Int, blockSize: Int) {
        self.blockSize = blockSize
        // Pages are only touched when filled, so a short file costs little despite the capacity.
        spare = (0..<blocks).map { _ in TextBlock(capacity: blockSize) }
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        changed.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body()
    }

    // MARK: Producer side

    /// Fills blocks from `source` until the end, an error, or `stop()`.
    func produce(from source: CSVByteSource) {
        var carry: [UInt8] = []   // the partial line at the end of the previous block
        var first = true
        do {
            while let block = takeSpare() {
                block.count = 0
                block.isLast = false
                if carry.count > block.capacity / 2 { block.grow(to: max(carry.count * 2, blockSize)) }
                if !carry.isEmpty {
                    carry.withUnsafeBufferPointer { block.base.update(from: $0.baseAddress!, count: $0.count) }
                    block.count = carry.count
                    carry.removeAll(keepingCapacity: true)
                }
                while true {
                    var atEnd = false
                    while block.count < block.capacity {
                        if isCancelled { return finish(nil) }
                        let n = try source.read(into: block.base + block.count, capacity: block.capacity - block.count)
                        if n == 0 { atEnd = true; break }
                        block.count += n
                    }
                    if atEnd {
                        block.end = block.count
                        block.isLast = true
                        publish(block)
                        return finish(nil)
                    }
                    if let newline = block.lastNewline() {
                        block.end = newline + 1
                        carry.append(contentsOf: UnsafeBufferPointer(start: block.base + block.end, count: block.count - block.end))
                        break
                    }
                    // No line end in a whole block. Before the header that means no CSV header can
                    // follow (it is capped at 64 KiB): hand it over for the header check to reject,
                    // rather than reading a large binary file whole. Elsewhere: a very long line.
                    if first && block.count > 65_536 + 3 {
                        block.end = block.count
                        break
                    }
                    block.grow(to: block.capacity * 2)
                }
                first = false
                publish(block)
            }
            finish(nil)
        } catch let error as DataError {
            finish(error)
        } catch {
            finish(DataError(file: source.path, reason: "\(error)"))
        }
    }

    private func takeSpare() -> TextBlock? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while spare.isEmpty && !cancelled { pthread_cond_wait(changed, lock) }
        return cancelled ? nil : spare.removeLast()
    }

    private func publish(_ block: TextBlock) {
        locked { ready.append(block); pthread_cond_broadcast(changed) }
    }

    private func finish(_ error: DataError?) {
        locked { failure = error; finished = true; pthread_cond_broadcast(changed) }
    }

    private var isCancelled: Bool { locked { cancelled } }

    // MARK: Consumer side

    /// The next filled block in file order; nil after the last; throws the source's error once
    /// every block before it has been handed out.
    func next() throws -> TextBlock? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while ready.isEmpty && !finished { pthread_cond_wait(changed, lock) }
        if !ready.isEmpty { return ready.removeFirst() }
        if let failure { throw failure }
        return nil
    }

    func recycle(_ block: TextBlock) {
        locked { spare.append(block); pthread_cond_broadcast(changed) }
    }

    /// Reads to the end without parsing, throwing the source's error if there is one.
    func drain() throws {
        while let block = try next() { recycle(block) }
    }

    /// Stops the producer, waits until it has let go, and frees the blocks. Idempotent.
    func stop() {
        pthread_mutex_lock(lock)
        cancelled = true
        pthread_cond_broadcast(changed)
        while !finished { pthread_cond_wait(changed, lock) }
        spare.removeAll()
        ready.removeAll()
        pthread_mutex_unlock(lock)
    }
}

/// Runs `body` on a new detached POSIX thread; false when no thread could be started. A thread of
/// its own, not a GCD work item: the consumer blocks on a condition variable GCD cannot see, and
/// when the caller already runs on a busy pool the item might never be scheduled. `body` is
/// `sending`: what it captures moves to the new thread, and the caller may not use it again.
func startDetachedThread(_ body: sending @escaping () -> Void) -> Bool {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    guard started == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        return false
    }
    pthread_detach(thread)
    return true
}

/// The libc open(2) for reading, named apart from CSVInput.open.
private func openForReading(_ path: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.open(path, O_RDONLY)
    #else
    return Darwin.open(path, O_RDONLY)
    #endif
}
