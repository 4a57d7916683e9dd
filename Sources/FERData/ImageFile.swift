public enum ImageFile {
    /// Decodes PNG, JPEG, PGM or PPM to gray (0.299 R + 0.587 G + 0.114 B). Throws DataError naming the file.
    /// PNG alpha is composited on black. The format is taken from the content, not the extension.
    /// A JPEG's EXIF orientation is applied, so phone photos come out upright.
    public static func readGray(path: String) throws -> GrayImage {
        let file = try FileBytes.read(path: path)
        return try decodeGray(file.buffer, name: path)
    }

    /// Decodes bytes already in memory; `name` is what errors call the source.
    public static func decodeGray(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> GrayImage {
        guard !bytes.isEmpty else { throw DataError(file: name, reason: "empty file") }
        switch ImageKind.sniff(bytes) {
        case .png: return try PNGCodec.decode(bytes, file: name)
        case .jpeg:
            return ExifOrientation.apply(ExifOrientation.read(jpeg: bytes), to: try JPEGCodec.decode(bytes, file: name))
        case .pnm: return try PNMCodec.decode(bytes, file: name)
        case nil: throw DataError(file: name, reason: "unsupported image format (expected PNG, JPEG, PGM or PPM)")
        }
    }

    /// Crops `rect` (default: the centred square) and downsamples by area averaging to 48×48.
    /// Parts of the rect outside the image are clipped; crops smaller than 48 are upscaled bilinearly.
    public static func faceInput(from image: GrayImage, crop rect: PixelRect? = nil) -> [UInt8] {
        let side = ImageSet.side
        let r = (rect ?? centredSquare(image)).clipped(to: image)
        guard r.width > 0, r.height > 0 else { return [UInt8](repeating: 0, count: side * side) }
        return Resample.resize(image, rect: r, width: side, height: side)
    }

    /// The largest centred square of the image.
    public static func centredSquare(_ image: GrayImage) -> PixelRect {
        let s = min(image.width, image.height)
        return PixelRect(x: (image.width - s) / 2, y: (image.height - s) / 2, width: s, height: s)
    }

    /// Writes an 8-bit grayscale PNG.
    public static func writePNG(_ image: GrayImage, path: String) throws {
        try PNGCodec.write(image.pixels, width: image.width, height: image.height, channels: 1, path: path)
    }

    /// Writes an 8-bit RGB PNG (`rgb`: width × height × 3 bytes, row-major), for pictures drawn
    /// outside this module (the video's emotion plot). Throws DataError naming the file.
    public static func writePNG(rgb: [UInt8], width: Int, height: Int, path: String) throws {
        try PNGCodec.write(rgb, width: width, height: height, channels: 3, path: path)
    }
}

extension PixelRect {
    public func clipped(to image: GrayImage) -> PixelRect {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(image.width, x + width), y1 = min(image.height, y + height)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }
}
