import Dispatch
import Synchronization
import XCTest
@testable import FERModel

/// The engine is a value a classifier is given, not process state: models with different
/// thread counts and kernel tables run side by side, each as it would alone.
final class EngineTests: XCTestCase {
    /// Three training steps and an inference batch of vgg7 (Winograd, batch norm, the folded
    /// inference: every path that takes the kernel table, the threads or the scratch).
    private static func trainAndPredict(on engine: Engine) -> [Float] {
        let batch = 8
        var rng = Xoshiro256(seed: 91)
        let x = (0..<(batch * ModelShape.pixels)).map { _ in Float(rng.nextUnit()) }
        let labels = (0..<batch).map { Int32($0 % ModelShape.classes) }
        let c = Classifier(architecture: .vgg7, hyperparameters: .init(learningRate: 2e-3, l2: 0), seed: 92, engine: engine)
        return x.withUnsafeBufferPointer { xb in
            (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } + c.logits(images: xb, count: batch)
        }
    }

    func testTwoEnginesAtOnceGiveWhatEachGivesAlone() {
        let configurations: [(threads: Int, isa: KernelISA)] = [(1, .portable), (2, KernelISA.best)]
        let alone = configurations.map { Self.trainAndPredict(on: Engine(threads: $0.threads, isa: $0.isa)) }
        let together = Mutex<[Int: [Float]]>([:])
        // Both at the same time, each on its own thread and its own engine, twice over so the
        // two runs overlap for certain at some point.
        for _ in 0..<2 {
            DispatchQueue.concurrentPerform(iterations: configurations.count) { i in
                let c = configurations[i]
                let result = Self.trainAndPredict(on: Engine(threads: c.threads, isa: c.isa))
                together.withLock { $0[i] = result }
            }
            for i in configurations.indices {
                let c = configurations[i]
                XCTAssertEqual(together.withLock { $0[i] }, alone[i], "\(c.threads) thread(s), \(c.isa.rawValue)")
            }
        }
        // Different thread counts slice differently: the two really are different configurations.
        XCTAssertNotEqual(alone[0], alone[1])
    }

    /// One engine shared by two classifiers used at once: their regions take turns for the
    /// helpers (or fall back to GCD), and each still computes its own bits.
    func testClassifiersSharingAnEngineAtOnceGiveTheirSoloBits() {
        let engine = Engine(threads: 2)
        let alone = Self.trainAndPredict(on: engine)
        let results = Mutex<[[Float]]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let result = Self.trainAndPredict(on: engine)
            results.withLock { $0.append(result) }
        }
        XCTAssertEqual(results.withLock { $0 }, [alone, alone])
    }

    func testSettingsAndDefaults() {
        XCTAssertEqual(Engine(threads: 0).threads, 1)
        XCTAssertEqual(Engine(threads: 3).threads, 3)
        XCTAssertEqual(Engine(threads: 1).isa, KernelISA.fromEnvironment.isa)
        XCTAssertEqual(Engine(threads: 1, isa: .portable).isa, .portable)
        // One thread profiles on its own CPU time; more, on the wall clock (helpers' time counts).
        XCTAssertEqual(Engine(threads: 1).profileClock, .threadCPU)
        XCTAssertEqual(Engine(threads: 2).profileClock, .wall)
        XCTAssertEqual(Engine(threads: 1, profileClock: .wall).profileClock, .wall)
        XCTAssertGreaterThanOrEqual(Engine.processorCount, 1)
        let c = Classifier(architecture: .seed, seed: 1, engine: Engine(threads: 1, isa: .portable))
        XCTAssertEqual(c.engine.threads, 1)
        XCTAssertEqual(c.engine.isa, .portable)
    }

    /// Winograd scratch belongs to the engine that ran the convolution, never to another.
    func testScratchStaysWithItsEngine() {
        let used = Engine(threads: 2), idle = Engine(threads: 2)
        _ = Self.trainAndPredict(on: used)
        XCTAssertGreaterThan(used.winogradScratch.count, 0)
        XCTAssertGreaterThan(used.winogradPartials.count, 0)
        XCTAssertEqual(idle.winogradScratch.count, 0)
        XCTAssertEqual(idle.winogradPartials.count, 0)
    }

    /// An engine's helper threads end with it: they let go of its pool, which then goes away.
    func testHelpersExitWithTheirEngine() throws {
        weak var pool: WorkerPool?
        do {
            let engine = Engine(threads: 2)
            engine.parallelFor(8) { _ in usleep(100) }   // starts the helper
            pool = engine.pool
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while pool != nil && DispatchTime.now().uptimeNanoseconds < deadline { usleep(1_000) }
        XCTAssertNil(pool, "the helper still holds the pool of a released engine")
    }
}
