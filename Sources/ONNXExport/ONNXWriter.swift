import FERModel
import ProtoWire

/// Writes an inference graph (Classifier.inferenceGraph) as an ONNX model: graph input `input`
/// float32 [N, 1, 48, 48], output `probabilities` float32 [N, 7], standard operators of opset 13
/// (Conv, Relu, MaxPool, Flatten, Gemm, Softmax), weights as initializers.
///
/// Field numbers are those of onnx/onnx.proto. Repeated scalars are written unpacked, the
/// canonical form of that proto2 schema.
public enum ONNXWriter {
    /// Opset 13 is the first with Softmax over one axis (earlier ones flatten the trailing axes);
    /// IR version 7 is the one that opset shipped with, so older runtimes load the file too.
    public static let opsetVersion: Int64 = 13
    public static let irVersion: Int64 = 7
    public static let inputName = "input"
    public static let outputName = "probabilities"

    /// The ModelProto bytes. `metadata` becomes `metadata_props` in the order given.
    public static func encode(_ graph: [InferenceOp], metadata: [(key: String, value: String)],
                              producerVersion: String = "") -> [UInt8] {
        var model = ProtoWriter()
        model.int64(1, irVersion)                       // ir_version
        model.string(2, "ferdash")                      // producer_name
        model.string(3, producerVersion)                // producer_version
        model.message(7) { encodeGraph(graph, into: &$0) }   // graph
        model.message(8) { opset in                     // opset_import: the default domain
            opset.string(1, "")
            opset.int64(2, opsetVersion)
        }
        for (key, value) in metadata {                 // metadata_props
            model.message(14) { entry in
                entry.string(1, key)
                entry.string(2, value)
            }
        }
        return model.bytes
    }

    /// GraphProto: nodes (1), name (2), initializers (5), inputs (11), outputs (12).
    private static func encodeGraph(_ ops: [InferenceOp], into graph: inout ProtoWriter) {
        var nodes: [Node] = []
        var initializers: [(name: String, tensor: InferenceTensor)] = []
        var current = inputName
        var convs = 0, denses = 0
        for (index, op) in ops.enumerated() {
            let last = index == ops.count - 1
            // Tensors are named after the node that makes them; the last one is the graph output.
            func node(_ name: String, _ type: String, inputs: [String] = [], _ attributes: [Attribute] = []) {
                let output = last ? outputName : name
                nodes.append(Node(name: name, opType: type, inputs: [current] + inputs, output: output,
                                  attributes: attributes))
                current = output
            }
            switch op {
            case .convolution(let weight, let bias, let padding):
                convs += 1
                let name = "conv\(convs)"
                initializers += [(name + ".weight", weight), (name + ".bias", bias)]
                let k = Int64(weight.shape[2]), p = Int64(padding)
                node(name, "Conv", inputs: [name + ".weight", name + ".bias"],
                     [.ints("kernel_shape", [k, k]), .ints("pads", [p, p, p, p]), .ints("strides", [1, 1])])
            case .relu:
                node(current + ".relu", "Relu")
            case .maxPool2x2:
                node(current + ".pool", "MaxPool", [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])])
            case .flatten:
                node("flatten", "Flatten", [.int("axis", 1)])
            case .dense(let weight, let bias):
                denses += 1
                let name = "fc\(denses)"
                initializers += [(name + ".weight", weight), (name + ".bias", bias)]
                node(name, "Gemm", inputs: [name + ".weight", name + ".bias"])
            case .softmax:
                node("softmax", "Softmax", [.int("axis", 1)])
            }
        }
        for n in nodes { graph.message(1) { n.encode(into: &$0) } }
        graph.string(2, "ferdash")
        for (name, tensor) in initializers { graph.message(5) { encodeTensor(name, tensor, into: &$0) } }
        graph.message(11) { encodeValueInfo(inputName, dims: [.symbol("N"), .value(1), .value(Int64(ModelShape.side)), .value(Int64(ModelShape.side))], into: &$0) }
        graph.message(12) { encodeValueInfo(outputName, dims: [.symbol("N"), .value(Int64(ModelShape.classes))], into: &$0) }
    }

    /// TensorProto: dims (1), data_type (2, FLOAT = 1), name (8), raw_data (9, little-endian).
    private static func encodeTensor(_ name: String, _ tensor: InferenceTensor, into t: inout ProtoWriter) {
        t.repeatedInt64(1, tensor.shape.map(Int64.init))
        t.int64(2, 1)
        t.string(8, name)
        t.bytes(9, ProtoWriter.rawFloats(tensor.values))
    }

    enum Dimension {
        case value(Int64)
        case symbol(String)
    }

    /// ValueInfoProto { name = 1; type = 2 } with TypeProto { tensor_type = 1 },
    /// TypeProto.Tensor { elem_type = 1 (FLOAT); shape = 2 }, TensorShapeProto { dim = 1 },
    /// Dimension { dim_value = 1 | dim_param = 2 }.
    private static func encodeValueInfo(_ name: String, dims: [Dimension], into info: inout ProtoWriter) {
        info.string(1, name)
        info.message(2) { type in
            type.message(1) { tensor in
                tensor.int64(1, 1)
                tensor.message(2) { shape in
                    for d in dims {
                        shape.message(1) { dim in
                            switch d {
                            case .value(let v): dim.int64(1, v)
                            case .symbol(let s): dim.string(2, s)
                            }
                        }
                    }
                }
            }
        }
    }

    /// AttributeProto { name = 1; i = 3; ints = 8; type = 20 (INT = 2, INTS = 7) }.
    enum Attribute {
        case int(String, Int64)
        case ints(String, [Int64])

        func encode(into a: inout ProtoWriter) {
            switch self {
            case .int(let name, let value):
                a.string(1, name)
                a.int64(3, value)
                a.int64(20, 2)
            case .ints(let name, let values):
                a.string(1, name)
                a.repeatedInt64(8, values)
                a.int64(20, 7)
            }
        }
    }

    /// NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 }.
    struct Node {
        var name: String
        var opType: String
        var inputs: [String]
        var output: String
        var attributes: [Attribute]

        func encode(into n: inout ProtoWriter) {
            for input in inputs { n.string(1, input) }
            n.string(2, output)
            n.string(3, name)
            n.string(4, opType)
            for a in attributes { n.message(5) { a.encode(into: &$0) } }
        }
    }
}
