import XCTest
@testable import FERData
import FERTestSupport

final class CSVReaderTests: XCTestCase {
    func testFER2013UsageMapsToSplits() throws {
        let dir = TempDir()
        var text = "emotion,pixels,Usage\n"
        let usages = ["Training", "PublicTest", "PrivateTest", "Training", "PrivateTest", "Training"]
        for (i, u) in usages.enumerated() { text += "\(i % 7),\(pixelText(samplePixels(i))),\(u)\n" }
        let data = try DatasetLoader.load(path: dir.write("fer2013.csv", text))
        XCTAssertEqual(data.train.labels, [0, 3, 5])
        XCTAssertEqual(data.validation.labels, [1])
        XCTAssertEqual(data.test.labels, [2, 4])
        XCTAssertEqual(Array(data.train.image(1)), samplePixels(3))
        XCTAssertEqual(Array(data.validation.image(0)), samplePixels(1))
        XCTAssertEqual(Array(data.test.image(1)), samplePixels(4))
        XCTAssertEqual(data.skippedRows, 0)
        XCTAssertEqual(data.name, "fer2013.csv")
    }

    func testBOMCRLFQuotesCaseAndExtraColumns() throws {
        let dir = TempDir()
        var text = "\u{FEFF}\"Id\", \"USAGE\" ,Pixels,EMOTION,note\r\n"
        text += "7,publictest,\"\(pixelText(samplePixels(0)))\",4,\"a, quoted \"\"note\"\"\"\r\n"
        text += "8,Training,\(pixelText(samplePixels(1))),6,\r\n"
        text += "\r\n"
        let data = try DatasetLoader.load(path: dir.write("weird.csv", text))
        XCTAssertEqual(data.validation.labels, [4])
        XCTAssertEqual(Array(data.validation.image(0)), samplePixels(0))
        XCTAssertEqual(data.train.labels, [6])
        XCTAssertEqual(Array(data.train.image(0)), samplePixels(1))
    }

    func testPixelTextVariants() throws {
        // Leading zeros, tabs, runs of spaces, spaces around the field, a 4-digit zero-padded value.
        var tokens = samplePixels(2).map(String.init)
        tokens[0] = "00" + tokens[0]
        tokens[10] = "0" + tokens[10]
        tokens[2303] = "0" + tokens[2303]
        let field = "  " + tokens[0..<100].joined(separator: "\t") + "   " + tokens[100...].joined(separator: " ") + " "
        let dir = TempDir()
        let data = try DatasetLoader.load(path: dir.write("v.csv", "emotion,pixels,usage\n2,\(field),privatetest\n"))
        XCTAssertEqual(Array(data.test.image(0)), samplePixels(2))
    }

    func testNoUsageColumnHoldsOutSeededTenPercent() throws {
        let dir = TempDir()
        var text = "emotion,pixels\n"
        for i in 0..<95 { text += "\(i % 7),\(pixelText(samplePixels(i)))\n" }
        let path = dir.write("plain.csv", text)
        let a = try DatasetLoader.load(path: path, options: LoadOptions(splitSeed: 1))
        let b = try DatasetLoader.load(path: path, options: LoadOptions(splitSeed: 1))
        let c = try DatasetLoader.load(path: path, options: LoadOptions(splitSeed: 2))
        XCTAssertEqual(a.train.count, 86)
        XCTAssertEqual(a.validation.count, 9) // 10% rounded down, as the seed chapter does
        XCTAssertTrue(a.test.isEmpty)
        XCTAssertEqual(a.validation.pixels, b.validation.pixels, "same seed, same split")
        XCTAssertNotEqual(a.validation.pixels, c.validation.pixels, "another seed, another split")
        // Every row lands in exactly one split, keeping file order.
        func rowIDs(_ set: ImageSet) -> [Int] {
            (0..<set.count).map { i in
                // samplePixels(n) starts with 13·n mod 256, unique for n < 256; the rest must match too.
                let n = (0..<95).first { UInt8(truncatingIfNeeded: $0 * 13) == set.image(i).first! }!
                XCTAssertEqual(Array(set.image(i)), samplePixels(n))
                return n
            }
        }
        let ids = rowIDs(a.train) + rowIDs(a.validation)
        XCTAssertEqual(ids.sorted(), Array(0..<95))
        XCTAssertEqual(rowIDs(a.train), rowIDs(a.train).sorted())
        XCTAssertEqual(a.train.labels, rowIDs(a.train).map { Int8($0 % 7) })
    }

    func testTrainingOnlyUsageStillGetsValidation() throws {
        let dir = TempDir()
        var text = "emotion,pixels,Usage\n"
        for i in 0..<20 { text += "1,\(pixelText(samplePixels(i))),Training\n" }
        let data = try DatasetLoader.load(path: dir.write("train-only.csv", text))
        XCTAssertEqual(data.train.count, 18)
        XCTAssertEqual(data.validation.count, 2)
    }

