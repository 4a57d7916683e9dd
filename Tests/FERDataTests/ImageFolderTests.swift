import XCTest
@testable import FERData
import FERTestSupport

final class ImageFolderTests: XCTestCase {
    func face(_ n: Int) -> GrayImage { GrayImage(width: 48, height: 48, pixels: samplePixels(n)) }

    func testKaggleLayoutWithMixedFormatsAndCase() throws {
        let dir = TempDir()
        for i in 0..<10 { _ = dir.mkdir("data/train/Happy"); try ImageFile.writePNG(face(i), path: dir.path + "/data/train/Happy/\(i).png") }
        _ = dir.mkdir("data/train/sad")
        try ImageFile.writePNG(face(50), path: dir.path + "/data/train/sad/x.PNG")
        dir.write("data/train/sad/.DS_Store", "junk")
        dir.write("data/train/sad/notes.txt", "ignored: not an image extension")
        _ = dir.mkdir("data/test/ANGRY")
        try ImageFile.writePNG(face(60), path: dir.path + "/data/test/ANGRY/a.png")
        let flat = GrayImage(width: 48, height: 48, pixels: [UInt8](repeating: 77, count: 2304))
        dir.write("data/test/neutral/n.jpeg", try JPEGCodec.encode(flat.pixels, width: 48, height: 48, channels: 1, quality: 100))
        // A 96×96 image is brought to 48×48 by area averaging.
        let big = GrayImage(width: 96, height: 96, pixels: [UInt8](repeating: 200, count: 96 * 96))
        dir.write("data/test/surprise/big.jpg", try JPEGCodec.encode(big.pixels, width: 96, height: 96, channels: 1, quality: 100))

        let data = try DatasetLoader.load(path: dir.path + "/data", options: LoadOptions(splitSeed: 9))
        XCTAssertEqual(data.train.count + data.validation.count, 11)
        XCTAssertEqual(data.validation.count, 1)
        XCTAssertEqual((data.train.perClassCounts.enumerated().map { $0.element + data.validation.perClassCounts[$0.offset] }),
                       [0, 0, 0, 10, 1, 0, 0])
        XCTAssertEqual(data.test.labels, [0, 6, 5]) // folders in sorted order: ANGRY, neutral, surprise
        XCTAssertEqual(Array(data.test.image(0)), samplePixels(60))
        XCTAssertTrue(data.test.image(1).allSatisfy { abs(Int($0) - 77) <= 1 })
        XCTAssertTrue(data.test.image(2).allSatisfy { abs(Int($0) - 200) <= 1 })
    }

    func testUnknownClassAndBrokenImage() throws {
        let dir = TempDir()
        _ = dir.mkdir("a/train/happy")
        try ImageFile.writePNG(face(1), path: dir.path + "/a/train/happy/ok.png")
        _ = dir.mkdir("a/train/bored")
        assertDataError(containing: ["\(dir.path)/a/train/bored: unknown class folder \"bored\"", "surprise"]) {
            try DatasetLoader.load(path: dir.path + "/a")
        }
        try FileManager.default.removeItem(atPath: dir.path + "/a/train/bored")
        let broken = dir.write("a/train/happy/broken.png", Array(readBytes(dir.path + "/a/train/happy/ok.png").prefix(60)))
        assertDataError(containing: [broken, "PNG"]) { try DatasetLoader.load(path: dir.path + "/a") }
        let skipped = try DatasetLoader.load(path: dir.path + "/a", options: LoadOptions(skipBadRows: true))
        XCTAssertEqual(skipped.skippedRows, 1)
        XCTAssertEqual(skipped.train.count + skipped.validation.count, 1)
    }

    func testLoneSplitFolderIsTrainingData() throws {
        let dir = TempDir()
        for i in 0..<20 {
            _ = dir.mkdir("faces/fear")
            try ImageFile.writePNG(face(i), path: dir.path + "/faces/fear/\(i).png")
        }
        let data = try DatasetLoader.load(path: dir.path + "/faces", options: LoadOptions(splitSeed: 1))
        XCTAssertEqual([data.train.count, data.validation.count, data.test.count], [18, 2, 0])
        XCTAssertEqual(data.train.perClassCounts[Emotion.fear.rawValue], 18)
    }
}
