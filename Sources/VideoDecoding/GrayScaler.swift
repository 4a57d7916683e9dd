import CFFmpeg
import FERData

/// Turns decoded frames of any pixel format into bounded gray images in display orientation:
/// swscale converts and shrinks in one pass (a 4K frame never exists at full size in gray), then
/// the rotation is applied while copying out. Its buffers and scaler live as long as it does, so
/// an hour of video costs what one frame does.
final class GrayScaler {
    let maxSide: Int
    private var sws: OpaquePointer?
    /// The scaler's target: rows 32-byte aligned for swscale's SIMD stores, reused while big enough.
    private var scratch: UnsafeMutablePointer<UInt8>?
    private var scratchCapacity = 0
    /// The last image handed out; written in place when the caller has let go of it (copy on write).
    private var output: [UInt8] = []
    /// What the scaler's colour details were last set for, so they are set once per change.
    private var configured: (sws: OpaquePointer?, fullRange: Bool) = (nil, false)

    init(maxSide: Int) {
        self.maxSide = max(1, maxSide)
    }

    deinit {
        sws_freeContext(sws)
        av_free(scratch)
    }

    /// The coded size shrunk, aspect kept, so the longer side is at most maxSide (each side at
    /// least 1), and the factor applied along the longer side.
    static func boundedSize(width: Int, height: Int, maxSide: Int) -> (width: Int, height: Int, scale: Double) {
        let long = max(width, height)
        guard long > maxSide, long > 0 else { return (width, height, 1) }
        let s = Double(maxSide) / Double(long)
        let w = width >= height ? maxSide : max(1, min(maxSide, Int((Double(width) * s).rounded())))
        let h = height > width ? maxSide : max(1, min(maxSide, Int((Double(height) * s).rounded())))
        return (w, h, s)
    }

    enum Failure: Error { case unsupportedFormat(String), outOfMemory }

    /// The frame as gray, turned `rotation` degrees clockwise (0, 90, 180 or 270).
    func gray(_ frame: UnsafePointer<AVFrame>, rotation: Int) throws -> (image: GrayImage, scale: Double) {
        let f = frame.pointee
        let srcW = Int(f.width), srcH = Int(f.height)
        let (w, h, scale) = Self.boundedSize(width: srcW, height: srcH, maxSide: maxSide)
        let format = AVPixelFormat(rawValue: f.format)
        // Shrinking averages areas (no aliasing on faces); same size is a plain conversion.
        let flags = (w < srcW || h < srcH) ? SWS_AREA : SWS_BILINEAR
        guard let context = sws_getCachedContext(sws, Int32(srcW), Int32(srcH), format, Int32(w), Int32(h), AV_PIX_FMT_GRAY8,
                                                 flags, nil, nil, nil) else {
            let name = av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "format \(f.format)"
            throw Failure.unsupportedFormat(name)
        }
        sws = context
        // Decoders mark full-range (JPEG) luma; video is usually 16…235. Gray out is always full range.
        let fullRange = f.color_range == AVCOL_RANGE_JPEG
        if configured.sws != context || configured.fullRange != fullRange {
            let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
            _ = sws_setColorspaceDetails(context, coefficients, fullRange ? 1 : 0, coefficients, 1, 0, 1 << 16, 1 << 16)
            configured = (context, fullRange)
        }

        let stride = (w + 31) & ~31
        let needed = stride * h + 64   // swscale may store a vector past the last row's end
        if needed > scratchCapacity {
            av_free(scratch)
            scratch = av_malloc(needed)?.assumingMemoryBound(to: UInt8.self)
            scratchCapacity = scratch == nil ? 0 : needed
            guard scratch != nil else { throw Failure.outOfMemory }
        }
        var planes: [UnsafeMutablePointer<UInt8>?] = [scratch, nil, nil, nil]
        var strides: [Int32] = [Int32(stride), 0, 0, 0]
        let rows = withUnsafePointer(to: f.data) { data in
            withUnsafePointer(to: f.linesize) { lines in
                data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
                        sws_scale(context, src, srcStride, 0, Int32(srcH), &planes, &strides)
                    }
                }
            }
        }
        guard rows > 0 else { throw Failure.unsupportedFormat("swscale returned \(rows)") }

        let turned = rotation == 90 || rotation == 270
        let outW = turned ? h : w, outH = turned ? w : h
        if output.count != outW * outH { output = [UInt8](repeating: 0, count: outW * outH) }
        let src = UnsafePointer(scratch!)
        output.withUnsafeMutableBufferPointer { buffer in
            let dst = buffer.baseAddress!
            switch rotation {
            case 90:   // displayed (x, y) is coded (y, h-1-x): the left column, read upwards, becomes the top row
                for y in 0..<outH { for x in 0..<outW { dst[y * outW + x] = src[(h - 1 - x) * stride + y] } }
            case 180:
                for y in 0..<outH { for x in 0..<outW { dst[y * outW + x] = src[(h - 1 - y) * stride + (w - 1 - x)] } }
            case 270:  // displayed (x, y) is coded (w-1-y, x)
                for y in 0..<outH { for x in 0..<outW { dst[y * outW + x] = src[x * stride + (w - 1 - y)] } }
            default:
                for y in 0..<h { (dst + y * w).update(from: src + y * stride, count: w) }
            }
        }
        return (GrayImage(width: outW, height: outH, pixels: output), scale)
    }
}
