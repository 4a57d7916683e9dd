import CFFmpeg
import Foundation

/// Writes gray frames as a video, each at the time it is given (so the frame rate may vary), for
/// the tests, `ferdash synth --video` and `bench --video`. The codec follows the extension:
/// .mp4/.mkv/.mov H.264 (libx264), .webm VP9, .avi Motion JPEG, .gif GIF.
///
/// Gray becomes yuv420p with U = V = 128, flagged full range, so a decoder's gray is the gray
/// written (up to the codec's loss). AVI holds one frame per tick of its time base: give it the
/// frame rate (e.g. (1, 25)), not milliseconds.
public final class VideoEncoder {
    public let path: String
    public let width: Int
    public let height: Int

    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let stream: UnsafeMutablePointer<AVStream>
    private let timeBase: AVRational
    private var lastPTS = Int64.min
    /// Ticks between the last two frames: the duration given to packets the encoder leaves
    /// without one. MP4's edit list ends where the last frame's duration does, so a last frame
    /// of duration 0 would be cut from the video.
    private var lastInterval: Int64 = 1
    private var finished = false

    /// `timeBase` is the tick timestamps are rounded to, in seconds (num/den); `rotation` (degrees
    /// clockwise, a multiple of 90) is written as a display matrix (MP4 and MOV only) so players
    /// turn the picture; the frames themselves are stored as given.
    public init(path: String, width: Int, height: Int, timeBase: (num: Int, den: Int) = (1, 1000), rotation: Int = 0) throws {
        FFmpeg.ready
        self.path = path; self.width = width; self.height = height
        func fail(_ message: String) -> VideoError { VideoError(.cannotOpen, file: path, message: message) }
        let ext = (path as NSString).pathExtension.lowercased()
        let codecName: String, pixelFormat: AVPixelFormat
        switch ext {
        case "mp4", "mkv", "mov": (codecName, pixelFormat) = ("libx264", AV_PIX_FMT_YUV420P)
        case "webm": (codecName, pixelFormat) = ("libvpx-vp9", AV_PIX_FMT_YUV420P)
        case "avi": (codecName, pixelFormat) = ("mjpeg", AV_PIX_FMT_YUVJ420P)
        case "gif": (codecName, pixelFormat) = ("gif", AV_PIX_FMT_GRAY8)
        default: throw fail("cannot tell which codec to write from the extension '.\(ext)' (known: .mp4 .mkv .mov .webm .avi .gif)")
        }
        guard (1...VideoDecoder.maxSourceSide).contains(width), (1...VideoDecoder.maxSourceSide).contains(height) else {
            throw fail("cannot write \(width)×\(height) frames")
        }
        if codecName == "libx264", width % 2 != 0 || height % 2 != 0 {
            throw fail("H.264 in 4:2:0 needs an even width and height, not \(width)×\(height)")
        }
        guard timeBase.num > 0, timeBase.den > 0, timeBase.num <= Int(Int32.max), timeBase.den <= Int(Int32.max) else {
            throw fail("the time base \(timeBase.num)/\(timeBase.den) is not a positive fraction")
        }
        let quarter = ((rotation % 360) + 360) % 360
        guard quarter % 90 == 0 else { throw fail("rotation must be a multiple of 90 degrees, not \(rotation)") }
        if quarter != 0, ext != "mp4", ext != "mov" { throw fail("only .mp4 and .mov files can say they are rotated") }
        self.timeBase = AVRational(num: Int32(timeBase.num), den: Int32(timeBase.den))

        // Looked up before anything is allocated: a throw before every property is set skips deinit.
        guard let encoder = avcodec_find_encoder_by_name(codecName) else { throw fail("this FFmpeg has no \(codecName) encoder") }
        var created = avformat_alloc_output_context2(&output, nil, nil, path)
        guard created >= 0, let output else { throw fail("cannot write this container: \(FFmpeg.text(created))") }
        guard let newStream = avformat_new_stream(output, nil), let context = avcodec_alloc_context3(encoder),
              let frame = av_frame_alloc(), let packet = av_packet_alloc() else { throw fail("out of memory") }
        stream = newStream
        self.context = context; self.frame = frame; self.packet = packet

        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = pixelFormat
        context.pointee.time_base = self.timeBase
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.gop_size = 50   // a keyframe at least every 50 frames: seeking has somewhere to land
        if output.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        switch codecName {
        case "libx264":
            av_dict_set(&options, "preset", "veryfast", 0)
            av_dict_set(&options, "crf", "16", 0)
        case "libvpx-vp9":
            av_dict_set(&options, "deadline", "realtime", 0)
            av_dict_set(&options, "cpu-used", "8", 0)
            av_dict_set(&options, "crf", "20", 0)
            context.pointee.bit_rate = 0
        case "mjpeg":
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = FF_QP2LAMBDA * 2
        default:
            break
        }
        created = avcodec_open2(context, encoder, &options)
        if created < 0 { throw fail("cannot start the \(codecName) encoder: \(FFmpeg.text(created))") }
        created = avcodec_parameters_from_context(stream.pointee.codecpar, context)
        if created < 0 { throw fail("cannot set up the stream: \(FFmpeg.text(created))") }
        stream.pointee.time_base = self.timeBase
        if quarter != 0 {
            // av_display_rotation_set takes the clockwise angle (av_display_rotation_get reports
            // the same matrix as counterclockwise, hence the minus on the decoder's side).
            created = cffmpeg_set_stream_rotation(stream, Double(quarter))
            if created < 0 { throw fail("cannot write the rotation: \(FFmpeg.text(created))") }
        }

        frame.pointee.format = pixelFormat.rawValue
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.color_range = AVCOL_RANGE_JPEG
        created = av_frame_get_buffer(frame, 0)
        if created < 0 { throw fail("out of memory: \(FFmpeg.text(created))") }

        if output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            created = avio_open(&output.pointee.pb, path, AVIO_FLAG_WRITE)
            if created < 0 { throw fail("cannot create the file: \(FFmpeg.text(created))") }
        }
        var muxerOptions: OpaquePointer?
        defer { av_dict_free(&muxerOptions) }
        // The index first: a copy cut short still opens, and players start before the end arrives.
        if ext == "mp4" || ext == "mov" { av_dict_set(&muxerOptions, "movflags", "+faststart", 0) }
        created = avformat_write_header(output, &muxerOptions)
        if created < 0 { throw fail("cannot write the header: \(FFmpeg.text(created))") }
    }

    deinit {
        // Unfinished: the file is closed as it stands (no trailer), everything freed.
        avcodec_free_context(&context)
        av_frame_free(&frame)
        av_packet_free(&packet)
        if let output {
            if output.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&output.pointee.pb) }
            avformat_free_context(output)
        }
    }

    /// One frame of width × height gray bytes, shown from `seconds` on (rounded to the time
    /// base); times must increase.
    public func append(gray: [UInt8], at seconds: Double) throws {
        guard !finished else { throw VideoError(.damaged, file: path, time: seconds, message: "the video is already finished") }
        guard gray.count == width * height else {
            throw VideoError(.damaged, file: path, time: seconds, message: "a frame of \(gray.count) bytes; \(width)×\(height) needs \(width * height)")
        }
        let ticks = (seconds * Double(timeBase.den) / Double(timeBase.num)).rounded()
        guard ticks.isFinite, abs(ticks) < 1e15 else {
            throw VideoError(.damaged, file: path, message: "cannot write a frame at \(seconds) s")
        }
        let pts = Int64(ticks)
        guard pts > lastPTS else {
            throw VideoError(.damaged, file: path, time: seconds,
                             message: "frame times must increase: this one falls on the tick of the one before (time base \(timeBase.num)/\(timeBase.den) s)")
        }
        let frame = self.frame!
        var status = av_frame_make_writable(frame)
        if status < 0 { throw VideoError(.damaged, file: path, time: seconds, message: "out of memory: \(FFmpeg.text(status))") }
        fill(frame, with: gray)
        frame.pointee.pts = pts
        status = avcodec_send_frame(context, frame)
        if status < 0 { throw VideoError(.damaged, file: path, time: seconds, message: "cannot encode the frame: \(FFmpeg.text(status))") }
        if lastPTS != Int64.min { lastInterval = max(1, pts - lastPTS) }
        lastPTS = pts
        try writePackets(at: seconds)
    }

    /// Flushes the encoder and writes the trailer; the file is complete afterwards.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        let status = avcodec_send_frame(context, nil)
        if status < 0 { throw VideoError(.damaged, file: path, message: "cannot flush the encoder: \(FFmpeg.text(status))") }
        try writePackets(at: nil)
        let trailer = av_write_trailer(output)
        if trailer < 0 { throw VideoError(.damaged, file: path, message: "cannot finish the file: \(FFmpeg.text(trailer))") }
        if output!.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let closed = avio_closep(&output!.pointee.pb)
            if closed < 0 { throw VideoError(.damaged, file: path, message: "cannot close the file: \(FFmpeg.text(closed))") }
        }
    }

    private func fill(_ frame: UnsafeMutablePointer<AVFrame>, with gray: [UInt8]) {
        let f = frame.pointee
        let planes = withUnsafePointer(to: f.data) { $0.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 3)) } }
        let strides = withUnsafePointer(to: f.linesize) { $0.withMemoryRebound(to: Int32.self, capacity: 8) { Array(UnsafeBufferPointer(start: $0, count: 3)) } }
        gray.withUnsafeBufferPointer { src in
            for y in 0..<height {
                (planes[0]! + y * Int(strides[0])).update(from: src.baseAddress! + y * width, count: width)
            }
        }
        guard f.format != AV_PIX_FMT_GRAY8.rawValue else { return }
        // No colour: both chroma planes at their middle.
        for plane in 1...2 {
            for y in 0..<(height + 1) / 2 {
                (planes[plane]! + y * Int(strides[plane])).update(repeating: 128, count: (width + 1) / 2)
            }
        }
    }

    private func writePackets(at seconds: Double?) throws {
        while true {
            let received = avcodec_receive_packet(context, packet)
            if received == FFmpeg.again || received == FFmpeg.eof { return }
            if received < 0 { throw VideoError(.damaged, file: path, time: seconds, message: "cannot encode: \(FFmpeg.text(received))") }
            if packet!.pointee.duration <= 0 { packet!.pointee.duration = lastInterval }
            av_packet_rescale_ts(packet, timeBase, stream.pointee.time_base)
            packet!.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(output, packet)
            if written < 0 { throw VideoError(.damaged, file: path, time: seconds, message: "cannot write: \(FFmpeg.text(written))") }
        }
    }
}
