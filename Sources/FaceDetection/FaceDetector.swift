// Viola–Jones frontal face detection on OpenCV's pretrained Haar cascade.
//
// Pipeline for one photo:
//  1. Very large photos (over `maxSourcePixels`) are first box-averaged by an integer factor, so
//     the one full-size table (an Int32 integral image, 4 bytes a pixel) stays bounded.
//  2. An image pyramid: for each scale s (from minFaceSize/24, but never so small that a level
//     exceeds `maxLevelPixels`, up by `scaleFactor`), the image is area-resampled by 1/s and the
//     fixed 24×24 cascade window slides over it. Scaling the image rather than the features keeps
//     the features exactly as trained (no rounding of scaled rectangles); the per-level cost
//     shrinks with s², so the first level dominates. Boxes are mapped back to the input's
//     coordinates at the end.
//  3. Each window is variance-normalised (as OpenCV does: features are compared against
//     threshold × area × stddev over the window inset by one pixel), then the stages run with
//     early rejection: on photos about half the windows die in the first stage (9 features) and
//     nearly all within five; a first-stage rejection also skips the next position.
//  4. Accepted windows are grouped (Grouping.swift) and each group becomes one face.

import Foundation
import FERData

/// One face found in an image.
public struct DetectedFace: Sendable, Equatable {
    /// The face box in the coordinates of the image passed to `detect`.
    public var box: PixelRect
    /// 0…1, see `FaceDetector.confidence(neighbours:margin:)`.
    public var confidence: Double
    public init(box: PixelRect, confidence: Double) {
        self.box = box
        self.confidence = confidence
    }
}

/// How thoroughly a detection searches. A photo is searched once, so it gets every scale a tenth
/// apart and every window position on the downscaled levels (`thorough`, as OpenCV's defaults).
/// A video frame is searched again a few times a second, and a face missed in one search is
/// found in the next, so it can look coarser: every second position on every level (`quick`),
/// about 40% of the work (29 against 73 ms on a 640×480 frame). Its confidences run lower
/// (fewer hits gather on a face), so a caller treats its finds as candidates to confirm.
public struct DetectionPass: Sendable, Equatable {
    /// Ratio between successive pyramid scales.
    public var scaleFactor: Double
    /// Levels downscaled by more than this are scanned at every position, the others at every
    /// second one (infinity: every second everywhere).
    public var everyPositionAbove: Double
    public init(scaleFactor: Double, everyPositionAbove: Double) {
        self.scaleFactor = scaleFactor
        self.everyPositionAbove = everyPositionAbove
    }
    public static let thorough = DetectionPass(scaleFactor: FaceDetector.scaleFactor, everyPositionAbove: 2)
    public static let quick = DetectionPass(scaleFactor: FaceDetector.scaleFactor, everyPositionAbove: .infinity)
}

/// Finds frontal faces. Immutable after init, and `detect` allocates its own scratch buffers,
/// so one detector may be shared by several threads.
public final class FaceDetector: Sendable {
    /// Where Debian's `opencv-data` package installs the cascade.
    public static let debianCascadePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
    /// The cascade used when none is passed: `$FERDASH_CASCADE` if set, else the Debian path.
    public static let defaultCascadePath: String = {
        if let env = ProcessInfo.processInfo.environment["FERDASH_CASCADE"], !env.isEmpty { return env }
        return debianCascadePath
    }()

    /// No pyramid level is larger than this: a huge photo is scanned as if downscaled to about
    /// one megapixel (bounded time), however small the requested minimum face.
    public static let maxLevelPixels = 1_000_000
    /// Photos above this are box-averaged by an integer factor before anything else (bounded
    /// memory: the integral image is 4 bytes a pixel, so at most 16 MB).
    public static let maxSourcePixels = 4_000_000
    /// Pyramid step between scales: 1.1 finds faces at nearly any size, as OpenCV's default.
    public static let scaleFactor = 1.1
    /// A face needs more than this many overlapping hits (OpenCV's `minNeighbors` meaning).
    public static let minNeighbors = 3

