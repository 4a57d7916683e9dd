// The checkpoint file format, versions 1 to 3. All integers and floats little-endian.
//
//   magic        8 bytes  "FERDASH\0"
//   version      u32      the checkpoint's kind (`CheckpointKind`): 1 training, 2 inference (no
//                         optimizer state), 3 training that also keeps the weights' moving average
//   architecture string   (u32 byte length + UTF-8)
//   metadata     u32 count, then count × (key string, value string), keys sorted
//   hyper        5 × f32  learning rate, l2, β1, β2, ε
//   step         u64      Adam steps taken
//   rng          4 × u64  xoshiro256** state (dropout continues where it stopped)
//   tensors      u32 count, then count × (name string, u64 n, n × f32 value, n × f32 m, n × f32 v)
//                (version 2: count × (name string, u64 n, n × f32 value), a third of the size;
//                 version 3: count × (name string, u64 n, n × f32 value, m, v, average))
//   checksum     u64      FNV-1a 64 of every byte before it
//
// The reader trusts nothing: every length is checked against the bytes that remain before
// anything is allocated, and tensor names and sizes must match the architecture's layout.
//
// A target of its own, apart from the engine: it parses files people download or that may be
// damaged, so it keeps Swift's run-time checks in release (-O, not the engine's -Ounchecked).
// It knows no engine types: the architectures and their layouts come in as parameters.

/// The optimizer settings a checkpoint keeps (the header's 5 × f32), in the file's order.
/// The engine's `Hyperparameters` maps to and from it.
package struct OptimizerHeader: Equatable, Sendable {
    package var learningRate: Float
    package var l2: Float
    package var beta1: Float
    package var beta2: Float
    package var epsilon: Float

    package init(learningRate: Float, l2: Float, beta1: Float, beta2: Float, epsilon: Float) {
        self.learningRate = learningRate
        self.l2 = l2
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }
}

package struct CheckpointTensor: Equatable {
    package var name: String
    package var value: [Float]
    package var m: [Float]
    package var v: [Float]
    /// The moving average of `value` (a training-with-average checkpoint only).
    package var average: [Float]? = nil
}

package struct CheckpointState: Equatable {
    package var architecture: String
    package var metadata: [String: String]
    package var hyperparameters: OptimizerHeader
    package var step: UInt64
    package var rng: [UInt64]   // 4 words
    package var tensors: [CheckpointTensor]
    /// False for an inference checkpoint: its Adam moments read as zeros.
    package var hasOptimizerState = true
    /// True when every tensor carries its moving average (a training-with-average checkpoint).
    package var hasAverage: Bool { hasOptimizerState && !tensors.isEmpty && tensors.allSatisfy { $0.average != nil } }
    package var kind: CheckpointKind { CheckpointKind(optimizerState: hasOptimizerState, average: hasAverage) }
}

/// What a checkpoint holds. The file's format version (the u32 after the magic) says which, so
/// the raw values are the bytes on disk and must not change.
package enum CheckpointKind: UInt32, CaseIterable {
    /// Weights, batch-norm statistics and Adam's two moments: a run resumes from it.
    case training = 1
    /// Weights and batch-norm statistics only: what a shipped model needs, without the two
    /// optimizer moments that make a training checkpoint three times larger.
    case inference = 2
    /// A training checkpoint of a run that averages its weights (`WeightAverage`): each tensor
    /// also keeps its moving average.
    case trainingWithAverage = 3

    init(optimizerState: Bool, average: Bool) {
        self = optimizerState ? (average ? .trainingWithAverage : .training) : .inference
    }

    package var hasOptimizerState: Bool { self != .inference }
    package var hasAverage: Bool { self == .trainingWithAverage }
}

