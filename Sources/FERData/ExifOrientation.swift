/// Phone cameras store the sensor image as is and record how to turn it in the EXIF Orientation
/// tag. Without applying it, a portrait selfie arrives lying on its side and no face is found.
package enum ExifOrientation {
    /// The Orientation value (1…8) of a JPEG's APP1 Exif segment, or 1 when absent or unreadable.
    package static func read(jpeg bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var p = 2 // after SOI
        while p + 4 <= bytes.count, bytes[p] == 0xFF {
            let marker = bytes[p + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { p += 2; continue }
            if marker == 0xDA || marker == 0xD9 { break } // image data starts: no more metadata
            let length = Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
            guard length >= 2, p + 2 + length <= bytes.count else { break }
            if marker == 0xE1, let value = orientation(in: bytes, from: p + 4, to: p + 2 + length) { return value }
            p += 2 + length
        }
        return 1
    }

    /// Parses "Exif\0\0" + a TIFF header + IFD0 looking for tag 0x0112.
    private static func orientation(in b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        guard end - start >= 14, Array(b[start..<(start + 6)]) == [0x45, 0x78, 0x69, 0x66, 0, 0] else { return nil }
        let tiff = start + 6
        let little: Bool
        switch (b[tiff], b[tiff + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= tiff, at + 2 <= end else { return nil }
            return little ? Int(b[at]) | Int(b[at + 1]) << 8 : Int(b[at]) << 8 | Int(b[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let hi = u16(little ? at + 2 : at), let lo = u16(little ? at : at + 2) else { return nil }
            return hi << 16 | lo
        }
        guard u16(tiff + 2) == 42, let ifdOffset = u32(tiff + 4), let count = u16(tiff + ifdOffset) else { return nil }
        for i in 0..<min(count, 512) {
            let entry = tiff + ifdOffset + 2 + 12 * i
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112, let type = u16(entry + 2), type == 3, let value = u16(entry + 8), (1...8).contains(value) {
                return value
            }
        }
        return nil
    }

    /// The image turned upright for an Orientation value (1 = already upright).
    package static func apply(_ orientation: Int, to image: GrayImage) -> GrayImage {
        guard (2...8).contains(orientation) else { return image }
        let w = image.width, h = image.height
        let swaps = orientation >= 5 // 5…8 exchange width and height
        let ow = swaps ? h : w, oh = swaps ? w : h
        var out = [UInt8](repeating: 0, count: w * h)
        for y in 0..<oh {
            for x in 0..<ow {
                let (sx, sy): (Int, Int)
                switch orientation {
                case 2: (sx, sy) = (w - 1 - x, y)          // mirrored
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)  // upside down
                case 4: (sx, sy) = (x, h - 1 - y)          // mirrored vertically
                case 5: (sx, sy) = (y, x)                  // transposed
                case 6: (sx, sy) = (y, h - 1 - x)          // needs 90° clockwise
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)  // transversed
                default: (sx, sy) = (w - 1 - y, x)         // 8: needs 90° counter-clockwise
                }
                out[y * ow + x] = image.pixels[sy * w + sx]
            }
        }
        return GrayImage(width: ow, height: oh, pixels: out)
    }
}
