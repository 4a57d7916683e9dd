import CKernels

// Winograd F(2×2, 3×3) and F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for 3×3 SAME convolutions.
//
// Each m×m block of outputs (m = `tile`, 2 or 4) comes from an α×α input tile, α = m + 2.
// Transformed into the Winograd domain, the 3×3 filter and the tile meet in α² element-wise
// products, and summed over input channels those products are α² independent GEMMs:
//
//   U[ξ][Cin][Cout]  = G g Gᵀ          the filters, once per pass
//   V[ξ][tile][Cin]  = Bᵀ d B          the input tiles
//   M[ξ][tile][Cout] = V[ξ] · U[ξ]      α² sgemm calls
//   y (m×m)          = Aᵀ m A + bias    the output transform
//
// F(2×2) needs 16 products per 4 outputs, 2.25× fewer GEMM flops than im2col; F(4×4) 36 per
// 16, 4× fewer, at the price of larger transforms and more rounding (its points ±2 and the
// 1/6, 1/24 of G amplify it: about 1e-5 relative on vgg7's layers against 1e-7; in the weight
// gradient 3–6e-6 of the gradient's scale), still far below what training notices, so Conv2D
// takes it in every pass where the sides are multiples of 4. An output tile covers whole 2×2
// pooling windows, so the fused conv + ReLU + pool layers pool straight out of the output
// transform. The transforms are CKernels' (one table per instruction set, `KernelISA`).
//
// Backward (Conv2D): the data gradient is this forward on a transposed geometry (dy in, the
// filters rotated by 180° with in/out swapped); the weight gradient is the forward's adjoint
// (`weightGradient`). ConvReLUPool (the seed) keeps im2col for its backward. Tiles run in chunks
// of whole tile rows ("pairs" of conv rows, flattened over the batch like ConvReLUPool's work).
// Channels come in multiples of 8 (the kernels vectorise over channels).

final class WinogradConv3x3 {
    let geometry: ConvGeometry
    /// Output tile side m: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3).
    let tile: Int
    /// Input tile side α = m + 2; there are α² transformed planes.
    var alpha: Int { tile + 2 }
    /// Tile rows per chunk: V and M of one chunk should stay near the core's L2.
    let tileRowsPerChunk: Int
    /// The instruction set whose transforms this convolution runs.
    let isa: KernelISA
    /// The instruction set's kernel table (a copy: every entry is set).
    private let kernels: fd_kernels
    private let filters: FloatBuffer

    /// Where the output transform writes.
    enum Epilogue {
        /// conv + bias, NHWC (the output of the whole pass starts at the pointer).
        case plain(UnsafeMutablePointer<Float>)
        /// ReLU(conv + bias), NHWC: folded conv + batch norm + ReLU for inference.
        case relu(UnsafeMutablePointer<Float>)
        /// ReLU(max over each 2×2 window + bias), and the winner 0…3 per value when `arg` is set
        /// (F(2×2) only: training keeps winners, inference does not).
        case reluPool(UnsafeMutablePointer<Float>, arg: UnsafeMutablePointer<UInt8>?)
    }

    final class Scratch: @unchecked Sendable { // unchecked: passed between threads only through the engine's ScratchPool; one slice uses it at a time
        let strip = FloatBuffer(1)   // α zero-padded input rows of one tile row
        let v = FloatBuffer(1)
        let m = FloatBuffer(1)
        /// Grows the buffers to what a chunk of `tiles` tiles of this shape needs.
        func fit(tiles: Int, alpha: Int, g: ConvGeometry) {
            strip.reserve(alpha * (g.input.width + 2) * g.input.channels)
            v.reserve(alpha * alpha * WinogradConv3x3.plane(tiles, g.input.channels))
            m.reserve(alpha * alpha * WinogradConv3x3.plane(tiles, g.outChannels))
        }
    }
    // Scratch sets live in the engine (`Engine.winogradScratch`): every Winograd convolution
    // run on it shares them.

