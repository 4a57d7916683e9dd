import Foundation

/// Times as people read them in messages and summaries (tables use `TableNumbers.seconds`).
enum TimeText {
    /// A position in a video: m:ss.s, or h:mm:ss.s past an hour (as the decoder's errors write it).
    static func position(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds.isFinite ? seconds : 0) * 10).rounded())
        let h = tenths / 36000, m = tenths / 600 % 60, s = tenths / 10 % 60, t = tenths % 10
        return h > 0 ? String(format: "%d:%02d:%02d.%d", h, m, s, t) : String(format: "%d:%02d.%d", m, s, t)
    }

    /// A length of time to the second: mm:ss, or h:mm:ss past an hour.
    static func length(_ seconds: Double) -> String {
        let whole = Int(max(0, seconds.isFinite ? seconds : 0).rounded())
        let h = whole / 3600, m = whole / 60 % 60, s = whole % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%02d:%02d", m, s)
    }
}
