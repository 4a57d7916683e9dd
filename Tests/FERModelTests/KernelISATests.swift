import CKernels
import XCTest
@testable import FERModel

/// Every instruction-set table of CKernels (portable, AVX2, AVX-512) must compute the same
/// convolution: each table this CPU can run gives the portable table's bits in every Winograd
/// pass (forward epilogues and the weight gradient, F(2×2) and F(4×4)), and the portable table
/// agrees with im2col. F(4×4, 3×3) agrees with im2col within its larger rounding.
final class KernelISATests: XCTestCase {
    private let shapes: [(Shape, Int)] = [(Shape(8, 12, 8), 16), (Shape(4, 4, 16), 8), (Shape(24, 24, 32), 64),
                                          (Shape(12, 12, 64), 128)]

    func testThisMachineRunsEveryTable() throws {
        XCTAssertEqual(KernelISA.supported.first, .portable)
        XCTAssertEqual(KernelISA.best, KernelISA.supported.last)
        // The AVX2 and AVX-512 tests below only prove something where the CPU has them: say so.
        for isa in KernelISA.allCases where !isa.isSupported {
            print("KernelISATests: this CPU cannot run \(isa.rawValue); its table is not exercised here")
        }
    }

    func testEnvironmentChoiceIsCheckedAndExplained() {
        XCTAssertEqual(KernelISA.choose(nil).isa, KernelISA.best)
        XCTAssertNil(KernelISA.choose("").problem)
        XCTAssertEqual(KernelISA.choose("portable").isa, .portable)
        XCTAssertNil(KernelISA.choose("Portable").problem)
        let unknown = KernelISA.choose("sse9")
        XCTAssertEqual(unknown.isa, KernelISA.best)
        XCTAssertEqual(unknown.problem, "FERDASH_ISA=sse9 is not an instruction set of ours; expected one of portable, avx2, avx512")
        for isa in KernelISA.allCases {
            let choice = KernelISA.choose(isa.rawValue)
            if isa.isSupported {
                XCTAssertEqual(choice.isa, isa)
                XCTAssertNil(choice.problem)
            } else {
                XCTAssertEqual(choice.isa, KernelISA.best)
                XCTAssertTrue(choice.problem?.contains("this CPU cannot run it") == true, "\(choice)")
            }
        }
    }

