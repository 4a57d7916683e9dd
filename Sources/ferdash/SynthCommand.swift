import ArgumentParser
import FERData
import Foundation

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic faces (the built-in dataset's generator) as a fer2013-format CSV.")

    @Option(help: "The CSV file to write.")
    var out: String

    @Option(help: "How many faces (80% Training, 10% PublicTest, 10% PrivateTest).")
    var count = 1000

    @Option(help: "Generator seed.")
    var seed: UInt64 = 2018

    @Option(help: "Also write each face as a PNG into this folder.")
    var pngDir: String?

    func validate() throws {
        if count < 1 || count > 1_000_000 { throw ValidationError("--count must be 1...1000000") }
    }

    func run() throws {
        let faces = SyntheticFaces.generate(count: count, seed: seed)
        let trainEnd = count * 8 / 10, validationEnd = count * 9 / 10
        func part(_ range: Range<Int>) -> ImageSet {
            ImageSet(pixels: Array(faces.pixels[(range.lowerBound * ImageSet.pixelsPerImage)..<(range.upperBound * ImageSet.pixelsPerImage)]),
                     labels: Array(faces.labels[range]))
        }
        let dataset = Dataset(name: "synthetic faces (seed \(seed))", train: part(0..<trainEnd),
                              validation: part(trainEnd..<validationEnd), test: part(validationEnd..<count))
        try FER2013CSV.write(dataset, to: out)
        if let pngDir {
            try FileManager.default.createDirectory(atPath: pngDir, withIntermediateDirectories: true)
            for i in 0..<count {
                let name = Emotion(rawValue: Int(faces.labels[i]))!.name
                try ImageFile.writePNG(GrayImage(width: 48, height: 48, pixels: Array(faces.image(i))),
                                       path: pngDir + "/" + String(format: "%05d-%@.png", i, name))
            }
        }
        print("Wrote \(count) synthetic faces to \(out)" + (pngDir.map { " and PNGs to \($0)" } ?? ""))
    }
}
