import Foundation
import ProtoWire

/// A TensorBoard event file in the run directory, so `tensorboard --logdir runs` shows ferdash
/// runs next to any others.
///
/// The file is a TFRecord stream of `tensorflow.Event` protobufs: first one carrying only the
/// format version, then one per logged step holding that step's scalars as `Summary.Value`s with
/// `simple_value`. Each record is written with one `write` as soon as it is made, so a crash loses
/// nothing already logged. Each training process starts its own file (the name carries the start
/// time and host, as TensorFlow names them); TensorBoard reads every file of a directory.
public final class TensorBoardLog {
    private let file: AppendOnlyFile
    public var path: String { file.path }

    /// Opens `events.out.tfevents.<unix time>.<host>` in `directory` and writes the version record.
    public init(directory: String, date: Date = Date(), host: String = TensorBoardLog.hostName()) throws {
        // Append, never truncate: a second process started within the same second adds its own
        // version record and steps to the same file, which readers accept.
        file = try AppendOnlyFile(path: directory + "/events.out.tfevents.\(Int(date.timeIntervalSince1970)).\(host)",
                                  what: "TensorBoard event file")
        try file.append(Self.record(Self.versionEvent(wallTime: date.timeIntervalSince1970)))
    }

    /// Logs `scalars` (tag, value) at `step` as one event: a whole record or, when it cannot be
    /// written, nothing (see `AppendOnlyFile`).
    public func add(step: Int, _ scalars: [(tag: String, value: Float)], wallTime: Double = Date().timeIntervalSince1970) throws {
        try file.append(Self.record(Self.scalarEvent(wallTime: wallTime, step: step, scalars)))
    }

    // MARK: - Encoding (tensorflow/core/util/event.proto, summary.proto)

    /// Event { double wall_time = 1; string file_version = 3; }
    static func versionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtoWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        return event.bytes
    }

    /// Event { double wall_time = 1; int64 step = 2; Summary summary = 5; } with
    /// Summary { repeated Value value = 1; }, Value { string tag = 1; float simple_value = 2; }.
    static func scalarEvent(wallTime: Double, step: Int, _ scalars: [(tag: String, value: Float)]) -> [UInt8] {
        var event = ProtoWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.message(5) { summary in
            for (tag, value) in scalars {
                summary.message(1) { v in
                    v.string(1, tag)
                    v.float(2, value)
                }
            }
        }
        return event.bytes
    }

    /// TFRecord framing: uint64 length, masked CRC-32C of those 8 bytes, the data, masked
    /// CRC-32C of the data; all little-endian.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = littleEndianBytes(UInt64(data.count))
        out += length
        out += littleEndianBytes(CRC32C.masked(length))
        out += data
        out += littleEndianBytes(CRC32C.masked(data))
        return out
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The machine's name as TensorFlow puts it in event file names.
    public static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A name with a slash would point into another directory.
        return host.isEmpty ? "localhost" : host.replacingOccurrences(of: "/", with: "_")
    }
}
