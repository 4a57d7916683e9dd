// Inverted dropout: in training each value survives with probability `keep` and is scaled by
// 1/keep, so inference is the identity and needs no rescaling.

final class Dropout: Layer {
    let name: String
    let inputShape: Shape
    var outputShape: Shape { inputShape }
    let keep: Float
    /// 0 or 1/keep per value, from the last training forward.
    private let mask = FloatBuffer(1)
    /// Tests set this to reuse the current mask, turning dropout into a fixed linear map that
    /// finite differences can check.
    var frozenMask = false
    var backwardReadsInput: Bool { false }
    var backwardReadsOutput: Bool { false }
    var backwardInPlace: Bool { true }

    init(name: String, shape: Shape, keep: Float) {
        precondition(keep > 0 && keep <= 1, "keep probability must be in (0, 1]")
        self.name = name
        inputShape = shape
        self.keep = keep
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        let n = batch * inputShape.count
        guard ctx.training else {
            y.update(from: x, count: n)
            return
        }
        if !frozenMask {
            mask.reserve(n)
            // Drawn serially from the one generator so the mask depends only on the seed.
            let scale = 1 / keep, p = Double(keep)
            for i in 0..<n { mask.pointer[i] = ctx.rng.nextUnit() < p ? scale : 0 }
        }
        let mp = mask.pointer
        for i in 0..<n { y[i] = x[i] * mp[i] }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        guard let dx else { return }
        let n = batch * inputShape.count
        guard ctx.training else {
            if UnsafePointer(dx) != dy { dx.update(from: dy, count: n) }
            return
        }
        let m = mask.pointer
        for i in 0..<n { dx[i] = dy[i] * m[i] }
    }

    func setMask(_ values: [Float]) {
        mask.reserve(values.count)
        for (i, v) in values.enumerated() { mask.pointer[i] = v }
        frozenMask = true
    }
}
