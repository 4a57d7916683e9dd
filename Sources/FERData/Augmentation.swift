// On-the-fly training augmentation for 48×48 grayscale faces.
//
// Each image gets one random similarity transform (shift, rotation, scale, horizontal flip),
// applied as a single inverse-mapped bilinear warp, then brightness/contrast jitter, then (with
// some probability) one rectangle erased to a random gray: random erasing, which makes the
// network use the whole face rather than the single most telling patch. One warp
// instead of a chain of steps: one pass, one interpolation (no compounding blur), and outside
// the image the nearest edge pixel is repeated (a face's surroundings continue rather than a
// black border the network could learn to look for).
//
// The randomness of an image is a pure function of (seed, step, slot in the batch), so a resumed
// run augments exactly as the uninterrupted one would, and batches can be prepared on any thread.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How strongly to perturb training images. `none` leaves them untouched.
public struct Augmentation: Sendable, Equatable {
    /// Largest shift in pixels, each axis (uniform in ±maxShift).
    public var maxShift: Float
    /// Largest rotation in degrees (uniform in ±).
    public var maxRotation: Float
    /// Largest relative zoom (scale uniform in 1 ± maxScale).
    public var maxScale: Float
    /// Mirror left–right with probability ½.
    public var flip: Bool
    /// Largest brightness offset, in [0, 1] pixel units (uniform in ±).
    public var maxBrightness: Float
    /// Largest relative contrast change about the image mean (factor uniform in 1 ± this).
    public var maxContrast: Float
    /// Probability of erasing one rectangle (2–20 % of the image, aspect 0.3–3.3) to a random gray.
    public var eraseProbability: Float

    public init(maxShift: Float = 0, maxRotation: Float = 0, maxScale: Float = 0, flip: Bool = false,
                maxBrightness: Float = 0, maxContrast: Float = 0, eraseProbability: Float = 0) {
        self.maxShift = maxShift
        self.maxRotation = maxRotation
        self.maxScale = maxScale
        self.flip = flip
        self.maxBrightness = maxBrightness
        self.maxContrast = maxContrast
        self.eraseProbability = eraseProbability
    }

    public static let none = Augmentation()
    /// The usual FER2013 recipe: ±4 px (about 10% of the face), ±10°, ±8% zoom, mirror,
    /// ±0.1 brightness, ±20% contrast, and random erasing for half the images.
    public static let standard = Augmentation(maxShift: 4, maxRotation: 10, maxScale: 0.08, flip: true,
                                              maxBrightness: 0.1, maxContrast: 0.2, eraseProbability: 0.5)

    public var isNone: Bool { self == .none }

    /// One line for logs and checkpoint metadata.
    public var summary: String {
        "shift \(maxShift) px, rotation \(maxRotation)°, scale \(maxScale), flip \(flip), "
            + "brightness \(maxBrightness), contrast \(maxContrast)"
            + (eraseProbability > 0 ? ", erase \(eraseProbability)" : "")
    }

    /// The generator for image `slot` of the batch at `step`: distinct, well-mixed streams for
    /// every (seed, step, slot) without any state to carry.
    public static func generator(seed: UInt64, step: Int, slot: Int) -> SplitMix64 {
        var mix = SplitMix64(seed: seed ^ 0xA076_1D64_78BD_642F)
        let a = mix.next()
        var mix2 = SplitMix64(seed: a &+ UInt64(truncatingIfNeeded: step) &* 0xE703_7ED1_A0B4_28DB)
        let b = mix2.next()
        return SplitMix64(seed: b &+ UInt64(truncatingIfNeeded: slot) &* 0x8EBC_6AF0_9C88_C6E3)
    }

