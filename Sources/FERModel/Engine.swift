import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// What a model computes with: how many threads, which kernel table, which profiling clock, and
/// the helper threads and scratch memory that go with them. The caller makes one and hands it
/// to every `Classifier` that should run that way; two engines share nothing mutable, so models
/// with different settings run side by side in one process, at the same time.
///
/// Results depend only on the seed and `threads`: work is cut into fixed slices for that many
/// threads (see `workItems`), never by which thread ran what. An engine may be shared by
/// several classifiers; their parallel regions then take turns for the helpers (a region that
/// finds them busy runs on GCD's threads instead, with the same slices).
public final class Engine: Sendable {
    /// Threads a pass splits its work over (the caller's and `threads − 1` helpers).
    public let threads: Int
    /// The kernel table the layers of this engine's networks are built with.
    public let isa: KernelISA
    /// The clock `EngineBenchmark`'s per-layer profiles read.
    public let profileClock: ProfileClock

    /// The helpers behind `parallelFor`; they exit when the engine goes away.
    let pool: WorkerPool
    /// Winograd working memory, shared by every Winograd convolution run on this engine: layers
    /// and passes run one after another, so only as many sets exist as slices ever ran at once,
    /// each grown to the largest chunk, rather than one pool per convolution (vgg7 has twelve:
    /// forward, data gradient and folded inference of four layers, 14 MB of scratch with
    /// F(4×4) tiles).
    let winogradScratch = ScratchPool<WinogradConv3x3.Scratch>()
    /// Winograd weight-gradient partial sums, one set per backward in flight (see
    /// `WinogradConv3x3.weightGradient`).
    let winogradPartials = ScratchPool<WinogradConv3x3.Partials>()

    /// `threads` below 1 counts as 1. `isa` defaults to what FERDASH_ISA asks for (else the
    /// fastest table); `profileClock` to this thread's CPU time on one thread, wall time otherwise.
    public init(threads: Int, isa: KernelISA = KernelISA.fromEnvironment.isa, profileClock: ProfileClock? = nil) {
        self.threads = max(1, threads)
        self.isa = isa
        self.profileClock = profileClock ?? (threads <= 1 ? .threadCPU : .wall)
        pool = WorkerPool()
        _ = Self.singleThreadedBLAS
    }

    deinit { pool.stop() }

    /// Threads this machine has online.
    public static var processorCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// OpenBLAS runs every GEMM on the calling thread: the engine splits work itself, into
    /// fixed contiguous slices of the batch (or of a layer's output columns), each calling
    /// single-threaded sgemm. On the 2-core target, back to back in a quiet moment: 1493
    /// training img/s and 5137 inference img/s this way, against 1067 and 3071 for one worker
    /// driving a 2-thread OpenBLAS; batch-1 latency was a wash (0.47 vs 0.45 ms). Our split
    /// also parallelises the im2col and pooling work, and OpenBLAS's thread hand-off does not
    /// pay for itself on these mid-sized GEMMs. Set once, when the first engine is made.
    private static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

    /// The kernel family OpenBLAS chose at run time for this CPU (e.g. "Cooperlake", "Haswell";
    /// `OPENBLAS_CORETYPE` overrides it).
    public static var blasCore: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// Slices planned for all of this engine's threads: what a classifier's passes use.
    var workers: Workers { Workers(count: threads, engine: self) }

    /// Runs `body(0..<n)` on up to n threads (the caller and the pool's helpers); inline when
    /// there is one piece so the common single-slice path pays no hand-off at all.
    @inline(__always)
    func parallelFor(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 {
            if n == 1 { body(0) }
        } else if !pool.run(n, threads: min(n, threads), body) {
            // Another thread's region is in flight on this engine (or this one nests inside it).
            withoutActuallyEscaping(body) { body in
                let slices = SliceBody(run: body)
                DispatchQueue.concurrentPerform(iterations: n) { slices.run($0) }
            }
        }
    }

    /// Now on the profiling clock, in nanoseconds.
    func clock() -> UInt64 {
        guard profileClock == .threadCPU else { return DispatchTime.now().uptimeNanoseconds }
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// A parallel region's body, for GCD's threads. Slices write disjoint memory (the same contract
/// the pool's helpers rely on), and the body does not outlive `concurrentPerform`.
private struct SliceBody: @unchecked Sendable { // unchecked: slices write disjoint memory; the body ends with the region
    let run: (Int) -> Void
}

/// Which clock a per-layer profile reads.
public enum ProfileClock: Sendable, Equatable {
    /// Wall time: counts the helpers' share of a parallel region.
    case wall
    /// This thread's CPU time, which other processes on a shared machine cannot inflate; right
    /// only when everything runs on the profiling thread (one thread).
    case threadCPU
}

/// How one pass splits its work: slices planned for `count` threads (the results depend on
/// this number only), run by `engine`'s threads. Tests plan for other counts than the engine's
/// to check that the slicing, not the threads, decides the bits.
struct Workers {
    let count: Int
    let engine: Engine

    @inline(__always)
    func parallelFor(_ n: Int, _ body: (Int) -> Void) { engine.parallelFor(n, body) }
}
