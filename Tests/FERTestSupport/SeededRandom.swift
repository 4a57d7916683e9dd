import FERData

// Tests draw their random inputs from the product's own seeded generator (FERData's SplitMix64),
// so a failure replays exactly; this adds what only tests need.
extension SplitMix64 {
    /// Uniform in [0, 1) with 53 random bits, for test images painted in Double.
    public mutating func unitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }
}
