import CCodecs

/// Decoders behind `ImageFile.readGray`. Each checks the declared size against `ImageLimits`
/// before allocating, so a 20-byte header claiming 60000×60000 fails at once in bounded memory.
enum ImageLimits {
    static let maxSide = 16_384
    static let maxPixels = 40_000_000

    static func check(width: Int, height: Int, file: String) throws {
        guard width > 0, height > 0 else {
            throw DataError(file: file, reason: "image declares an empty size \(width)×\(height)")
        }
        guard width <= maxSide, height <= maxSide, width * height <= maxPixels else {
            throw DataError(file: file, reason: "image declares \(width)×\(height) pixels, above the limit "
                + "(\(maxSide) per side, \(maxPixels / 1_000_000) megapixels)")
        }
    }
}

enum ImageKind {
    case png, jpeg, pnm

    static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> ImageKind? {
        if bytes.count >= 8 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 2 && bytes[0] == 0x50 && [0x32, 0x33, 0x35, 0x36].contains(bytes[1]) { return .pnm }
        return nil
    }
}

/// Gray from 8-bit sRGB with the seed's weights 0.299 R + 0.587 G + 0.114 B, rounded; integer
/// arithmetic so every decoder gives the same value for the same colour.
@inline(__always)
func grayLevel(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    let weighted: Int = 299 * Int(r) + 587 * Int(g) + 114 * Int(b)
    return UInt8((weighted + 500) / 1000)
}

enum PNGCodec {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> GrayImage {
        var width: UInt32 = 0, height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        guard ccodecs_png_info(bytes.baseAddress, bytes.count, &width, &height, &message, message.count) == 0 else {
            throw DataError(file: file, reason: "unreadable PNG (\(String(cMessage: message)))")
        }
        let w = Int(width), h = Int(height)
        try ImageLimits.check(width: w, height: h, file: file)
        var rgba = [UInt8](repeating: 0, count: w * h * 4)
        let status = rgba.withUnsafeMutableBufferPointer {
            ccodecs_png_decode_rgba(bytes.baseAddress, bytes.count, $0.baseAddress, width, height, &message, message.count)
        }
        guard status == 0 else { throw DataError(file: file, reason: "unreadable PNG (\(String(cMessage: message)))") }
        // Alpha is composited on black: a transparent pixel carries no face, and black is what the
        // FER2013 images use for "nothing" (its all-black frames).
        var gray = [UInt8](repeating: 0, count: w * h)
        for i in 0..<(w * h) {
            let r = Int(rgba[4 * i]), g = Int(rgba[4 * i + 1]), b = Int(rgba[4 * i + 2]), a = Int(rgba[4 * i + 3])
            let weighted: Int = 299 * r + 587 * g + 114 * b
            gray[i] = UInt8((weighted * a + 127_500) / 255_000)
        }
        return GrayImage(width: w, height: h, pixels: gray)
    }

    /// Writes 8-bit pixels with 1 (gray), 3 (RGB) or 4 (RGBA) channels.
    static func write(_ pixels: [UInt8], width: Int, height: Int, channels: Int, path: String) throws {
        guard width > 0, height > 0, pixels.count == width * height * channels else {
            throw DataError(file: path, reason: "cannot write PNG: \(pixels.count) bytes for \(width)×\(height)×\(channels)")
        }
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer {
            ccodecs_png_write(path, $0.baseAddress, UInt32(width), UInt32(height), Int32(channels), &message, message.count)
        }
        guard status == 0 else { throw DataError(file: path, reason: "cannot write PNG (\(String(cMessage: message)))") }
    }
}

enum JPEGCodec {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> GrayImage {
        var width: UInt32 = 0, height: UInt32 = 0
        var components: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let info = ccodecs_jpeg_info(bytes.baseAddress, bytes.count, &width, &height, &components, &message, message.count)
        guard info == 0 else {
            let kind = Int(info) == Int(CCODECS_ERR_UNSUPPORTED) ? "unsupported" : "unreadable"
            throw DataError(file: file, reason: "\(kind) JPEG (\(String(cMessage: message)))")
        }
        let w = Int(width), h = Int(height)
        try ImageLimits.check(width: w, height: h, file: file)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        let status = rgb.withUnsafeMutableBufferPointer {
            ccodecs_jpeg_decode_rgb(bytes.baseAddress, bytes.count, $0.baseAddress, width, height, &message, message.count)
        }
        guard status == 0 else {
            let kind = Int(status) == Int(CCODECS_ERR_TRUNCATED) ? "truncated" : "unreadable"
            throw DataError(file: file, reason: "\(kind) JPEG (\(String(cMessage: message)))")
        }
        var gray = [UInt8](repeating: 0, count: w * h)
        for i in 0..<(w * h) { gray[i] = grayLevel(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) }
        return GrayImage(width: w, height: h, pixels: gray)
    }

