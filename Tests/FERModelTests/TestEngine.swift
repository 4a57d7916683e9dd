@testable import FERModel

// The engine the tests compute on: two threads (the target machine's cores) and the kernel
// table FERDASH_ISA names, else the fastest, as the CLI would pick. Tests that compare thread
// counts or tables make engines of their own.
extension Engine {
    static let testing = Engine(threads: 2)
}

extension KernelISA {
    /// The testing engine's table, for layers built on their own.
    static var testing: KernelISA { Engine.testing.isa }
}

extension Workers {
    /// Slices planned for `count` threads, run on the testing engine.
    static func testing(_ count: Int) -> Workers { Workers(count: count, engine: .testing) }
}

extension PassContext {
    /// A pass planned for `workers` threads on the testing engine.
    init(training: Bool, workers: Int, rng: Xoshiro256) {
        self.init(training: training, workers: .testing(workers), rng: rng)
    }
}
