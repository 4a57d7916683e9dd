import FERData

/// An 8-bit RGB colour.
struct RGB: Equatable, Sendable {
    var r: UInt8, g: UInt8, b: UInt8
    init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

/// The raster `EmotionPlot` draws on: rectangles, text in `PixelFont`, and anti-aliased thick
/// lines. Everything is clipped to the image, so callers can draw near the edges without checks.
struct PlotCanvas {
    let width: Int, height: Int
    private(set) var rgb: [UInt8]

    init(width: Int, height: Int, paper: RGB) {
        self.width = width; self.height = height
        rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { rgb[3 * i] = paper.r; rgb[3 * i + 1] = paper.g; rgb[3 * i + 2] = paper.b }
    }

    func pixel(_ x: Int, _ y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(rgb[i], rgb[i + 1], rgb[i + 2])
    }

    /// Mixes `colour` into the pixel with weight `alpha` (0...1): how much of the pixel a line covers.
    mutating func blend(_ x: Int, _ y: Int, _ colour: RGB, alpha: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let i = (y * width + x) * 3, a = min(1, alpha)
        func mix(_ under: UInt8, _ over: UInt8) -> UInt8 {
            UInt8((Double(under) + (Double(over) - Double(under)) * a).rounded())
        }
        rgb[i] = mix(rgb[i], colour.r); rgb[i + 1] = mix(rgb[i + 1], colour.g); rgb[i + 2] = mix(rgb[i + 2], colour.b)
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ colour: RGB) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 {
            for xx in x0..<x1 {
                let i = (yy * width + xx) * 3
                rgb[i] = colour.r; rgb[i + 1] = colour.g; rgb[i + 2] = colour.b
            }
        }
    }

    mutating func text(_ text: String, x: Int, y: Int, scale: Int, _ colour: RGB) {
        PixelFont.draw(text, x: x, y: y, scale: scale) { fill(x: $0, y: $1, width: $2, height: $2, colour) }
    }

    /// A line `thickness` pixels wide between two points in pixel coordinates (pixel (x, y)
    /// covers [x, x+1) × [y, y+1)). Each column (or row, for steep lines) is painted with the
    /// fraction of every pixel the line's band covers, so slopes come out smooth rather than as
    /// stairs; the band is widened by the slope so a diagonal is as thick as a level line.
    mutating func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, thickness: Double, _ colour: RGB) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        let steep = abs(y1 - y0) > abs(x1 - x0)
        // Walk along the major axis (u) and cover a band across the minor one (v).
        var (u0, v0, u1, v1) = steep ? (y0, x0, y1, x1) : (x0, y0, x1, y1)
        if u0 > u1 { swap(&u0, &u1); swap(&v0, &v1) }
        let slope = u1 > u0 ? (v1 - v0) / (u1 - u0) : 0
        let half = thickness / 2 * (1 + slope * slope).squareRoot()
        let first = Int(u0.rounded(.down)), last = Int(u1.rounded(.down))
        guard last >= first, last - first < 1 << 16 else { return }
        for u in first...last {
            let centre = min(max(Double(u) + 0.5, u0), u1)
            let v = v0 + slope * (centre - u0)
            let low = v - half, high = v + half
            guard high > 0, low < Double(steep ? width : height) else { continue }
            for w in Int(low.rounded(.down))...Int(high.rounded(.down)) {
                let covered = min(high, Double(w + 1)) - max(low, Double(w))
                if steep { blend(w, u, colour, alpha: covered) } else { blend(u, w, colour, alpha: covered) }
            }
        }
    }
}
