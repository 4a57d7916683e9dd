#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mixup (Zhang et al. 2018): each training image becomes a blend λ·x + (1 − λ)·x′ of itself
/// and a partner from the same batch, and its target the same blend of the two labels, with
/// λ ~ Beta(α, α) drawn once per batch. The network is asked for calibrated in-between answers
/// instead of certainty, which suits FER2013's many ambiguous faces.
public struct Mixup: Sendable, Equatable {
    /// The Beta distribution's parameter; 0 turns mixup off. Small α (0.2) mostly gives λ near
    /// 0 or 1: a light blend.
    public var alpha: Float
    public init(alpha: Float) { self.alpha = alpha }

    public static let none = Mixup(alpha: 0)
    public var isNone: Bool { alpha <= 0 }

    /// A batch's mixing: image i is blended with image `partner(i)` with weight `weight` on itself.
    public struct Draw: Equatable, Sendable {
        /// The weight of an image's own pixels and label, in [0.5, 1].
        public var weight: Float
        public static let unmixed = Draw(weight: 1)
        /// The partner of slot i in a batch of `count`: the batch read backwards, a pairing as
        /// random as the batch order, and one that lets each pair be mixed in place.
        public static func partner(_ i: Int, count: Int) -> Int { count - 1 - i }
    }

    /// The generator of the batch at `step`: its own stream, apart from the images' ones.
    public static func generator(seed: UInt64, step: Int) -> SplitMix64 {
        Augmentation.generator(seed: seed ^ 0x6D69_7875_7000_0000, step: step, slot: -1)
    }

    /// λ ~ Beta(α, α), folded to max(λ, 1 − λ): the pair (i, partner) then gets the same two
    /// blends either way round, and each image stays mostly itself.
    public func draw(rng: inout SplitMix64) -> Draw {
        guard !isNone else { return .unmixed }
        let a = Self.gamma(alpha, rng: &rng), b = Self.gamma(alpha, rng: &rng)
        let lambda = a + b > 0 ? a / (a + b) : 1
        return Draw(weight: max(lambda, 1 - lambda))
    }

    /// Blends `count` images of `pixels` floats each in place, image i with its partner, and
    /// returns the partners' labels (the second half of each target).
    public static func apply(_ draw: Draw, images: UnsafeMutablePointer<Float>, pixels: Int, labels: [Int32]) -> [Int32] {
        let count = labels.count
        let w = draw.weight, v = 1 - draw.weight
        var i = 0
        while i < count / 2 {
            let a = images + i * pixels, b = images + Draw.partner(i, count: count) * pixels
            var p = 0
            while p < pixels {
                let x = a[p], y = b[p]
                a[p] = w * x + v * y
                b[p] = w * y + v * x
                p += 1
            }
            i += 1
        }
        return (0..<count).map { labels[Draw.partner($0, count: count)] }
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (2000); below shape 1 through
    /// Gamma(shape + 1)·U^(1/shape).
    static func gamma(_ shape: Float, rng: inout SplitMix64) -> Float {
        if shape < 1 {
            let u = max(rng.unit(), 1e-7)
            return gamma(shape + 1, rng: &rng) * powf(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = rng.gaussian()
            let t = 1 + c * x
            guard t > 0 else { continue }
            let v = t * t * t
            let u = max(rng.unit(), 1e-7)
            if logf(u) < 0.5 * x * x + d - d * v + d * logf(v) { return d * v }
        }
    }
}
