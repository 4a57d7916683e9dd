/// A grayscale image drawn with the best method the terminal allows:
/// 256 colours → half blocks `▀` on the gray ramp (2 pixels per cell, 1:1 at scale 1);
/// 8/16 colours or none with Unicode → shade blocks; otherwise an ASCII ramp.
/// Drawn from the top-left of its area at integer downscale `scale`, clipped to the area; the
/// cells the image does not reach are cleared.
public struct ShadedImage: Widget {
    public var pixels: [UInt8]
    public var width: Int
    public var height: Int
    /// 1 = full resolution, 2 = half size, …
    public var scale: Int
    public init(pixels: [UInt8], width: Int, height: Int, scale: Int = 1) {
        self.pixels = pixels; self.width = width; self.height = height; self.scale = scale
    }

    /// The cells the image takes at its scale, from `origin`: the area to draw it into.
    public func area(at origin: (x: Int, y: Int)) -> Rect {
        let (w, h) = cellSize(scale: scale)
        return Rect(x: origin.x, y: origin.y, width: w, height: h)
    }

    /// Cells needed at integer downscale `scale` (1 = full resolution).
    public func cellSize(scale: Int) -> (width: Int, height: Int) {
        Self.cellSize(width: width, height: height, scale: scale)
    }

    /// Cells a `width`×`height` image needs at `scale`: two pixel rows per cell.
    public static func cellSize(width: Int, height: Int, scale: Int) -> (width: Int, height: Int) {
        let s = max(1, scale)
        return (width / s, (height / s + 1) / 2)
    }

    /// The 256-colour gray ramp step nearest to a 0...255 gray.
    static func grayColor(_ value: Int) -> Color { .gray(value * 23 / 255 + (value * 23 % 255 >= 128 ? 1 : 0)) }

    func sample(_ x: Int, _ y: Int, _ s: Int) -> Int {
        // Area average of an s×s block, so downscaling keeps the face readable.
        var sum = 0, n = 0
        for yy in y * s..<min(height, (y + 1) * s) {
            for xx in x * s..<min(width, (x + 1) * s) { sum += Int(pixels[yy * width + xx]); n += 1 }
        }
        return n == 0 ? 0 : sum / n
    }

    public func draw(_ grid: inout CellGrid, _ area: Rect, caps: Capabilities) {
        grid.fill(area)
        let s = max(1, scale)
        guard pixels.count >= width * height else { return }
        let size = cellSize(scale: s)
        let (cw, ch) = (max(0, min(area.width, size.width)), max(0, min(area.height, size.height)))
        let glyphs = Glyphs(unicode: caps.unicode)
        let ph = height / s
        for cy in 0..<ch {
            for cx in 0..<cw {
                let top = sample(cx, cy * 2, s)
                let bottom = cy * 2 + 1 < ph ? sample(cx, cy * 2 + 1, s) : top
                let cell: Cell
                if caps.colors >= 256 && caps.unicode {
                    cell = Cell("▀", Style(fg: Self.grayColor(top), bg: Self.grayColor(bottom)))
                } else {
                    let ramp = caps.unicode ? glyphs.shades : Glyphs.asciiRamp
                    let avg = (top + bottom) / 2
                    cell = Cell(ramp[min(ramp.count - 1, avg * ramp.count / 256)], .plain)
                }
                grid[area.x + cx, area.y + cy] = cell
            }
        }
    }
}
