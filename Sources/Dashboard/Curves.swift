/// Curve maths for the loss panel, kept separate so it is tested on known values.
public enum Curves {
    /// TensorBoard's smoothing: an exponential moving average debiased by 1 − wⁿ, so the first
    /// points are not dragged towards zero. `weight` in [0, 1); 0 returns the raw values.
    public static func debiasedEMA(_ values: [Float], weight: Double) -> [Double] {
        let w = max(0, min(0.999, weight))
        var last = 0.0
        var out: [Double] = []
        out.reserveCapacity(values.count)
        // wⁿ carried along instead of recomputed: n is the count of finite values so far.
        var wPow = 1.0
        for v in values {
            let x = Double(v)
            guard x.isFinite else { out.append(out.last ?? x); continue }
            wPow *= w
            last = last * w + (1 - w) * x
            out.append(last / (1 - wPow))
        }
        return out
    }

    /// Min/max per bucket straight from the stored arrays, so a long run is reduced before any
    /// per-point work in the chart (keeps spikes; order kept within a bucket).
    public static func bucketMinMax(steps: [Int], values: [Double], buckets: Int) -> [(x: Double, y: Double)] {
        let n = min(steps.count, values.count)
        guard buckets > 0, n > 2 * buckets else {
            return (0..<n).map { (Double(steps[$0]), values[$0]) }
        }
        var out: [(x: Double, y: Double)] = []
        out.reserveCapacity(2 * buckets)
        values.withUnsafeBufferPointer { v in
            for b in 0..<buckets {
                let lo = b * n / buckets, hi = (b + 1) * n / buckets
                guard lo < hi else { continue }
                var iMin = lo, iMax = lo
                var i = lo
                while i < hi {
                    if v[i] < v[iMin] { iMin = i }
                    if v[i] > v[iMax] { iMax = i }
                    i += 1
                }
                let a = min(iMin, iMax), c = max(iMin, iMax)
                out.append((Double(steps[a]), v[a]))
                if c != a { out.append((Double(steps[c]), v[c])) }
            }
        }
        return out
    }

    /// ▁▂▃▄▅▆▇█ sparkline of values in [lo, hi].
    public static func sparkline(_ values: [Double], lo: Double = 0, hi: Double = 1, unicode: Bool) -> String {
        let ramp: [Character] = unicode ? Array("▁▂▃▄▅▆▇█") : Array("_.-=+*#@")
        return String(values.map { v in
            let f = hi > lo ? (v - lo) / (hi - lo) : 0
            return ramp[max(0, min(ramp.count - 1, Int(f * Double(ramp.count - 1) + 0.5)))]
        })
    }
}
