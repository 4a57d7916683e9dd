import ArgumentParser
import FaceDetection
import FERData
import FERModel
import Foundation

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

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also print where a training step, a batch-128 and a batch-1 prediction spend their time, per layer (thread CPU time with --threads 1).")
    var profile = false

    func run() throws {
        let threadCount = threads ?? defaultThreads()
        if profile {
            let rows = EngineBenchmark.profile(architecture: arch, threads: threadCount, batch: 128, steps: max(2, steps / 3))
            print("layer               forward ms  backward ms")
            for row in rows {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "%10.1f %12.1f", row.forwardMs, row.backwardMs))
            }
            print("\nlayer               infer ms (batch 128)")
            for row in EngineBenchmark.profileInference(architecture: arch, threads: threadCount, batch: 128,
                                                        calls: max(2, steps / 3)) where row.forwardMs >= 50 {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%10.1f", row.forwardMs / 1000))
            }
            print("\nlayer               batch-1 µs")
            for row in EngineBenchmark.profileInference(architecture: arch, threads: threadCount) where row.forwardMs >= 0.05 {
                print(row.layer.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%10.1f", row.forwardMs))
            }
        }
        let result = EngineBenchmark.run(architecture: arch, threads: threadCount, batch: 128, steps: steps)
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

/// Peak resident set size of this process so far.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024 // KiB on Linux
}
