// Raw, manually managed storage for the hot paths. Swift arrays would add bounds checks,
// copy-on-write checks and exclusivity checks inside the inner loops; these buffers are
// allocated once (grown only when a larger batch arrives) and handed out as pointers.

/// Per-image tensor shape in NHWC order (a dense layer's output is 1×1×C).
struct Shape: Equatable, CustomStringConvertible {
    var height: Int
    var width: Int
    var channels: Int
    init(_ height: Int, _ width: Int, _ channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }
    var count: Int { height * width * channels }
    var description: String { "\(height)×\(width)×\(channels)" }
}

/// A growable, zero-initialised buffer of numbers. Growing discards the contents: callers only
/// grow before they overwrite.
final class NumericBuffer<Element: Numeric> {
    private(set) var pointer: UnsafeMutablePointer<Element>
    private(set) var capacity: Int

    init(_ count: Int) {
        capacity = max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    func reserve(_ count: Int) {
        guard count > capacity else { return }
        pointer.deallocate()
        capacity = count
        pointer = .allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    func zero(_ count: Int) { pointer.update(repeating: 0, count: min(count, capacity)) }

    func array(_ count: Int) -> [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

typealias FloatBuffer = NumericBuffer<Float>
/// Small indices (max-pool argmax: which of the 4 window cells won).
typealias ByteBuffer = NumericBuffer<UInt8>

/// A trainable tensor with its gradient and Adam moments kept next to it, so the optimizer and
/// the checkpoint codec can walk one flat list.
final class Parameter {
    let name: String
    let count: Int
    /// Whether the seed's L2 term (`l2 × Σw²/2`) covers this tensor.
    let decayed: Bool
    /// False for state that is saved but not optimised (batch-norm running statistics).
    let trainable: Bool
    let value: FloatBuffer
    let grad: FloatBuffer
    let m: FloatBuffer
    let v: FloatBuffer

    init(name: String, count: Int, decayed: Bool, trainable: Bool = true) {
        self.name = name
        self.count = count
        self.decayed = decayed
        self.trainable = trainable
        value = FloatBuffer(count)
        grad = FloatBuffer(count)
        m = FloatBuffer(count)
        v = FloatBuffer(count)
    }
}