    /// The file the cascade came from.
    public let cascadePath: String
    let cascade: HaarCascade
    let flat: FlatCascade

    /// Loads the cascade (`cascadePath`, else `defaultCascadePath`). Throws `FaceDetectorError`
    /// naming the file: missing (with how to install it), unreadable, malformed or inconsistent.
    public init(cascadePath: String? = nil) throws {
        let path = cascadePath ?? Self.defaultCascadePath
        self.cascadePath = path
        cascade = try HaarCascade.load(path: path)
        flat = FlatCascade(cascade)
    }

    /// For tests and the fuzzer: a detector over a cascade built in memory.
    package init(cascade: HaarCascade, name: String = "<memory>") {
        cascadePath = name
        self.cascade = cascade
        flat = FlatCascade(cascade)
    }

    /// The default smallest face: 1/12 of the shorter side (a portrait's face is far larger, a
    /// group photo's faces rarely smaller), never below the 24-pixel training window.
    public static func defaultMinFaceSize(width: Int, height: Int) -> Int {
        max(24, min(width, height) / 12)
    }

    /// Faces in `image`, largest first. `minFaceSize` is in pixels of `image` (default:
    /// `defaultMinFaceSize`); faces smaller than the 24-pixel window, or than 24/1000 of the
    /// image side for photos above a megapixel, cannot be found.
    public func detect(in image: GrayImage, minFaceSize: Int? = nil, pass: DetectionPass = .thorough) -> [DetectedFace] {
        let width = image.width, height = image.height
        // A malformed image (too few pixels, absurd dimensions) has no faces rather than a trap.
        let (area, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, image.pixels.count >= area else { return [] }

        // 1. Pre-reduction (very large photos only) and the pyramid scales.
        let windowW = cascade.windowWidth, windowH = cascade.windowHeight
        let plan = Self.plan(width: width, height: height, minFaceSize: minFaceSize,
                             windowWidth: windowW, windowHeight: windowH, scaleFactor: pass.scaleFactor)
        let factor = plan.factor
        let workWidth = width / factor, workHeight = height / factor
        guard !plan.scales.isEmpty else { return [] }
        let working = factor == 1 ? image.pixels : Self.boxDownscale(image, by: factor)
        let workIntegral = IntegralImage(image: working, width: workWidth, height: workHeight, squares: false)

        // 2. Each level: resample, tables, scan. Hits are mapped straight to input coordinates.
        var hits: [Hit] = []
        var level = [UInt8]()
        for scale in plan.scales {
            let levelW = Int(Double(workWidth) / scale), levelH = Int(Double(workHeight) / scale)
            if scale == 1 {
                level = working
            } else {
                Self.resample(workIntegral, scale: scale, width: levelW, height: levelH, into: &level)
            }
            let integral = IntegralImage(image: level, width: levelW, height: levelH, squares: true)
            // Step 1 pixel on downscaled levels (= `scale` working pixels), 2 near full size;
            // either way the step grows with the window, as the cascade's tolerance does.
            let step = scale > pass.everyPositionAbove ? 1 : 2
            let mapping = scale * Double(factor)
            flat.scan(integral, step: step) { x, y, margin in
                hits.append(Hit(x: Double(x) * mapping, y: Double(y) * mapping,
                                width: Double(windowW) * mapping, height: Double(windowH) * mapping,
                                margin: margin))
            }
        }

        // 3. Grouping and confidence.
        let clusters = groupHits(hits, minNeighbors: Self.minNeighbors)
        var faces = clusters.map { c -> DetectedFace in
            let x = max(0, Int(c.x.rounded())), y = max(0, Int(c.y.rounded()))
            let box = PixelRect(x: x, y: y,
                                width: min(width - x, Int(c.width.rounded())),
                                height: min(height - y, Int(c.height.rounded())))
            return DetectedFace(box: box, confidence: Self.confidence(neighbours: c.count, margin: c.bestMargin))
        }
        faces.sort { ($0.box.width * $0.box.height, $0.confidence) > ($1.box.width * $1.box.height, $1.confidence) }
        return faces
    }

    /// The integer pre-reduction factor of the photo and the pyramid scales (relative to the
    /// reduced image) for a detection: from the minimum face (never below the window) or the
    /// level-size cap, whichever is coarser, up by `scaleFactor` while the window still fits.
    static func plan(width: Int, height: Int, minFaceSize: Int?, windowWidth: Int, windowHeight: Int,
                     scaleFactor: Double = FaceDetector.scaleFactor) -> (factor: Int, scales: [Double]) {
        guard width > 0, height > 0 else { return (1, []) }
        var factor = 1
        while (width / factor) * (height / factor) > maxSourcePixels { factor += 1 }
        let workWidth = width / factor, workHeight = height / factor
        let requested = minFaceSize ?? defaultMinFaceSize(width: width, height: height)
        let minFace = max(Double(windowWidth), Double(requested) / Double(factor))
        let levelCap = (Double(workWidth * workHeight) / Double(maxLevelPixels)).squareRoot()
        var scales: [Double] = []
        var scale = max(minFace / Double(windowWidth), levelCap, 1)
        while Int(Double(workWidth) / scale) >= windowWidth && Int(Double(workHeight) / scale) >= windowHeight {
            scales.append(scale)
            scale *= scaleFactor
        }
        return (factor, scales)
    }

    /// Confidence in 0…1 from the two signals the cascade gives:
    /// - neighbour support, n hits merged into the face beyond the `minNeighbors` needed to keep
    ///   it: `1 − exp(−(n − minNeighbors) / 10)`. Real faces gather dozens of hits (32–63 on the
    ///   test photos and synthetic faces), chance textures a handful (4–8);
    /// - the best last-stage margin m (stage sum minus threshold):
    ///   `1 / (1 + exp(−(m − 6) / 1.5))`. The scale is calibrated on
    ///   haarcascade_frontalface_default, whose real faces clear the last stage by 9–11; false
    ///   positives mostly by 3–7, but sometimes by as much, so this term weighs less.
    /// Combined as 0.8·support + 0.2·margin. Measured on the shared portraits and synthetic
    /// faces: real faces 0.93–0.99, false positives (mostly with a 24-pixel minimum face)
    /// 0.1–0.45, so 0.6 is a sensible cut-off for callers who want one.
    public static func confidence(neighbours: Int, margin: Double) -> Double {
        let support = 1 - exp(-Double(max(0, neighbours - minNeighbors)) / 10)
        let clear = 1 / (1 + exp(-(max(0, margin) - 6) / 1.5))
        return min(1, max(0, 0.8 * support + 0.2 * clear))
    }

    /// Detects repeatedly and reports the median time per run in milliseconds, both wall-clock
    /// and CPU time of the calling thread (the latter is what to compare on a shared, loaded
    /// machine). For the CLI's bench and the timing test; build with `-c release`.
    public func timeDetection(in image: GrayImage, minFaceSize: Int? = nil, repeats: Int = 5)
        -> (faces: [DetectedFace], milliseconds: Double, cpuMilliseconds: Double) {
        var faces: [DetectedFace] = []
        var wall: [Double] = []
        var cpu: [Double] = []
        func threadCPU() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
        }
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = threadCPU()
            faces = detect(in: image, minFaceSize: minFaceSize)
            cpu.append(threadCPU() - startCPU)
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        wall.sort()
        cpu.sort()
        return (faces, wall[wall.count / 2], cpu[cpu.count / 2])
    }

