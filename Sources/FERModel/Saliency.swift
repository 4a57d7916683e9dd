#if canImport(Glibc)
import Glibc
#endif

// Where on the face the network looks: a class-activation map on the last convolution block
// that still has a 6×6 or finer grid (seed: conv2 after pooling, 12×12×64; vgg7, vgg8, vgg9: pool3,
// 6×6×128 — the pool4 of vgg8 and vgg9 is 3×3, too coarse to say where). vgg7 and the seed flatten that block
// into a dense layer whose weights differ per position, so Grad-CAM's one weight per channel (the
// gradient averaged over the block) misreads them: measured on a task decided by one patch, the
// trained vgg7's Grad-CAM map was zero everywhere. HiResCAM (Draelos & Carin, 2020) keeps the
// gradient per cell instead, Σ_c dA·A, which for a flatten → dense head is exactly each cell's
// first-order share of the logit, and below further convolutions still its gradient × input.
extension Classifier {
    /// HiResCAM heat map (see above) for the log-probability of class `target` (0...6) of one 48×48 image (2304 floats in [0, 1]),
    /// bilinearly enlarged to 48×48 and scaled to 0...1 (all zeros when nothing in the block
    /// raises the logit). Inference mode: dropout off, batch norm on running statistics;
    /// leaves the parameters and the optimizer state as they were.
    public func saliency(image: UnsafeBufferPointer<Float>, class target: Int) -> [Float] {
        precondition(image.count >= ModelShape.pixels, "saliency needs one \(ModelShape.side)×\(ModelShape.side) image")
        precondition((0..<ModelShape.classes).contains(target), "class \(target) is not 0...\(ModelShape.classes - 1)")
        let (block, head) = Self.saliencyBlock(network)
        let input = image.baseAddress!
        var ctx = PassContext(training: false, workers: engine.workers, rng: rng)
        // Backward through a block below the head reads its conv output, which a folded pass
        // never writes.
        ctx.foldsBatchNorm = block == head - 1
        let logits = network.forward(input, batch: 1, &ctx)
        // Differentiate the class's log-probability, not its logit: d log p_t / dz = onehot − p.
        // A logit also carries evidence every class shares (stripes are stripes), which the
        // softmax cancels; measured, vgg7's raw-logit map peaked on a distractor the classes share.
        let top = (0..<ModelShape.classes).map { logits[$0] }.max()!
        let exps = (0..<ModelShape.classes).map { exp(logits[$0] - top) }
        let total = exps.reduce(0, +)
        let dLogits = network.outputGradient
        for c in 0..<ModelShape.classes { dLogits[c] = (c == target ? 1 : 0) - exps[c] / total }
        // Backward overwrites parameter gradients, which only a training step reads and always
        // recomputes first; weights and Adam's moments are untouched.
        network.backward(input, batch: 1, ctx, stop: block + 1)
        let shape = network.layers[block].outputShape
        let cam = Self.classActivation(activation: network.activation(block), gradient: network.gradient(block),
                               height: shape.height, width: shape.width, channels: shape.channels)
        return Self.enlarge(cam, height: shape.height, width: shape.width, to: ModelShape.side)
    }

    /// The layer whose output the map explains (`block`): the last one before the dense head
    /// (which starts at layer `head`) with a 6×6 or finer grid that is a block's rectified
    /// output (not a conv's raw one).
    static func saliencyBlock(_ network: Network) -> (block: Int, head: Int) {
        guard let head = network.layers.firstIndex(where: { $0 is Dense }), head > 0 else {
            preconditionFailure("this network has no convolution block before its dense layers")
        }
        let layers = network.layers
        let block = (0..<head).last { layers[$0].outputShape.height >= 6 && !(layers[$0] is Conv2D) } ?? head - 1
        return (block, head)
    }

    /// Σ_c dA_c·A_c per cell of an NHWC block of one image, clipped at 0 (cells that lower the
    /// logit are not "where it looks").
    static func classActivation(activation a: UnsafePointer<Float>, gradient g: UnsafePointer<Float>,
                                height: Int, width: Int, channels: Int) -> [Float] {
        (0..<(height * width)).map { p in
            var sum: Float = 0
            for c in 0..<channels { sum += g[p * channels + c] * a[p * channels + c] }
            return max(0, sum)
        }
    }

    /// Bilinear resize of an h×w map to side×side (cell centres aligned), then scaled to 0...1.
    static func enlarge(_ map: [Float], height: Int, width: Int, to side: Int) -> [Float] {
        var out = [Float](repeating: 0, count: side * side)
        func sample(_ coordinate: Int, cells: Int) -> (Int, Int, Float) {
            let f = max(0, min(Float(cells - 1), (Float(coordinate) + 0.5) * Float(cells) / Float(side) - 0.5))
            let lo = Int(f)
            return (lo, min(lo + 1, cells - 1), f - Float(lo))
        }
        for y in 0..<side {
            let (y0, y1, fy) = sample(y, cells: height)
            for x in 0..<side {
                let (x0, x1, fx) = sample(x, cells: width)
                let top = map[y0 * width + x0] * (1 - fx) + map[y0 * width + x1] * fx
                let bottom = map[y1 * width + x0] * (1 - fx) + map[y1 * width + x1] * fx
                out[y * side + x] = top * (1 - fy) + bottom * fy
            }
        }
        // Min–max: the coolest cell maps to 0, so a map that is warm everywhere still shows where
        // it is warmest (the usual Grad-CAM display).
        let low = out.min() ?? 0, range = (out.max() ?? 0) - low
        guard range > 0 else { return [Float](repeating: 0, count: side * side) }
        for i in out.indices { out[i] = (out[i] - low) / range }
        return out
    }
}
