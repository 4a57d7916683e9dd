// A minimal Protocol Buffers decoder for the tests: reads any message into its fields so the
// tests can check what the writers produced without trusting the writer's own code.

struct ProtoMessage {
    enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    let fields: [(number: Int, value: Value)]

    init<C: Collection>(_ data: C) throws where C.Element == UInt8 {
        let bytes = Array(data)
        var fields: [(Int, Value)] = []
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count else { throw DecodeError(description: "varint runs past the end") }
                guard shift < 64 else { throw DecodeError(description: "varint longer than 10 bytes") }
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }
        func fixed(_ n: Int) throws -> UInt64 {
            guard i + n <= bytes.count else { throw DecodeError(description: "fixed field runs past the end") }
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            i += n
            return v
        }
        while i < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            guard number > 0 else { throw DecodeError(description: "field number 0") }
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(try fixed(8))))
            case 2:
                let length = Int(try varint())
                guard length >= 0, i + length <= bytes.count else { throw DecodeError(description: "length runs past the end") }
                fields.append((number, .bytes(Array(bytes[i..<(i + length)]))))
                i += length
            case 5: fields.append((number, .fixed32(UInt32(try fixed(4)))))
            default: throw DecodeError(description: "unsupported wire type \(key & 7)")
            }
        }
        self.fields = fields
    }

    func all(_ number: Int) -> [Value] { fields.filter { $0.number == number }.map(\.value) }

    func messages(_ number: Int) throws -> [ProtoMessage] {
        try all(number).map {
            guard case .bytes(let b) = $0 else { throw DecodeError(description: "field \(number) is not length-delimited") }
            return try ProtoMessage(b)
        }
    }

    func message(_ number: Int) throws -> ProtoMessage? { try messages(number).last }

    func strings(_ number: Int) -> [String] {
        all(number).compactMap { if case .bytes(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }

    func string(_ number: Int) -> String? { strings(number).last }

    func bytes(_ number: Int) -> [UInt8]? {
        for case .bytes(let b) in all(number).reversed() { return b }
        return nil
    }

    /// int64/int32/enum fields (unpacked, as the writers write them).
    func int64s(_ number: Int) -> [Int64] {
        all(number).compactMap { if case .varint(let v) = $0 { return Int64(bitPattern: v) } else { return nil } }
    }

    func int64(_ number: Int) -> Int64? { int64s(number).last }

    func double(_ number: Int) -> Double? {
        for case .fixed64(let v) in all(number).reversed() { return Double(bitPattern: v) }
        return nil
    }

    func float(_ number: Int) -> Float? {
        for case .fixed32(let v) in all(number).reversed() { return Float(bitPattern: v) }
        return nil
    }
}
