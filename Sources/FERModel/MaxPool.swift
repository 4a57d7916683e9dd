// Standalone 2×2 max-pool, stride 2 (for networks where something sits between conv and pool;
// the seed uses the fused ConvReLUPool). Remembers the winner per output for backward.

final class MaxPool2x2: Layer {
    let name: String
    let inputShape: Shape
    let outputShape: Shape
    private let argmax = ByteBuffer(1)
    var backwardReadsInput: Bool { false }
    var backwardReadsOutput: Bool { false }

    init(name: String, input: Shape) {
        precondition(input.height % 2 == 0 && input.width % 2 == 0, "2×2 pooling needs even sides")
        self.name = name
        inputShape = input
        outputShape = Shape(input.height / 2, input.width / 2, input.channels)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        pool(x, y, batch: batch, ctx, RawValues())
    }

    /// Pools `value(x)` rather than x: NormPool passes batch norm + ReLU here so that their
    /// full-size output is never stored. Generic, so each form compiles to its own loop.
    func pool<Values: PoolValues>(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                                  _ ctx: PassContext, _ value: Values) {
        let W = inputShape.width, C = inputShape.channels, half = W / 2
        let pairs = batch * inputShape.height / 2
        argmax.reserve(batch * outputShape.count)
        let arg = argmax.pointer
        let workers = workItems(workers: ctx.workers, units: pairs)
        ctx.workers.parallelFor(workers) { w in
            for p in slice(pairs, parts: workers, index: w) {
                let top = x + 2 * p * W * C, bottom = top + W * C
                let d = y + p * half * C, a = arg + p * half * C
                for px in 0..<half {
                    let a0 = top + 2 * px * C, a1 = a0 + C, a2 = bottom + 2 * px * C, a3 = a2 + C
                    for c in 0..<C {
                        let v1 = value(a1[c], c), v2 = value(a2[c], c), v3 = value(a3[c], c)
                        var m = value(a0[c], c), i: UInt8 = 0
                        if v1 > m { m = v1; i = 1 }
                        if v2 > m { m = v2; i = 2 }
                        if v3 > m { m = v3; i = 3 }
                        d[px * C + c] = m
                        a[px * C + c] = i
                    }
                }
            }
        }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        guard let dx else { return }
        let W = inputShape.width, C = inputShape.channels, half = W / 2
        let pairs = batch * inputShape.height / 2
        let arg = UnsafePointer(argmax.pointer)
        let workers = workItems(workers: ctx.workers, units: pairs)
        ctx.workers.parallelFor(workers) { w in
            for p in slice(pairs, parts: workers, index: w) {
                let top = dx + 2 * p * W * C, bottom = top + W * C
                let g = dy + p * half * C, a = arg + p * half * C
                for px in 0..<half {
                    let a0 = top + 2 * px * C, a1 = a0 + C, a2 = bottom + 2 * px * C, a3 = a2 + C
                    for c in 0..<C {
                        let v = g[px * C + c], i = a[px * C + c]
                        a0[c] = i == 0 ? v : 0
                        a1[c] = i == 1 ? v : 0
                        a2[c] = i == 2 ? v : 0
                        a3[c] = i == 3 ? v : 0
                    }
                }
            }
        }
    }
}

/// What MaxPool2x2.pool takes the maximum of, per input value and channel.
protocol PoolValues {
    func callAsFunction(_ x: Float, _ channel: Int) -> Float
}

struct RawValues: PoolValues {
    @inline(__always) func callAsFunction(_ x: Float, _ channel: Int) -> Float { x }
}
