import Dispatch

/// Throughput and latency of the engine on random data, for `ferdash bench`.
public struct EngineBenchmarkResult: Sendable, CustomStringConvertible {
    public var architecture: Architecture
    public var threads: Int
    public var batch: Int
    /// Training images per second (trainStep at `batch`, median step time).
    public var trainImagesPerSecond: Double
    /// Inference images per second (logits at `batch`, median call time).
    public var inferImagesPerSecond: Double
    /// Median time of one single-image `logits` call, milliseconds.
    public var latencyMs: Double
    /// The instruction set of our own kernels, and OpenBLAS's kernel family, in this run.
    public var isa: KernelISA
    public var blasCore: String

    public var description: String {
        let ms = (latencyMs * 1000).rounded() / 1000
        return "\(architecture.rawValue), \(threads) threads, batch \(batch): "
            + "train \(Int(trainImagesPerSecond.rounded())) img/s, "
            + "infer \(Int(inferImagesPerSecond.rounded())) img/s, latency \(ms) ms "
            + "(kernels \(isa.rawValue), OpenBLAS \(blasCore))"
    }
}

public enum EngineBenchmark {
    /// Times `steps` training steps and inference calls after two warm-up calls each, and
    /// reports medians (the machine is shared and noisy; the median ignores stragglers), on
    /// `engine`'s threads and kernel table.
    public static func run(architecture: Architecture = .seed, engine: Engine,
                           batch: Int = 128, steps: Int = 20, seed: UInt64 = 1) -> EngineBenchmarkResult {
        var rng = Xoshiro256(seed: seed)
        let images = (0..<(batch * ModelShape.pixels)).map { _ in Float(rng.nextUnit()) }
        let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(ModelShape.classes)) }
        let model = Classifier(architecture: architecture, seed: seed, engine: engine)
        let n = max(steps, 1)

        let train = images.withUnsafeBufferPointer { buf in
            median(warmup: 2, runs: n) { _ = model.trainStep(images: buf, labels: labels) }
        }
        let infer = images.withUnsafeBufferPointer { buf in
            median(warmup: 2, runs: n) { _ = model.logits(images: buf, count: batch) }
        }
        let single = images.withUnsafeBufferPointer { buf in
            let one = UnsafeBufferPointer(rebasing: buf[0..<ModelShape.pixels])
            return median(warmup: 20, runs: max(200, n * 10)) { _ = model.logits(images: one, count: 1) }
        }
        return EngineBenchmarkResult(architecture: architecture, threads: engine.threads, batch: batch,
                                     trainImagesPerSecond: Double(batch) / train,
                                     inferImagesPerSecond: Double(batch) / infer,
                                     latencyMs: single * 1000, isa: engine.isa, blasCore: Engine.blasCore)
    }

    /// Where a training step spends its time: per layer, mean milliseconds per step for
    /// forward and backward, plus the rest (loss, L2, Adam) as "optimizer", on `engine`'s
    /// profiling clock.
    public static func profile(architecture: Architecture = .seed, engine: Engine,
                               batch: Int = 128, steps: Int = 10) -> [(layer: String, forwardMs: Double, backwardMs: Double)] {
        var rng = Xoshiro256(seed: 1)
        let images = (0..<(batch * ModelShape.pixels)).map { _ in Float(rng.nextUnit()) }
        let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(ModelShape.classes)) }
        let model = Classifier(architecture: architecture, seed: 1, engine: engine)
        let net = model.network
        var total = 0.0
        images.withUnsafeBufferPointer { buf in
            for _ in 0..<2 { _ = model.trainStep(images: buf, labels: labels) }
            net.profile = net.layers.map { _ in (0, 0) }
            let t0 = engine.clock()
            for _ in 0..<steps { _ = model.trainStep(images: buf, labels: labels) }
            total = Double(engine.clock() - t0) / 1e9
        }
        return rows(net, total: total, scale: 1000 / Double(steps), rest: "optimizer")
    }

    /// Where a prediction of `batch` images spends its time: per layer, mean microseconds per
    /// call (the forward column), plus the rest (copies, softmax, dispatch) as "other", on
    /// `engine`'s profiling clock like `profile`.
    public static func profileInference(architecture: Architecture = .seed, engine: Engine,
                                        batch: Int = 1, calls: Int = 500) -> [(layer: String, forwardMs: Double, backwardMs: Double)] {
        var rng = Xoshiro256(seed: 1)
        let images = (0..<(batch * ModelShape.pixels)).map { _ in Float(rng.nextUnit()) }
        let model = Classifier(architecture: architecture, seed: 1, engine: engine)
        let net = model.network
        var total = 0.0
        images.withUnsafeBufferPointer { buf in
            for _ in 0..<min(20, calls) { _ = model.logits(images: buf, count: batch) }
            net.profile = net.layers.map { _ in (0, 0) }
            let t0 = engine.clock()
            for _ in 0..<calls { _ = model.logits(images: buf, count: batch) }
            total = Double(engine.clock() - t0) / 1e9
        }
        return rows(net, total: total, scale: 1e6 / Double(calls), rest: "other")
    }

    /// The network's per-layer profile, scaled, plus the unprofiled rest; switches profiling off.
    private static func rows(_ net: Network, total: Double, scale: Double,
                             rest: String) -> [(layer: String, forwardMs: Double, backwardMs: Double)] {
        let p = net.profile!
        net.profile = nil
        var rows = zip(net.layers, p).map { (layer: $0.name, forwardMs: $1.forward * scale, backwardMs: $1.backward * scale) }
        let layers = p.reduce(0) { $0 + $1.forward + $1.backward }
        rows.append(rest == "optimizer" ? (layer: rest, forwardMs: 0, backwardMs: (total - layers) * scale)
                                        : (layer: rest, forwardMs: (total - layers) * scale, backwardMs: 0))
        return rows
    }

    /// Median wall time of `body` in seconds.
    static func median(warmup: Int, runs: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        times.reserveCapacity(runs)
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }
}