package enum CheckpointCodec {
    static let magic: [UInt8] = Array("FERDASH".utf8) + [0]
    static func fnv1a64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.withUnsafeBytes { fnv1a64($0) }
    }

    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { fnv1a64($0) }
    }

    // Over raw bytes: generic Collection iteration is ~10× slower in debug builds, and the
    // tests checksum tens of megabytes.
    static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var checksum = Checksum()
        checksum.add(bytes)
        return checksum.value
    }

    // MARK: writing

    package static func encode(_ s: CheckpointState) -> [UInt8] {
        var out = header(kind: s.kind, architecture: s.architecture,
                         metadata: s.metadata, hyperparameters: s.hyperparameters, step: s.step, rng: s.rng)
        out.reserveCapacity(out.count + s.tensors.reduce(0) { $0 + 64 + 12 * $1.value.count })
        put(&out, UInt32(s.tensors.count))
        for t in s.tensors {
            put(&out, t.name)
            put(&out, UInt64(t.value.count))
            putFloats(&out, t.value)
            if s.hasOptimizerState {
                putFloats(&out, t.m)
                putFloats(&out, t.v)
                if s.hasAverage { putFloats(&out, t.average!) }
            }
        }
        put(&out, fnv1a64(out))
        return out
    }

    /// A tensor's arrays where they live, for `stream`.
    package struct TensorSource {
        var name: String
        var count: Int
        var value: UnsafePointer<Float>
        var m: UnsafePointer<Float>
        var v: UnsafePointer<Float>
        /// The moving average, in a run that keeps one (a training-with-average checkpoint).
        var average: UnsafePointer<Float>?

        package init(name: String, count: Int, value: UnsafePointer<Float>, m: UnsafePointer<Float>,
                     v: UnsafePointer<Float>, average: UnsafePointer<Float>?) {
            self.name = name
            self.count = count
            self.value = value
            self.m = m
            self.v = v
            self.average = average
        }
    }

    /// The bytes `encode` gives, handed to `write` piece by piece: each tensor straight from
    /// its memory, so a checkpoint costs no copy of the parameters (17.5 MB for vgg7) and no
    /// file-sized array while it is written. Without `optimizerState`, an inference checkpoint;
    /// with it and tensors that carry an average, a training-with-average one.
    package static func stream(architecture: String, metadata: [String: String], hyperparameters: OptimizerHeader,
                       step: UInt64, rng: [UInt64], tensors: [TensorSource], optimizerState: Bool = true,
                       to write: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var checksum = Checksum()
        func emit(_ bytes: UnsafeRawBufferPointer) throws {
            checksum.add(bytes)
            try write(bytes)
        }
        let average = optimizerState && !tensors.isEmpty && tensors.allSatisfy { $0.average != nil }
        var head = header(kind: CheckpointKind(optimizerState: optimizerState, average: average), architecture: architecture,
                          metadata: metadata, hyperparameters: hyperparameters, step: step, rng: rng)
        put(&head, UInt32(tensors.count))
        try head.withUnsafeBytes(emit)
        for t in tensors {
            var prefix: [UInt8] = []
            put(&prefix, t.name)
            put(&prefix, UInt64(t.count))
            try prefix.withUnsafeBytes(emit)
            for array in optimizerState ? [t.value, t.m, t.v] + (average ? [t.average!] : []) : [t.value] {
                #if _endian(big)
                var bytes: [UInt8] = []
                putFloats(&bytes, Array(UnsafeBufferPointer(start: array, count: t.count)))
                try bytes.withUnsafeBytes(emit)
                #else
                try emit(UnsafeRawBufferPointer(start: array, count: t.count * MemoryLayout<Float>.size))
                #endif
            }
        }
        var tail: [UInt8] = []
        put(&tail, checksum.value)
        try tail.withUnsafeBytes(write)
    }

    /// FNV-1a 64 fed in pieces: the same value as `fnv1a64` over their concatenation.
    private struct Checksum {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            var h = value
            for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
            value = h
        }
    }

    /// Everything before the tensor count.
    private static func header(kind: CheckpointKind, architecture: String, metadata: [String: String],
                               hyperparameters h: OptimizerHeader, step: UInt64, rng: [UInt64]) -> [UInt8] {
        var out = magic
        put(&out, kind.rawValue)
        put(&out, architecture)
        put(&out, UInt32(metadata.count))
        for key in metadata.keys.sorted() {
            put(&out, key)
            put(&out, metadata[key]!)
        }
        for f in [h.learningRate, h.l2, h.beta1, h.beta2, h.epsilon] { put(&out, f.bitPattern) }
        put(&out, step)
        for word in rng { put(&out, word) }
        return out
    }

    private static func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ x: T) {
        var v = x.littleEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    private static func put(_ out: inout [UInt8], _ s: String) {
        let utf8 = Array(s.utf8)
        put(&out, UInt32(utf8.count))
        out += utf8
    }

    private static func putFloats(_ out: inout [UInt8], _ values: [Float]) {
        #if _endian(big)
        for f in values { put(&out, f.bitPattern) }
        #else
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        #endif
    }

    // MARK: reading

    /// `layout` maps an architecture name to its tensors (name, count) in file order, or nil
    /// when the name is not an architecture this build knows; `knownArchitectures` are the names
    /// it knows, for the error message. (Package-visible so the fuzzer can drive it with a layout
    /// of a few floats: a real network's checkpoint is megabytes.)
    package static func decode(_ bytes: [UInt8], knownArchitectures: [String],
                               layout: (String) -> [(name: String, count: Int)]?) throws -> CheckpointState {
        try checkMagic(bytes)
        var r = Reader(bytes: bytes, position: magic.count)
        let v = try r.u32("format version")
        guard let kind = CheckpointKind(rawValue: v) else {
            let known = CheckpointKind.allCases.map { String($0.rawValue) }.joined(separator: ", ")
            throw CheckpointError("unsupported checkpoint format version \(v) (this build reads version \(known))")
        }
        let arch = try r.string("architecture name")
        guard let expected = layout(arch) else {
            throw CheckpointError("unknown architecture '\(arch)' in checkpoint (known: \(knownArchitectures.joined(separator: ", ")))")
        }
        let metadata = try readMetadata(&r)
        let hyper = try readHyperparameters(&r)
        let step = try r.u64("step count")
        var rng: [UInt64] = []
        for _ in 0..<4 { rng.append(try r.u64("generator state")) }
        let tensors = try readTensors(&r, expected: expected, architecture: arch, withMoments: kind.hasOptimizerState,
                                      withAverage: kind.hasAverage)
        let end = r.position
        let stored = try r.u64("checksum")
        guard stored == fnv1a64(bytes[0..<end]) else {
            throw CheckpointError("damaged checkpoint: checksum mismatch (the file was altered or corrupted)")
        }
        guard r.remaining == 0 else {
            throw CheckpointError("damaged checkpoint: \(r.remaining) unexpected bytes after the checksum")
        }
        return CheckpointState(architecture: arch, metadata: metadata, hyperparameters: hyper,
                               step: step, rng: rng, tensors: tensors, hasOptimizerState: kind.hasOptimizerState)
    }

    /// A file shorter than the magic number that matches its start is a truncated checkpoint;
    /// anything else that does not start with it is not a checkpoint at all.
    private static func checkMagic(_ bytes: [UInt8]) throws {
        if bytes.count < magic.count {
            if bytes.elementsEqual(magic.prefix(bytes.count)) {
                throw CheckpointError("truncated checkpoint: \(bytes.count) bytes, too short to hold even the header")
            }
            throw CheckpointError("not a ferdash checkpoint (wrong magic number)")
        }
        guard bytes.prefix(magic.count).elementsEqual(magic) else {
            throw CheckpointError("not a ferdash checkpoint (wrong magic number)")
        }
    }

    private static func readMetadata(_ r: inout Reader) throws -> [String: String] {
        let metaCount = Int(try r.u32("metadata count"))
        // Each entry takes at least 8 bytes (two lengths): refuse counts the file cannot hold.
        guard metaCount <= r.remaining / 8 else { throw r.truncated("metadata") }
        var metadata: [String: String] = [:]
        for _ in 0..<metaCount {
            let key = try r.string("metadata key")
            let value = try r.string("metadata value")
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw CheckpointError("damaged checkpoint: metadata key '\(key)' appears twice")
            }
        }
        return metadata
    }

    private static func readHyperparameters(_ r: inout Reader) throws -> OptimizerHeader {
        let learningRate = Float(bitPattern: try r.u32("hyperparameters"))
        let l2 = Float(bitPattern: try r.u32("hyperparameters"))
        let beta1 = Float(bitPattern: try r.u32("hyperparameters"))
        let beta2 = Float(bitPattern: try r.u32("hyperparameters"))
        let epsilon = Float(bitPattern: try r.u32("hyperparameters"))
        return OptimizerHeader(learningRate: learningRate, l2: l2, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    /// The tensors in the architecture's order, each with its Adam moments (zeros when the file
    /// has none) and, in a training-with-average checkpoint, its moving average.
    private static func readTensors(_ r: inout Reader, expected: [(name: String, count: Int)],
                                    architecture arch: String, withMoments: Bool,
                                    withAverage: Bool) throws -> [CheckpointTensor] {
        let tensorCount = Int(try r.u32("tensor count"))
        guard tensorCount == expected.count else {
            throw CheckpointError("inconsistent checkpoint: \(tensorCount) tensors, architecture '\(arch)' has \(expected.count)")
        }
        var tensors: [CheckpointTensor] = []
        for (name, count) in expected {
            let found = try r.string("tensor name")
            guard found == name else {
                throw CheckpointError("inconsistent checkpoint: expected tensor '\(name)', found '\(found)'")
            }
            let n = try r.u64("size of \(name)")
            guard n == UInt64(count) else {
                throw CheckpointError("inconsistent sizes: tensor '\(name)' has \(n) values, architecture '\(arch)' expects \(count)")
            }
            let value = try r.floats(count, "\(name) values")
            let zeros = withMoments ? [] : [Float](repeating: 0, count: count)
            let m = withMoments ? try r.floats(count, "\(name) optimizer state") : zeros
            let v = withMoments ? try r.floats(count, "\(name) optimizer state") : zeros
            let average = withAverage ? try r.floats(count, "\(name) moving average") : nil
            tensors.append(CheckpointTensor(name: name, value: value, m: m, v: v, average: average))
        }
        return tensors
    }

    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        var remaining: Int { bytes.count - position }

        func truncated(_ what: String) -> CheckpointError {
            CheckpointError("truncated checkpoint: the file ends inside the \(what) (\(bytes.count) bytes)")
        }

        mutating func take(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= remaining else { throw truncated(what) }
            defer { position += n }
            return bytes[position..<(position + n)]
        }

        mutating func u32(_ what: String) throws -> UInt32 {
            var x: UInt32 = 0
            for (i, b) in try take(4, what).enumerated() { x |= UInt32(b) << (8 * UInt32(i)) }
            return x
        }

        mutating func u64(_ what: String) throws -> UInt64 {
            var x: UInt64 = 0
            for (i, b) in try take(8, what).enumerated() { x |= UInt64(b) << (8 * UInt64(i)) }
            return x
        }

        mutating func string(_ what: String) throws -> String {
            let n = Int(try u32(what))
            let raw = try take(n, what)
            guard let s = String(validating: raw, as: UTF8.self) else {
                throw CheckpointError("damaged checkpoint: the \(what) is not valid UTF-8")
            }
            return s
        }

        mutating func floats(_ count: Int, _ what: String) throws -> [Float] {
            guard count <= remaining / 4 else { throw truncated(what) }
            let raw = try take(4 * count, what)
            var out = [Float](repeating: 0, count: count)
            #if _endian(big)
            for i in 0..<count {
                var x: UInt32 = 0
                for j in 0..<4 { x |= UInt32(raw[raw.startIndex + 4 * i + j]) << (8 * UInt32(j)) }
                out[i] = Float(bitPattern: x)
            }
            #else
            out.withUnsafeMutableBytes { dst in raw.withUnsafeBytes { dst.copyMemory(from: $0) } }
            #endif
            return out
        }
    }
}
