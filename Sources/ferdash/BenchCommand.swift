import ArgumentParser
import FaceDetection
import FERData
import FERModel
import FERTraining
import Foundation
import VideoAnalysis
import VideoDecoding

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training and inference speed of a network on random data.")

    @Option(help: "Network: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var arch: Architecture = .seed

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Timed training steps (after warm-up).")
    var steps = 30

    @Option(help: "Also time face detection on this photo (median of 5 runs, one core).")
    var detectImage: String?

    @Option(help: "Haar cascade XML for --detect-image (default: OpenCV's frontal face cascade).")
    var cascade: String?

    @Option(help: ArgumentHelp("Instead, time the video analysis of this file: decoding alone, then every frame, then every 5th (with the model of --model, default as `video`).", valueName: "FILE"))
    var video: String?

    @Option(help: "With --video: a checkpoint file or a run directory (default: the newest run under ./runs, else the shipped model).")
    var model: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also print where a training step, a batch-128 and a batch-1 prediction spend their time, per layer (thread CPU time with --threads 1).")
    var profile = false

    func run() throws {
        if let video { return try benchVideo(video) }
        let threadCount = threads ?? defaultThreads()
        if profile {
            let rows = EngineBenchmark.profile(architecture: arch, engine: Engine(threads: threadCount), batch: 128, steps: max(2, steps / 3))
            print("layer               forward ms  backward ms")
            for row in rows {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "%10.1f %12.1f", row.forwardMs, row.backwardMs))
            }
            print("\nlayer               infer ms (batch 128)")
            for row in EngineBenchmark.profileInference(architecture: arch, engine: Engine(threads: threadCount), batch: 128,
                                                        calls: max(2, steps / 3)) where row.forwardMs >= 50 {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%10.1f", row.forwardMs / 1000))
            }
            print("\nlayer               batch-1 µs")
            for row in EngineBenchmark.profileInference(architecture: arch, engine: Engine(threads: threadCount)) where row.forwardMs >= 0.05 {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%10.1f", row.forwardMs))
            }
        }
        let result = EngineBenchmark.run(architecture: arch, engine: Engine(threads: threadCount), batch: 128, steps: steps)
        var detection: (megapixels: Double, faces: Int, milliseconds: Double, cpuMilliseconds: Double)?
        if let detectImage {
            let image = try ImageFile.readGray(path: detectImage)
            let timing = try FaceDetector(cascadePath: cascade).timeDetection(in: image)
            detection = (Double(image.width * image.height) / 1e6, timing.faces.count, timing.milliseconds, timing.cpuMilliseconds)
        }
        let peak = peakResidentMegabytes()
        if json {
            var fields: [(String, JSON)] = [
                ("arch", .string(arch.rawValue)), ("threads", .int(threadCount)),
                ("train_images_per_s", .number(result.trainImagesPerSecond)),
                ("infer_images_per_s", .number(result.inferImagesPerSecond)),
                ("latency_ms", .number(result.latencyMs)), ("peak_rss_mb", .number(peak)),
                ("isa", .string(result.isa.rawValue)), ("blas_core", .string(result.blasCore)),
            ]
            if let detection {
                fields.append(("detect_ms", .number(detection.milliseconds)))
                fields.append(("detect_cpu_ms", .number(detection.cpuMilliseconds)))
                fields.append(("detect_megapixels", .number(detection.megapixels)))
            }
            print(JSON.object(fields).text)
            return
        }
        print("ferdash bench: \(arch.rawValue) network, \(threadCount) thread(s), batch 128")
        print("kernels: \(result.isa.rawValue) (FERDASH_ISA=portable|avx2|avx512 to force), OpenBLAS \(result.blasCore)")
        print(String(format: "train  : %.0f images/s", result.trainImagesPerSecond))
        print(String(format: "infer  : %.0f images/s", result.inferImagesPerSecond))
        print(String(format: "latency: %.3f ms (batch 1)", result.latencyMs))
        if let detection {
            print(String(format: "faces  : %.1f ms (%.1f ms CPU) to find %d face(s) in a %.2f-megapixel image",
                         detection.milliseconds, detection.cpuMilliseconds, detection.faces, detection.megapixels))
        }
        print(String(format: "memory : peak RSS %.0f MB", peak))
    }
}

extension Bench {
    /// The video passes, with the CPU's instruction sets: the same video runs 2–3× apart on the
    /// machines we target, so a figure means little without them.
    func benchVideo(_ path: String) throws {
        let (classifier, _) = try RunDirectory.loadCheckpoint(try chooseModel(model), engine: Engine(threads: threads ?? 1))
        let detector = try FaceDetector(cascadePath: cascade)
        var every5 = VideoAnalysisOptions()
        every5.selection = .every(5)
        let info = try VideoDecoder(path: path).info
        let passes = [
            try VideoBenchmark.decodeOnly(path: path),
            try VideoBenchmark.analyse(path: path, name: "analyse every frame", classifier: classifier, detector: detector, options: .init()),
            try VideoBenchmark.analyse(path: path, name: "analyse --every 5", classifier: classifier, detector: detector, options: every5),
        ]
        let peak = peakResidentMegabytes()
        let flags = cpuFlags()
        if json {
            print(JSON.object([
                ("video", .string(path)), ("width", .int(info.width)), ("height", .int(info.height)), ("codec", .string(info.codec)),
                ("cpu", .string(cpuModel())), ("cpu_flags", .array(flags.map { .string($0) })), ("kernels", .string(classifier.engine.isa.rawValue)),
                ("threads", .int(threads ?? 1)), ("peak_rss_mb", .number(peak)),
                ("passes", .array(passes.map { p in .object([
                    ("name", .string(p.name)), ("decoded_frames", .int(p.decodedFrames)), ("analysed_frames", .int(p.analysedFrames)),
                    ("seconds", .number(p.seconds)), ("frames_per_s", .number(p.framesPerSecond)), ("real_time", .number(p.realTime)),
                    ("faces", .int(p.faces)),
                ]) })),
            ]).text)
            return
        }
        print("ferdash bench --video \(path): \(info.width)×\(info.height) \(info.codec)"
              + String(format: ", %.1f s", passes[0].videoSeconds) + ", \(passes[0].decodedFrames) frames")
        print("cpu    : \(cpuModel()) (\(flags.isEmpty ? "no avx2" : flags.joined(separator: " "))), kernels \(classifier.engine.isa.rawValue), network threads \(threads ?? 1)")
        for p in passes {
            print(p.name.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: ": %6.0f frames/s, %5.1f× real time", p.framesPerSecond, p.realTime)
                  + (p.name == "decode only" ? "" : ", \(p.analysedFrames) analysed, \(p.faces) face id(s)"))
        }
        print(String(format: "memory              : peak RSS %.0f MB", peak))
    }
}

/// The CPU's model name, from /proc/cpuinfo.
func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let colon = line.firstIndex(of: ":") else { return "unknown CPU" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
}

/// The instruction sets that decide our speed (avx2, avx512f, avx512_bf16), as /proc/cpuinfo lists them.
func cpuFlags() -> [String] {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(line.split(separator: " ").map(String.init))
    return ["avx2", "avx512f", "avx512_bf16"].filter { flags.contains($0) }
}

/// Peak resident set size of this process so far.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024 // KiB on Linux
}
