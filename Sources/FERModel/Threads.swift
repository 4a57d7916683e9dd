import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Threads for BLAS and the element-wise kernels (deterministic for a given count).
///
/// Work is split by the engine itself into fixed, contiguous slices of the batch (or of a
/// layer's output columns), up to 4 per thread (see `workItems`), each calling
/// single-threaded sgemm. On the 2-core
/// target, back to back in a quiet moment: 1493 training img/s and 5137 inference img/s this
/// way, against 1067 and 3071 for one worker driving a 2-thread OpenBLAS
/// (`Strategy.blasThreads`); batch-1 latency was a wash (0.47 vs 0.45 ms). Our split also
/// parallelises the im2col and pooling work, and OpenBLAS's thread hand-off does not pay for
/// itself on these mid-sized GEMMs. Fixed slices also make every reduction happen in the same
/// order, so results depend only on the seed and the thread count.
public enum ComputeThreads {
    nonisolated(unsafe) private static var configured = 0
    private static let lock = PthreadLock()

    public static func set(_ count: Int) {
        lock.locked {
            configured = max(1, count)
            applyBLAS()
        }
    }

    public static var count: Int {
        lock.locked {
            if configured == 0 {
                configured = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
                applyBLAS()
            }
            return configured
        }
    }

    /// How a layer spreads work: either our own workers with single-threaded BLAS, or one
    /// worker and BLAS's own threads. Internal so the benchmark can compare both.
    enum Strategy { case splitWork, blasThreads }
    nonisolated(unsafe) static var strategy: Strategy = .splitWork {
        didSet { lock.locked { applyBLAS() } }
    }

    /// Workers the kernels should split into.
    static var workers: Int { strategy == .splitWork ? count : 1 }

    /// The kernel family OpenBLAS chose at run time for this CPU (e.g. "Cooperlake", "Haswell";
    /// `OPENBLAS_CORETYPE` overrides it).
    public static var blasCore: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    private static func applyBLAS() {
        openblas_set_num_threads(Int32(strategy == .splitWork ? 1 : max(configured, 1)))
    }
}

/// A tiny mutex (Foundation-free: the engine links nothing it does not need). The pthread
/// mutex lives in its own allocation because its address must never change.
final class PthreadLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// Runs `body(0..<n)` on up to n threads (the caller and WorkerPool's helpers); inline when
/// there is one piece so the common single-worker path pays no hand-off at all.
@inline(__always)
func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    if n <= 1 {
        if n == 1 { body(0) }
    } else if !WorkerPool.shared.run(n, threads: min(n, ComputeThreads.count), body) {
        // Another thread's region is in flight (or this is one nested inside it).
        DispatchQueue.concurrentPerform(iterations: n, execute: body)
    }
}

/// How many fixed slices to cut `units` of work into for `workers` threads. Up to 4 per thread,
/// handed out dynamically by GCD: on a shared machine a thread that loses its core to another
/// process then holds up only its current slice, not half the batch. Slices never go below
/// `grain` units (small GEMMs lose efficiency) unless that would leave threads idle. Partial
/// results are kept per slice and summed in slice order, so they depend only on the thread
/// count, never on which thread ran which slice.
func workItems(workers: Int, units: Int, grain: Int = 1) -> Int {
    guard workers > 1, units > 1 else { return 1 }
    let byGrain = units / max(1, grain)
    return min(units, max(workers, min(4 * workers, byGrain)))
}

/// The i-th of `parts` near-equal contiguous slices of 0..<total.
@inline(__always)
func slice(_ total: Int, parts: Int, index: Int) -> Range<Int> {
    let base = total / parts, extra = total % parts
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}

/// Row-major sgemm: C = alpha·op(A)·op(B) + beta·C with op(A) m×k and op(B) k×n.
@inline(__always)
func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
          alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        // BLAS leaves C scaled by beta; keep that meaning explicit for empty reductions.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