    func testSeedFolderWithUnlabelledTest() throws {
        let dir = TempDir()
        var train = "Emotion,Pixels\n"
        for i in 0..<30 { train += "\(i % 7),\"\(pixelText(samplePixels(i)))\"\n" }
        dir.write("seed/train.csv", train)
        dir.write("seed/test.csv", "Pixels\n\"\(pixelText(samplePixels(100)))\"\n\(pixelText(samplePixels(101)))\n")
        let data = try DatasetLoader.load(path: dir.path + "/seed", options: LoadOptions(splitSeed: 3))
        XCTAssertEqual(data.name, "seed")
        XCTAssertEqual(data.train.count, 27)
        XCTAssertEqual(data.validation.count, 3)
        XCTAssertEqual(data.test.labels, [-1, -1])
        XCTAssertFalse(data.test.isLabeled)
        XCTAssertEqual(Array(data.test.image(1)), samplePixels(101))
        // The train.csv file given directly picks up its sibling test.csv too.
        let direct = try DatasetLoader.load(path: dir.path + "/seed/train.csv", options: LoadOptions(splitSeed: 3))
        XCTAssertEqual(direct.test.count, 2)
        XCTAssertEqual(direct.validation.pixels, data.validation.pixels)
    }

    func testLargeFileSplitAcrossThreadsKeepsOrderAndLineNumbers() throws {
        // ~5 MB, above the single-chunk threshold, so the parallel path and the chunk seams run.
        let dir = TempDir()
        let n = 600
        var text = "emotion,pixels,Usage\n"
        for i in 0..<n { text += "\(i % 7),\(pixelText(samplePixels(i))),\(i % 3 == 0 ? "PublicTest" : "Training")\n" }
        XCTAssertGreaterThan(text.utf8.count, 4 << 20)
        let good = try DatasetLoader.load(path: dir.write("big.csv", text))
        XCTAssertEqual(good.train.count + good.validation.count, n)
        let trainIDs = (0..<n).filter { $0 % 3 != 0 }
        for (k, i) in trainIDs.enumerated() where k % 37 == 0 {
            XCTAssertEqual(Array(good.train.image(k)), samplePixels(i))
            XCTAssertEqual(good.train.labels[k], Int8(i % 7))
        }
        // A bad row late in the file (in the last chunk): the line number counts every earlier line.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[571] = "9,\(pixelText(samplePixels(0))),Training"
        let path = dir.write("big-bad.csv", lines.joined(separator: "\n"))
        assertDataError("\(path):572: emotion 9 is outside 0–6") { try DatasetLoader.load(path: path) }
        let skipped = try DatasetLoader.load(path: path, options: LoadOptions(skipBadRows: true))
        XCTAssertEqual(skipped.skippedRows, 1)
        XCTAssertEqual(skipped.train.count + skipped.validation.count, n - 1)
    }

    func testNoTrailingNewlineAndBlankLines() throws {
        let dir = TempDir()
        let text = "emotion,pixels,Usage\n\n3,\(pixelText(samplePixels(0))),PrivateTest\n   \n5,\(pixelText(samplePixels(1))),PrivateTest"
        let data = try DatasetLoader.load(path: dir.write("f.csv", text))
        XCTAssertEqual(data.test.labels, [3, 5])
    }

    func testWriterRoundTripsThroughTheReader() throws {
        let dir = TempDir()
        let set = ImageSet(pixels: samplePixels(1) + samplePixels(2) + samplePixels(3), labels: [0, 6, 2])
        let plain = dir.path + "/out.csv"
        try FER2013CSV.write(set, usage: "PrivateTest", to: plain)
        let back = try DatasetLoader.load(path: plain)
        XCTAssertEqual(back.test.pixels, set.pixels)
        XCTAssertEqual(back.test.labels, set.labels)
        XCTAssertTrue(String(decoding: readBytes(plain).prefix(21), as: UTF8.self).hasPrefix("emotion,pixels,Usage\n"))

        let dataset = Dataset(name: "x", train: set, validation: ImageSet(pixels: samplePixels(9), labels: [1]),
                              test: ImageSet(pixels: samplePixels(8), labels: [5]))
        let gz = dir.path + "/all.csv.gz"
        try FER2013CSV.write(dataset, to: gz)
        XCTAssertEqual(Array(readBytes(gz).prefix(2)), [0x1f, 0x8b])
        let all = try DatasetLoader.load(path: gz)
        XCTAssertEqual(all.train.pixels, set.pixels)
        XCTAssertEqual(all.validation.labels, [1])
        XCTAssertEqual(all.test.pixels, samplePixels(8))

        let unlabelled = dir.path + "/test.csv"
        try FER2013CSV.write(ImageSet(pixels: samplePixels(4), labels: [-1]), usage: nil, to: unlabelled)
        XCTAssertEqual(String(decoding: readBytes(unlabelled).prefix(7), as: UTF8.self), "pixels\n")
    }
}
