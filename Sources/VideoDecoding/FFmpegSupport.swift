import CFFmpeg
import Foundation

/// What every use of the libraries needs first, and FFmpeg's error codes as text.
enum FFmpeg {
    /// Once per process: the capture devices (v4l2) registered, and FFmpeg's own log kept off
    /// stderr, under the dashboard's screen; its error lines are counted instead (see
    /// `cffmpeg_log_callback`), and what went wrong reaches people through `VideoError` and
    /// `warnings`. FERDASH_FFMPEG_LOG=1 prints the log too, for debugging.
    static let ready: Void = {
        avdevice_register_all()
        let verbose = ProcessInfo.processInfo.environment["FERDASH_FFMPEG_LOG"].map { !$0.isEmpty && $0 != "0" } ?? false
        cffmpeg_log_install(verbose ? 1 : 0)
    }()

    /// av_strerror's text for an AVERROR code.
    static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let again = cffmpeg_error_again()
    static let eof = cffmpeg_error_eof()
    static let exit = cffmpeg_error_exit()
    static let invalidData = cffmpeg_error_invalid_data()
    static let streamNotFound = cffmpeg_error_stream_not_found()
    static let decoderNotFound = cffmpeg_error_decoder_not_found()
    static let noPTS = cffmpeg_no_pts()

    /// The errno behind an AVERROR code, when it wraps one.
    static func errno(_ code: Int32) -> Int32 { cffmpeg_errno_from_error(code) }

    static func seconds(_ r: AVRational) -> Double { r.den == 0 ? 0 : Double(r.num) / Double(r.den) }
}
