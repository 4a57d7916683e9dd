#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing datasets in the fer2013.csv format (`ferdash synth --out FILE`), so anything ferdash
/// generates can be read back by ferdash or by the usual pandas scripts.
public enum FER2013CSV {
    /// Writes `set` with header `emotion,pixels,Usage` (or `emotion,pixels` when `usage` is nil).
    /// An unlabelled set (labels −1) is written with a single `pixels` column, like the seed's test.csv.
    /// A path ending in `.gz` is gzip-compressed.
    public static func write(_ set: ImageSet, usage: String?, to path: String) throws {
        try write([(set, usage)], to: path)
    }

    /// Writes all three splits into one file with Usage Training / PublicTest / PrivateTest,
    /// which `DatasetLoader.load` maps back to train / validation / test.
    public static func write(_ dataset: Dataset, to path: String) throws {
        try write([(dataset.train, "Training"), (dataset.validation, "PublicTest"), (dataset.test, "PrivateTest")], to: path)
    }

    static func write(_ parts: [(set: ImageSet, usage: String?)], to path: String) throws {
        let allUnlabelled = parts.allSatisfy { $0.set.labels.allSatisfy { $0 < 0 } }
        let anyUnlabelled = parts.contains { $0.set.labels.contains { $0 < 0 } }
        if anyUnlabelled && !allUnlabelled {
            throw DataError(file: path, reason: "cannot write a mix of labelled and unlabelled images in one CSV")
        }
        let withUsage = parts.contains { $0.usage != nil }
        for part in parts {
            if let u = part.usage, u.contains(",") || u.contains("\n") || u.contains("\"") {
                throw DataError(file: path, reason: "Usage value \"\(u)\" would need quoting")
            }
            if part.set.pixels.count != part.set.count * ImageSet.pixelsPerImage {
                throw DataError(file: path, reason: "image set has \(part.set.pixels.count) pixels for \(part.set.count) labels")
            }
        }
        var header = allUnlabelled ? "pixels" : "emotion,pixels"
        if withUsage { header += ",Usage" }
        var out: [UInt8] = Array((header + "\n").utf8)
        let rows = parts.reduce(0) { $0 + $1.set.count }
        out.reserveCapacity(out.count + rows * (ImageSet.pixelsPerImage * 4 + 24))
        // Decimal text of 0…255, built once, so the loop below only appends bytes.
        let digits: [[UInt8]] = (0...255).map { Array(String($0).utf8) }
        for part in parts {
            let usageBytes = Array((part.usage ?? "").utf8)
            part.set.pixels.withUnsafeBufferPointer { px in
                for i in 0..<part.set.count {
                    if !allUnlabelled {
                        out.append(UInt8(48 + Int(part.set.labels[i])))
                        out.append(0x2C)
                    }
                    let row = i * ImageSet.pixelsPerImage
                    for j in 0..<ImageSet.pixelsPerImage {
                        if j > 0 { out.append(0x20) }
                        out.append(contentsOf: digits[Int(px[row + j])])
                    }
                    if withUsage {
                        out.append(0x2C)
                        out.append(contentsOf: usageBytes)
                    }
                    out.append(0x0A)
                }
            }
        }
        if path.lowercased().hasSuffix(".gz") { out = Gzip.compress(out) }
        try writeFile(out, to: path)
    }

    static func writeFile(_ bytes: [UInt8], to path: String) throws {
        guard let f = fopen(path, "wb") else {
            throw DataError(file: path, reason: "cannot create file: \(String(cString: strerror(errno)))")
        }
        let written = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        let closed = fclose(f)
        if written != bytes.count || closed != 0 {
            throw DataError(file: path, reason: "write failed: \(String(cString: strerror(errno)))")
        }
    }
}