    /// One pass of `wino` over random x, returning every output it writes.
    private func outputs(_ wino: WinogradConv3x3, weights: [Float], bias: [Float], x: [Float], dy: [Float],
                         batch: Int, workers: Int) -> [String: [Float]] {
        let g = wino.geometry, conv = batch * g.output.count, pooled = conv / 4
        var results: [String: [Float]] = [:]
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                x.withUnsafeBufferPointer { xb in
                    func pass(_ name: String, count: Int, _ epilogue: (UnsafeMutablePointer<Float>) -> WinogradConv3x3.Epilogue) {
                        var y = [Float](repeating: .nan, count: count)
                        y.withUnsafeMutableBufferPointer {
                            wino.run(xb.baseAddress!, weights: w.baseAddress!, bias: b.baseAddress!, batch: batch,
                                     workers: .testing(workers), epilogue($0.baseAddress!))
                        }
                        results[name] = y
                    }
                    pass("plain", count: conv) { .plain($0) }
                    pass("relu", count: conv) { .relu($0) }
                    pass("pool", count: pooled) { .reluPool($0, arg: nil) }
                    if wino.tile == 2 {
                        var winners = [UInt8](repeating: 9, count: pooled)
                        pass("pool+arg", count: pooled) { y in
                            winners.withUnsafeMutableBufferPointer { .reluPool(y, arg: $0.baseAddress!) }
                        }
                        results["winners"] = winners.map(Float.init)
                    }
                    var dW = [Float](repeating: .nan, count: weights.count), db = [Float](repeating: .nan, count: bias.count)
                    dy.withUnsafeBufferPointer { d in
                        dW.withUnsafeMutableBufferPointer { dw in
                            db.withUnsafeMutableBufferPointer {
                                wino.weightGradient(xb.baseAddress!, d.baseAddress!, batch: batch, workers: .testing(workers),
                                                    weightGrad: dw.baseAddress!, biasGrad: $0.baseAddress!)
                            }
                        }
                    }
                    results["dW"] = dW
                    results["db"] = db
                }
            }
        }
        return results
    }

    func testEveryTableGivesThePortableBits() {
        for (input, out) in shapes {
            let g = ConvGeometry(input: input, kernel: 3, outChannels: out)
            let batch = 3
            let weights = randomFloats(g.patch * out, seed: 51, scale: 0.5), bias = randomFloats(out, seed: 52, scale: 0.5)
            let x = randomFloats(batch * input.count, seed: 53), dy = randomFloats(batch * g.output.count, seed: 54)
            for tile in [2, 4] where WinogradConv3x3.supports(g, tile: tile) {
                for workers in [1, 2] {
                    let reference = outputs(WinogradConv3x3(g, tile: tile, chunkTiles: 10, isa: .portable), weights: weights,
                                            bias: bias, x: x, dy: dy, batch: batch, workers: workers)
                    for (name, values) in reference { XCTAssertFalse(values.contains { $0.isNaN }, "\(name): unwritten values") }
                    // Winner slots a pass left unwritten would still hold 9.
                    XCTAssertEqual(reference["winners"]?.contains(9), tile == 2 ? false : nil)
                    for isa in KernelISA.supported.dropFirst() {
                        let fast = outputs(WinogradConv3x3(g, tile: tile, chunkTiles: 10, isa: isa), weights: weights,
                                           bias: bias, x: x, dy: dy, batch: batch, workers: workers)
                        XCTAssertEqual(Set(fast.keys), Set(reference.keys))
                        for (name, values) in reference {
                            XCTAssertEqual(fast[name], values, "\(isa.rawValue), F(\(tile)×\(tile)), \(input) → \(out), "
                                           + "\(workers) workers: \(name) differs from the portable table")
                        }
                    }
                }
            }
        }
    }

    /// Each table's plain F(2×2) and F(4×4) forward against im2col, on random data (relative to
    /// max(1, |y|)): F(2×2) to Float rounding, F(4×4) within its larger rounding.
    func testEveryTableMatchesIm2col() {
        for (input, out) in shapes {
            let reference = Conv2D(name: "r", input: input, kernel: 3, outChannels: out, chunkImages: 1, isa: .testing)
            fill(reference.core.weight, seed: 61, scale: 0.5)
            fill(reference.core.bias, seed: 62, scale: 0.5)
            let batch = 2
            let x = randomFloats(batch * input.count, seed: 63)
            var ctx = PassContext(training: false, workers: 1, rng: Xoshiro256(seed: 1))
            var expected = [Float](repeating: .nan, count: batch * reference.outputShape.count)
            x.withUnsafeBufferPointer { xb in
                expected.withUnsafeMutableBufferPointer { reference.forward(xb.baseAddress!, $0.baseAddress!, batch: batch, &ctx) }
            }
            let weights = reference.core.weight.value.array(reference.core.weight.count)
            let bias = reference.core.bias.value.array(reference.core.bias.count)
            for isa in KernelISA.supported {
                for (tile, tolerance) in [(2, Float(1e-5)), (4, Float(1e-4))]
                where WinogradConv3x3.supports(reference.core.geometry, tile: tile) {
                    let wino = WinogradConv3x3(reference.core.geometry, tile: tile, isa: isa)
                    var y = [Float](repeating: .nan, count: expected.count)
                    weights.withUnsafeBufferPointer { w in
                        bias.withUnsafeBufferPointer { b in
                            x.withUnsafeBufferPointer { xb in
                                y.withUnsafeMutableBufferPointer {
                                    wino.run(xb.baseAddress!, weights: w.baseAddress!, bias: b.baseAddress!, batch: batch,
                                             workers: .testing(2), .plain($0.baseAddress!))
                                }
                            }
                        }
                    }
                    let worst = zip(y, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                    XCTAssertLessThan(worst, tolerance, "\(isa.rawValue), F(\(tile)×\(tile)), \(input) → \(out)")
                    XCTAssertFalse(y.contains { $0.isNaN }, "\(isa.rawValue), F(\(tile)×\(tile)): unwritten outputs")
                }
            }
        }
    }

    /// The whole vgg7 and vgg8 (whose 6×6 block takes F(2×2) tiles), three training steps and an
    /// inference batch, on each table: the same bits.
    func testVggNetworksTrainToTheSameBitsOnEveryTable() {
        let batch = 8
        var rng = Xoshiro256(seed: 71)
        let x = (0..<(batch * ModelShape.pixels)).map { _ in Float(rng.nextUnit()) }
        let labels = (0..<batch).map { Int32($0 % 7) }
        func run(_ isa: KernelISA, _ architecture: Architecture) -> [Float] {
            let c = Classifier(architecture: architecture, hyperparameters: .init(learningRate: 2e-3, l2: 0, weightDecay: 0.05), seed: 72,
                               engine: Engine(threads: 2, isa: isa))
            return x.withUnsafeBufferPointer { xb in
                (0..<3).map { _ in c.trainStep(images: xb, labels: labels) } + c.logits(images: xb, count: batch)
            }
        }
        for architecture in Architecture.vggNetworks {
            let reference = run(.portable, architecture)
            XCTAssertLessThan(reference[2], reference[0], "\(architecture): three steps on the same batch should lower its loss")
            for isa in KernelISA.supported.dropFirst() {
                XCTAssertEqual(run(isa, architecture), reference, "\(architecture), \(isa.rawValue)")
            }
        }
    }

    /// The per-channel sums in Double against the plain loops they replaced, on random rows: the
    /// same bits on every table (one accumulator per channel, rows in order).
    func testChannelSumsMatchPlainLoops() {
        let rows = 37, C = 24
        let x = randomFloats(rows * C, seed: 81, scale: 3), g = randomFloats(rows * C, seed: 82)
        let floatMean = randomFloats(C, seed: 83), doubleMean = floatMean.map { Double($0) + 1e-3 }
        var sum = [Double](repeating: 0.5, count: C), sq = sum, sqF = sum, sumG = sum, sumGX = sum
        for r in 0..<rows {
            for c in 0..<C {
                let v = x[r * C + c], d = g[r * C + c]
                sum[c] += Double(v)
                let e = Double(v) - doubleMean[c]
                sq[c] += e * e
                let f = Double(v - floatMean[c])
                sqF[c] += f * f
                sumG[c] += Double(d)
                sumGX[c] += Double(d * (v - floatMean[c]))
            }
        }
        for isa in KernelISA.supported {
            let k = isa.table.pointee
            var a = [Double](repeating: 0.5, count: C), b = a, bF = a, aG = a, aGX = a
            k.channel_sum!(x, rows, C, &a)
            k.channel_squared_deviation!(x, rows, C, doubleMean, &b)
            k.channel_squared_deviation_float_mean!(x, rows, C, floatMean, &bF)
            k.channel_gradient_sums!(g, x, rows, C, floatMean, &aG, &aGX)
            XCTAssertEqual(a, sum, "\(isa.rawValue): channel_sum")
            XCTAssertEqual(b, sq, "\(isa.rawValue): channel_squared_deviation")
            XCTAssertEqual(bF, sqF, "\(isa.rawValue): channel_squared_deviation_float_mean")
            XCTAssertEqual(aG, sumG, "\(isa.rawValue): channel_gradient_sums Σg")
            XCTAssertEqual(aGX, sumGX, "\(isa.rawValue): channel_gradient_sums Σg(x − μ)")
        }
    }

    /// The direct single-channel convolution and its weight gradient against plain loops that
    /// add the same terms in the same order: the same bits on every table, at widths that are
    /// not multiples of the kernels' 8-position blocks and channel counts with a lone block of 8.
    func testSingleChannelConvolutionMatchesPlainLoops() {
        let H = 7, W = 13, C = 24
        for k in [3, 5] {
            let pad = k / 2, taps = k * k
            let x = randomFloats(H * W, seed: 91, scale: 2), weight = randomFloats(taps * C, seed: 92)
            let bias = randomFloats(C, seed: 93), dout = randomFloats(H * W * C, seed: 94)
            let start = randomFloats((taps + 1) * C, seed: 95)
            func input(_ y: Int, _ x0: Int) -> Float {
                y >= 0 && y < H && x0 >= 0 && x0 < W ? x[y * W + x0] : 0
            }
            var out = [Float](repeating: 0, count: H * W * C), grad = start
            for h in 0..<H {
                for w in 0..<W {
                    for c in 0..<C {
                        var acc = bias[c]
                        for ky in 0..<k {
                            for kx in 0..<k { acc = acc + input(h + ky - pad, w + kx - pad) * weight[(ky * k + kx) * C + c] }
                        }
                        out[(h * W + w) * C + c] = acc
                        let d = dout[(h * W + w) * C + c]
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let t = (ky * k + kx) * C + c
                                grad[t] = grad[t] + input(h + ky - pad, w + kx - pad) * d
                            }
                        }
                        grad[taps * C + c] = grad[taps * C + c] + d
                    }
                }
            }
            for isa in KernelISA.supported {
                let kernels = isa.table.pointee
                var padded = [Float](repeating: .nan, count: (H + k - 1) * (W + k - 1))
                var got = [Float](repeating: .nan, count: H * W * C), gotGrad = start
                kernels.conv_single_channel!(x, H, W, k, weight, bias, C, &padded, &got)
                kernels.conv_single_channel_weight_gradient!(x, H, W, k, dout, C, &padded, &gotGrad)
                XCTAssertEqual(got, out, "\(isa.rawValue), \(k)×\(k): conv_single_channel")
                XCTAssertEqual(gotGrad, grad, "\(isa.rawValue), \(k)×\(k): conv_single_channel_weight_gradient")
            }
        }
    }
}
