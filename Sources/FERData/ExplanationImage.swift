/// The picture `predict --explain` writes for one face: the 48×48 crop the network saw,
/// enlarged, with the saliency map blended over it in `HeatRamp` colours and a legend strip under
/// it; beside it one bar per class with its name and probability, the predicted class in colour.
public struct ExplanationImage {
    public static let scale = 5
    static let face = ImageSet.side * scale      // 240 px
    static let legendHeight = 14
    static let gap = 12
    static let barArea = 230
    public static let width = face + gap + barArea
    public static let height = face + 4 + legendHeight + 4

    public private(set) var rgb: [UInt8]

    /// `pixels`: 2304 gray bytes; `saliency`: 2304 values in 0...1; `probabilities`: 7, in
    /// `Emotion` order.
    public init(pixels: [UInt8], saliency: [Float], probabilities: [Float]) {
        precondition(pixels.count == ImageSet.pixelsPerImage && saliency.count == ImageSet.pixelsPerImage
                     && probabilities.count == Emotion.count)
        rgb = [UInt8](repeating: 255, count: Self.width * Self.height * 3)
        drawFace(pixels, saliency)
        drawLegend()
        drawBars(probabilities)
    }

    public func write(path: String) throws {
        try PNGCodec.write(rgb, width: Self.width, height: Self.height, channels: 3, path: path)
    }

    mutating func set(_ x: Int, _ y: Int, _ c: (r: UInt8, g: UInt8, b: UInt8)) {
        guard x >= 0, y >= 0, x < Self.width, y < Self.height else { return }
        let i = (y * Self.width + x) * 3
        rgb[i] = c.r; rgb[i + 1] = c.g; rgb[i + 2] = c.b
    }

    mutating func fill(x: Int, y: Int, width: Int, height: Int, _ c: (r: UInt8, g: UInt8, b: UInt8)) {
        for yy in y..<(y + height) { for xx in x..<(x + width) { set(xx, yy, c) } }
    }

    mutating func text(_ text: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8)) {
        PixelFont.draw(text, x: x, y: y, scale: scale) { fill(x: $0, y: $1, width: $2, height: $2, color) }
    }

    /// Nearest-neighbour enlargement (the real pixels, no invented detail); the heat colour's
    /// weight grows with the saliency so cold regions still show the face underneath.
    mutating func drawFace(_ pixels: [UInt8], _ saliency: [Float]) {
        for y in 0..<Self.face {
            for x in 0..<Self.face {
                let p = (y / Self.scale) * ImageSet.side + x / Self.scale
                let gray = Float(pixels[p]), heat = HeatRamp.rgb(saliency[p])
                let alpha = 0.15 + 0.5 * max(0, min(1, saliency[p]))
                func blend(_ h: UInt8) -> UInt8 { UInt8((gray * (1 - alpha) + Float(h) * alpha).rounded()) }
                set(x, y, (blend(heat.r), blend(heat.g), blend(heat.b)))
            }
        }
    }

    mutating func drawLegend() {
        let top = Self.face + 4
        let textWidth = PixelFont.width("HIGH", scale: 2)
        let x0 = PixelFont.width("LOW", scale: 2) + 6, x1 = Self.face - textWidth - 6
        text("LOW", x: 0, y: top + 2, scale: 2, color: (60, 60, 60))
        for x in x0..<x1 {
            fill(x: x, y: top, width: 1, height: Self.legendHeight, HeatRamp.rgb(Float(x - x0) / Float(x1 - x0 - 1)))
        }
        text("HIGH", x: x1 + 6, y: top + 2, scale: 2, color: (60, 60, 60))
    }

    mutating func drawBars(_ probabilities: [Float]) {
        let left = Self.face + Self.gap
        let rowHeight = Self.face / Emotion.count
        let predicted = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        let labelWidth = PixelFont.width("SURPRISE", scale: 2) + 6
        let barMax = Self.barArea - labelWidth - PixelFont.width("100%", scale: 2) - 8
        for (i, p) in probabilities.enumerated() {
            let y = i * rowHeight + (rowHeight - 10) / 2
            let name = Emotion(index: i).name.uppercased()
            let ink: (UInt8, UInt8, UInt8) = i == predicted ? (0, 0, 0) : (90, 90, 90)
            text(name, x: left, y: y, scale: 2, color: ink)
            let length = Int((max(0, min(1, p)) * Float(barMax)).rounded())
            let colour = i == predicted ? HeatRamp.rgb(0.6) : (170, 170, 170)
            fill(x: left + labelWidth, y: y, width: max(1, length), height: 10, colour)
            let percent = "\(Int((p * 100).rounded()))%"
            text(percent, x: left + labelWidth + max(1, length) + 4, y: y, scale: 2, color: ink)
        }
    }
}