    /// Floats from one transformed plane (V[ξ] or M[ξ] of a chunk) to the next: the tiles'
    /// channels plus one cache line. Chunks hold 24 or 96 tiles of 32–128 channels, so without
    /// the pad every plane starts at a multiple of 4 KB, the transforms' α² streams all fall
    /// into the same L1 sets and evict each other: padded, the F(2×2) transforms ran 3–8×
    /// faster (one tile row of 12 tiles × 64 channels, AVX-512: input 3.1 → 1.0 µs, output
    /// gradient 3.0 → 1.0 µs; portable 8.7 → 1.2 µs).
    static func plane(_ tiles: Int, _ channels: Int) -> Int { tiles * channels + 16 }
    /// [dU; db] partial sums, one buffer per work slice of a weight gradient, shared by every
    /// Winograd convolution of an engine like the scratch (`Engine.winogradPartials`): backward
    /// runs one layer at a time, so one set grown to the widest layer serves them all (one
    /// layer's α²·Cin·Cout floats per slice: 25 MB for vgg9's 128→384 conv4 at eight slices);
    /// with the planes taken in groups (`planeGroups`) the set stays within 8 MB.
    final class Partials: @unchecked Sendable { // unchecked: passed between threads only through the engine's ScratchPool; one weight gradient uses it at a time
        var slices: [FloatBuffer] = []
    }

