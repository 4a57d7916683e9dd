import CCodecs

/// gzip compression, for writing `.csv.gz` files (and gzip round-trip tests). Reading goes
/// through `GzipFileSource`, which inflates while the CSV is parsed.
package enum Gzip {
    package static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var outLength = 0
        let status = bytes.withUnsafeBufferPointer { ccodecs_gzip($0.baseAddress, $0.count, level, &out, &outLength) }
        precondition(status == 0 && out != nil, "gzip compression failed")
        defer { ccodecs_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLength))
    }
}
