// Parameter initialisation as the seed chapter does it (tf.truncated_normal, stddev 0.02).

enum Initializer {
    /// Normal(0, stddev) with draws beyond 2σ redrawn, as tf.truncated_normal does. The
    /// resulting spread is ≈0.88·stddev (the truncation trims the tails).
    static func truncatedNormal(_ p: UnsafeMutablePointer<Float>, count: Int, stddev: Double,
                                rng: inout Xoshiro256) {
        for i in 0..<count {
            var z = rng.nextNormal()
            while abs(z) > 2 { z = rng.nextNormal() }
            p[i] = Float(z * stddev)
        }
    }
}
