import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rows of one pixel CSV (fer2013.csv, the seed's train.csv / test.csv, or any CSV with a
/// `pixels` column), grouped by their Usage value.
package struct CSVRows {
    /// Always three sets: 0 Training (or every row when there is no Usage column), 1 PublicTest
    /// (or the seeded hold-out, see `heldOut`), 2 PrivateTest.
    package var byUsage: [ImageSet]
    /// byUsage[1] is a seeded 10% of the Training rows (asked for, and no PublicTest rows).
    var heldOut = false
    var hasUsage: Bool
    var hasEmotion: Bool
    package var skipped: Int
}

/// Parses pixel CSVs with byte loops over blocks of text (CSVStream.swift): no String per row,
/// pixels written straight into UInt8 buffers, and big blocks split over the cores at line boundaries.
///
/// Accepted: a header naming `emotion` (optional unless required), `pixels` and optionally `usage`,
/// matched case-insensitively, in any order, with extra columns ignored; a UTF-8 BOM; CRLF or LF;
/// quoted fields (`""` inside quotes is an escaped quote). Not accepted: a quoted field spanning lines
/// (no pixel CSV has one, and it would defeat splitting the file at newlines).
package enum CSVReader {
    static let usageNames = ["Training", "PublicTest", "PrivateTest"]

    /// Parses the header line (the first line, after an optional BOM): which column is which, and
    /// where the rows start. `data` must hold the whole first line or the whole file.
    static func header(_ data: UnsafeBufferPointer<UInt8>, file: String, requireEmotion: Bool) throws -> (Columns, Int) {
        var start = 0
        if data.count >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF { start = 3 }
        let headerEnd = lineEnd(data, from: start)
        let header = data[start..<trimCR(data, start, headerEnd)]
        // Control bytes or invalid UTF-8 in the first line: this is some other kind of file
        // (an image, an archive, random bytes), which deserves better than "missing column".
        // (Decoding replaces invalid sequences, so a lossless round trip means valid UTF-8; this
        // avoids String(validating:), which needs a 2024 runtime on Apple platforms.)
        let isText = String(decoding: header, as: UTF8.self).utf8.elementsEqual(header)
        if !isText || header.count > 65_536 || header.contains(where: { $0 < 9 || ($0 > 13 && $0 < 32) }) {
            throw DataError(file: file, line: 1, reason: "not a CSV file (binary data where the header should be)")
        }
        let names = try headerFields(Array(header), file: file)
        if names.allSatisfy({ $0.isEmpty }) {
            throw DataError(file: file, line: 1, reason: "empty header line, expected emotion,pixels[,Usage]")
        }
        var columns = Columns(names: names)
        for (i, name) in names.enumerated() {
            switch name.lowercased() {
            case "emotion": if columns.emotion < 0 { columns.emotion = i }
            case "pixels": if columns.pixels < 0 { columns.pixels = i }
            case "usage": if columns.usage < 0 { columns.usage = i }
            default: break
            }
        }
        guard columns.pixels >= 0 else {
            if let first = names.first, first.allSatisfy({ $0.isNumber || $0 == " " }) {
                throw DataError(file: file, line: 1, reason: "missing header line: expected emotion,pixels[,Usage]")
            }
            throw DataError(file: file, line: 1, reason: "missing column \"pixels\" (header has: \(names.joined(separator: ",")))")
        }
        if requireEmotion && columns.emotion < 0 {
            throw DataError(file: file, line: 1, reason: "missing column \"emotion\" (header has: \(names.joined(separator: ",")))")
        }
        columns.lastNeeded = max(columns.pixels, columns.emotion, columns.usage)
        return (columns, min(headerEnd + 1, data.count))
    }

    /// Parsed chunks (in file order) → rows per Usage, or the first bad row in file order.
    /// With `holdOutSeed` and no PublicTest rows, the seeded hold-out of the Training rows is made
    /// here, in the same single copy out of the chunks, so no set is ever copied a second time.
    static func collect(_ chunks: [Chunk], columns: Columns, file: String, holdOutSeed: UInt64? = nil) throws -> CSVRows {
        // Every chunk before the first error parsed completely, so the line count up to it is exact.
        var linesBefore = 1
        for chunk in chunks {
            if let error = chunk.error {
                throw DataError(file: file, line: linesBefore + error.line, reason: error.reason)
            }
            linesBefore += chunk.lines
        }
        let skipped = chunks.reduce(0) { $0 + $1.skipped }
        var perUsage = [0, 0, 0]
        for chunk in chunks { for u in chunk.usages { perUsage[Int(u)] += 1 } }
        let total = perUsage.reduce(0, +)
        if total == 0 {
            if skipped > 0 { throw DataError(file: file, reason: "no valid rows (\(skipped) bad rows skipped)") }
            throw DataError(file: file, reason: "no data rows (header only)")
        }
        // Destination set of every Training row: 0, or 1 when held out for validation.
        var validation: [Bool]?
        if let seed = holdOutSeed, perUsage[1] == 0 {
            let mask = SeededSplit.validationMask(count: perUsage[0], seed: seed)
            if mask.contains(true) { validation = mask }
        }
        var sizes = perUsage
        if let validation {
            sizes[1] = validation.lazy.filter { $0 }.count
            sizes[0] -= sizes[1]
        }
        var labels: [[Int8]] = sizes.map { _ in [] }
        for k in 0..<3 { labels[k].reserveCapacity(sizes[k]) }
        let imageBytes = ImageSet.pixelsPerImage
        let pixels = allocateSets(sizes.map { $0 * imageBytes }) { destinations in
            var written = [0, 0, 0]
            var trainingIndex = 0
            for chunk in chunks {
                for i in 0..<chunk.rows {
                    var set = Int(chunk.usages[i])
                    if set == 0, let validation {
                        if validation[trainingIndex] { set = 1 }
                        trainingIndex += 1
                    }
                    (destinations[set] + written[set] * imageBytes).update(from: chunk.pixels + i * imageBytes, count: imageBytes)
                    labels[set].append(chunk.labels[i])
                    written[set] += 1
                }
                // Pages of the merged sets fill as the chunk pages go: the peak is one copy, not two.
                chunk.releasePixels()
            }
        }
        return CSVRows(byUsage: (0..<3).map { ImageSet(pixels: pixels[$0], labels: labels[$0]) },
                       heldOut: validation != nil, hasUsage: columns.usage >= 0,
                       hasEmotion: columns.emotion >= 0, skipped: skipped)
    }

    /// Arrays of the given byte counts, all uninitialised and alive at once while `fill` writes
    /// into them (which it must do completely).
    static func allocateSets(_ sizes: [Int], _ fill: ([UnsafeMutablePointer<UInt8>]) -> Void) -> [[UInt8]] {
        var pointers: [UnsafeMutablePointer<UInt8>] = []
        func nest(_ k: Int) -> [[UInt8]] {
            if k == sizes.count {
                fill(pointers)
                return []
            }
            if sizes[k] == 0 {
                // An empty set is never written to; any non-null pointer stands in for it. (Not
                // made through unsafeUninitializedCapacity, which at capacity 0 writes the count
                // into the empty-array storage every thread shares: a race TSan reports.)
                pointers.append(UnsafeMutablePointer(bitPattern: 16)!)
                return [[]] + nest(k + 1)
            }
            var rest: [[UInt8]] = []
            let array = [UInt8](unsafeUninitializedCapacity: sizes[k]) { buffer, initialized in
                pointers.append(buffer.baseAddress!)
                rest = nest(k + 1)
                initialized = sizes[k]
            }
            return [array] + rest
        }
        return nest(0)
    }

    static var parallelism: Int { max(1, min(onlineProcessorCount(), 8)) }

    // MARK: - Lines and fields

    /// Index of the '\n' ending the line at `from`, or data.count.
    static func lineEnd(_ data: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard from < data.count, let base = data.baseAddress else { return data.count }
        guard let hit = memchr(base + from, 0x0A, data.count - from) else { return data.count }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    static func trimCR(_ data: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        end > start && data[end - 1] == 0x0D ? end - 1 : end
    }

    /// Header names with quotes and surrounding spaces removed.
    static func headerFields(_ line: [UInt8], file: String) throws -> [String] {
        var names: [String] = []
        try line.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
            var p = 0
            while true {
                let field = scanField(base, p, buf.count)
                switch field {
                case .failure(let failure): throw DataError(file: file, line: 1, reason: failure.reason)
                case .success(let f):
                    let text = String(decoding: UnsafeBufferPointer(start: base + f.start, count: f.end - f.start), as: UTF8.self)
                    names.append(text.trimmingSpaces())
                    if f.next > buf.count { return }
                    p = f.next
                }
            }
        }
        return names
    }

    struct Field { var start: Int; var end: Int; var next: Int }

    /// One field starting at `p` of a line ending at `e`: its content range and where the next field
    /// starts (`next > e` when this was the last field).
    @inline(__always)
    static func scanField(_ base: UnsafePointer<UInt8>, _ p0: Int, _ e: Int) -> Result<Field, FieldError> {
        var p = p0
        while p < e && (base[p] == 0x20 || base[p] == 0x09) { p += 1 }
        if p < e && base[p] == 0x22 { // quoted
            let contentStart = p + 1
            var q = contentStart
            while true {
                guard q < e, let hit = memchr(base + q, 0x22, e - q) else {
                    return .failure(FieldError("unterminated quoted field"))
                }
                q = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if q + 1 < e && base[q + 1] == 0x22 { q += 2; continue } // "" is a literal quote
                break
            }
            var after = q + 1
            while after < e && (base[after] == 0x20 || base[after] == 0x09) { after += 1 }
            if after < e && base[after] != 0x2C {
                return .failure(FieldError("unexpected text after a closing quote"))
            }
            return .success(Field(start: contentStart, end: q, next: after + 1))
        }
        let hit = p0 < e ? memchr(base + p0, 0x2C, e - p0) : nil
        let comma = hit.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? e
        return .success(Field(start: p0, end: comma, next: comma + 1))
    }

    struct FieldError: Error { let reason: String; init(_ r: String) { reason = r } }

    /// `parts` ranges covering [from, count), each starting at a line start.
    static func splitAtLines(_ data: UnsafeBufferPointer<UInt8>, from: Int, parts: Int) -> [Chunk] {
        var bounds = [from]
        let length = data.count - from
        for k in 1..<max(parts, 1) {
            let guess = max(from + length * k / parts, bounds.last!)
            let cut = min(lineEnd(data, from: guess) + 1, data.count)
            bounds.append(max(cut, bounds.last!))
        }
        bounds.append(data.count)
        return (0..<(bounds.count - 1)).map { Chunk(start: bounds[$0], end: bounds[$0 + 1]) }
    }
}

struct Columns {
    var names: [String]
    var emotion = -1
    var pixels = -1
    var usage = -1
    var lastNeeded = 0
    init(names: [String]) { self.names = names }
}

/// One slice of the file, parsed by one thread into its own buffers.
final class Chunk: @unchecked Sendable {   // unchecked: one parse worker fills it; the caller reads it after concurrentPerform joins
    let start: Int
    let end: Int
    var pixels: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var rows = 0
    var labels: [Int8] = []
    var usages: [UInt8] = []
    var lines = 0
    var skipped = 0
    /// Line within the chunk (1-based) and reason of the first bad row.
    var error: (line: Int, reason: String)?

    init(start: Int, end: Int) {
        self.start = start
        self.end = end
        // A valid row holds at least 2304 one-digit pixels and 2303 separators, so this bounds the rows;
        // +1 leaves scratch room for a bad row being parsed after the last good one.
        // Pages come from mmap so that releasing them (right after the merge copied them) really
        // lowers RSS; only the touched half of this over-estimate is ever resident.
        capacity = (end - start) / 4607 + 2
        pixels = PageMemory.allocate(capacity * ImageSet.pixelsPerImage)
    }

    deinit { releasePixels() }

    /// Frees the pixel pages (once merged). The chunk's other fields stay readable.
    func releasePixels() {
        guard capacity > 0 else { return }
        PageMemory.free(pixels, capacity * ImageSet.pixelsPerImage)
        capacity = 0
    }

    func parse(_ data: UnsafeBufferPointer<UInt8>, columns: Columns, stopAtError: Bool) {
        guard let base = data.baseAddress else { return }
        labels.reserveCapacity(capacity)
        usages.reserveCapacity(capacity)
        var p = start
        while p < end {
            let nl = memchr(base + p, 0x0A, end - p)
            let lineEnd = nl.map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? end
            var e = lineEnd
            if e > p && base[e - 1] == 0x0D { e -= 1 }
            lines += 1
            defer { p = lineEnd + 1 }
            // Blank lines (often a trailing one) are not rows.
            var q = p
            while q < e && (base[q] == 0x20 || base[q] == 0x09) { q += 1 }
            if q == e { continue }
            if rows + 1 >= capacity { grow() }
            switch parseRow(base, p, e, columns: columns, into: pixels + rows * ImageSet.pixelsPerImage) {
            case .success(let row):
                labels.append(row.label)
                usages.append(row.usage)
                rows += 1
            case .failure(let failure):
                if stopAtError {
                    error = (lines, failure.reason)
                    return
                }
                skipped += 1
            }
        }
    }

    private func grow() {
        let imageBytes = ImageSet.pixelsPerImage
        let bigger = PageMemory.allocate(capacity * 2 * imageBytes)
        bigger.update(from: pixels, count: rows * imageBytes)
        PageMemory.free(pixels, capacity * imageBytes)
        pixels = bigger
        capacity *= 2
    }

    struct Row { var label: Int8; var usage: UInt8 }

    @inline(__always)
    private func parseRow(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int, columns: Columns,
                          into dst: UnsafeMutablePointer<UInt8>) -> Result<Row, CSVReader.FieldError> {
        var row = Row(label: -1, usage: 0)
        var p = s
        var index = 0
        while index <= columns.lastNeeded {
            if p > e {
                return .failure(.init("missing column \"\(columns.names[index])\" (row has \(index) fields, header has \(columns.names.count))"))
            }
            let field: CSVReader.Field
            switch CSVReader.scanField(base, p, e) {
            case .success(let f): field = f
            case .failure(let err): return .failure(err)
            }
            if index == columns.pixels {
                if let reason = PixelParser.parse(base, field.start, field.end, into: dst) { return .failure(.init(reason)) }
            } else if index == columns.emotion {
                switch PixelParser.label(base, field.start, field.end) {
                case .success(let l): row.label = l
                case .failure(let err): return .failure(err)
                }
            } else if index == columns.usage {
                guard let u = PixelParser.usage(base, field.start, field.end) else {
                    let text = PixelParser.text(base, field.start, field.end)
                    return .failure(.init("unknown Usage \"\(text)\" (accepted: \(CSVReader.usageNames.joined(separator: ", ")))"))
                }
                row.usage = u
            }
            p = field.next
            index += 1
        }
        return .success(row)
    }
}

/// Number fields of a row. The fast path accepts exactly what a valid row holds; anything unusual
/// falls to a slower pass that works out the precise message.
enum PixelParser {
    /// Writes 2304 pixels into dst, or returns why the field is bad.
    @inline(__always)
    static func parse(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int, into dst: UnsafeMutablePointer<UInt8>) -> String? {
        var q = base + s
        let end = base + e
        var n = 0
        let want = ImageSet.pixelsPerImage
        // Fast loop: while 4 bytes remain, a token of up to 3 digits and the byte after it are in
        // bounds, so the digits are read without per-byte end checks. (UInt8 wrap-around turns every
        // non-digit into a value above 9.)
        while n < want {
            while q < end && (q.pointee == 0x20 || q.pointee == 0x09) { q += 1 }
            if end - q < 4 { break }
            let d0 = q[0] &- UInt8(ascii: "0")
            if d0 > 9 { break }
            let d1 = q[1] &- UInt8(ascii: "0")
            var value: Int
            var length: Int
            if d1 > 9 {
                value = Int(d0); length = 1
            } else {
                let d2 = q[2] &- UInt8(ascii: "0")
                if d2 > 9 {
                    value = Int(d0) * 10 + Int(d1); length = 2
                } else {
                    value = Int(d0) * 100 + Int(d1) * 10 + Int(d2); length = 3
                }
            }
            let next = q + length
            // Anything unusual (a 4th digit, a stray character, > 255) is left to the careful loop.
            if value > 255 || (next < end && next.pointee != 0x20 && next.pointee != 0x09) { break }
            q = next
            dst[n] = UInt8(truncatingIfNeeded: value)
            n += 1
        }
        // The last few bytes (and anything unusual) with full checks.
        while q < end {
            var c = q.pointee
            if c == 0x20 || c == 0x09 { q += 1; continue }
            var v = Int(c &- UInt8(ascii: "0"))
            if v < 0 || v > 9 || n == want { return describe(base, s, e) }
            q += 1
            while q < end {
                c = q.pointee
                let d = Int(c &- UInt8(ascii: "0"))
                if d < 0 || d > 9 { break }
                v = v &* 10 &+ d
                if v > 255 { return describe(base, s, e) }
                q += 1
            }
            if q < end && c != 0x20 && c != 0x09 { return describe(base, s, e) }
            dst[n] = UInt8(truncatingIfNeeded: v)
            n += 1
        }
        return n == want ? nil : describe(base, s, e)
    }

    /// The message for a bad pixels field: the first bad token, else the count.
    static func describe(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> String {
        let tokens = text(base, s, e).split(whereSeparator: { $0 == " " || $0 == "\t" })
        for (i, token) in tokens.enumerated() {
            if token.allSatisfy({ $0.isASCII && $0.isNumber }) {
                if let v = Int(token), v <= 255 { continue }
                return "pixel \(i + 1) is \(token), outside 0–255"
            }
            if token.first == "-", token.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }), token.count > 1 {
                return "pixel \(i + 1) is \(token), outside 0–255"
            }
            return "pixel \(i + 1) is \"\(token.prefix(20))\", not a number"
        }
        return "found \(tokens.count) pixels, expected \(ImageSet.pixelsPerImage)"
    }

    static func label(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Result<Int8, CSVReader.FieldError> {
        var a = s, b = e
        while a < b && (base[a] == 0x20 || base[a] == 0x09) { a += 1 }
        while b > a && (base[b - 1] == 0x20 || base[b - 1] == 0x09) { b -= 1 }
        var v = 0
        var ok = a < b
        var negative = false
        if ok && base[a] == 0x2D { negative = true; a += 1; ok = a < b }
        for i in a..<max(a, b) {
            let d = Int(base[i] &- UInt8(ascii: "0"))
            if d < 0 || d > 9 { ok = false; break }
            v = min(v * 10 + d, 1_000_000)
        }
        guard ok else {
            return .failure(.init("emotion \"\(text(base, s, e).prefix(20))\" is not a number (expected 0–6)"))
        }
        if negative || v > 6 { return .failure(.init("emotion \(negative ? "-" : "")\(v) is outside 0–6")) }
        return .success(Int8(v))
    }

    /// 0 Training, 1 PublicTest, 2 PrivateTest (ASCII case-insensitive), nil otherwise.
    static func usage(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> UInt8? {
        var a = s, b = e
        while a < b && (base[a] == 0x20 || base[a] == 0x09) { a += 1 }
        while b > a && (base[b - 1] == 0x20 || base[b - 1] == 0x09) { b -= 1 }
        for (k, name) in lowerUsage.enumerated() where name.count == b - a {
            var same = true
            for i in 0..<name.count where base[a + i] | 0x20 != name[i] { same = false; break }
            if same { return UInt8(k) }
        }
        return nil
    }

    static let lowerUsage: [[UInt8]] = CSVReader.usageNames.map { Array($0.lowercased().utf8) }

    static func text(_ base: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + s, count: max(0, e - s)), as: UTF8.self)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// Cores to split parsing over (sysconf, to avoid pulling Foundation into the hot library).
func onlineProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
