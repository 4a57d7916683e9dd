import ArgumentParser
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

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Also print where a training step spends its time, per layer.")
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
        }
        let result = EngineBenchmark.run(architecture: arch, threads: threadCount, batch: 128, steps: steps)
        let peak = peakResidentMegabytes()
        if json {
            print(JSON.object([
                ("arch", .string(arch.rawValue)), ("threads", .int(threadCount)),
                ("train_images_per_s", .number(result.trainImagesPerSecond)),
                ("infer_images_per_s", .number(result.inferImagesPerSecond)),
                ("latency_ms", .number(result.latencyMs)), ("peak_rss_mb", .number(peak)),
            ]).text)
            return
        }
        print("ferdash bench: \(arch.rawValue) network, \(threadCount) thread(s), batch 128")
        print(String(format: "train  : %.0f images/s", result.trainImagesPerSecond))
        print(String(format: "infer  : %.0f images/s", result.inferImagesPerSecond))
        print(String(format: "latency: %.3f ms (batch 1)", result.latencyMs))
        print(String(format: "memory : peak RSS %.0f MB", peak))
    }
}

/// Peak resident set size of this process so far.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024 // KiB on Linux
}