    /// The filter transform G (α×3) of F(2×2, 3×3) and of F(4×4, 3×3) (points 0, ±1, ±2, ∞).
    static let G2: [[Float]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
    static let G4: [[Float]] = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                                [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
    var G: [[Float]] { tile == 2 ? Self.G2 : Self.G4 }

    static func supports(_ g: ConvGeometry, tile: Int = 2) -> Bool {
        g.kernel == 3 && g.input.height % tile == 0 && g.input.width % tile == 0
            && g.input.channels % 8 == 0 && g.outChannels % 8 == 0
    }

    /// `chunkTiles`: tiles per chunk. Measured on the 2-core target for the seed's conv2 (one
    /// thread, batch 128, forward ms): 12–36 tiles 16–18 ms, 48 and more 21 ms (V and M of a
    /// chunk leave L1/L2), against 33 ms for im2col.
    init(_ geometry: ConvGeometry, tile: Int = 2, chunkTiles: Int = 24, isa: KernelISA) {
        precondition(tile == 2 || tile == 4, "Winograd tiles are 2×2 or 4×4")
        precondition(Self.supports(geometry, tile: tile))
        self.geometry = geometry
        self.tile = tile
        self.isa = isa
        kernels = isa.table.pointee
        tileRowsPerChunk = max(1, chunkTiles / (geometry.input.width / tile))
        filters = FloatBuffer((tile + 2) * (tile + 2) * geometry.input.channels * geometry.outChannels)
    }

    private var tilesPerRow: Int { geometry.input.width / tile }

    /// Runs `body` with one of `engine`'s scratch sets, grown to this convolution's chunk.
    func withScratch<T>(_ engine: Engine, _ body: (Scratch) -> T) -> T {
        let s = engine.winogradScratch.take() ?? Scratch()
        s.fit(tiles: tileRowsPerChunk * tilesPerRow, alpha: alpha, g: geometry)
        defer { engine.winogradScratch.give(s) }
        return body(s)
    }

    /// U = G g Gᵀ for every (Cin, Cout) pair, from HWIO weights. Call before each pass.
    ///
    /// Each of the α² planes of U is a fixed combination of the 9 weight planes,
    /// U[r][j] = Σ G[r][ky]·G[j][kx]·g[ky][kx], written one plane at a time: one store stream
    /// per loop, so it vectorises. (Per (Cin, Cout) pair with 16 scattered stores it took
    /// 0.1 ms for the seed's conv2, half of that layer's batch-1 time.)
    func refresh(weights w: UnsafePointer<Float>) {
        let plane = geometry.input.channels * geometry.outChannels
        let G = self.G, alpha = self.alpha
        for r in 0..<alpha {
            for j in 0..<alpha {
                let u = filters.pointer + (r * alpha + j) * plane
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

    /// A whole pass over `batch` images: refreshes the filters from `weights` (nil: keep the
    /// last ones, as folded inference does), then splits the tile rows (flattened image·H/m +
    /// tile row) over the workers like the layers' im2col paths do.
    func run(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>?, bias: UnsafePointer<Float>,
             batch: Int, workers: Workers, _ epilogue: Epilogue) {
        if let weights { refresh(weights: weights) }
        let tileRows = batch * geometry.input.height / tile
        let parts = workItems(workers: workers, units: tileRows, grain: geometry.input.height / tile)
        let engine = workers.engine
        workers.parallelFor(parts) { w in
            withScratch(engine) { forward(x, bias: bias, rows: slice(tileRows, parts: parts, index: w), $0, epilogue) }
        }
    }

    /// Computes the tile rows `rows` (flattened image·H/m + tile row) of the conv of `x`.
    func forward(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Range<Int>, _ s: Scratch,
                 _ epilogue: Epilogue) {
        var r = rows.lowerBound
        while r < rows.upperBound {
            let n = min(tileRowsPerChunk, rows.upperBound - r)
            let tiles = n * tilesPerRow
            for k in 0..<n { transformInput(x, tileRow: r + k, s, firstTile: k * tilesPerRow, tiles: tiles) }
            let ci = geometry.input.channels, co = geometry.outChannels
            let vPlane = Self.plane(tiles, ci), mPlane = Self.plane(tiles, co)
            for xi in 0..<(alpha * alpha) {
                gemm(m: tiles, n: co, k: ci, a: s.v.pointer + xi * vPlane, lda: ci,
                     b: filters.pointer + xi * ci * co, ldb: co, beta: 0, c: s.m.pointer + xi * mPlane, ldc: co)
            }
            for k in 0..<n {
                transformOutput(s.m.pointer, bias: bias, tileRow: r + k, firstTile: k * tilesPerRow, tiles: tiles, epilogue)
            }
            r += n
        }
    }

    /// The weight gradient of the pass that `forward` computes: for x and dL/dy of `batch`
    /// images, writes dL/dW (HWIO) into `weightGrad` and dL/db into `biasGrad`.
    ///
    /// The adjoint of each forward step, in reverse: dM = A dy Aᵀ per tile (α×α from the m×m
    /// output gradient), dU[ξ] = V[ξ]ᵀ · dM[ξ] summed over tiles (α² GEMMs per chunk, into one
    /// partial per work slice), then dW = Gᵀ dU G. Slices are summed in slice order, so the
    /// result depends only on the worker count.
    ///
    /// A wide layer takes the α² planes of dU in groups (`planeGroups`), one pass over its
    /// tiles per group with the transforms recomputed, so the slices' partials stay within
    /// `partialsLimit`. Every value is still summed in the same order (tiles, then slices, then
    /// the planes r·α + j into dW), so the bits do not depend on the grouping.
    func weightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, batch: Int, workers: Workers,
                        weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>,
                        planeGroups forcedGroups: Int? = nil) {
        let tileRows = batch * geometry.input.height / tile
        let ci = geometry.input.channels, co = geometry.outChannels, plane = ci * co
        let planeCount = alpha * alpha
        // One slice per worker, not the forward's up to four: each slice keeps its own partial
        // dU (α²·Cin·Cout floats), and fewer of them let wide layers take all their planes in
        // one group. vgg9 on 2 threads trained 530 → 581 img/s with this and 48-tile chunks.
        let parts = max(1, min(workers.count, tileRows))
        let groups = forcedGroups ?? Self.planeGroups(parts: parts, plane: plane, planes: planeCount)
        precondition(groups >= 1 && planeCount % groups == 0, "the \(planeCount) planes split into equal groups")
        let planesPerGroup = planeCount / groups
        // Each partial: its group's planes of dU, then Σdy (group 0 keeps it; later groups
        // write it again to a second, discarded copy).
        let stride = planesPerGroup * plane + 2 * co
        let engine = workers.engine
        let set = engine.winogradPartials.take() ?? Partials()
        defer { engine.winogradPartials.give(set) }
        while set.slices.count < parts { set.slices.append(FloatBuffer(stride)) }
        for buffer in set.slices.prefix(parts) { buffer.reserve(stride) }
        let partials = set.slices
        weightGrad.update(repeating: 0, count: 9 * plane)
        for group in 0..<groups {
            let planes = (group * planesPerGroup)..<((group + 1) * planesPerGroup)
            workers.parallelFor(parts) { w in
                accumulateSlice(x, dy, tileRows: slice(tileRows, parts: parts, index: w), planes: planes,
                                into: partials[w].pointer, count: stride, engine: engine,
                                biasGrad: partials[w].pointer + planesPerGroup * plane + (group == 0 ? 0 : co))
            }
            let total = partials[0].pointer
            for w in 1..<max(parts, 1) {
                let p = partials[w].pointer
                for i in 0..<stride { total[i] += p[i] }
            }
            addWeightPlanes(from: total, planes: planes, into: weightGrad)
            if group == 0 { biasGrad.update(from: total + planesPerGroup * plane, count: co) }
        }
    }

    /// One work slice's share of a weight gradient: zeroes its partial (`count` floats), then
    /// sums V[ξ]ᵀ · dM[ξ] over the tiles of `tileRows` into it for the planes ξ in `planes`,
    /// and Σdy into `biasGrad`.
    private func accumulateSlice(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, tileRows: Range<Int>,
                                 planes: Range<Int>, into dU: UnsafeMutablePointer<Float>, count: Int, engine: Engine,
                                 biasGrad: UnsafeMutablePointer<Float>) {
        let ci = geometry.input.channels, co = geometry.outChannels, plane = ci * co
        dU.update(repeating: 0, count: count)
        withScratch(engine) { s in
            var r = tileRows.lowerBound
            while r < tileRows.upperBound {
                let n = min(tileRowsPerChunk, tileRows.upperBound - r)
                let tiles = n * tilesPerRow
                for k in 0..<n { transformInput(x, tileRow: r + k, s, firstTile: k * tilesPerRow, tiles: tiles) }
                for k in 0..<n {
                    transformOutputGradient(dy, tileRow: r + k, firstTile: k * tilesPerRow, tiles: tiles,
                                            into: s.m.pointer, biasGrad: biasGrad)
                }
                let vPlane = Self.plane(tiles, ci), mPlane = Self.plane(tiles, co)
                for xi in planes {
                    gemm(transA: true, m: ci, n: co, k: tiles, a: s.v.pointer + xi * vPlane, lda: ci,
                         b: s.m.pointer + xi * mPlane, ldb: co, beta: 1, c: dU + (xi - planes.lowerBound) * plane, ldc: co)
                }
                r += n
            }
        }
    }

    /// dW += Gᵀ dU G for the planes of dU in `planes` (dU holds just those, in order):
    /// dW[ky][kx] += Σ G[r][ky]·G[j][kx]·dU[r·α + j], one weight plane at a time.
    private func addWeightPlanes(from dU: UnsafePointer<Float>, planes: Range<Int>,
                                 into weightGrad: UnsafeMutablePointer<Float>) {
        let plane = geometry.input.channels * geometry.outChannels
        let G = self.G, alpha = self.alpha
        for ky in 0..<3 {
            for kx in 0..<3 {
                let g = weightGrad + (ky * 3 + kx) * plane
                for xi in planes {
                    let coefficient = G[xi / alpha][ky] * G[xi % alpha][kx]
                    guard coefficient != 0 else { continue }
                    let u = dU + (xi - planes.lowerBound) * plane
                    for i in 0..<plane { g[i] += coefficient * u[i] }
                }
            }
        }
    }

    /// The slices' partial sums of one weight gradient may take this many floats (8 MB).
    static let partialsLimit = 2 << 20

    /// How many groups the `planes` planes of dU are taken in: the fewest (a divisor of
    /// `planes`) whose partials fit `partialsLimit`. With two workers every layer of ours fits
    /// in one (vgg9's widest: 2 × 36 × 128·128 for F(4×4), 2 × 16 × 128·384 for F(2×2)); with
    /// eight, vgg9's 12×12 layers take 3 and its conv4 4. Each group repeats the transforms,
    /// a few % of its GEMMs.
    static func planeGroups(parts: Int, plane: Int, planes: Int = 16) -> Int {
        var groups = 1
        while groups < planes && (planes % groups != 0 || parts * (planes / groups) * plane > partialsLimit) {
            groups += 1
        }
        return groups
    }

    /// dM = A dy Aᵀ for the tiles of tile row `p` (the adjoint of the plain output transform),
    /// written at tile slots firstTile… of a chunk of `tiles`; adds their Σdy into `biasGrad`.
    private func transformOutputGradient(_ dy: UnsafePointer<Float>, tileRow p: Int, firstTile: Int, tiles: Int,
                                         into m: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>) {
        let W = geometry.input.width, C = geometry.outChannels
        let transform = (tile == 2 ? kernels.wino2_output_gradient : kernels.wino4_output_gradient)!
        transform(dy + tile * p * W * C, W * C, C, tilesPerRow, m + firstTile * C, Self.plane(tiles, C), biasGrad)
    }

    /// V = Bᵀ d B for the tiles of tile row `p`, written at tile slots firstTile… of a chunk of `tiles`.
    private func transformInput(_ x: UnsafePointer<Float>, tileRow p: Int, _ s: Scratch, firstTile: Int, tiles: Int) {
        let H = geometry.input.height, W = geometry.input.width, C = geometry.input.channels
        let image = p / (H / tile), ty = p % (H / tile)
        // The α input rows m·ty − 1 … m·ty + m, with a zero column each side and zero rows
        // outside the image: every tile then reads a plain α×α window.
        let stride = (W + 2) * C
        let strip = s.strip.pointer
        for r in 0..<alpha {
            let iy = tile * ty - 1 + r
            let dst = strip + r * stride
            if iy < 0 || iy >= H {
                dst.update(repeating: 0, count: stride)
            } else {
                dst.update(repeating: 0, count: C)
                (dst + C).update(from: x + ((image * H + iy) * W) * C, count: W * C)
                (dst + (W + 1) * C).update(repeating: 0, count: C)
            }
        }
        let transform = (tile == 2 ? kernels.wino2_input : kernels.wino4_input)!
        transform(strip, stride, C, tilesPerRow, s.v.pointer + firstTile * C, Self.plane(tiles, C))
    }

    /// y = Aᵀ m A + bias for the tiles of tile row `p` (at tile slots firstTile… of a chunk of
    /// `tiles`), through the epilogue.
    private func transformOutput(_ m: UnsafePointer<Float>, bias: UnsafePointer<Float>, tileRow p: Int, firstTile: Int,
                                 tiles: Int, _ epilogue: Epilogue) {
        let W = geometry.input.width, C = geometry.outChannels
        let source = m + firstTile * C, plane = Self.plane(tiles, C)
        // The tile row's first conv row in the flattened batch (m·p is always an image's row m·ty),
        // and its first pooled row (m/2 pooled rows per tile row).
        let convRow = tile * p * W * C, pooledRow = (tile / 2) * p * (W / 2) * C
        let mode: Int32, y: UnsafeMutablePointer<Float>?, pooled: UnsafeMutablePointer<Float>?
        var arg: UnsafeMutablePointer<UInt8>?
        switch epilogue {
        case .plain(let out): (mode, y, pooled) = (Int32(FD_EPILOGUE_PLAIN), out + convRow, nil)
        case .relu(let out): (mode, y, pooled) = (Int32(FD_EPILOGUE_RELU), out + convRow, nil)
        case .reluPool(let out, let winners):
            (mode, y, pooled) = (Int32(FD_EPILOGUE_RELU_POOL), nil, out + pooledRow)
            arg = winners.map { $0 + pooledRow }
        }
        if tile == 2 {
            kernels.wino2_output!(source, plane, C, tilesPerRow, bias, mode, y, W * C, pooled, arg)
        } else {
            precondition(arg == nil, "F(4×4, 3×3) pools for inference only (no winners)")
            kernels.wino4_output!(source, plane, C, tilesPerRow, bias, mode, y, W * C, pooled, (W / 2) * C)
        }
    }
}
