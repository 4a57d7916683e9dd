import FERData

/// Decides which training images make up the batch at each global step.
///
/// The stream of indices is the concatenation of one seeded permutation per epoch, so the batch at
/// step `s` is a pure function of (seed, s): a resumed run sees exactly the batches it would have
/// seen without the interruption, with no sampler state in the checkpoint.
public struct BatchSampler: Sendable {
    public let count: Int
    public let batchSize: Int
    public let seed: UInt64

    public init(count: Int, batchSize: Int, seed: UInt64) {
        precondition(count > 0 && batchSize > 0)
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
    }

    /// Indices of the batch trained at `step` (0-based).
    public func indices(step: Int) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(batchSize)
        var position = step * batchSize
        var cachedEpoch = -1
        var permutation: [Int] = []
        while result.count < batchSize {
            let epoch = position / count
            if epoch != cachedEpoch {
                permutation = Self.permutation(count: count, seed: seed, epoch: epoch)
                cachedEpoch = epoch
            }
            result.append(permutation[position % count])
            position += 1
        }
        return result
    }

    /// Fractional epoch after `steps` steps.
    public func epoch(afterSteps steps: Int) -> Double {
        Double(steps * batchSize) / Double(count)
    }

    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch) &+ 1)
        var order = Array(0..<count)
        // Fisher–Yates with our own RNG: the system RNG is neither seedable nor stable across platforms.
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = rng.below(i + 1)
            order.swapAt(i, j)
        }
        return order
    }
}
