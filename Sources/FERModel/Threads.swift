import CBLAS

// How the engine cuts work into slices, and its sgemm wrapper (`Engine` runs the slices).

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

/// `workItems` for a pass's workers.
@inline(__always)
func workItems(workers: Workers, units: Int, grain: Int = 1) -> Int {
    workItems(workers: workers.count, units: units, grain: grain)
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
