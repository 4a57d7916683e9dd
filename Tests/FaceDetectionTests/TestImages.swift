import FERData
import Foundation
import FaceDetection
import FERTestSupport

/// A float canvas to paint soft shapes on, then quantised to a GrayImage.
struct Canvas {
    let width: Int, height: Int
    var values: [Double]
    init(width: Int, height: Int, fill: Double) {
        self.width = width
        self.height = height
        values = [Double](repeating: fill, count: width * height)
    }

    /// Blends `value` into an ellipse with a soft edge `soft` (fraction of the radius), so the
    /// shapes have the smooth borders of a real face rather than hard steps.
    mutating func ellipse(cx: Double, cy: Double, rx: Double, ry: Double, value: Double,
                          opacity: Double = 1, soft: Double = 0.25) {
        let x0 = max(0, Int(cx - rx) - 1), x1 = min(width - 1, Int(cx + rx) + 1)
        let y0 = max(0, Int(cy - ry) - 1), y1 = min(height - 1, Int(cy + ry) + 1)
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = (Double(x) + 0.5 - cx) / rx, dy = (Double(y) + 0.5 - cy) / ry
                let d = (dx * dx + dy * dy).squareRoot()
                let t = min(1, max(0, (1 - d) / soft))
                let a = opacity * t * t * (3 - 2 * t)
                values[y * width + x] += a * (value - values[y * width + x])
            }
        }
    }

    /// A face-like pattern whose face box (forehead to chin, cheek to cheek) is `size` pixels
    /// square with top-left at (left, top): lighter oval skin with shading towards the sides,
    /// hair above, dark brows and eyes, a nose shadow and a mouth.
    mutating func face(left: Double, top: Double, size s: Double) {
        func X(_ f: Double) -> Double { left + f * s }
        func Y(_ f: Double) -> Double { top + f * s }
        ellipse(cx: X(0.5), cy: Y(0.12), rx: 0.52 * s, ry: 0.32 * s, value: 45)        // hair
        ellipse(cx: X(0.5), cy: Y(0.55), rx: 0.46 * s, ry: 0.6 * s, value: 150, soft: 0.3)  // face, darker rim
        ellipse(cx: X(0.5), cy: Y(0.52), rx: 0.36 * s, ry: 0.5 * s, value: 195, soft: 0.6)  // lit centre
        for ex in [0.3, 0.7] {
            ellipse(cx: X(ex), cy: Y(0.27), rx: 0.13 * s, ry: 0.035 * s, value: 60, soft: 0.5) // brow
            ellipse(cx: X(ex), cy: Y(0.38), rx: 0.12 * s, ry: 0.07 * s, value: 120, soft: 0.6) // socket
            ellipse(cx: X(ex), cy: Y(0.385), rx: 0.075 * s, ry: 0.035 * s, value: 35, soft: 0.5) // eye
        }
        ellipse(cx: X(0.5), cy: Y(0.52), rx: 0.05 * s, ry: 0.13 * s, value: 165, soft: 0.7)   // nose bridge shade
        ellipse(cx: X(0.5), cy: Y(0.63), rx: 0.1 * s, ry: 0.035 * s, value: 110, soft: 0.6)   // nostrils
        ellipse(cx: X(0.5), cy: Y(0.78), rx: 0.17 * s, ry: 0.04 * s, value: 70, soft: 0.5)   // mouth
        ellipse(cx: X(0.5), cy: Y(0.95), rx: 0.25 * s, ry: 0.05 * s, value: 140, soft: 0.8)  // chin shadow
    }

    mutating func addNoise(amplitude: Double, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for i in values.indices { values[i] += (rng.unitDouble() - 0.5) * 2 * amplitude }
    }

    /// Box blur of radius r, rows then columns, with running sums (O(1) per pixel even for the
    /// multi-megapixel test images in debug builds), for camera-like softness.
    mutating func blur(radius r: Int) {
        guard r > 0 else { return }
        func pass(_ src: [Double], count: Int, lines: Int, at: (Int, Int) -> Int) -> [Double] {
            var out = src
            for line in 0..<lines {
                var prefix = [Double](repeating: 0, count: count + 1)
                for i in 0..<count { prefix[i + 1] = prefix[i] + src[at(line, i)] }
                for i in 0..<count {
                    let lo = max(0, i - r), hi = min(count - 1, i + r)
                    out[at(line, i)] = (prefix[hi + 1] - prefix[lo]) / Double(hi - lo + 1)
                }
            }
            return out
        }
        let w = width
        values = pass(values, count: width, lines: height) { line, i in line * w + i }
        values = pass(values, count: height, lines: width) { line, i in i * w + line }
    }

    var image: GrayImage {
        GrayImage(width: width, height: height,
                  pixels: values.map { UInt8(max(0, min(255, $0.rounded()))) })
    }
}

/// A test scene: a mildly textured background with one synthetic face.
func sceneWithFace(width: Int, height: Int, left: Int, top: Int, size: Int, seed: UInt64 = 1) -> GrayImage {
    var canvas = Canvas(width: width, height: height, fill: 110)
    // A gentle left-to-right light gradient, as in a real room.
    for y in 0..<height { for x in 0..<width { canvas.values[y * width + x] += 30 * Double(x) / Double(width) - 15 } }
    canvas.face(left: Double(left), top: Double(top), size: Double(size))
    canvas.blur(radius: max(1, size / 40))
    canvas.addNoise(amplitude: 4, seed: seed)
    return canvas.image
}

let realCascadeAvailable = FileManager.default.fileExists(atPath: FaceDetector.defaultCascadePath)
