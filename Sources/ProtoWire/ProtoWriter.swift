// Protocol Buffers wire format, writing side only: enough to produce TensorBoard's Event records
// and ONNX's ModelProto without a code generator. A message is a sequence of fields, each a key
// (field number << 3 | wire type) followed by its value:
//
//   wire type 0  varint        int32/int64/uint64/enum/bool, 7 bits per byte, low group first
//   wire type 1  64-bit        double, fixed64 (little-endian)
//   wire type 2  length-delimited  string, bytes, nested message, packed repeated scalars
//   wire type 5  32-bit        float, fixed32 (little-endian)
//
// Fields are written in the order the caller gives them; readers accept any order. Values are
// written even when they equal the proto3 default, which readers also accept.

public struct ProtoWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    // MARK: - Scalars

    /// uint64 / uint32 / bool / non-negative enum: a plain varint.
    public mutating func uint64(_ field: Int, _ value: UInt64) {
        key(field, .varint)
        varint(value)
    }

    /// int64 / int32 / enum: two's complement as a 64-bit varint (negative values take 10 bytes,
    /// which is what the format prescribes for int32 too).
    public mutating func int64(_ field: Int, _ value: Int64) {
        uint64(field, UInt64(bitPattern: value))
    }

    public mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        littleEndian(value.bitPattern)
    }

    public mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        littleEndian(value.bitPattern)
    }

    // MARK: - Length-delimited

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A nested message, built by `body` into its own writer so its length is known up front.
    public mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        var nested = ProtoWriter()
        body(&nested)
        bytes(field, nested.bytes)
    }

    /// `repeated int64`, one field per value: the unpacked form, canonical for proto2 schemas
    /// such as ONNX's (readers accept either form).
    public mutating func repeatedInt64(_ field: Int, _ values: [Int64]) {
        for v in values { int64(field, v) }
    }

    /// Little-endian IEEE floats as raw bytes (ONNX's TensorProto.raw_data).
    public static func rawFloats(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }   // already the wire's byte order
        #else
        var out = ProtoWriter()
        out.bytes.reserveCapacity(values.count * 4)
        for v in values { out.littleEndian(v.bitPattern) }
        return out.bytes
        #endif
    }

    // MARK: - Encoding primitives

    mutating func key(_ field: Int, _ type: WireType) {
        precondition(field > 0 && field < 1 << 29, "protobuf field numbers are 1 ..< 2^29")
        varint(UInt64(field) << 3 | type.rawValue)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { bytes += $0 }
    }
}
