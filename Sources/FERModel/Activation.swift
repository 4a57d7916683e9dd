// Element-wise ReLU. Backward reads the output (y > 0 ⇔ x > 0), so x need not be kept.

final class ReLU: Layer {
    let name: String
    let inputShape: Shape
    var outputShape: Shape { inputShape }
    var backwardReadsInput: Bool { false }
    var backwardReadsOutput: Bool { true }

    init(name: String, shape: Shape) {
        self.name = name
        inputShape = shape
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int,
                 _ ctx: inout PassContext) {
        for i in 0..<(batch * inputShape.count) { y[i] = x[i] > 0 ? x[i] : 0 }
    }

    func backward(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                  _ dx: UnsafeMutablePointer<Float>?, batch: Int, _ ctx: PassContext) {
        guard let dx else { return }
        for i in 0..<(batch * inputShape.count) { dx[i] = y[i] > 0 ? dy[i] : 0 }
    }
}
