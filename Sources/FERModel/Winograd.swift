// Winograd F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016) for 3×3 SAME convolutions.
//
// Each 2×2 block of outputs comes from a 4×4 input tile. Transformed into the Winograd domain,
// the 3×3 filter and the tile meet in 16 element-wise products instead of 36 multiply-adds, and
// summed over input channels those products are 16 independent GEMMs:
//
//   U[ξ][Cin][Cout]  = G g Gᵀ          the filters, once per pass
//   V[ξ][tile][Cin]  = Bᵀ d B          the input tiles
//   M[ξ][tile][Cout] = V[ξ] · U[ξ]      16 sgemm calls, ξ = 0…15
//   y (2×2)          = Aᵀ m A + bias    the output transform
//
// That is 2.25× fewer GEMM flops than im2col, and the patch matrix (9·Cin per position) is
// replaced by V (4·Cin per position). The output tile is exactly a 2×2 pooling window, so the
// fused conv + ReLU + pool layer pools straight out of the output transform.
//
// Backward (Conv2D): the data gradient is this forward on a transposed geometry (dy in, the
// filters rotated by 180° with in/out swapped); the weight gradient is the forward's adjoint
// (`weightGradient`). ConvReLUPool (the seed) keeps im2col for its backward. Tiles run in chunks
// of whole tile rows ("pairs" of conv rows, flattened over the batch like ConvReLUPool's work).
// The transforms vectorise over channels in SIMD8 lanes, hence channels must be multiples of 8.

final class WinogradConv3x3 {
    let geometry: ConvGeometry
    /// Tile rows per chunk: V and M of one chunk should stay near the core's L2.
    let tileRowsPerChunk: Int
    private let filters: FloatBuffer

    /// Where the output transform writes.
    enum Epilogue {
        /// conv + bias, NHWC (the output of the whole pass starts at the pointer).
        case plain(UnsafeMutablePointer<Float>)
        /// ReLU(conv + bias), NHWC: folded conv + batch norm + ReLU for inference.
        case relu(UnsafeMutablePointer<Float>)
        /// ReLU(max over each 2×2 tile + bias), and the winner 0…3 per value when `arg` is set.
        case reluPool(UnsafeMutablePointer<Float>, arg: UnsafeMutablePointer<UInt8>?)
    }

    final class Scratch {
        let strip: FloatBuffer   // 4 zero-padded input rows of one tile row
        let v: FloatBuffer
        let m: FloatBuffer
        let quad: FloatBuffer    // one tile's 2×2 outputs before pooling
        init(tiles: Int, g: ConvGeometry) {
            strip = FloatBuffer(4 * (g.input.width + 2) * g.input.channels)
            v = FloatBuffer(16 * tiles * g.input.channels)
            m = FloatBuffer(16 * tiles * g.outChannels)
            quad = FloatBuffer(4 * g.outChannels)
        }
    }
    private var pool: [Scratch] = []
    private let poolLock = PthreadLock()
    /// [dU; db] partial sums, one per work slice of the last weight gradient.
    private var partials: [FloatBuffer] = []

