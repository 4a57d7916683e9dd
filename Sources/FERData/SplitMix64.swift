#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea & Flood): tiny, fast and fully specified, so a seed gives the same
/// hold-out split, the same synthetic faces, the same augmentation draws and the same batch
/// order on every platform and Swift version (SystemRandomNumberGenerator cannot be seeded).
/// The one generator of the data and training layers; the engine keeps its own xoshiro256**.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with 24 random bits (exact in Float).
    public mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 }
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }
    /// Standard normal (Box–Muller; one value per call keeps the stream simple).
    public mutating func gaussian() -> Float {
        let u1 = max(unit(), 1e-7)
        let u2 = unit()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * Float.pi * u2)
    }
    /// Uniform integer in 0..<bound without modulo bias worth caring about (bound ≪ 2^64).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
