// The trained network as a plain inference graph in the layout other tools use, for export:
// NCHW activations, OIHW convolution weights, dense layers over an NCHW flatten. What training
// needs and inference does not is gone: dropout is the identity at inference, and each batch norm
// (fixed running statistics) is an affine map per channel, folded into the conv or dense layer
// before it. The graph ends in a softmax, so it outputs probabilities.
//
// ferdash itself computes in NHWC with HWIO weights (see Layer.swift); the conversion is:
//   conv weight  HWIO [k, k, Cin, Cout]  →  OIHW [Cout, Cin, k, k]
//   dense weight [H·W·C, out], rows in NHWC flatten order (y, x, c)  →  rows in NCHW order (c, y, x)

/// A dense tensor: `shape` and row-major `values`.
public struct InferenceTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }
}

public enum InferenceOp: Sendable, Equatable {
    /// Stride 1, `padding` zeros on every side (SAME for the odd kernel); weight OIHW, bias [Cout].
    case convolution(weight: InferenceTensor, bias: InferenceTensor, padding: Int)
    case relu
    /// 2×2 windows, stride 2.
    case maxPool2x2
    /// [N, C, H, W] → [N, C·H·W].
    case flatten
    /// y = x · weight + bias; weight [in, out].
    case dense(weight: InferenceTensor, bias: InferenceTensor)
    /// Over the class axis of [N, classes].
    case softmax
}

extension Classifier {
    /// The network for inference in NCHW layout, batch norm folded and dropout removed; input
    /// [N, 1, 48, 48] pixels in [0, 1], output [N, 7] probabilities.
    public func inferenceGraph() -> [InferenceOp] {
        var ops: [InferenceOp] = []
        var flat = false
        let layers = network.layers
        var i = 0
        while i < layers.count {
            let layer = layers[i]
            // A batch norm directly after a conv or dense layer is folded into it.
            let norm = i + 1 < layers.count ? layers[i + 1] as? BatchNorm : nil
            switch layer {
            case let conv as Conv2D where i + 1 < layers.count && layers[i + 1] is NormPool:
                let block = layers[i + 1] as! NormPool
                ops += [Self.convolution(conv.core, folding: block.norm), .relu, .maxPool2x2]
                i += 2
                continue
            case let conv as Conv2D:
                ops.append(Self.convolution(conv.core, folding: norm))
                if norm?.relu == true { ops.append(.relu) }
                i += norm == nil ? 1 : 2
                continue
            case let block as ConvNormPool:
                ops += [Self.convolution(block.core, folding: block.norm), .relu, .maxPool2x2]
            case let block as ConvReLUPool:
                // ReLU before the pool, as the layer defines it (the two commute).
                ops += [Self.convolution(block.core, folding: nil), .relu, .maxPool2x2]
            case let dense as Dense:
                if !flat {
                    ops.append(.flatten)
                    flat = true
                }
                ops.append(Self.dense(dense, folding: norm))
                if norm?.relu == true { ops.append(.relu) }
                i += norm == nil ? 1 : 2
                continue
            case is MaxPool2x2:
                ops.append(.maxPool2x2)
            case is ReLU:
                ops.append(.relu)
            case is Dropout:
                break
            case let block as NormPool:
                preconditionFailure("\(block.name): a batch norm that follows no conv layer cannot be exported")
            case let norm as BatchNorm:
                preconditionFailure("\(norm.name): a batch norm that follows no conv or dense layer cannot be exported")
            default:
                preconditionFailure("\(layer.name): no inference form for this layer")
            }
            i += 1
        }
        ops.append(.softmax)
        return ops
    }

    /// Per-channel (scale, shift) of a batch norm at inference: y = scale·x + shift, computed
    /// exactly as BatchNorm.forward does with running statistics.
    private static func affine(_ norm: BatchNorm) -> (scale: [Float], shift: [Float]) {
        let c = norm.inputShape.channels
        var scale = [Float](repeating: 1, count: c), shift = [Float](repeating: 0, count: c)
        norm.inferenceAffine(scale: &scale, shift: &shift)
        return (scale, shift)
    }

    private static func convolution(_ core: ConvCore, folding norm: BatchNorm?) -> InferenceOp {
        let g = core.geometry, k = g.kernel, cin = g.input.channels, cout = g.outChannels
        let (scale, shift) = norm.map(affine) ?? ([Float](repeating: 1, count: cout), [Float](repeating: 0, count: cout))
        let w = core.weight.value.pointer, b = core.bias.value.pointer
        var weight = [Float](repeating: 0, count: cout * cin * k * k)
        for ky in 0..<k {
            for kx in 0..<k {
                for ci in 0..<cin {
                    for co in 0..<cout {
                        weight[((co * cin + ci) * k + ky) * k + kx] = w[((ky * k + kx) * cin + ci) * cout + co] * scale[co]
                    }
                }
            }
        }
        let bias = (0..<cout).map { b[$0] * scale[$0] + shift[$0] }
        return .convolution(weight: InferenceTensor(shape: [cout, cin, k, k], values: weight),
                            bias: InferenceTensor(shape: [cout], values: bias), padding: g.pad)
    }

    private static func dense(_ dense: Dense, folding norm: BatchNorm?) -> InferenceOp {
        let shape = dense.inputShape, hw = shape.height * shape.width, c = shape.channels
        let outs = dense.outputs
        let (scale, shift) = norm.map(affine) ?? ([Float](repeating: 1, count: outs), [Float](repeating: 0, count: outs))
        let w = dense.weight.value.pointer, b = dense.bias.value.pointer
        var weight = [Float](repeating: 0, count: dense.inputs * outs)
        for p in 0..<hw {
            for ch in 0..<c {
                let from = w + (p * c + ch) * outs   // NHWC flatten row
                let row = (ch * hw + p) * outs        // NCHW flatten row
                for o in 0..<outs { weight[row + o] = from[o] * scale[o] }
            }
        }
        let bias = (0..<outs).map { b[$0] * scale[$0] + shift[$0] }
        return .dense(weight: InferenceTensor(shape: [dense.inputs, outs], values: weight),
                      bias: InferenceTensor(shape: [outs], values: bias))
    }
}
