/// A 3×5 capital-letter, digit and punctuation font for the pictures ferdash writes (the
/// `predict --explain` image, the video's emotion plot): a picture needs no font files or
/// libraries for a few labels. Drawn at an integer scale, each dot a `scale`-sided square.
public enum PixelFont {
    /// Rows top to bottom, three bits each (4 = left column). Lower-case text is drawn in
    /// capitals; a character without a glyph is drawn as "?", so a lost character shows.
    static let glyphs: [Character: [UInt8]] = [
        "A": [2, 5, 7, 5, 5], "B": [6, 5, 6, 5, 6], "C": [3, 4, 4, 4, 3], "D": [6, 5, 5, 5, 6],
        "E": [7, 4, 6, 4, 7], "F": [7, 4, 6, 4, 4], "G": [3, 4, 5, 5, 3], "H": [5, 5, 7, 5, 5],
        "I": [7, 2, 2, 2, 7], "J": [1, 1, 1, 5, 2], "K": [5, 5, 6, 5, 5], "L": [4, 4, 4, 4, 7],
        "M": [5, 7, 7, 5, 5], "N": [6, 5, 5, 5, 5], "O": [2, 5, 5, 5, 2], "P": [6, 5, 6, 4, 4],
        "Q": [2, 5, 5, 6, 3], "R": [6, 5, 6, 5, 5], "S": [3, 4, 2, 1, 6], "T": [7, 2, 2, 2, 2],
        "U": [5, 5, 5, 5, 7], "V": [5, 5, 5, 5, 2], "W": [5, 5, 5, 7, 5], "X": [5, 5, 2, 5, 5],
        "Y": [5, 5, 2, 2, 2], "Z": [7, 1, 2, 4, 7],
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [6, 1, 2, 4, 7], "3": [6, 1, 2, 1, 6],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 6, 1, 6], "6": [3, 4, 7, 5, 7], "7": [7, 1, 2, 2, 2],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 6],
        "%": [5, 1, 2, 4, 5], ":": [0, 2, 0, 2, 0], ".": [0, 0, 0, 0, 2], ",": [0, 0, 0, 2, 4],
        "+": [0, 2, 7, 2, 0], "-": [0, 0, 7, 0, 0], "_": [0, 0, 0, 0, 7], "/": [1, 1, 2, 4, 4],
        "(": [1, 2, 2, 2, 1], ")": [4, 2, 2, 2, 4], "[": [3, 2, 2, 2, 3], "]": [6, 2, 2, 2, 6],
        "'": [2, 2, 0, 0, 0], "=": [0, 7, 0, 7, 0], "!": [2, 2, 2, 0, 2], "?": [6, 1, 2, 0, 2],
        "#": [5, 7, 5, 7, 5], "&": [2, 5, 2, 5, 3], " ": [0, 0, 0, 0, 0],
    ]

    /// Height of a line of text in pixels.
    public static func height(scale: Int) -> Int { 5 * scale }

    /// Width in pixels: 3 dots a glyph and 1 between glyphs, none after the last.
    public static func width(_ text: String, scale: Int) -> Int { max(0, text.count * 4 * scale - scale) }

    /// Calls `dot(x, y, size)` for every square of `text` with its top-left corner at (`x`, `y`);
    /// the caller paints it, so the font needs to know nothing of the image it draws on.
    public static func draw(_ text: String, x: Int, y: Int, scale: Int, dot: (_ x: Int, _ y: Int, _ size: Int) -> Void) {
        for (k, ch) in text.enumerated() {
            let upper = ch.uppercased()   // may be two letters ("ß" → "SS"): then it has no glyph
            let rows = glyphs[ch] ?? (upper.count == 1 ? glyphs[Character(upper)] : nil) ?? glyphs["?"]!
            for (r, bits) in rows.enumerated() {
                for c in 0..<3 where bits & (4 >> c) != 0 {
                    dot(x + (k * 4 + c) * scale, y + r * scale, scale)
                }
            }
        }
    }
}
