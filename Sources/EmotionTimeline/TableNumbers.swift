import Foundation

/// How numbers are spelled in the timeline's tables (frame table, segments), in one place so
/// every file agrees. Always a dot for the decimal point, whatever the locale.
enum TableNumbers {
    /// Seconds: up to 6 decimals (a microsecond, the finest pts time base in common use), trailing
    /// zeros dropped but one decimal kept so the value reads as a float: "0.0", "1.5", "2.033367".
    /// nil for a non-finite value (written as an empty field, or null in JSON).
    static func seconds(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0"), !text.hasSuffix(".0") { text.removeLast() }
        return text == "-0.0" ? "0.0" : text
    }

    /// Probabilities and confidences: exactly 4 decimals, "0.0312".
    static func fraction(_ value: Double) -> String? {
        guard value.isFinite else { return nil }
        let text = String(format: "%.4f", value)
        return text == "-0.0000" ? "0.0000" : text
    }
}
