import XCTest
@testable import CheckpointFormat
@testable import FERModel

final class CheckpointTests: XCTestCase {
    /// A tiny state so that every truncation and every byte flip can be tried.
    static let tinyLayout: [(name: String, count: Int)] = [("a.weight", 3), ("a.bias", 2)]
    static func tinyState(architecture: String = "seed") -> CheckpointState {
        CheckpointState(architecture: architecture, metadata: ["epoch": "3", "note": "ünïcode"],
                        hyperparameters: OptimizerHeader(Hyperparameters()), step: 42, rng: [1, 2, 3, 4],
                        tensors: [CheckpointTensor(name: "a.weight", value: [1, 2, 3], m: [0.1, 0.2, 0.3], v: [4, 5, 6]),
                                  CheckpointTensor(name: "a.bias", value: [-1, 0], m: [0, 0], v: [1e-8, 2])])
    }
    static func decodeTiny(_ bytes: [UInt8]) throws -> CheckpointState {
        try CheckpointCodec.decode(bytes, knownArchitectures: Architecture.allCases.map(\.rawValue)) {
            $0 == "seed" ? tinyLayout : nil
        }
    }

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch let e as CheckpointError {
            return e.description
        } catch {
            return "unexpected error type \(error)"
        }
    }

    func testTinyRoundTrip() throws {
        let bytes = CheckpointCodec.encode(Self.tinyState())
        XCTAssertEqual(Array(bytes.prefix(8)), Array("FERDASH\0".utf8))
        XCTAssertEqual(try Self.decodeTiny(bytes), Self.tinyState())
    }

    /// Version 3: a training checkpoint whose tensors also carry the weights' moving average.
    func testTinyRoundTripWithAnAverage() throws {
        let bytes = CodecBytes.tinyAveraged
        XCTAssertEqual(bytes[8], 3)
        XCTAssertEqual(bytes.count, CodecBytes.tiny.count + 4 * 5, "one more float per value")
        let decoded = try Self.decodeTiny(bytes)
        XCTAssertTrue(decoded.hasAverage)
        XCTAssertEqual(decoded, CodecBytes.tinyAveragedState)
    }

    /// The kind is the file's format version: the bytes on disk say which kind, and the stream
    /// writer and the whole-state encoder agree on it.
    func testEachKindIsWrittenAsItsFormatVersionAndReadBack() throws {
        XCTAssertEqual(CheckpointKind.allCases.map(\.rawValue), [1, 2, 3], "the file format's version numbers")
        var inference = Self.tinyState()
        inference.hasOptimizerState = false
        let cases: [(CheckpointState, CheckpointKind)] = [(Self.tinyState(), .training), (inference, .inference),
                                                          (CodecBytes.tinyAveragedState, .trainingWithAverage)]
        for (state, kind) in cases {
            XCTAssertEqual(state.kind, kind)
            let bytes = CheckpointCodec.encode(state)
            XCTAssertEqual(Array(bytes[8..<12]), [UInt8(kind.rawValue), 0, 0, 0], "\(kind)")
            let decoded = try Self.decodeTiny(bytes)
            XCTAssertEqual(decoded.kind, kind)
            XCTAssertEqual(decoded.hasOptimizerState, kind.hasOptimizerState)
            XCTAssertEqual(decoded.hasAverage, kind.hasAverage)
        }
    }

    func testEveryTruncationIsACheckpointError() {
        for bytes in [CodecBytes.tiny, CodecBytes.tinyAveraged] {
            for n in 0..<bytes.count {
                let m = message { try Self.decodeTiny(Array(bytes.prefix(n))) }
                XCTAssertTrue(m.contains("truncated") || m.contains("damaged"), "length \(n): \(m)")
            }
            XCTAssertTrue(message { try Self.decodeTiny(Array(bytes.prefix(40))) }.contains("truncated"))
        }
    }

    func testEveryByteFlipIsACheckpointError() {
        for bytes in [CodecBytes.tiny, CodecBytes.tinyAveraged] { flipEveryByte(bytes) }
    }

    private func flipEveryByte(_ bytes: [UInt8]) {
        for i in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var b = bytes
                b[i] ^= mask
                let m = message { try Self.decodeTiny(b) }
                XCTAssertFalse(m == "no error" || m.hasPrefix("unexpected"), "byte \(i) ^ \(mask): \(m)")
            }
        }
    }

    /// Random garbage, with and without a valid header in front, must always be rejected with
    /// a CheckpointError (lengths fields in garbage can claim gigabytes).
    func testRandomBytesAreRejected() {
        var rng = Xoshiro256(seed: 77)
        let header = Array(CodecBytes.tiny.prefix(12))   // magic + version
        for trial in 0..<3000 {
            let n = Int(rng.next() % 300)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if trial % 2 == 0 { bytes = header + bytes }
            let m = message { try Self.decodeTiny(bytes) }
            XCTAssertFalse(m == "no error" || m.hasPrefix("unexpected"), "trial \(trial): \(m)")
            XCTAssertThrowsError(try Classifier.fromCheckpoint(bytes, engine: .testing))
        }
    }

    func testErrorMessagesSayWhatIsWrong() {
        var b = CodecBytes.tiny
        b[0] = UInt8(ascii: "P")
        XCTAssertTrue(message { try Self.decodeTiny(b) }.contains("not a ferdash checkpoint"))
        XCTAssertTrue(message { try Self.decodeTiny(Array("hello".utf8)) }.contains("not a ferdash checkpoint"))

        b = CodecBytes.tiny
        b[8] = 4   // version field
        let v = message { try Self.decodeTiny(b) }
        XCTAssertTrue(v.contains("version 4") && v.contains("version 1, 2, 3"), v)

        let foreign = CodecBytes.encode(Self.tinyState(architecture: "resnet50"))
        XCTAssertTrue(message { try Self.decodeTiny(foreign) }.contains("unknown architecture 'resnet50'"))

        var wrongSize = Self.tinyState()
        wrongSize.tensors[1] = CheckpointTensor(name: "a.bias", value: [1, 2, 3], m: [0, 0, 0], v: [0, 0, 0])
        let s = message { try Self.decodeTiny(CodecBytes.encode(wrongSize)) }
        XCTAssertTrue(s.contains("inconsistent sizes") && s.contains("a.bias"), s)

        b = CodecBytes.tiny
        b[b.count - 20] ^= 0x10   // inside the last tensor's floats
        XCTAssertTrue(message { try Self.decodeTiny(b) }.contains("damaged"))

        XCTAssertTrue(message { try Self.decodeTiny(CodecBytes.tiny + [0]) }.contains("unexpected"))
    }

    func testClassifierRoundTripContinuesTrainingIdentically() throws {
        let x = NetworkTests.images(2, seed: 9), labels: [Int32] = [4, 1]
        let original = Classifier(architecture: .seed, hyperparameters: Hyperparameters(learningRate: 2e-3, l2: 0.02), seed: 5, engine: .testing)
        x.withUnsafeBufferPointer { xb in for _ in 0..<2 { _ = original.trainStep(images: xb, labels: labels) } }
        let bytes = original.checkpointBytes(metadata: ["run": "test", "epoch": "1"])

        let (loaded, metadata) = try Classifier.fromCheckpoint(bytes, engine: .testing)
        XCTAssertEqual(metadata, ["run": "test", "epoch": "1"])
        XCTAssertEqual(loaded.step, 2)
        XCTAssertEqual(loaded.architecture, .seed)
        XCTAssertEqual(loaded.hyperparameters, original.hyperparameters)
        XCTAssertEqual(loaded.checkpointBytes(metadata: metadata), bytes, "re-encoding must give the same bytes")

        let next: (Classifier) -> [Float] = { c in
            x.withUnsafeBufferPointer { xb in (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } }
        }
        XCTAssertEqual(next(loaded), next(original))
    }

    /// Checkpoint files are streamed tensor by tensor from the parameters' memory; the pieces
    /// must make exactly the bytes the array encoder gives for copies of the same state.
    func testStreamedCheckpointIsTheEncodedBytes() throws {
        let x = NetworkTests.images(2, seed: 11), labels: [Int32] = [0, 6]
        let model = Classifier(architecture: .vgg7, seed: 3, engine: .testing)
        x.withUnsafeBufferPointer { xb in _ = model.trainStep(images: xb, labels: labels) }   // non-zero m and v
        let metadata = ["step": "1", "dataset": "tiny"]
        var pieces: [[UInt8]] = []
        model.writeCheckpoint(metadata: metadata) { pieces.append(Array($0)) }
        XCTAssertGreaterThan(pieces.count, 3 * model.network.parameters.count, "tensors go out one array at a time")

        let s = model.rng.state
        let expected = CheckpointCodec.encode(CheckpointState(
            architecture: "vgg7", metadata: metadata, hyperparameters: OptimizerHeader(model.hyperparameters), step: 1,
            rng: [s.0, s.1, s.2, s.3],
            tensors: model.network.parameters.map {
                CheckpointTensor(name: $0.name, value: $0.value.array($0.count), m: $0.m.array($0.count),
                                 v: $0.v.array($0.count))
            }))
        XCTAssertEqual(Array(pieces.joined()), expected)
        XCTAssertEqual(model.checkpointBytes(metadata: metadata), expected)
        let (loaded, _) = try Classifier.fromCheckpoint(expected, engine: .testing)
        XCTAssertEqual(loaded.checkpointBytes(metadata: metadata), expected)
    }

    /// An inference checkpoint (version 2) holds the weights and batch-norm statistics without
    /// the optimizer's moments: a third of the size, the same predictions, and marked as such.
    func testInferenceCheckpointKeepsPredictionsAtAThirdOfTheSize() throws {
        let x = NetworkTests.images(3, seed: 12), labels: [Int32] = [0, 3, 6]
        let model = Classifier(architecture: .vgg7, seed: 4, engine: .testing)
        x.withUnsafeBufferPointer { xb in for _ in 0..<2 { _ = model.trainStep(images: xb, labels: labels) } }
        let full = model.checkpointBytes(metadata: ["k": "v"])
        let compact = model.checkpointBytes(metadata: ["k": "v"], inferenceOnly: true)
        XCTAssertEqual(Double(compact.count) / Double(full.count), 1.0 / 3, accuracy: 0.01)
        let (loaded, metadata) = try Classifier.fromCheckpoint(compact, engine: .testing)
        XCTAssertTrue(loaded.isInferenceOnly)
        XCTAssertFalse(try Classifier.fromCheckpoint(full, engine: .testing).0.isInferenceOnly)
        XCTAssertEqual(metadata, ["k": "v"])
        XCTAssertEqual(loaded.step, 2)
        let logits: (Classifier) -> [Float] = { c in x.withUnsafeBufferPointer { c.logits(images: $0, count: 3) } }
        XCTAssertEqual(logits(loaded), logits(model))
        XCTAssertEqual(loaded.checkpointBytes(metadata: metadata, inferenceOnly: true), compact)
        // Damage is caught in this version too.
        var damaged = compact
        damaged[damaged.count / 2] ^= 0x10
        XCTAssertThrowsError(try Classifier.fromCheckpoint(damaged, engine: .testing)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
        XCTAssertThrowsError(try Classifier.fromCheckpoint(Array(compact.dropLast(5)), engine: .testing))
    }

    func testDamagedSeedCheckpointsAreRejected() throws {
        let bytes = Classifier(architecture: .seed, seed: 1, engine: .testing).checkpointBytes(metadata: [:])
        // Truncations inside the header and tensor table, and a few deep inside the floats.
        for n in Array(0..<160) + [bytes.count / 3, bytes.count - 9, bytes.count - 1] {
            XCTAssertThrowsError(try Classifier.fromCheckpoint(Array(bytes.prefix(n)), engine: .testing), "length \(n)") {
                XCTAssertTrue($0 is CheckpointError)
            }
        }
        for i in [0, 9, 20, 60, 100, bytes.count / 2, bytes.count - 3] {
            var b = bytes
            b[i] ^= 0x40
            XCTAssertThrowsError(try Classifier.fromCheckpoint(b, engine: .testing), "flip at \(i)") { XCTAssertTrue($0 is CheckpointError) }
        }
    }
}

enum CodecBytes {
    static let tiny = encode(CheckpointTests.tinyState())
    static let tinyAveragedState: CheckpointState = {
        var s = CheckpointTests.tinyState()
        s.tensors[0].average = [0.5, 1.5, 2.5]
        s.tensors[1].average = [-0.5, 0.25]
        return s
    }()
    static let tinyAveraged = encode(tinyAveragedState)
    static func encode(_ s: CheckpointState) -> [UInt8] { CheckpointCodec.encode(s) }
}
