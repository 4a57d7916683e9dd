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
        // (Not through unsafeUninitializedCapacity when empty: at capacity 0 it writes into the
        // empty-array storage all threads share, a race TSan reports when loads run in parallel.)
        guard !indices.isEmpty else { return ImageSet(pixels: [], labels: []) }
        let imageBytes = ImageSet.pixelsPerImage
        let out = [UInt8](unsafeUninitializedCapacity: indices.count * imageBytes) { dst, initialized in
            pixels.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    (dst.baseAddress! + k * imageBytes).update(from: src.baseAddress! + i * imageBytes, count: imageBytes)
                }
            }
            initialized = indices.count * imageBytes
        }
        return ImageSet(pixels: out, labels: indices.map { labels[$0] })
    }
}