    /// Writes the augmented version of `source` (48×48 bytes) into `destination` as floats in
    /// [0, 1]. With `.none` this is the plain conversion `pixel / 255`.
    public func apply(_ source: UnsafePointer<UInt8>, into destination: UnsafeMutablePointer<Float>,
                      rng: inout SplitMix64) {
        let side = ImageSet.side
        if isNone {
            for i in 0..<(side * side) { destination[i] = Float(source[i]) * (1 / 255) }
            return
        }
        // Draw every random number first, in a fixed order, so the stream never depends on
        // which features are switched on beyond the settings themselves.
        let dx = (rng.unit() * 2 - 1) * maxShift
        let dy = (rng.unit() * 2 - 1) * maxShift
        let angle = (rng.unit() * 2 - 1) * maxRotation * .pi / 180
        let scale = 1 + (rng.unit() * 2 - 1) * maxScale
        let mirrored = flip && rng.unit() < 0.5
        let brightness = (rng.unit() * 2 - 1) * maxBrightness
        let contrast = 1 + (rng.unit() * 2 - 1) * maxContrast

        // Inverse map: output pixel p ↦ source c + R(−angle)·(p − c − shift)/scale, mirrored
        // in x first when flipping. c is the image centre.
        let c = Float(side - 1) / 2
        let cosA = cosine(angle) / scale, sinA = sine(angle) / scale
        var sum: Float = 0
        for oy in 0..<side {
            let py = Float(oy) - c - dy
            for ox in 0..<side {
                var px = Float(ox) - c - dx
                if mirrored { px = -px }
                let sx = cosA * px + sinA * py + c
                let sy = -sinA * px + cosA * py + c
                let v = Self.bilinear(source, x: sx, y: sy, side: side)
                destination[oy * side + ox] = v
                sum += v
            }
        }
        // Contrast about the image's mean (so it does not also shift brightness), then clamp
        // to the [0, 1] range the network was built for.
        let mean = sum / Float(side * side)
        for i in 0..<(side * side) {
            let v = (destination[i] - mean) * contrast + mean + brightness
            destination[i] = min(1, max(0, v))
        }
        if eraseProbability > 0 { erase(destination, side: side, rng: &rng) }
    }

    /// Random erasing (Zhong et al. 2017): with `eraseProbability`, one rectangle of 2–20 % of
    /// the image with aspect ratio 0.3–3.3 (log-uniform), at a uniform position, set to one
    /// uniform gray. The draws come after the warp's, so they never change the warp.
    private func erase(_ image: UnsafeMutablePointer<Float>, side: Int, rng: inout SplitMix64) {
        let happens = rng.unit() < eraseProbability
        let area = (0.02 + rng.unit() * 0.18) * Float(side * side)
        let aspect = Float(exp(log(0.3) + Double(rng.unit()) * (log(3.3) - log(0.3))))
        let fx = rng.unit(), fy = rng.unit(), gray = rng.unit()
        guard happens else { return }
        let h = min(side, max(1, Int((area * aspect).squareRoot().rounded())))
        let w = min(side, max(1, Int((area / aspect).squareRoot().rounded())))
        let top = min(side - h, Int(fy * Float(side - h + 1)))
        let left = min(side - w, Int(fx * Float(side - w + 1)))
        for y in top..<(top + h) {
            for x in left..<(left + w) { image[y * side + x] = gray }
        }
    }

    /// Bilinear sample in [0, 1] units, coordinates clamped to the image (edge pixels repeat).
    @inline(__always)
    static func bilinear(_ src: UnsafePointer<UInt8>, x: Float, y: Float, side: Int) -> Float {
        let maxC = Float(side - 1)
        let cx = min(max(x, 0), maxC), cy = min(max(y, 0), maxC)
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, side - 1), y1 = min(y0 + 1, side - 1)
        let fx = cx - Float(x0), fy = cy - Float(y0)
        let a = Float(src[y0 * side + x0]), b = Float(src[y0 * side + x1])
        let d = Float(src[y1 * side + x0]), e = Float(src[y1 * side + x1])
        let top = a + (b - a) * fx, bottom = d + (e - d) * fx
        return (top + (bottom - top) * fy) * (1 / 255)
    }

    // Through Double so the result is the same wherever libm's Float variants differ.
    private func sine(_ x: Float) -> Float { Float(sin(Double(x))) }
    private func cosine(_ x: Float) -> Float { Float(cos(Double(x))) }
}
