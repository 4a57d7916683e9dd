/// A single-line editable text with a cursor. Pure value: the reducer edits it, `TextFieldView` draws it.
public struct TextField: Equatable, Sendable {
    public var text: [Character]
    public var cursor: Int
    public init(_ s: String = "") { text = Array(s); cursor = text.count }
    public var string: String { String(text) }
    public mutating func insert(_ c: Character) { text.insert(c, at: cursor); cursor += 1 }
    public mutating func insert(_ s: String) { for c in s { insert(c) } }
    public mutating func backspace() { if cursor > 0 { text.remove(at: cursor - 1); cursor -= 1 } }
    public mutating func deleteForward() { if cursor < text.count { text.remove(at: cursor) } }
    public mutating func left() { cursor = max(0, cursor - 1) }
    public mutating func right() { cursor = min(text.count, cursor + 1) }
    public mutating func home() { cursor = 0 }
    public mutating func end() { cursor = text.count }
    public mutating func set(_ s: String) { text = Array(s); cursor = text.count }
}

/// A text field on one line after its label, scrolled so the cursor is visible; the cursor cell
/// is reversed.
public struct TextFieldView: Widget {
    public var field: TextField
    public var label: String
    public init(_ field: TextField, label: String) { self.field = field; self.label = label }

    public func draw(_ grid: inout CellGrid, _ r: Rect, caps: Capabilities) {
        grid.fill(r)
        guard r.width > 0, r.height > 0 else { return }
        let x0 = grid.put(label, x: r.x, y: r.y, .bold, clip: r)
        let room = r.maxX - x0
        guard room > 0 else { return }
        let start = max(0, field.cursor - room + 1)
        for i in 0..<room {
            let idx = start + i
            let ch: Character = idx < field.text.count ? field.text[idx] : " "
            grid[x0 + i, r.y] = Cell(ch, idx == field.cursor ? .reverse : .plain)
        }
    }
}

/// Longest common prefix — Tab completion extends the typed text by this much.
public func commonPrefix(_ words: [String]) -> String {
    guard var p = words.first else { return "" }
    for w in words.dropFirst() {
        while !w.hasPrefix(p) { p.removeLast() }
    }
    return p
}
