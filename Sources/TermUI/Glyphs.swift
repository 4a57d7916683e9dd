import Foundation

/// Glyph choices for the two character sets (UTF-8 locale or plain ASCII).
public struct Glyphs: Sendable {
    public let unicode: Bool
    public init(unicode: Bool) { self.unicode = unicode }
    public var h: Character { unicode ? "─" : "-" }
    public var v: Character { unicode ? "│" : "|" }
    public var tl: Character { unicode ? "┌" : "+" }
    public var tr: Character { unicode ? "┐" : "+" }
    public var bl: Character { unicode ? "└" : "+" }
    public var br: Character { unicode ? "┘" : "+" }
    public var full: Character { unicode ? "█" : "#" }
    /// Empty-to-full shade ladder for 8/16-colour terminals.
    public var shades: [Character] { unicode ? [" ", "░", "▒", "▓", "█"] : Array(" .:-=+*#%@") }
    public static let asciiRamp: [Character] = Array(" .:-=+*#%@")
    public var ellipsis: String { unicode ? "…" : "~" }
}

extension String {
    /// Cut to `n` characters, marking the cut.
    public func clipped(_ n: Int, ellipsis: String = "~") -> String {
        if n <= 0 { return "" }
        if count <= n { return self }
        if n == 1 { return String(prefix(1)) }
        return String(prefix(n - 1)) + ellipsis
    }
    public func padded(_ n: Int) -> String { count >= n ? String(prefix(n)) : self + String(repeating: " ", count: n - count) }
    public func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
