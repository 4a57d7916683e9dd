/// Curve maths for the loss panel, kept separate so it is tested on known values.
public enum Curves {
    /// TensorBoard's smoothing: an exponential moving average debiased by 1 − wⁿ, so the first
    /// points are not dragged towards zero. `weight` in [0, 1); 0 returns the raw values.
    public static func debiasedEMA(_ values: [Float], weight: Double) -> [Double] {
        let w = max(0, min(0.999, weight))
        var last = 0.0
        var out: [Double] = []
        out.reserveCapacity(values.count)
        var n = 0.0
        for v in values {
            let x = Double(v)
            guard x.isFinite else { out.append(out.last ?? x); continue }
            n += 1
            last = last * w + (1 - w) * x
            let debias = w == 0 ? 1 : 1 - pow(w, n)
            out.append(last / debias)
        }
        return out
    }

    static func pow(_ a: Double, _ b: Double) -> Double {
        // Integer power by repeated squaring; avoids importing Foundation here.
        var result = 1.0, base = a, e = Int(b)
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base; e >>= 1
        }
        return result
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
