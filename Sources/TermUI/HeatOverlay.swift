/// A heat map over a `ShadedImage`, cell for cell (the image's scale, from the area's top-left),
/// in whatever the terminal can show:
/// 256 colours → each half-block pixel blended with the ramp colour (cold shows the face, hot
/// the colour), snapped to the xterm palette; 8/16 colours → the strongest cells on a red
/// background; no colour → the strongest cells in reverse video. The ramp comes from the caller
/// (the dashboard shares it with `predict --explain`), so this knows nothing about saliency.
public struct HeatOverlay: Widget {
    /// What the heat is drawn over; drawn first, so the overlay owns its area like any widget.
    public var image: ShadedImage
    public var values: [Float]
    public var width: Int
    public var height: Int
    public var ramp: (Float) -> (r: UInt8, g: UInt8, b: UInt8)
    /// Cells at or above this (0...1) count as "strongest" in the fallbacks.
    public static let strong: Float = 0.6

    public init(values: [Float], width: Int, height: Int, over image: ShadedImage,
                ramp: @escaping (Float) -> (r: UInt8, g: UInt8, b: UInt8)) {
        self.image = image; self.values = values; self.width = width; self.height = height; self.ramp = ramp
    }

    /// Mean of an s×s block (the same blocks `ShadedImage` averages).
    func sample(_ x: Int, _ y: Int, _ s: Int) -> Float {
        var sum: Float = 0, n = 0
        for yy in y * s..<min(height, (y + 1) * s) {
            for xx in x * s..<min(width, (x + 1) * s) { sum += values[yy * width + xx]; n += 1 }
        }
        return n == 0 ? 0 : sum / Float(n)
    }

    public func draw(_ grid: inout CellGrid, _ area: Rect, caps: Capabilities) {
        image.draw(&grid, area, caps: caps)
        let s = max(1, image.scale)
        guard values.count >= width * height, image.pixels.count >= width * height else { return }
        let size = image.cellSize(scale: s)
        let (cw, ch) = (max(0, min(area.width, size.width)), max(0, min(area.height, size.height)))
        let ph = height / s
        for cy in 0..<ch {
            for cx in 0..<cw {
                let top = sample(cx, cy * 2, s)
                let bottom = cy * 2 + 1 < ph ? sample(cx, cy * 2 + 1, s) : top
                var cell = grid[area.x + cx, area.y + cy]
                if caps.colors >= 256 && caps.unicode {
                    let grayTop = image.sample(cx, cy * 2, s)
                    let grayBottom = cy * 2 + 1 < ph ? image.sample(cx, cy * 2 + 1, s) : grayTop
                    cell = Cell("▀", Style(fg: blend(grayTop, top), bg: blend(grayBottom, bottom)))
                } else if max(top, bottom) >= Self.strong {
                    cell.style = Theme(caps: caps).heatMark
                }
                grid[area.x + cx, area.y + cy] = cell
            }
        }
    }

    /// The face's gray under the ramp colour, more of the colour the hotter the cell.
    func blend(_ gray: Int, _ heat: Float) -> Color {
        // No tint at 0, so a cold cell is exactly the face's gray (the palette has no near-grays).
        let c = ramp(heat), alpha = 0.75 * max(0, min(1, heat))
        func mix(_ h: UInt8) -> Int { Int((Float(gray) * (1 - alpha) + Float(h) * alpha).rounded()) }
        let (r, g, b) = (mix(c.r), mix(c.g), mix(c.b))
        // Barely tinted: keep the gray ramp the face itself is drawn with, not the cube's grays.
        if max(r, g, b) - min(r, g, b) < 12 { return ShadedImage.grayColor((r + g + b) / 3) }
        return Self.xterm256(r, g, b)
    }

    /// The nearest colour of xterm's 6×6×6 cube or 24-step gray ramp.
    public static func xterm256(_ r: Int, _ g: Int, _ b: Int) -> Color {
        let levels = [0, 95, 135, 175, 215, 255]
        func nearest(_ v: Int) -> Int { levels.indices.min { abs(levels[$0] - v) < abs(levels[$1] - v) }! }
        let (ri, gi, bi) = (nearest(r), nearest(g), nearest(b))
        func distance(_ x: Int, _ y: Int, _ z: Int) -> Int { (x - r) * (x - r) + (y - g) * (y - g) + (z - b) * (z - b) }
        let cube = distance(levels[ri], levels[gi], levels[bi])
        let grayStep = max(0, min(23, ((r + g + b) / 3 - 8 + 5) / 10)), grayValue = 8 + 10 * grayStep
        if distance(grayValue, grayValue, grayValue) < cube { return .gray(grayStep) }
        return .index(UInt8(16 + 36 * ri + 6 * gi + bi))
    }

    /// One legend line: "low ▀▀▀▀▀▀ high" in ramp colours (256), or what the marking means.
    public func legend(width: Int, caps: Capabilities) -> [(String, Style)] {
        if caps.colors >= 256 && caps.unicode {
            let n = max(4, min(16, width - 10))
            return [("low ", .dim)] + (0..<n).map { i in
                let c = ramp(Float(i) / Float(n - 1))
                return ("█", Style(fg: Self.xterm256(Int(c.r), Int(c.g), Int(c.b))))
            } + [(" high", .dim)]
        }
        return [("  ", Theme(caps: caps).heatMark), (" strongest cells", .dim)]
    }
}
