import CFFmpeg

/// Stops a decoder's reads from any thread: what a decoder, which is not thread-safe, hands to
/// the thread that may need to stop it (a stop key, a signal, a test's timer). A blocked read
/// returns, and `nextFrame` throws `.interrupted` from then on. Holding one keeps the flag alive,
/// not the decoder.
public struct VideoInterrupter: Sendable {
    let flag: InterruptFlag

    public func interrupt() {
        cffmpeg_interrupt_stop(flag.state)
    }
}

/// The C interrupt state FFmpeg's callback polls (stop, time-out deadline), freed with its last owner.
final class InterruptFlag: Sendable {
    /// Never reassigned; the fields behind it are read and written only through the shim's
    /// `cffmpeg_interrupt_*` functions, which use atomics.
    nonisolated(unsafe) let state: UnsafeMutablePointer<cffmpeg_interrupt>   // unchecked: touched only through the shim's atomic functions

    init?() {
        guard let state = av_mallocz(MemoryLayout<cffmpeg_interrupt>.size)?.assumingMemoryBound(to: cffmpeg_interrupt.self) else {
            return nil
        }
        self.state = state
    }

    deinit { av_free(state) }
}
