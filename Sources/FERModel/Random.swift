// The engine's own generator so runs repeat bit for bit across platforms and Swift versions
// (the standard library's SystemRandomNumberGenerator is not seedable).

/// xoshiro256** seeded through SplitMix64 (the seeding its authors recommend, so that nearby
/// seeds give unrelated streams).
struct Xoshiro256: RandomNumberGenerator {
    var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        state = (Self.splitMix(&s), Self.splitMix(&s), Self.splitMix(&s), Self.splitMix(&s))
    }

    private static func splitMix(_ s: inout UInt64) -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        // An all-zero state would emit zeros forever; checkpoints never hold one, but a damaged
        // file must not produce a silent dead generator.
        if state == (0, 0, 0, 0) { self.init(seed: 0) } else { self.init(exactly: state) }
    }

    private init(exactly state: (UInt64, UInt64, UInt64, UInt64)) {
        self.state = state
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by Box–Muller (one value per call; simplicity over speed, init is rare).
    mutating func nextNormal() -> Double {
        let u1 = 1.0 - nextUnit() // (0, 1]: log stays finite
        let u2 = nextUnit()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
