import XCTest
@testable import FERData
import FERTestSupport

final class ImageFileTests: XCTestCase {
    let dir = TempDir()

    func gradient(_ w: Int, _ h: Int) -> GrayImage {
        GrayImage(width: w, height: h, pixels: (0..<(w * h)).map { UInt8(truncatingIfNeeded: ($0 % w) * 5 + ($0 / w) * 3) })
    }

    func testGrayPNGRoundTrip() throws {
        let image = gradient(37, 23)
        let path = dir.path + "/g.png"
        try ImageFile.writePNG(image, path: path)
        XCTAssertEqual(try ImageFile.readGray(path: path), image)
    }

    func testColourPNGUsesSeedWeightsAndAlphaOnBlack() throws {
        // red, green, blue, white, a mix: 0.299 R + 0.587 G + 0.114 B, rounded.
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 200, 90]
        let path = dir.path + "/c.png"
        try PNGCodec.write(rgb, width: 5, height: 1, channels: 3, path: path)
        let gray = try ImageFile.readGray(path: path)
        XCTAssertEqual(gray.pixels, [76, 150, 29, 255, 131]) // 10·.299 + 200·.587 + 90·.114 = 130.65
    }

    func testAlphaIsCompositedOnBlack() throws {
        let rgba: [UInt8] = [255, 255, 255, 255, 255, 255, 255, 0, 200, 200, 200, 128]
        let path = dir.path + "/a.png"
        try PNGCodec.write(rgba, width: 3, height: 1, channels: 4, path: path)
        XCTAssertEqual(try ImageFile.readGray(path: path).pixels, [255, 0, 100])
    }

    func testOtherPNGDepthsAndColourTypes() throws {
        // 16-bit gray is scaled as stored (0x8080 → 128), not treated as linear light (which gives 186).
        let g16 = dir.write("g16.png", handmadePNG(width: 2, height: 1, bitDepth: 16, colorType: 0,
                                                   rows: [[0x80, 0x80, 0xFF, 0xFF]]))
        XCTAssertEqual(try ImageFile.readGray(path: g16).pixels, [128, 255])
        // A palette with a transparent entry: red, blue, and red at alpha 0 (→ black).
        let pal = dir.write("p.png", handmadePNG(width: 3, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 1, 2]],
                                                 palette: [255, 0, 0, 0, 0, 255, 255, 0, 0], transparency: [255, 255, 0]))
        XCTAssertEqual(try ImageFile.readGray(path: pal).pixels, [76, 29, 0])
        // 1-bit gray expands to 0/255; gray+alpha composites on black.
        let bits = dir.write("b.png", handmadePNG(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_0001]]))
        XCTAssertEqual(try ImageFile.readGray(path: bits).pixels, [255, 0, 255, 0, 0, 0, 0, 255])
        let ga = dir.write("ga.png", handmadePNG(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[200, 255, 200, 51]]))
        XCTAssertEqual(try ImageFile.readGray(path: ga).pixels, [200, 40])
    }

    func testJPEGDecodesCloseToSource() throws {
        let image = GrayImage(width: 40, height: 24, pixels: (0..<960).map { UInt8(($0 % 40) * 6) })
        let jpeg = try JPEGCodec.encode(image.pixels, width: 40, height: 24, channels: 1, quality: 100)
        let path = dir.write("g.jpg", jpeg)
        let back = try ImageFile.readGray(path: path)
        XCTAssertEqual(back.width, 40)
        XCTAssertEqual(back.height, 24)
        let worst = zip(back.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThanOrEqual(worst, 3)
        // A flat colour JPEG: the gray level is the seed's weighted sum (JPEG's own Y is the same formula).
        let red = [UInt8](repeating: 0, count: 16 * 16 * 3).enumerated().map { $0.offset % 3 == 0 ? UInt8(255) : 0 }
        let redPath = dir.write("r.jpeg", try JPEGCodec.encode(red, width: 16, height: 16, channels: 3, quality: 100))
        let redGray = try ImageFile.readGray(path: redPath)
        XCTAssertTrue(redGray.pixels.allSatisfy { abs(Int($0) - 76) <= 3 }, "\(redGray.pixels.prefix(4))")
    }

    func testJPEGExifOrientationIsApplied() throws {
        // 16×8: left half black, right half white (8-pixel halves keep JPEG blocks clean).
        let pixels = (0..<128).map { ($0 % 16) < 8 ? UInt8(0) : 255 }
        let jpeg = try JPEGCodec.encode(pixels, width: 16, height: 8, channels: 1, quality: 100)
        func withOrientation(_ value: UInt8, bigEndian big: Bool) -> [UInt8] {
            let tiff: [UInt8] = big
                ? [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, value, 0, 0, 0, 0, 0, 0, 0, 0]
                : [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, value, 0, 0, 0, 0, 0, 0, 0]
            let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
            let length = payload.count + 2
            return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + jpeg.dropFirst(2)
        }
        func halves(_ image: GrayImage) -> String {
            // "T"op/"B"ottom or "L"eft/"R"ight half that is dark.
            let dark = image.pixels.enumerated().filter { $0.element < 128 }.map { $0.offset }
            let ys = dark.map { $0 / image.width }, xs = dark.map { $0 % image.width }
            if ys.allSatisfy({ $0 < image.height / 2 }) { return "T" }
            if ys.allSatisfy({ $0 >= image.height / 2 }) { return "B" }
            if xs.allSatisfy({ $0 < image.width / 2 }) { return "L" }
            if xs.allSatisfy({ $0 >= image.width / 2 }) { return "R" }
            return "?"
        }
        let plain = try ImageFile.readGray(path: dir.write("o1.jpg", jpeg))
        XCTAssertEqual([plain.width, plain.height], [16, 8])
        XCTAssertEqual(halves(plain), "L")
        // 6: turn 90° clockwise → 8×16 with the dark half on top; 8: counter-clockwise → bottom; 3: right.
        for (value, big, expected) in [(6, false, "T"), (6, true, "T"), (8, true, "B"), (3, false, "R"), (2, true, "R")] {
            let image = try ImageFile.readGray(path: dir.write("o\(value)\(big).jpg", withOrientation(UInt8(value), bigEndian: big)))
            XCTAssertEqual(halves(image), expected, "orientation \(value)")
            XCTAssertEqual(image.width * image.height, 128)
            XCTAssertEqual(image.width, value >= 5 ? 8 : 16, "orientation \(value)")
        }
    }

    func testNetpbmFormats() throws {
        let p5 = dir.write("a.pgm", Array("P5\n# made by a test\n3 2\n255\n".utf8) + [0, 50, 100, 150, 200, 255])
        XCTAssertEqual(try ImageFile.readGray(path: p5), GrayImage(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 255]))
        let p2 = dir.write("b.pgm", "P2 2 2 15\n0 15\n# mid\n5 10\n")
        XCTAssertEqual(try ImageFile.readGray(path: p2).pixels, [0, 255, 85, 170])
        let p6 = dir.write("c.ppm", Array("P6 2 1 255\n".utf8) + [255, 0, 0, 0, 0, 255])
        XCTAssertEqual(try ImageFile.readGray(path: p6).pixels, [76, 29])
        let p3 = dir.write("d.ppm", "P3\n1 1\n255\n0 255 0\n")
        XCTAssertEqual(try ImageFile.readGray(path: p3).pixels, [150])
        let wide = dir.write("e.pgm", Array("P5 2 1 65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00])
        XCTAssertEqual(try ImageFile.readGray(path: wide).pixels, [255, 128])
        let short = dir.write("f.pgm", Array("P5 4 4 255\n".utf8) + [1, 2, 3])
        assertDataError("\(short): truncated PGM/PPM: 16 data bytes expected, 3 present") { try ImageFile.readGray(path: short) }
    }

    func testHugeDeclaredSizesAreRejectedQuickly() throws {
        // A real PNG whose IHDR is patched to 60000×60000 (CRC fixed, so libpng reads the header).
        let path = dir.path + "/small.png"
        try ImageFile.writePNG(gradient(8, 8), path: path)
        var png = readBytes(path)
        png.replaceSubrange(16..<24, with: bigEndian(60000) + bigEndian(60000))
        png.replaceSubrange(29..<33, with: bigEndian(crc32(png[12..<29])))
        let huge = dir.write("huge.png", png)
        let start = Date()
        assertDataError("\(huge): image declares 60000×60000 pixels, above the limit (16384 per side, 40 megapixels)") {
            try ImageFile.readGray(path: huge)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)

        var jpeg = try JPEGCodec.encode([UInt8](repeating: 9, count: 64), width: 8, height: 8, channels: 1)
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60]) // 60000, 60000
        let hugeJPEG = dir.write("huge.jpg", jpeg)
        assertDataError(containing: [hugeJPEG, "60000×60000"]) { try ImageFile.readGray(path: hugeJPEG) }

        let hugePGM = dir.write("huge.pgm", "P5 60000 60000 255\n")
        assertDataError(containing: [hugePGM, "60000×60000"]) { try ImageFile.readGray(path: hugePGM) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
    }

    func testUnreadableFilesNameTheFile() {
        let text = dir.write("notes.png", "hello, I am not a picture")
        assertDataError("\(text): unsupported image format (expected PNG, JPEG, PGM or PPM)") { try ImageFile.readGray(path: text) }
        let empty = dir.write("empty.jpg", [])
        assertDataError("\(empty): empty file") { try ImageFile.readGray(path: empty) }
        assertDataError("\(dir.path)/missing.png: no such file or directory") { try ImageFile.readGray(path: dir.path + "/missing.png") }
    }

    /// Every truncation and a few hundred byte flips of each format: an image or a DataError, never a crash.
    func testTruncationsAndByteFlipsNeverCrash() throws {
        let image = gradient(20, 12)
        let pngPath = dir.path + "/t.png"
        try ImageFile.writePNG(image, path: pngPath)
        let files: [(String, [UInt8])] = [
            ("png", readBytes(pngPath)),
            ("jpeg", try JPEGCodec.encode(image.pixels, width: 20, height: 12, channels: 1)),
            ("jpeg-exif", exifJPEG(try JPEGCodec.encode(image.pixels, width: 20, height: 12, channels: 1), orientation: 6)),
            ("pgm", PNMCodec.encodeP5(image)),
            ("p2", Array(("P2 20 12 255\n" + image.pixels.map(String.init).joined(separator: " ")).utf8)),
        ]
        var rng = SplitMix64(seed: 11)
        var errors = 0
        for (name, bytes) in files {
            for cut in 0..<bytes.count {
                if (try? decode(Array(bytes.prefix(cut)), name)) == nil { errors += 1 }
            }
            // A truncated body must be reported, not padded silently (the header alone is not an image).
            XCTAssertThrowsError(try decode(Array(bytes.prefix(bytes.count / 2)), name), name)
            for _ in 0..<300 {
                var flipped = bytes
                for _ in 0..<(1 + rng.below(3)) { flipped[rng.below(flipped.count)] ^= UInt8(1 + rng.below(255)) }
                _ = try? decode(flipped, name)
            }
        }
        XCTAssertGreaterThan(errors, 100)
    }

    private func decode(_ bytes: [UInt8], _ name: String) throws -> GrayImage {
        try bytes.withUnsafeBufferPointer { try ImageFile.decodeGray($0, name: name) }
    }

    /// A JPEG with an APP1 Exif segment (little-endian TIFF, one Orientation entry) after SOI.
    private func exifJPEG(_ jpeg: [UInt8], orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
        let payload: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0] + tiff
        return [0xFF, 0xD8, 0xFF, 0xE1, 0, UInt8(payload.count + 2)] + payload + jpeg.dropFirst(2)
    }
}
