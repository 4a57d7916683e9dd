import CFFmpeg

/// Bytes already in memory as an AVIOContext, so the demuxers read them as they would a file
/// (seeking included). The fuzzer and the tests open videos this way without touching the disk.
final class MemoryInput {
    private let bytes: [UInt8]
    private var position = 0
    private(set) var context: UnsafeMutablePointer<AVIOContext>?
    /// The decoder's interrupt state: reads fail with AVERROR_EXIT once it is stopped. FFmpeg polls
    /// its interrupt callback in its own protocols only, not in a custom AVIOContext like this one.
    var interrupt: UnsafeMutablePointer<cffmpeg_interrupt>?

    /// The block FFmpeg reads through; it may replace it with one of its own, which `close` frees.
    private static let blockSize = 32 * 1024

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard let buffer = av_malloc(Self.blockSize)?.assumingMemoryBound(to: UInt8.self) else {
            throw MemoryInputError.outOfMemory
        }
        let opaque = Unmanaged.passUnretained(self).toOpaque()
        context = avio_alloc_context(buffer, Int32(Self.blockSize), 0, opaque, { opaque, out, size in
            MemoryInput.from(opaque).read(into: out, size: Int(size))
        }, nil, { opaque, offset, whence in
            MemoryInput.from(opaque).seek(offset, whence)
        })
        if context == nil {
            av_free(buffer)
            throw MemoryInputError.outOfMemory
        }
    }

    deinit { close() }

    func close() {
        guard context != nil else { return }
        av_freep(&context!.pointee.buffer)
        avio_context_free(&context)
    }

    private static func from(_ opaque: UnsafeMutableRawPointer?) -> MemoryInput {
        Unmanaged<MemoryInput>.fromOpaque(opaque!).takeUnretainedValue()
    }

    private func read(into out: UnsafeMutablePointer<UInt8>?, size: Int) -> Int32 {
        if let interrupt, cffmpeg_interrupt_stopped(interrupt) != 0 { return FFmpeg.exit }
        let count = min(max(size, 0), bytes.count - position)
        guard count > 0, let out else { return FFmpeg.eof }
        bytes.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + position, count: count) }
        position += count
        return Int32(count)
    }

    private func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        if whence & AVSEEK_SIZE != 0 { return Int64(bytes.count) }
        let base: Int64
        switch whence & ~AVSEEK_FORCE {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = Int64(position)
        case SEEK_END: base = Int64(bytes.count)
        default: return Int64(cffmpeg_error_from_errno(EINVAL))
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0, target <= Int64(bytes.count) else { return Int64(cffmpeg_error_from_errno(EINVAL)) }
        position = Int(target)
        return target
    }
}

enum MemoryInputError: Error { case outOfMemory }