    /// The filter transform G (4×3).
    static let G: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]

    static func supports(_ g: ConvGeometry) -> Bool {
        g.kernel == 3 && g.input.height % 2 == 0 && g.input.width % 2 == 0
            && g.input.channels % 8 == 0 && g.outChannels % 8 == 0
    }

    /// `chunkTiles`: tiles per chunk. Measured on the 2-core target for the seed's conv2 (one
    /// thread, batch 128, forward ms): 12–36 tiles 16–18 ms, 48 and more 21 ms (V and M of a
    /// chunk leave L1/L2), against 33 ms for im2col.
    init(_ geometry: ConvGeometry, chunkTiles: Int = 24) {
        precondition(Self.supports(geometry))
        self.geometry = geometry
        tileRowsPerChunk = max(1, chunkTiles / (geometry.input.width / 2))
        filters = FloatBuffer(16 * geometry.input.channels * geometry.outChannels)
    }

    private var tilesPerRow: Int { geometry.input.width / 2 }

    func withScratch<T>(_ body: (Scratch) -> T) -> T {
        let s = poolLock.locked { pool.popLast() }
            ?? Scratch(tiles: tileRowsPerChunk * tilesPerRow, g: geometry)
        defer { poolLock.locked { pool.append(s) } }
        return body(s)
    }

    /// U = G g Gᵀ for every (Cin, Cout) pair, from HWIO weights. Call before each pass.
    ///
    /// Each of the 16 planes of U is a fixed combination of the 9 weight planes,
    /// U[r][j] = Σ G[r][ky]·G[j][kx]·g[ky][kx], written one plane at a time: one store stream
    /// per loop, so it vectorises. (Per (Cin, Cout) pair with 16 scattered stores it took
    /// 0.1 ms for the seed's conv2, half of that layer's batch-1 time.)
    func refresh(weights w: UnsafePointer<Float>) {
        let plane = geometry.input.channels * geometry.outChannels
        let G = Self.G
        for r in 0..<4 {
            for j in 0..<4 {
                let u = filters.pointer + (r * 4 + j) * plane
                u.update(repeating: 0, count: plane)
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let coefficient = G[r][ky] * G[j][kx]
                        guard coefficient != 0 else { continue }
                        let g = w + (ky * 3 + kx) * plane
                        for i in 0..<plane { u[i] += coefficient * g[i] }
                    }
                }
            }
        }
    }

    /// A whole pass over `tileRows` tile rows (flattened image·H/2 + tile row): refreshes the
    /// filters from `weights` (nil: keep the last ones, as folded inference does), then splits
    /// the rows over the workers like the layers' im2col paths do.
    func run(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>?, bias: UnsafePointer<Float>,
             tileRows: Int, workers: Int, _ epilogue: Epilogue) {
        if let weights { refresh(weights: weights) }
        let parts = workItems(workers: workers, units: tileRows, grain: geometry.input.height / 2)
        parallelFor(parts) { w in
            withScratch { forward(x, bias: bias, rows: slice(tileRows, parts: parts, index: w), $0, epilogue) }
        }
    }

    /// Computes the tile rows `rows` (flattened image·H/2 + tile row) of the conv of `x`.
    func forward(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Range<Int>, _ s: Scratch,
                 _ epilogue: Epilogue) {
        var r = rows.lowerBound
        while r < rows.upperBound {
            let n = min(tileRowsPerChunk, rows.upperBound - r)
            let tiles = n * tilesPerRow
            for k in 0..<n { transformInput(x, tileRow: r + k, s, firstTile: k * tilesPerRow, tiles: tiles) }
            let ci = geometry.input.channels, co = geometry.outChannels
            for xi in 0..<16 {
                gemm(m: tiles, n: co, k: ci, a: s.v.pointer + xi * tiles * ci, lda: ci,
                     b: filters.pointer + xi * ci * co, ldb: co, beta: 0, c: s.m.pointer + xi * tiles * co, ldc: co)
            }
            transformOutput(s.m.pointer, bias: bias, firstRow: r, tiles: tiles, quad: s.quad.pointer, epilogue)
            r += n
        }
    }

    /// The weight gradient of the pass that `forward` computes: for x and dL/dy over all
    /// `tileRows` tile rows, writes dL/dW (HWIO) into `weightGrad` and dL/db into `biasGrad`.
    ///
    /// The adjoint of each forward step, in reverse: dM = A dy Aᵀ per tile (4×4 from the 2×2
    /// output gradient), dU[ξ] = V[ξ]ᵀ · dM[ξ] summed over tiles (16 GEMMs per chunk, into one
    /// partial per work slice), then dW = Gᵀ dU G. Slices are summed in slice order, so the
    /// result depends only on the worker count.
    func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, tileRows: Int, workers: Int,
                        weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>) {
        let ci = geometry.input.channels, co = geometry.outChannels, plane = ci * co
        let parts = workItems(workers: workers, units: tileRows, grain: geometry.input.height / 2)
        let stride = 16 * plane + co
        while partials.count < parts { partials.append(FloatBuffer(stride)) }
        let partials = self.partials
        parallelFor(parts) { w in
            withScratch { s in
                let dU = partials[w].pointer, db = dU + 16 * plane
                dU.update(repeating: 0, count: stride)
                let rows = slice(tileRows, parts: parts, index: w)
                var r = rows.lowerBound
                while r < rows.upperBound {
                    let n = min(tileRowsPerChunk, rows.upperBound - r)
                    let tiles = n * tilesPerRow
                    for k in 0..<n { transformInput(x, tileRow: r + k, s, firstTile: k * tilesPerRow, tiles: tiles) }
                    transformOutputGradient(dy, firstRow: r, tiles: tiles, into: s.m.pointer, biasGrad: db)
                    for xi in 0..<16 {
                        gemm(transA: true, m: ci, n: co, k: tiles, a: s.v.pointer + xi * tiles * ci, lda: ci,
                             b: s.m.pointer + xi * tiles * co, ldb: co, beta: 1, c: dU + xi * plane, ldc: co)
                    }
                    r += n
                }
            }
        }
        let total = partials[0].pointer
        for w in 1..<max(parts, 1) {
            let p = partials[w].pointer
            for i in 0..<stride { total[i] += p[i] }
        }
        // dW[ky][kx] = Σ_{r,j} G[r][ky]·G[j][kx]·dU[r][j], one weight plane at a time.
        for ky in 0..<3 {
            for kx in 0..<3 {
                let g = weightGrad + (ky * 3 + kx) * plane
                g.update(repeating: 0, count: plane)
                for r in 0..<4 {
                    for j in 0..<4 {
                        let coefficient = Self.G[r][ky] * Self.G[j][kx]
                        guard coefficient != 0 else { continue }
                        let u = UnsafePointer(total + (r * 4 + j) * plane)
                        for i in 0..<plane { g[i] += coefficient * u[i] }
                    }
                }
            }
        }
        biasGrad.update(from: total + 16 * plane, count: co)
    }

    /// dM = A dy Aᵀ for the tiles of a chunk (the adjoint of `transformOutput`), and adds the
    /// tiles' output gradients into `biasGrad`.
    private func transformOutputGradient(_ dy: UnsafePointer<Float>, firstRow: Int, tiles: Int,
                                         into m: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>) {
        let W = geometry.input.width, C = geometry.outChannels, half = W / 2
        let plane = tiles * C
        for t in 0..<tiles {
            let p = firstRow + t / half, tx = t % half
            let d00 = dy + (2 * p * W + 2 * tx) * C, d01 = d00 + C, d10 = d00 + W * C, d11 = d10 + C
            let base = m + t * C
            var c = 0
            while c < C {
                let a = load(d00 + c), b = load(d01 + c), e = load(d10 + c), f = load(d11 + c)
                // Rows of A dy: (a, b), (a + e, b + f), (a − e, b − f), (−e, −f); then each row times Aᵀ.
                @inline(__always) func row(_ i: Int, _ u: S, _ v: S) {
                    let o = base + 4 * i * plane + c
                    store(u, o); store(u + v, o + plane); store(u - v, o + 2 * plane); store(-v, o + 3 * plane)
                }
                row(0, a, b); row(1, a + e, b + f); row(2, a - e, b - f); row(3, -e, -f)
                store(load(biasGrad + c) + ((a + b) + (e + f)), biasGrad + c)
                c += 8
            }
        }
    }

    /// V = Bᵀ d B for the tiles of one tile row, written at tile slots firstTile… of the chunk.
    private func transformInput(_ x: UnsafePointer<Float>, tileRow p: Int, _ s: Scratch, firstTile: Int, tiles: Int) {
        let H = geometry.input.height, W = geometry.input.width, C = geometry.input.channels
        let image = p / (H / 2), ty = p % (H / 2)
        // The four input rows 2ty−1 … 2ty+2, with a zero column each side and zero rows
        // outside the image: every tile then reads a plain 4×4 window.
        let stride = (W + 2) * C
        let strip = s.strip.pointer
        for r in 0..<4 {
            let iy = 2 * ty - 1 + r
            let dst = strip + r * stride
            if iy < 0 || iy >= H {
                dst.update(repeating: 0, count: stride)
            } else {
                dst.update(repeating: 0, count: C)
                (dst + C).update(from: x + ((image * H + iy) * W) * C, count: W * C)
                (dst + (W + 1) * C).update(repeating: 0, count: C)
            }
        }
        let plane = tiles * C
        for tx in 0..<(W / 2) {
            let v = s.v.pointer + (firstTile + tx) * C
            let d = strip + 2 * tx * C
            var c = 0
            while c < C {
                // u = d B row by row, then V = Bᵀ u column by column.
                @inline(__always) func row(_ i: Int) -> (S, S, S, S) {
                    let r = d + i * stride + c
                    return bt(load(r), load(r + C), load(r + 2 * C), load(r + 3 * C))
                }
                let u0 = row(0), u1 = row(1), u2 = row(2), u3 = row(3)
                @inline(__always) func column(_ j: Int, _ a: S, _ b: S, _ cc: S, _ dd: S) {
                    let t = bt(a, b, cc, dd)
                    store(t.0, v + j * plane + c)
                    store(t.1, v + (4 + j) * plane + c)
                    store(t.2, v + (8 + j) * plane + c)
                    store(t.3, v + (12 + j) * plane + c)
                }
                column(0, u0.0, u1.0, u2.0, u3.0)
                column(1, u0.1, u1.1, u2.1, u3.1)
                column(2, u0.2, u1.2, u2.2, u3.2)
                column(3, u0.3, u1.3, u2.3, u3.3)
                c += 8
            }
        }
    }

    /// y = Aᵀ m A + bias per tile, Aᵀ = [1 1 1 0; 0 1 −1 −1], then the epilogue.
    private func transformOutput(_ m: UnsafePointer<Float>, bias: UnsafePointer<Float>, firstRow: Int,
                                 tiles: Int, quad: UnsafeMutablePointer<Float>, _ epilogue: Epilogue) {
        let W = geometry.input.width, C = geometry.outChannels, half = W / 2
        let plane = tiles * C
        for t in 0..<tiles {
            let p = firstRow + t / half, tx = t % half
            // The tile's 2×2 outputs: straight into y for a plain conv, else into `quad`
            // (4 rows of C, row-major in the window) for pooling.
            let y00, y01, y10, y11: UnsafeMutablePointer<Float>
            var relu = false
            switch epilogue {
            case .plain(let y), .relu(let y):
                if case .relu = epilogue { relu = true }
                // Conv rows 2p and 2p+1 of the flattened batch (2p is always an image's even row).
                y00 = y + (2 * p * W + 2 * tx) * C; y01 = y00 + C
                y10 = y00 + W * C; y11 = y10 + C
            case .reluPool:
                y00 = quad; y01 = quad + C; y10 = quad + 2 * C; y11 = quad + 3 * C
            }
            var c = 0
            while c < C {
                let base = m + t * C + c
                // s = Aᵀ m column by column, then y = s A row by row.
                @inline(__always) func column(_ j: Int) -> (S, S) {
                    at(load(base + j * plane), load(base + (4 + j) * plane),
                       load(base + (8 + j) * plane), load(base + (12 + j) * plane))
                }
                let s0 = column(0), s1 = column(1), s2 = column(2), s3 = column(3)
                let b = load(bias + c)
                let top = at(s0.0, s1.0, s2.0, s3.0), bottom = at(s0.1, s1.1, s2.1, s3.1)
                if relu {
                    store(pointwiseMax(top.0 + b, S()), y00 + c); store(pointwiseMax(top.1 + b, S()), y01 + c)
                    store(pointwiseMax(bottom.0 + b, S()), y10 + c); store(pointwiseMax(bottom.1 + b, S()), y11 + c)
                } else {
                    store(top.0 + b, y00 + c); store(top.1 + b, y01 + c)
                    store(bottom.0 + b, y10 + c); store(bottom.1 + b, y11 + c)
                }
                c += 8
            }
            guard case .reluPool(let y, let arg) = epilogue else { continue }
            // Plain loops with one store stream each: these vectorise (SIMD8 lane access and
            // the generic pointwiseMax did not, and cost more than the transform).
            let offset = (p * half + tx) * C
            let dst = y + offset
            for c in 0..<C {
                dst[c] = max(max(max(y00[c], y01[c]), max(y10[c], y11[c])), 0)
            }
            // First winner on ties, as in MaxPool2x2 and ConvReLUPool's im2col path.
            guard let arg else { continue }
            let a = arg + offset
            for c in 0..<C {
                let m01 = max(y00[c], y01[c]), m012 = max(m01, y10[c])
                a[c] = y11[c] > m012 ? 3 : (y10[c] > m01 ? 2 : (y01[c] > y00[c] ? 1 : 0))
            }
        }
    }
}

private typealias S = SIMD8<Float>

/// Bᵀ applied to four values: [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
@inline(__always)
private func bt(_ a: S, _ b: S, _ c: S, _ d: S) -> (S, S, S, S) { (a - c, b + c, c - b, b - d) }

/// Aᵀ applied to four values: [1 1 1 0; 0 1 −1 −1].
@inline(__always)
private func at(_ a: S, _ b: S, _ c: S, _ d: S) -> (S, S) { (a + b + c, b - c - d) }

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(p)) }

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
