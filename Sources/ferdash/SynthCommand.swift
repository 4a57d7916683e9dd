import ArgumentParser
import FaceDetection
import FERData
import Foundation
import VideoAnalysis
import VideoDecoding

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write synthetic faces (the built-in dataset's generator) as a fer2013-format CSV, or a scripted video of them.")

    @Option(help: "The CSV file to write.")
    var out: String?

    @Option(help: ArgumentHelp("Write a video of synthetic faces instead (.mp4/.mkv/.mov H.264, .webm VP9, .avi MJPEG, .gif), following --script.", valueName: "FILE"))
    var video: String?

    @Option(help: ArgumentHelp("With --video: per face, EMOTION:SECONDS spans (none = absent), faces separated by ';'.", valueName: "SCRIPT"))
    var script = "happy:3,none:1,sad:3;none:4,surprise:3"

    @Option(help: ArgumentHelp("With --video: frame size.", valueName: "WxH"))
    var size = "640x480"

    @Option(help: "With --video: frames per second.")
    var fps: Double = 30

    @Option(help: ArgumentHelp("With --video: also write each face's look per emotion, the 48×48 picture drawn enlarged in the video, as DIR/face<k>-<emotion>.png.", valueName: "DIR"))
    var looks: String?

    @Option(help: "With --video: store the picture turned this many degrees counter-clockwise, with a display matrix that turns it back (as a phone does): 0, 90, 180, 270.")
    var rotate = 0

    @Option(help: "How many faces (80% Training, 10% PublicTest, 10% PrivateTest).")
    var count = 1000

    @Option(help: "Generator seed.")
    var seed: UInt64 = 2018

    @Option(help: "Also write each face as a PNG into this folder.")
    var pngDir: String?

    func validate() throws {
        if count < 1 || count > 1_000_000 { throw ValidationError("--count must be 1...1000000") }
        if (out == nil) == (video == nil) { throw ValidationError("give --out FILE (faces as CSV) or --video FILE") }
        if video != nil {
            _ = try frameSize()
            if !(fps >= 1 && fps <= 240) { throw ValidationError("--fps must be 1...240") }
            if ![0, 90, 180, 270].contains(rotate) { throw ValidationError("--rotate must be 0, 90, 180 or 270") }
            do { _ = try VideoScript(parsing: script) } catch { throw ValidationError("--script: \(error)") }
        }
    }

    func frameSize() throws -> (width: Int, height: Int) {
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (64...7680).contains(w), (64...4320).contains(h),
              w % 2 == 0, h % 2 == 0 else {
            throw ValidationError("--size \(size): expected WxH, even numbers, 64x64 to 7680x4320")
        }
        return (w, h)
    }

    func run() throws {
        if let video { return try writeVideo(video) }
        guard let out else { return }
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
                let name = Emotion(index: Int(faces.labels[i])).name
                try ImageFile.writePNG(GrayImage(width: ImageSet.side, height: ImageSet.side, pixels: Array(faces.image(i))),
                                       path: pngDir + "/" + String(format: "%05d-%@.png", i, name))
            }
        }
        print("Wrote \(count) synthetic faces to \(out)" + (pngDir.map { " and PNGs to \($0)" } ?? ""))
    }

    /// The scripted video, frame by frame at exactly `fps` (timestamps k / fps).
    func writeVideo(_ path: String) throws {
        let (width, height) = try frameSize()
        let parsed = try VideoScript(parsing: script)
        // Faces the detector finds, so the video tests the analysis (without a cascade: any look).
        var frames = ScriptedFrames(script: parsed, width: width, height: height, detector: try? FaceDetector())
        // Stored turned back by `rotate`, with a display matrix saying to turn it by `rotate`
        // clockwise: what a phone held sideways writes.
        let sideways = rotate == 90 || rotate == 270
        let encoder = try VideoEncoder(path: path, width: sideways ? height : width, height: sideways ? width : height, rotation: rotate)
        let count = Int((parsed.duration * fps).rounded())
        for k in 0..<count {
            let t = Double(k) / fps
            try encoder.append(gray: ScriptedFrames.rotated(frames.frame(at: t), width: width, height: height, counterClockwise: rotate), at: t)
        }
        try encoder.finish()
        if let looks {
            try FileManager.default.createDirectory(atPath: looks, withIntermediateDirectories: true)
            for (k, spans) in parsed.faces.enumerated() {
                for emotion in Set(spans.compactMap(\.emotion)) {
                    try ImageFile.writePNG(frames.look(face: k, emotion: emotion), path: looks + "/face\(k)-\(emotion.name).png")
                }
            }
        }
        print("Wrote \(count) frames (\(String(format: "%.1f", parsed.duration)) s, \(width)×\(height), \(fps) fps) to \(path)")
    }
}
