/// SplitMix64: tiny, fast and fully specified, so a seed gives the same split and the same
/// synthetic faces on every platform and Swift version (SystemRandomNumberGenerator cannot be seeded).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 24 bits, enough for image synthesis.
    mutating func unit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }
    /// Standard normal (Box–Muller; one value per call keeps the stream simple).
    mutating func gaussian() -> Float {
        let u1 = max(unit(), 1e-7)
        let u2 = unit()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }
    /// Uniform integer in 0..<bound without modulo bias worth caring about (bound ≪ 2^64).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum SeededSplit {
    /// The seed chapter's hold-out: shuffle with the seed, keep 10% (rounded down) for validation.
    /// Both parts keep the file order, so a split is easy to compare against the source file.
    static func holdOut(_ set: ImageSet, seed: UInt64, fraction: Double = 0.1) -> (train: ImageSet, validation: ImageSet) {
        let isValidation = validationMask(count: set.count, seed: seed, fraction: fraction)
        guard isValidation.contains(true) else { return (set, ImageSet()) }
        return (set.gather { !isValidation[$0] }, set.gather { isValidation[$0] })
    }

    /// Which of `count` images the hold-out puts in validation. Shared with the CSV reader, which
    /// applies it while merging instead of copying the training set a second time.
    static func validationMask(count n: Int, seed: UInt64, fraction: Double = 0.1) -> [Bool] {
        let validationCount = Int(Double(n) * fraction)
        var isValidation = [Bool](repeating: false, count: n)
        guard validationCount > 0 else { return isValidation }
        var order = Array(0..<n)
        var rng = SplitMix64(seed: seed)
        // Fisher–Yates, written out so the permutation never depends on the standard library's shuffle.
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = rng.below(i + 1)
                order.swapAt(i, j)
            }
        }
        for i in order.prefix(validationCount) { isValidation[i] = true }
        return isValidation
    }
}

extension ImageSet {
    /// The images whose index passes `keep`, in order, pixels copied row by row.
    func gather(_ keep: (Int) -> Bool) -> ImageSet {
        let indices = (0..<count).filter(keep)
        let side = ImageSet.pixelsPerImage
        let out = [UInt8](unsafeUninitializedCapacity: indices.count * side) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    (dst.baseAddress! + k * side).update(from: src.baseAddress! + i * side, count: side)
                }
            }
            initialized = indices.count * side
        }
        return ImageSet(pixels: out, labels: indices.map { labels[$0] })
    }
}
