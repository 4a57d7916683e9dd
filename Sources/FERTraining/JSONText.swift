import FERData
import Foundation

/// JSON built by hand for the commands' `--json` output, rendered with its keys in the order
/// given (so the output reads the same every time and diffs cleanly) and numbers in the
/// shortest form that says enough (`%.6g`; a non-finite number is `null`).
public enum JSON: Sendable {
    case object([(String, JSON)])
    case array([JSON])
    case number(Double)
    case int(Int)
    case string(String)
    case null

    public var text: String {
        switch self {
        case .object(let fields): return "{" + fields.map { "\(jsonQuoted($0.0)): \($0.1.text)" }.joined(separator: ", ") + "}"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .number(let v): return v.isFinite ? String(format: "%.6g", v) : "null"
        case .int(let v): return String(v)
        case .string(let s): return jsonQuoted(s)
        case .null: return "null"
        }
    }

    /// The seven class probabilities as an object keyed by emotion name, in label order.
    public static func probabilities(_ p: ArraySlice<Float>) -> JSON {
        .object(Emotion.allCases.map { ($0.name, .number(Double(p[p.startIndex + $0.rawValue]))) })
    }
}
