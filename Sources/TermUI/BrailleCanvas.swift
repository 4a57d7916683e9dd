/// A plot area addressed in dots: 2×4 braille dots per cell with Unicode, one dot per cell
/// without (the chart then prints its series' marker). Each cell remembers which series drew
/// in it last, so the cell takes that series' style.
public struct BrailleCanvas {
    /// Size in cells.
    public let width: Int, height: Int
    public let unicode: Bool
    private var masks: [UInt8]
    private var owners: [Int]

    public init(width: Int, height: Int, unicode: Bool) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.unicode = unicode
        masks = [UInt8](repeating: 0, count: self.width * self.height)
        owners = [Int](repeating: -1, count: self.width * self.height)
    }

    private var dotsPerCell: (x: Int, y: Int) { unicode ? (2, 4) : (1, 1) }
    public var dotsWide: Int { width * dotsPerCell.x }
    public var dotsHigh: Int { height * dotsPerCell.y }

    /// Unicode braille numbers its dots column by column, with the bottom row (7, 8) last:
    /// bit of the dot at column x (0–1), row y (0–3) of a cell.
    private static let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    /// Sets one dot; dots outside the canvas are ignored.
    public mutating func set(_ x: Int, _ y: Int, owner: Int) {
        guard x >= 0, y >= 0, x < dotsWide, y < dotsHigh else { return }
        let (sx, sy) = dotsPerCell
        let i = (y / sy) * width + x / sx
        masks[i] |= unicode ? Self.bits[x % 2][y % 4] : 1
        owners[i] = owner
    }

    /// Every dot on the straight line between two dots, both ends included (Bresenham), so a
    /// curve stays continuous however far apart its points land.
    public mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), owner: Int) {
        var x = a.x, y = a.y
        let dx = abs(b.x - x), dy = -abs(b.y - y)
        let stepX = x < b.x ? 1 : -1, stepY = y < b.y ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, owner: owner)
            if x == b.x && y == b.y { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += stepX }
            if e2 <= dx { err += dx; y += stepY }
        }
    }

    /// The cells something was drawn in: position, the series that drew last, and the braille
    /// character of its dots (nil without Unicode).
    public func cells() -> [(x: Int, y: Int, owner: Int, braille: Character?)] {
        var out: [(x: Int, y: Int, owner: Int, braille: Character?)] = []
        for cy in 0..<height {
            for cx in 0..<width where owners[cy * width + cx] >= 0 {
                let i = cy * width + cx
                let braille = unicode ? Character(Unicode.Scalar(0x2800 + UInt32(masks[i]))!) : nil
                out.append((cx, cy, owners[i], braille))
            }
        }
        return out
    }
}
