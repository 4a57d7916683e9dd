/// Which decoded frames are analysed: all, every N-th (`--every N`), or at most F a second of
/// video time (`--fps F`, by timestamp, so a variable frame rate is sampled evenly in time).
public enum FrameSelection: Sendable, Equatable {
    case all
    case every(Int)
    case perSecond(Double)

    /// Whether frame `index` is analysed; for `.perSecond` this needs its timestamp, which is
    /// known only once decoded (see `wantsImage`).
    public func selects(index: Int, timestamp: Double, lastSelected: Double?) -> Bool {
        switch self {
        case .all: return true
        case .every(let n): return index % n == 0
        case .perSecond(let f):
            guard let last = lastSelected else { return true }
            // A little slack, so 30 fps sampled at 10 takes every third frame despite rounding in the pts.
            return timestamp - last >= (1 / f) * 0.999 - 1e-6
        }
    }

    /// Whether the decoder should scale frame `index` to an image before its timestamp is known:
    /// frames that surely are skipped are decoded but never converted.
    public func wantsImage(index: Int) -> Bool {
        if case .every(let n) = self { return index % n == 0 }
        return true
    }
}

/// `--shard K/N`: the files at positions K, K+N, K+2N … (0-based) of the sorted list, so N
/// machines given the same list share it with no coordinator (a Slurm array's task id, GNU
/// parallel's slot, a Kubernetes indexed Job's index).
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public struct ParseError: Error, CustomStringConvertible, Equatable { public var description: String }

    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else {
            throw ParseError(description: "--shard \(text): expected K/N with 0 ≤ K < N (e.g. 0/8 … 7/8)")
        }
        index = k
        count = n
    }

    /// This shard's files: sorted first, so every machine sees the same order whatever order
    /// its shell or `find` produced.
    public func select(_ files: [String]) -> [String] {
        files.sorted().enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}
