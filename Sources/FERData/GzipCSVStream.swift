import CCodecs
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a gzip'ed CSV while it inflates: one thread runs zlib into a buffer sized from the gzip
/// trailer, the calling thread parses every complete block of lines as soon as it is there.
/// Inflating (single-threaded by nature) is the long pole, so the parse hides behind it instead of
/// running after it. Falls back (returns nil) when the size hint is unusable or turns out wrong,
/// e.g. for concatenated members, and the caller inflates in one go instead.
enum GzipCSVStream {
    static func read(_ compressed: FileBytes, options: LoadOptions, requireEmotion: Bool,
                     blockSize: Int = 8 << 20, minimumSize: Int = 1 << 20) throws -> CSVRows? {
        let hint = ccodecs_gzip_size_hint(compressed.base, compressed.count)
        guard hint >= minimumSize, hint >= compressed.count else { return nil }
        let capacity = hint + (1 << 16)
        guard let raw = malloc(capacity) else { return nil }
        let output = FileBytes(takingOwnershipOf: raw.assumingMemoryBound(to: UInt8.self), count: capacity,
                               path: compressed.path)
        guard let opened = ccodecs_gunzip_begin(compressed.base, compressed.count) else { return nil }
        let stream = StreamHandle(pointer: opened)
        let progress = InflateProgress()

        // Producer: `compressed`, `output` and `stream` stay alive until it reports finished,
        // because the consumer always waits for that before returning. A thread of its own, not a
        // GCD work item: the consumer blocks on a condition variable GCD cannot see, and when the
        // caller already runs on a busy pool the item might never be scheduled.
        startDetachedThread {
            var length = 0
            var done: Int32 = 0
            var message = [CChar](repeating: 0, count: 256)
            var outcome = InflateProgress.Outcome.complete
            while done == 0 {
                if progress.isCancelled { outcome = .cancelled; break }
                if length == capacity { outcome = .overflow; break }
                var produced = 0
                let status = ccodecs_gunzip_next(stream.pointer, output.base + length, min(capacity - length, 4 << 20),
                                                 &produced, &done, &message, message.count)
                length += produced
                if status != 0 {
                    outcome = .failed(FileBytes.gzipError(status, message: String(cString: message), path: compressed.path))
                    break
                }
                progress.publish(length)
            }
            ccodecs_gunzip_end(stream.pointer)
            withExtendedLifetime(compressed) { progress.finish(length, outcome) }
        }

        var parsed = 0
        var columns: Columns?
        var chunks: [Chunk] = []
        let stopAtError = !options.skipBadRows
        // What to wait for next: `need` more bytes beyond `waitFrom`.
        var waitFrom = 0, need = 1
        // Whatever happens here, the producer is stopped and waited for before the buffers go away.
        defer { progress.cancel(); progress.waitUntilFinished() }
        do {
            while true {
                let (available, outcome) = progress.waitForMore(than: waitFrom, atLeast: need)
                if let outcome, case .overflow = outcome { return nil }
                if let outcome, case .failed(let error) = outcome { throw error }
                let finished = outcome != nil
                let data = UnsafeBufferPointer(start: output.base, count: available)
                if columns == nil {
                    if available == 0 && finished { throw DataError(file: compressed.path, reason: "empty file") }
                    // The header needs its whole line (or the whole file).
                    guard finished || CSVReader.lineEnd(data, from: 0) < available else {
                        (waitFrom, need) = (available, 1)
                        continue
                    }
                    let (found, bodyStart) = try CSVReader.header(data, file: compressed.path, requireEmotion: requireEmotion)
                    columns = found
                    parsed = bodyStart
                }
                var limit = available
                if !finished {
                    // Only whole lines: up to the last newline that has arrived.
                    var last = available - 1
                    while last >= parsed && output.base[last] != 0x0A { last -= 1 }  // rows are ~9 KB: short walk
                    guard last >= parsed else {
                        (waitFrom, need) = (available, 1) // a line longer than a block: wait for its end
                        continue
                    }
                    limit = last + 1
                }
                if limit > parsed {
                    let chunk = Chunk(start: parsed, end: limit)
                    chunk.parse(data, columns: columns!, stopAtError: stopAtError)
                    chunks.append(chunk)
                    parsed = limit
                    if chunk.error != nil { break }
                }
                if finished && parsed >= available { break }
                (waitFrom, need) = (parsed, blockSize)
            }
        } catch let error as DataError {
            // A damaged stream explains a bad header better than the header does: report it first,
            // as the one-shot path (inflate, then parse) would.
            progress.waitUntilFinished()
            if case .failed(let gzipError)? = progress.outcome { throw gzipError }
            throw error
        }
        progress.waitUntilFinished()
        switch progress.outcome {
        case .failed(let error)?: throw error
        case .overflow?: return nil
        default: break
        }
        return try CSVReader.collect(chunks, columns: columns!, file: compressed.path)
    }
}

/// Runs `body` on a new detached POSIX thread.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if started == 0 {
        pthread_detach(thread)
    } else {
        // No thread to be had: run inline (the consumer then finds the work already done).
        Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
    }
}

/// The zlib state, handed to the inflating thread and used by it alone.
struct StreamHandle: @unchecked Sendable { let pointer: OpaquePointer }

/// Shared state between the inflating thread and the parser: bytes ready, and how it ended.
final class InflateProgress: @unchecked Sendable {
    enum Outcome {
        case complete, overflow, cancelled, failed(DataError)
    }

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var available = 0
    private var cancelled = false
    private(set) var outcome: Outcome?

    init() {
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

    func publish(_ length: Int) {
        locked { available = length; pthread_cond_broadcast(changed) }
    }

    func finish(_ length: Int, _ result: Outcome) {
        locked { available = length; outcome = result; pthread_cond_broadcast(changed) }
    }

    func cancel() { locked { cancelled = true } }
    var isCancelled: Bool { locked { cancelled } }

    /// Blocks until at least `atLeast` bytes beyond `parsed` are ready or the producer finished.
    func waitForMore(than parsed: Int, atLeast: Int) -> (available: Int, outcome: Outcome?) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while outcome == nil && available - parsed < atLeast { pthread_cond_wait(changed, lock) }
        return (available, outcome)
    }

    func waitUntilFinished() {
        pthread_mutex_lock(lock)
        while outcome == nil { pthread_cond_wait(changed, lock) }
        pthread_mutex_unlock(lock)
    }
}
