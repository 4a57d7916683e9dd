/// An exponential moving average of every tensor of a network (weights and batch-norm running
/// statistics alike), updated after each optimizer step. The average is a better model than the
/// last step's weights: it smooths the step-to-step noise of the mini-batch updates, which is
/// what keeps a model's validation accuracy wobbling late in a run (Polyak averaging; timm's
/// ModelEma). Training goes on with the raw weights; evaluations and the best checkpoint use
/// the average.
final class WeightAverage {
    /// The longest memory: after many steps each update keeps this fraction of the average.
    let decay: Float
    /// One buffer per network tensor, in `Network.parameters` order.
    let values: [FloatBuffer]

    /// Starts the average at the tensors' current values.
    init(copying parameters: [Parameter], decay: Float) {
        self.decay = decay
        values = parameters.map { p in
            let buffer = FloatBuffer(p.count)
            buffer.pointer.update(from: p.value.pointer, count: p.count)
            return buffer
        }
    }

    /// Restores a saved average (checkpoint loading); `saved` in `parameters` order.
    init(parameters: [Parameter], saved: [[Float]], decay: Float) {
        self.decay = decay
        values = zip(parameters, saved).map { p, array in
            let buffer = FloatBuffer(p.count)
            array.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: p.count) }
            return buffer
        }
    }

    /// The decay of the update that follows optimizer step `step` (1-based): short at first,
    /// (1 + step)/(10 + step), so the random initial weights are forgotten within tens of steps
    /// instead of the thousand that `decay` = 0.999 would take.
    func decay(afterStep step: Int) -> Float {
        min(decay, Float(1 + step) / Float(10 + step))
    }

    /// average ← d·average + (1 − d)·value for every tensor, after optimizer step `step`.
    /// One thread, in a fixed order: the result does not depend on the thread count.
    func update(from parameters: [Parameter], afterStep step: Int) {
        let d = decay(afterStep: step)
        for (p, average) in zip(parameters, values) {
            let a = average.pointer, w = UnsafePointer(p.value.pointer)
            // A while loop: `for in` calls the generic range iterator per element in debug builds.
            var i = 0
            while i < p.count {
                a[i] = d * a[i] + (1 - d) * w[i]
                i += 1
            }
        }
    }

    /// Exchanges the average with the tensors' values in place (no copy of the model kept).
    func swap(with parameters: [Parameter]) {
        for (p, average) in zip(parameters, values) {
            let a = average.pointer, w = p.value.pointer
            var i = 0
            while i < p.count {
                let t = a[i]
                a[i] = w[i]
                w[i] = t
                i += 1
            }
        }
    }
}