    /// Baseline JPEG bytes for gray (1) or RGB (3) pixels.
    static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int = 90) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = pixels.withUnsafeBufferPointer {
            ccodecs_jpeg_encode($0.baseAddress, UInt32(width), UInt32(height), Int32(channels), Int32(quality),
                                &out, &length, &message, message.count)
        }
        guard status == 0, let out else { throw DataError(file: "<jpeg>", reason: "cannot encode JPEG (\(String(cMessage: message)))") }
        defer { ccodecs_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}

/// Netpbm P2/P5 (gray) and P3/P6 (RGB), any maxval up to 65535, comments allowed.
enum PNMCodec {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, file: String) throws -> GrayImage {
        guard bytes.count >= 2, bytes[0] == 0x50 else { throw DataError(file: file, reason: "not a PGM/PPM file") }
        let kind = bytes[1]
        let ascii = kind == 0x32 || kind == 0x33
        let channels = (kind == 0x33 || kind == 0x36) ? 3 : 1
        var scanner = PNMScanner(bytes: bytes, file: file, position: 2)
        let width = try scanner.number("width")
        let height = try scanner.number("height")
        try ImageLimits.check(width: width, height: height, file: file)
        let maxval = try scanner.number("maxval")
        guard maxval >= 1 && maxval <= 65535 else {
            throw DataError(file: file, reason: "PGM/PPM maxval \(maxval) is outside 1–65535")
        }
        let count = width * height * channels
        let samples = ascii ? try scanner.textSamples(count, maxval: maxval) : try scanner.binarySamples(count, maxval: maxval)
        // Rescale to 0–255 with rounding, then apply the gray weights to colour.
        @inline(__always) func scale(_ v: Int) -> UInt8 { UInt8((v * 255 + maxval / 2) / maxval) }
        var gray = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            gray[i] = channels == 1 ? scale(samples[i])
                : grayLevel(scale(samples[3 * i]), scale(samples[3 * i + 1]), scale(samples[3 * i + 2]))
        }
        return GrayImage(width: width, height: height, pixels: gray)
    }

    /// Binary P5 bytes of a gray image (the simplest format for tests and debugging).
    static func encodeP5(_ image: GrayImage) -> [UInt8] {
        Array("P5\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }
}

/// Reads a Netpbm file front to back: header numbers (with comments and any whitespace between
/// them), then the samples as text or as 1- or 2-byte binary values.
private struct PNMScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let file: String
    var position: Int

    mutating func skipSpaceAndComments() {
        while position < bytes.count {
            if bytes[position] == 0x23 {
                while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
            } else if [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C].contains(bytes[position]) {
                position += 1
            } else {
                return
            }
        }
    }

    mutating func number(_ what: String) throws -> Int {
        skipSpaceAndComments()
        var v = 0, digits = 0
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
            v = min(v * 10 + Int(bytes[position] - 0x30), 1 << 40)
            position += 1
            digits += 1
        }
        guard digits > 0 else {
            throw DataError(file: file, reason: position >= bytes.count ? "truncated PGM/PPM (\(what) missing)"
                                                                         : "bad PGM/PPM \(what): not a number")
        }
        return v
    }

    /// P2/P3: `count` decimal samples, none above maxval.
    mutating func textSamples(_ count: Int, maxval: Int) throws -> [Int] {
        var samples = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let v = try number("sample \(i + 1)")
            guard v <= maxval else { throw DataError(file: file, reason: "PGM/PPM sample \(i + 1) is \(v), above maxval \(maxval)") }
            samples[i] = v
        }
        return samples
    }

    /// P5/P6: `count` big-endian samples of two bytes when maxval needs them, else one.
    mutating func binarySamples(_ count: Int, maxval: Int) throws -> [Int] {
        // Exactly one whitespace byte separates the header from binary data.
        let p = position + 1
        let bytesPerSample = maxval > 255 ? 2 : 1
        guard bytes.count - p >= count * bytesPerSample else {
            throw DataError(file: file, reason: "truncated PGM/PPM: \(count * bytesPerSample) data bytes expected, \(max(0, bytes.count - p)) present")
        }
        var samples = [Int](repeating: 0, count: count)
        for i in 0..<count {
            let v = bytesPerSample == 1 ? Int(bytes[p + i]) : Int(bytes[p + 2 * i]) << 8 | Int(bytes[p + 2 * i + 1])
            samples[i] = min(v, maxval)
        }
        position = p + count * bytesPerSample
        return samples
    }
}
