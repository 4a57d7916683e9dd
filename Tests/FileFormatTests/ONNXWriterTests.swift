import XCTest
import FERModel
import ONNXExport

/// Decodes the exported ModelProto with the test-side reader and checks its structure against
/// onnx.proto's field numbers: versions, graph input and output, operators and their wiring, and
/// that every initializer carries exactly the inference graph's numbers.
final class ONNXWriterTests: XCTestCase {
    func testSeedModelStructure() throws {
        let model = try check(.seed)
        XCTAssertEqual(model.ops, ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
    }

    func testVGG7ModelStructureHasNoBatchNormOrDropout() throws {
        let model = try check(.vgg7)
        XCTAssertEqual(model.ops, ["Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu",
                                   "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
    }

    func testVGG8ModelStructureEndsWithItsFourthBlock() throws {
        let model = try check(.vgg8)
        XCTAssertEqual(model.ops, ["Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu",
                                   "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
                                   "Softmax"])
    }

    func testVGG9ModelStructureHasThreeConvolutionsAt12x12() throws {
        let model = try check(.vgg9)
        XCTAssertEqual(model.ops, ["Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu",
                                   "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm",
                                   "Relu", "Gemm", "Softmax"])
    }

    private struct Decoded {
        var ops: [String]
    }

    private func check(_ architecture: Architecture) throws -> Decoded {
        let classifier = Classifier(architecture: architecture, seed: 3, engine: Engine(threads: 2))
        let graph = classifier.inferenceGraph()
        let bytes = ONNXWriter.encode(graph, metadata: [("class_names", "a,b"), ("training_command", "ferdash train")])
        let model = try ProtoMessage(bytes)

        XCTAssertEqual(model.int64(1), 7, "ir_version")
        XCTAssertEqual(model.string(2), "ferdash", "producer_name")
        let opsets = try model.messages(8)
        XCTAssertEqual(opsets.count, 1)
        XCTAssertEqual(opsets.first?.string(1), "")
        XCTAssertEqual(opsets.first?.int64(2), 13)
        let props = try model.messages(14).map { "\($0.string(1)!)=\($0.string(2)!)" }
        XCTAssertEqual(props, ["class_names=a,b", "training_command=ferdash train"])

        let g = try XCTUnwrap(model.message(7))
        XCTAssertEqual(try shape(of: XCTUnwrap(g.messages(11).first)), ["input", "N", "1", "48", "48"])
        XCTAssertEqual(try g.messages(11).count, 1, "initializers must not be listed as inputs")
        XCTAssertEqual(try shape(of: XCTUnwrap(g.messages(12).first)), ["probabilities", "N", "7"])

        // Initializers: float tensors whose raw bytes are the graph's weights, in order.
        var expected: [[Float]] = []
        for op in graph {
            switch op {
            case .convolution(let w, let b, _), .dense(let w, let b): expected += [w.values, b.values]
            default: break
            }
        }
        var known = Set(["input"])
        let initializers = try g.messages(5)
        XCTAssertEqual(initializers.count, expected.count)
        for (t, values) in zip(initializers, expected) {
            XCTAssertEqual(t.int64(2), 1, "data_type FLOAT")
            XCTAssertEqual(t.int64s(1).reduce(1, *), Int64(values.count), "dims of \(t.string(8)!)")
            let raw = try XCTUnwrap(t.bytes(9))
            let decoded = stride(from: 0, to: raw.count, by: 4).map { i in
                Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[i + $1]) << (8 * UInt32($1)) })
            }
            XCTAssertEqual(decoded, values, "raw_data of \(t.string(8)!)")
            known.insert(t.string(8)!)
        }

        // Nodes in topological order: each reads only the input, initializers or earlier outputs;
        // the chain ends in the graph output.
        var ops: [String] = []
        var lastOutput = ""
        for node in try g.messages(1) {
            for input in node.strings(1) { XCTAssertTrue(known.contains(input), "\(node.string(3)!) reads unknown \(input)") }
            let outputs = node.strings(2)
            XCTAssertEqual(outputs.count, 1)
            known.insert(outputs[0])
            lastOutput = outputs[0]
            ops.append(node.string(4)!)
            let attributes = try node.messages(5)
            let names = attributes.map { $0.string(1)! }
            switch node.string(4)! {
            case "Conv":
                XCTAssertEqual(names, ["kernel_shape", "pads", "strides"])
                XCTAssertEqual(attributes[0].int64(20), 7, "INTS")
            case "MaxPool":
                XCTAssertEqual(attributes.map { $0.int64s(8) }, [[2, 2], [2, 2]])
            case "Softmax", "Flatten":
                XCTAssertEqual(names, ["axis"])
                XCTAssertEqual(attributes[0].int64(3), 1)
                XCTAssertEqual(attributes[0].int64(20), 2, "INT")
            default:
                XCTAssertEqual(names, [])
            }
        }
        XCTAssertEqual(lastOutput, "probabilities")
        return Decoded(ops: ops)
    }

    /// ValueInfoProto → [name, dims...] (dim_param as its name, dim_value as its number).
    private func shape(of info: ProtoMessage) throws -> [String] {
        let tensor = try XCTUnwrap(XCTUnwrap(info.message(2)).message(1))
        XCTAssertEqual(tensor.int64(1), 1, "elem_type FLOAT")
        let dims = try XCTUnwrap(tensor.message(2)).messages(1).map { d in d.string(2) ?? d.int64(1).map(String.init) ?? "?" }
        return [info.string(1)!] + dims
    }
}
