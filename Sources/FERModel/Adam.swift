#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Adam as TF1's AdamOptimizer applies it: bias correction folded into the step size,
/// lr_t = lr·√(1−β2^t)/(1−β1^t), and ε added to √v (not to a bias-corrected √v̂).
enum Adam {
    static func update(_ parameters: [Parameter], hyper: Hyperparameters, step t: Int, workers: Workers) {
        let b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.epsilon
        let tt = Double(t)
        let lrT = Float(Double(hyper.learningRate) * (1 - pow(Double(b2), tt)).squareRoot()
                        / (1 - pow(Double(b1), tt)))
        // AdamW's decoupled decay, on weight matrices and kernels only (biases and batch-norm
        // γ/β are not shrunk toward zero: that would only fight the normalisation).
        let shrink = 1 - hyper.learningRate * hyper.weightDecay
        for p in parameters where p.trainable {
            let decay: Float = hyper.weightDecay != 0 && p.name.hasSuffix(".weight") ? shrink : 1
            let w = p.value.pointer, g = UnsafePointer(p.grad.pointer), m = p.m.pointer, v = p.v.pointer
            // Memory-bound over 2.4M values × 4 arrays: worth both cores for the big tensors.
            let parts = p.count >= 1 << 16 ? workItems(workers: workers, units: p.count, grain: 1 << 15) : 1
            workers.parallelFor(parts) { part in
                let r = slice(p.count, parts: parts, index: part)
                kernel(w + r.lowerBound, g + r.lowerBound, m + r.lowerBound, v + r.lowerBound, count: r.count,
                       b1: b1, b2: b2, eps: eps, lrT: lrT, decay: decay)
            }
        }
    }

    private static func kernel(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                               _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, count: Int,
                               b1: Float, b2: Float, eps: Float, lrT: Float, decay: Float) {
        // A while loop: `for in 0..<n` calls the generic range iterator per element in debug
        // builds, which made this 2.4M-element loop dominate the debug test suite.
        var i = 0
        while i < count {
            let gi = g[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi
            v[i] = vi
            // decay == 1 exactly without weight decay, so the seed's arithmetic is unchanged.
            w[i] = w[i] * decay - lrT * mi / (vi.squareRoot() + eps)
            i += 1
        }
    }
}
