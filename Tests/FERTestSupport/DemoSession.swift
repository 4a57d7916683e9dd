import Foundation
import FERData
import FERTraining
import Synchronization

/// A stand-in training session that emits realistic, seeded events without a network, so the
/// dashboard's tests can drive the reducer from a live event stream in milliseconds.
public final class DemoSession: Sendable {
    private typealias Request = (pixels: [UInt8], tag: Int, saliency: Bool)
    /// What the UI asks of the session, read by its thread between steps.
    private struct Control {
        var paused = false
        var stopped = false
        var closed = false
        var saveRequested = false
        var predictions: [Request] = []
    }
    private let control = Mutex(Control())
    private let sink: @Sendable (TrainingEvent) -> Void
    public let info: SessionInfo
    public let stepDelay: Double
    public let evalEvery: Int
    /// Seeds the losses and the evaluations' mistakes, so a run repeats exactly.
    public let seed: UInt64

    public init(info: SessionInfo, stepDelay: Double = 0.02, evalEvery: Int = 50, seed: UInt64 = 1,
                sink: @escaping @Sendable (TrainingEvent) -> Void) {
        self.info = info
        self.sink = sink
        self.stepDelay = stepDelay
        self.evalEvery = evalEvery
        self.seed = seed
    }

    public func pause() { control.withLock { $0.paused = true } }
    public func resume() { control.withLock { $0.paused = false } }
    public func stop() { control.withLock { $0.stopped = true } }
    public func saveCheckpointNow() { control.withLock { $0.saveRequested = true } }
    /// Ends the background thread (after `finished` it keeps answering predictions until closed).
    public func close() { control.withLock { $0.closed = true; $0.stopped = true } }
    public func requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool) {
        control.withLock { $0.predictions.append((pixels, tag, saliency)) }
    }

    /// Answers one request: fake probabilities and, when asked, a fake saliency map (the
    /// image's brightness: the demo has no network to explain).
    private func answer(_ q: Request, step: Int, total: Int) {
        let p = Self.fakeProbabilities(q.pixels, step: step, total: total)
        sink(.prediction(tag: q.tag, probabilities: p))
        if q.saliency {
            let top = Float(max(1, q.pixels.max() ?? 1))
            sink(.saliency(tag: q.tag, classIndex: p.indices.max { p[$0] < p[$1] }!, map: q.pixels.map { Float($0) / top }))
        }
    }

    /// Deterministic fake probabilities that sharpen as training proceeds.
    public static func fakeProbabilities(_ pixels: [UInt8], step: Int, total: Int) -> [Float] {
        var h: UInt64 = 1469598103934665603
        for p in pixels.prefix(256) { h = (h ^ UInt64(p)) &* 1099511628211 }
        let sharp = 0.5 + 4 * Double(step) / Double(max(1, total))
        let logits = (0..<7).map { c -> Double in Double((h >> (UInt64(c) * 8)) & 0xff) / 255 * sharp }
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let z = e.reduce(0, +)
        return e.map { Float($0 / z) }
    }

    public func start(validationLabels: [Int8]) {
        let info = self.info
        Thread.detachNewThread { [self] in
            sink(.started(info))
            var rng = SplitMix64(seed: seed)
            var step = info.firstStep
            var wasPaused = false
            let t0 = Date()
            var pausedTime = 0.0
            while step < info.totalSteps {
                let (p, st, save, preds) = control.withLock { c in
                    defer { c.saveRequested = false; c.predictions.removeAll() }
                    return (c.paused, c.stopped, c.saveRequested, c.predictions)
                }
                for q in preds { answer(q, step: step, total: info.totalSteps) }
                if save { sink(.checkpointSaved(CheckpointReport(step: step, path: info.runDirectory + "/checkpoint.bin", isBest: false))) }
                if st { break }
                if p {
                    if !wasPaused { sink(.paused(step: step)); wasPaused = true }
                    Thread.sleep(forTimeInterval: 0.02); pausedTime += 0.02
                    continue
                }
                if wasPaused { sink(.resumed(step: step)); wasPaused = false }
                Thread.sleep(forTimeInterval: stepDelay)
                step += 1
                let elapsed = Date().timeIntervalSince(t0) - pausedTime
                let base = 1.95 * exp(-Double(step) / Double(info.totalSteps) * 2) + 0.4
                let loss = Float(base + Double.random(in: -0.25...0.25, using: &rng))
                sink(.step(StepReport(step: step, epoch: Double(step) / Double(info.stepsPerEpoch), loss: loss,
                                      learningRate: 1e-3, imagesPerSecond: Double(info.batchSize) / stepDelay, elapsed: elapsed)))
                if step % evalEvery == 0 || step == info.totalSteps {
                    let acc = min(0.9, 0.15 + Double(step) / Double(info.totalSteps) * 0.6)
                    var cm = ConfusionMatrix()
                    var wrong: [Int] = []
                    var predicted = [Int8](repeating: 0, count: validationLabels.count)
                    for (i, l) in validationLabels.enumerated() where l >= 0 {
                        let ok = Double.random(in: 0..<1, using: &rng) < acc
                        let pred = ok ? Int(l) : (Int(l) + Int.random(in: 1..<7, using: &rng)) % 7
                        cm.add(truth: Int(l), predicted: pred)
                        if !ok { wrong.append(i) }
                        predicted[i] = Int8(pred)
                    }
                    sink(.evaluated(EvaluationReport(step: step, validationLoss: Float(base * 1.1), confusion: cm, misclassified: wrong, predicted: predicted)))
                }
            }
            sink(.checkpointSaved(CheckpointReport(step: step, path: info.runDirectory + "/checkpoint.bin", isBest: false)))
            let early = control.withLock { $0.stopped }
            sink(.finished(FinishReport(step: step, elapsed: Date().timeIntervalSince(t0), stoppedEarly: early)))
            // Keep answering predictions after finishing, as the real session does.
            while true {
                let (preds, done) = control.withLock { c in
                    defer { c.predictions.removeAll() }
                    return (c.predictions, c.closed)
                }
                if done { return }
                for q in preds { answer(q, step: step, total: info.totalSteps) }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// A hand-made dataset of simple drawn faces (not meant to be learnable, only to look like faces).
    public static func demoDataset(train: Int = 300, validation: Int = 70, test: Int = 70, seed: UInt64 = 7) -> Dataset {
        var state = seed &+ 0x9E3779B97F4A7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        func make(_ n: Int) -> ImageSet {
            var px = [UInt8](), labels = [Int8]()
            for _ in 0..<n {
                let label = Int(next() % 7)
                let smile = Double(label) / 3 - 1
                let eyeY = 17 + Double(next() % 3)
                for y in 0..<48 {
                    for x in 0..<48 {
                        let dx = Double(x) - 24, dy = Double(y) - 24
                        var v = (dx * dx / 400 + dy * dy / 520) < 1 ? 170.0 : 40.0
                        for ex in [16.0, 32.0] where (Double(x) - ex) * (Double(x) - ex) + (Double(y) - eyeY) * (Double(y) - eyeY) < 8 { v = 20 }
                        let mouth = 33 + smile * (dx * dx / 60 - 2)
                        if abs(Double(y) - mouth) < 1.2 && abs(dx) < 9 { v = 30 }
                        v += Double(next() % 30) - 15
                        px.append(UInt8(max(0, min(255, v))))
                    }
                }
                labels.append(Int8(label))
            }
            return ImageSet(pixels: px, labels: labels)
        }
        return Dataset(name: "demo", train: make(train), validation: make(validation), test: make(test))
    }
}
