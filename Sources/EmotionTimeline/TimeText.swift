import Foundation

/// Times as people read them, one way everywhere the analysis speaks: decoder errors and warnings,
/// progress lines, the summary and the plot's axis (tables use `TableNumbers.seconds`).
public enum TimeText {
    /// A position in a video: m:ss.s, or h:mm:ss.s past an hour.
    public static func position(_ seconds: Double) -> String {
        let tenths = Int((max(0, seconds.isFinite ? seconds : 0) * 10).rounded())
        let h = tenths / 36000, m = tenths / 600 % 60, s = tenths / 10 % 60, t = tenths % 10
        return h > 0 ? String(format: "%d:%02d:%02d.%d", h, m, s, t) : String(format: "%d:%02d.%d", m, s, t)
    }

    /// A time to the second: m:ss, or h:mm:ss past an hour ("0:00", "1:05", "1:02:03").
    public static func clock(_ seconds: Double) -> String {
        let whole = seconds.isFinite ? Int(min(max(0, seconds), 1e12).rounded()) : 0
        let h = whole / 3600, m = whole / 60 % 60, s = whole % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