    // MARK: - Image preparation

    /// Averages `factor`×`factor` blocks (the remainder columns/rows at the right/bottom are
    /// dropped: under `factor` pixels, irrelevant to faces). One row of Int32 accumulators.
    static func boxDownscale(_ image: GrayImage, by factor: Int) -> [UInt8] {
        let outW = image.width / factor, outH = image.height / factor
        var out = [UInt8](repeating: 0, count: outW * outH)
        var acc = [Int32](repeating: 0, count: outW)
        let area = Int32(factor * factor)
        image.pixels.withUnsafeBufferPointer { src in
            for oy in 0..<outH {
                for i in 0..<outW { acc[i] = 0 }
                for dy in 0..<factor {
                    let row = (oy * factor + dy) * image.width
                    for ox in 0..<outW {
                        var s: Int32 = 0
                        let base = row + ox * factor
                        for dx in 0..<factor { s += Int32(src[base + dx]) }
                        acc[ox] += s
                    }
                }
                for ox in 0..<outW { out[oy * outW + ox] = UInt8((acc[ox] + area / 2) / area) }
            }
        }
        return out
    }

    /// Exact area-average resampling by 1/scale (any real scale ≥ 1), using the working image's integral: within each
    /// pixel cell the integral is bilinear, so bilinear interpolation of the integral at
    /// fractional corners gives exact fractional-box sums. Cost is proportional to the output.
    static func resample(_ source: IntegralImage, scale: Double, width: Int, height: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(width * height)
        let stride = source.stride
        // Column boundaries c·scale split into cell index and fraction, shared by all rows.
        var colIndex = [Int](repeating: 0, count: width + 1)
        var colFrac = [Double](repeating: 0, count: width + 1)
        for c in 0...width {
            let x = Double(c) * scale
            let i = min(Int(x), source.width - 1)
            colIndex[c] = i
            colFrac[c] = x - Double(i)
        }
        var previous = [Double](repeating: 0, count: width + 1)
        var current = [Double](repeating: 0, count: width + 1)
        let inverseArea = 1 / (scale * scale)
        source.sum.withUnsafeBufferPointer { f in
            func boundaryRow(_ r: Int, into row: inout [Double]) {
                let y = Double(r) * scale
                let j = min(Int(y), source.height - 1)
                let b = y - Double(j)
                let top = j * stride, bottom = top + stride
                for c in 0...width {
                    let i = colIndex[c], a = colFrac[c]
                    let upper = Double(f[top + i]) + a * Double(f[top + i + 1] - f[top + i])
                    let lower = Double(f[bottom + i]) + a * Double(f[bottom + i + 1] - f[bottom + i])
                    row[c] = upper + b * (lower - upper)
                }
            }
            boundaryRow(0, into: &previous)
            for r in 0..<height {
                boundaryRow(r + 1, into: &current)
                for c in 0..<width {
                    let s = current[c + 1] - current[c] - previous[c + 1] + previous[c]
                    out.append(UInt8(max(0, min(255, (s * inverseArea).rounded()))))
                }
                swap(&previous, &current)
            }
        }
    }
}

/// The face box grown by `margin` (fraction of the size) on each side, made square around its
/// centre, and moved (shrunk only if larger than the image) to lie inside the image.
public func faceCrop(_ box: PixelRect, margin: Double, imageWidth: Int, imageHeight: Int) -> PixelRect {
    guard imageWidth > 0, imageHeight > 0 else { return PixelRect(x: 0, y: 0, width: 0, height: 0) }
    let m = margin.isFinite ? max(-0.45, margin) : 0
    let centreX = Double(box.x) + Double(box.width) / 2
    let centreY = Double(box.y) + Double(box.height) / 2
    let grown = Double(max(box.width, box.height)) * (1 + 2 * m)
    let side = max(1, min(Int(grown.rounded()), imageWidth, imageHeight))
    let x = min(max(0, Int((centreX - Double(side) / 2).rounded())), imageWidth - side)
    let y = min(max(0, Int((centreY - Double(side) / 2).rounded())), imageHeight - side)
    return PixelRect(x: x, y: y, width: side, height: side)
}
