import CFFmpeg
import EmotionTimeline
import FERData
import Foundation

/// Reads the frames of a video (file, bytes in memory, camera or network stream) in order, each
/// with its presentation time, as a bounded gray image in display orientation.
///
/// Not thread-safe, except `interrupt()` (another thread holds an `interrupter`). Trouble
/// part-way is reported two ways:
/// - damaged data (packets the demuxer or decoder rejects, frames the decoder had to patch up)
///   is skipped and decoding goes on; each damaged stretch becomes one line in `warnings`;
/// - a file that ends before its header says it should (cut off while copying or recording)
///   returns every frame before the cut, then nil, with a `warnings` line saying where it stops.
///   Only what stops decoding for good is thrown (`.damaged` with the time, `.interrupted`).
public final class VideoDecoder {
    public let info: VideoInfo
    public private(set) var warnings: [String] = []

    /// Source frames larger than this are refused before anything is decoded (and the decoder is
    /// told the same limit for frames that change size part-way): 16384 per side, 8192² in all.
    static let maxSourceSide = 16384
    static let maxSourcePixels = 8192 * 8192
    /// A bound on warning lines, so an hour of damage costs a few kilobytes.
    static let maxWarnings = 100
    /// Decoder threads (FFmpeg's frame threads for files, slice threads for live sources). One up
    /// to 720p: 640×480 H.264 decodes and scales at ~700 frames/s on one thread of this 2-core
    /// machine, and a second thread bought nothing there while the analysis and other work held
    /// the cores (VideoBenchmarkTests, 1/2/3/auto threads all within 5%). Larger frames get more
    /// where there are cores to spare, always leaving one to the analysis.
    /// `VideoOpenOptions.decoderThreads` overrides it.
    static func threads(width: Int, height: Int) -> Int32 {
        if width * height <= 1280 * 720 { return 1 }
        return Int32(max(1, min(4, ProcessInfo.processInfo.activeProcessorCount - 1)))
    }

    private let input: VideoInput
    private let codec: CodecState
    private let stream: UnsafeMutablePointer<AVStream>
    private let streamIndex: Int32
    /// The stream's time base, as a fraction (times are ticks × num ÷ den, exact for 1/10 s ticks)
    /// and in seconds.
    private let timeBaseFraction: (num: Double, den: Double)
    private let timeBase: Double
    private let rotation: Int
    private let scaler: GrayScaler
    /// The stream's start time in its time base; when the container does not say, the first pts.
    private var startPTS: Int64?

    private var nextIndex = 0
    private var draining = false
    private var ended = false
    private var seeked = false
    /// After a seek: frames before this time are decoded (they are needed) but not returned.
    private var skipBefore: Double?
    /// After a seek: the index of the first frame comes from the first packet read.
    private var indexPending = false
    private var lastTimestamp: Double?
    private var lastDuration: Double?
    private var consecutiveFailures = 0
    private var damagedPackets = DamageLog { "skipped \($0) damaged packet" + ($0 == 1 ? "" : "s") }
    private var patchedFrames = DamageLog { "\($0) frame" + ($0 == 1 ? " was" : "s were") + " damaged (the decoder filled in the gaps)" }
    /// FFmpeg's error lines for this input so far, as last seen: more means the frame now coming
    /// out was patched up (H.264 conceals damage and says so only in its log).
    private var seenErrors: Int32 = 0
    private var untimedFrames = DamageLog { "\($0) frame" + ($0 == 1 ? " had" : "s had") + " no timestamp (time estimated from the one before)" }
    private var droppedWarnings = 0

    /// A file, a camera (`/dev/video0`) or a network stream (`udp://`, `tcp://`, `rtsp://`, `http(s)://`).
    public convenience init(path: String, maxSide: Int = 1280, options: VideoOpenOptions = .init()) throws {
        try self.init(input: VideoInput(path: path, timeout: options.timeout), maxSide: maxSide,
                      decoderThreads: options.decoderThreads)
    }

    /// Bytes in memory, named `name` in errors (its extension hints at the container).
    public convenience init(bytes: [UInt8], name: String, maxSide: Int = 1280) throws {
        try self.init(input: VideoInput(bytes: bytes, name: name), maxSide: maxSide, decoderThreads: nil)
    }

    private init(input: VideoInput, maxSide: Int, decoderThreads: Int32?) throws {
        self.input = input
        let format = input.format!
        let name = input.name

        var decoder: UnsafePointer<AVCodec>?
        let best = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        let streams = UnsafeBufferPointer(start: format.pointee.streams, count: Int(format.pointee.nb_streams))
        if best == FFmpeg.streamNotFound || (best >= 0 && streams[Int(best)]!.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0) {
            throw VideoError(.noVideoStream, file: name, message: "no video stream in it (\(Self.describe(streams)))")
        }
        if best == FFmpeg.decoderNotFound || (best >= 0 && decoder == nil) {
            let id = streams.first { $0!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO }??.pointee.codecpar.pointee.codec_id
            let codecName = String(cString: avcodec_get_name(id ?? AV_CODEC_ID_NONE))
            throw VideoError(.unsupportedCodec, file: name, message: "this FFmpeg has no decoder for its video codec (\(codecName))")
        }
        if best < 0 { throw VideoError(.cannotOpen, file: name, message: "cannot find the video stream: \(FFmpeg.text(best))") }
        streamIndex = best
        stream = streams[Int(best)]!
        // The demuxer need not hand over packets of the other streams.
        for (i, other) in streams.enumerated() where i != Int(best) { other!.pointee.discard = AVDISCARD_ALL }

        let parameters = stream.pointee.codecpar.pointee
        let codedW = Int(parameters.width), codedH = Int(parameters.height)
        guard codedW > 0, codedH > 0 else {
            throw VideoError(.noFrames, file: name, message: "FFmpeg found no frame size in its \(String(cString: avcodec_get_name(parameters.codec_id))) video")
        }
        guard codedW <= Self.maxSourceSide, codedH <= Self.maxSourceSide, codedW * codedH <= Self.maxSourcePixels else {
            throw VideoError(.cannotOpen, file: name,
                             message: "its frames are \(codedW)×\(codedH) pixels, more than ferdash reads (at most \(Self.maxSourceSide) a side, \(Self.maxSourcePixels / 1_000_000) megapixels)")
        }

        codec = try CodecState(decoder: decoder!, stream: stream, input: input, threads: decoderThreads)
        seenErrors = cffmpeg_tally_errors(input.tally)
        timeBase = FFmpeg.seconds(stream.pointee.time_base)
        timeBaseFraction = (Double(stream.pointee.time_base.num), Double(stream.pointee.time_base.den))
        guard timeBase > 0 else { throw VideoError(.cannotOpen, file: name, message: "the video stream has no time base") }
        startPTS = stream.pointee.start_time == FFmpeg.noPTS ? nil : stream.pointee.start_time
        rotation = Self.clockwiseRotation(cffmpeg_stream_rotation(stream))
        scaler = GrayScaler(maxSide: maxSide)

        let turned = rotation == 90 || rotation == 270
        var duration: Double?
        if !input.isLive {
            if format.pointee.duration != FFmpeg.noPTS, format.pointee.duration > 0 {
                duration = Double(format.pointee.duration) / Double(AV_TIME_BASE)
            } else if stream.pointee.duration != FFmpeg.noPTS, stream.pointee.duration > 0 {
                duration = Double(stream.pointee.duration) * timeBase
            }
        }
        let rate = av_guess_frame_rate(format, stream, nil)
        info = VideoInfo(source: name, container: String(cString: format.pointee.iformat.pointee.name),
                         codec: String(cString: avcodec_get_name(parameters.codec_id)),
                         width: turned ? codedH : codedW, height: turned ? codedW : codedH, rotation: rotation,
                         duration: duration, frameRate: rate.num > 0 && rate.den > 0 ? FFmpeg.seconds(rate) : nil,
                         isLive: input.isLive)
    }

    /// A display matrix's counterclockwise angle as the clockwise quarter turn a viewer applies.
    static func clockwiseRotation(_ counterclockwise: Double) -> Int {
        guard counterclockwise.isFinite else { return 0 }
        let quarters = Int((-counterclockwise / 90).rounded())
        return ((quarters % 4) + 4) % 4 * 90
    }

    private static func describe(_ streams: UnsafeBufferPointer<UnsafeMutablePointer<AVStream>?>) -> String {
        var counts: [String: Int] = [:]
        for s in streams {
            let p = s!.pointee
            let kind = p.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 ? "cover picture"
                : av_get_media_type_string(p.codecpar.pointee.codec_type).map { String(cString: $0) } ?? "unknown"
            counts[kind, default: 0] += 1
        }
        if counts.isEmpty { return "it holds no streams" }
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key) stream" + ($0.value == 1 ? "" : "s") }
        return "it holds " + parts.joined(separator: ", ")
    }

    // MARK: - Reading

    /// The next frame, or nil at the end. `wantImage: false` skips the conversion (index and time
    /// only). Throws `.noFrames` when a video ends without any frame, `.interrupted` after
    /// `interrupt()` or a live source's time-out, `.damaged` when the input cannot be read on.
    public func nextFrame(wantImage: Bool = true) throws -> VideoFrame? {
        if let stopped = input.stopError(at: lastTimestamp) { throw stopped }
        guard !ended else { return nil }
        while true {
            let received = avcodec_receive_frame(codec.context, codec.frame)
            if received == 0 {
                defer { av_frame_unref(codec.frame) }
                consecutiveFailures = 0
                if let frame = try deliver(wantImage: wantImage) { return frame }
                continue
            }
            if received == FFmpeg.eof { return try finish() }
            if received != FFmpeg.again {
                // The decoder gave up on a frame it was assembling (frame threads report it here).
                damagedPackets.note(at: lastTimestamp)
                try countFailure(received)
                continue
            }
            if draining { return try finish() }
            try feed()
        }
    }

    /// Reads packets until one of the video stream's went to the decoder (or the input ended).
    private func feed() throws {
        let format = input.format!
        let packet = codec.packet
        while true {
            cffmpeg_interrupt_arm(input.interrupt, input.timeoutMicroseconds)
            let read = av_read_frame(format, packet)
            if read == FFmpeg.again, input.kind == .device {
                // A camera with no new picture yet (read without blocking): poll, minding the deadline.
                if cffmpeg_interrupt_check(input.interrupt) != 0, let stopped = input.stopError(at: lastTimestamp) { throw stopped }
                usleep(2000)
                continue
            }
            if read < 0 {
                if let stopped = input.stopError(at: lastTimestamp) { throw stopped }
                if read == FFmpeg.eof || avio_feof(format.pointee.pb) != 0 {
                    draining = true
                    avcodec_send_packet(codec.context, nil)   // flush: the frames still held come out
                    return
                }
                // The container itself is damaged here; demuxers resynchronise on the next read.
                damagedPackets.note(at: lastTimestamp)
                try countFailure(read)
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            if indexPending { startIndex(after: packet.pointee) }
            let sent = avcodec_send_packet(codec.context, packet)
            if sent < 0, sent != FFmpeg.again {
                damagedPackets.note(at: time(packet.pointee.pts != FFmpeg.noPTS ? packet.pointee.pts : packet.pointee.dts))
                seenErrors = cffmpeg_tally_errors(input.tally)
                try countFailure(sent)
            }
            return
        }
    }

    /// Damage is skipped, but a stretch where nothing at all succeeds ends the video: no input
    /// spins the decoder for ever.
    private func countFailure(_ code: Int32) throws {
        consecutiveFailures += 1
        if consecutiveFailures > 256 {
            throw VideoError(.damaged, file: input.name, time: lastTimestamp,
                             message: "\(consecutiveFailures) damaged packets in a row; giving up (\(FFmpeg.text(code)))")
        }
    }

    private func time(_ pts: Int64) -> Double? {
        guard pts != FFmpeg.noPTS else { return nil }
        return seconds(pts &- (startPTS ?? pts))
    }

    private func seconds(_ ticks: Int64) -> Double {
        Double(ticks) * timeBaseFraction.num / timeBaseFraction.den
    }

    /// Turns the decoded frame into a VideoFrame, or nil when it precedes a seek's target.
    private func deliver(wantImage: Bool) throws -> VideoFrame? {
        let f = codec.frame.pointee
        var timestamp: Double
        let pts = f.best_effort_timestamp
        if pts != FFmpeg.noPTS {
            if startPTS == nil { startPTS = pts }
            timestamp = seconds(pts &- startPTS!)
        } else {
            // No time at all: the previous frame's plus its duration (or the frame's own).
            let own = f.pkt_duration > 0 ? Double(f.pkt_duration) * timeBase : nil
            timestamp = (lastTimestamp ?? 0) + (lastDuration ?? own ?? info.frameRate.map { 1 / $0 } ?? 0)
            untimedFrames.note(at: timestamp)
        }
        if !timestamp.isFinite { timestamp = lastTimestamp ?? 0 }
        if f.pkt_duration > 0 { lastDuration = Double(f.pkt_duration) * timeBase }
        lastTimestamp = timestamp

        if let target = skipBefore {
            if timestamp < target - timeBase / 2 { nextIndex += 1; return nil }
            skipBefore = nil
        }
        let errors = cffmpeg_tally_errors(input.tally)
        defer { seenErrors = errors }
        if f.flags & AV_FRAME_FLAG_CORRUPT != 0 || f.decode_error_flags != 0 || errors != seenErrors {
            patchedFrames.note(at: timestamp)
        } else {
            closeDamage()
        }

        var image = GrayImage(width: 0, height: 0, pixels: [])
        var scale = 1.0
        if wantImage {
            guard f.width > 0, f.height > 0, Int(f.width) <= Self.maxSourceSide, Int(f.height) <= Self.maxSourceSide else {
                throw VideoError(.damaged, file: input.name, time: timestamp, message: "a frame of \(f.width)×\(f.height) pixels")
            }
            do {
                (image, scale) = try scaler.gray(codec.frame, rotation: rotation)
            } catch GrayScaler.Failure.unsupportedFormat(let format) {
                throw VideoError(.unsupportedCodec, file: input.name, time: timestamp, message: "cannot convert its \(format) pictures to gray")
            } catch {
                throw VideoError(.damaged, file: input.name, time: timestamp, message: "out of memory converting a frame")
            }
        } else {
            scale = GrayScaler.boundedSize(width: Int(f.width), height: Int(f.height), maxSide: scaler.maxSide).scale
        }
        defer { nextIndex += 1 }
        return VideoFrame(index: nextIndex, timestamp: timestamp, image: image, scale: scale)
    }

    /// The end of the stream: what is still open becomes warnings, and a file that stops well short
    /// of its header's duration is said to be cut off.
    private func finish() throws -> VideoFrame? {
        ended = true
        closeDamage()
        if let line = untimedFrames.close() { warn(line) }
        if nextIndex == 0, !seeked {
            let damage = damagedPackets.total > 0 ? " (\(damagedPackets.total) damaged packets skipped)" : ""
            throw VideoError(.noFrames, file: input.name, message: "no frame could be decoded\(damage)")
        }
        // Cut off: well short of the header's duration, or of its frame count (AVI recomputes the
        // duration from what is there, but keeps the count).
        if !seeked, let last = lastTimestamp {
            let interval = lastDuration ?? info.frameRate.map { 1 / $0 } ?? 0
            let listed = Int(stream.pointee.nb_frames)
            if let duration = info.duration, duration - (last + interval) > max(0.5, 3 * interval) {
                warn("the video stops at \(TimeText.position(last)) but its header says it lasts \(TimeText.position(duration)): the file looks cut off")
            } else if listed > 0, listed - nextIndex > damagedPackets.total + 2 {
                warn("the video stops at \(TimeText.position(last)) after \(nextIndex) of the \(listed) frames its header lists: the file looks cut off")
            }
        }
        return nil
    }

    private func closeDamage() {
        if let line = damagedPackets.close() { warn(line) }
        if let line = patchedFrames.close() { warn(line) }
    }

    private func warn(_ line: String) {
        if warnings.count < Self.maxWarnings - 1 {
            warnings.append(line)
        } else {
            droppedWarnings += 1
            let summary = "… and \(droppedWarnings) more warning" + (droppedWarnings == 1 ? "" : "s")
            if warnings.count == Self.maxWarnings { warnings[warnings.count - 1] = summary } else { warnings.append(summary) }
        }
    }

    // MARK: - Seeking

    /// Files only: the next frame is then the first at or after `seconds` (decoded forward from the
    /// keyframe before it). Its index is exact where the container indexes every frame (MP4, MOV,
    /// AVI); elsewhere (Matroska/WebM, GIF) it is estimated from the keyframe's time and the frame rate.
    public func seek(to seconds: Double) throws {
        guard !info.isLive else {
            throw VideoError(.cannotOpen, file: input.name, message: "cannot seek in a live stream")
        }
        guard seconds.isFinite else { throw VideoError(.cannotOpen, file: input.name, message: "cannot seek to \(seconds) s") }
        if let stopped = input.stopError(at: lastTimestamp) { throw stopped }
        let target = max(0, seconds)
        let start = startPTS ?? 0
        let ticks = Int64(min(target / timeBase, 1e15)) &+ start
        var result = avformat_seek_file(input.format, streamIndex, Int64.min, ticks, ticks, 0)
        if result < 0 {
            // Some demuxers (GIF) can only go back to the start; decode forward from there.
            result = avformat_seek_file(input.format, streamIndex, Int64.min, start, start, 0)
        }
        if result < 0 {
            throw VideoError(.damaged, file: input.name, time: target, message: "cannot seek: \(FFmpeg.text(result))")
        }
        avcodec_flush_buffers(codec.context)
        closeDamage()
        draining = false; ended = false; seeked = true
        skipBefore = target
        indexPending = true
        lastTimestamp = nil; lastDuration = nil
        consecutiveFailures = 0
    }

    /// The index of the first frame after a seek: the keyframe's place among the demuxer's index
    /// entries when it lists every frame, or else its time × the frame rate.
    private func startIndex(after packet: AVPacket) {
        indexPending = false
        let count = avformat_index_get_entries_count(stream)
        if packet.dts != FFmpeg.noPTS, count > 0, Int64(count) == stream.pointee.nb_frames {
            let i = av_index_search_timestamp(stream, packet.dts, AVSEEK_FLAG_BACKWARD)
            if i >= 0, let entry = avformat_index_get_entry(stream, i), entry.pointee.timestamp == packet.dts {
                nextIndex = Int(i)
                return
            }
        }
        let t = time(packet.pts != FFmpeg.noPTS ? packet.pts : packet.dts) ?? 0
        nextIndex = max(0, Int((t * (info.frameRate ?? 0)).rounded()))
    }

    /// Thread-safe: a read blocked in FFmpeg returns, and nextFrame (now and from then on) throws
    /// `.interrupted`.
    public func interrupt() {
        interrupter.interrupt()
    }

    /// What another thread holds to call `interrupt()`: the decoder itself is not `Sendable`.
    public var interrupter: VideoInterrupter { VideoInterrupter(flag: input.interruptFlag) }
}

/// The decoder's context with the packet and frame it reuses for every read.
final class CodecState {
    let context: UnsafeMutablePointer<AVCodecContext>
    let packet: UnsafeMutablePointer<AVPacket>
    let frame: UnsafeMutablePointer<AVFrame>
    /// Held so the input's error tally, which the decoder's threads log into, outlives them
    /// (avcodec_free_context joins the threads first).
    private let input: VideoInput

    /// `threads`: FFmpeg's thread count, nil to pick by frame size (`VideoDecoder.threads`).
    init(decoder: UnsafePointer<AVCodec>, stream: UnsafeMutablePointer<AVStream>, input: VideoInput, threads: Int32?) throws {
        self.input = input
        let name = input.name, live = input.isLive
        guard let context = avcodec_alloc_context3(decoder), let packet = av_packet_alloc(), let frame = av_frame_alloc() else {
            throw VideoError(.cannotOpen, file: name, message: "out of memory")
        }
        self.context = context; self.packet = packet; self.frame = frame
        let copied = avcodec_parameters_to_context(context, stream.pointee.codecpar)
        if copied < 0 { throw VideoError(.cannotOpen, file: name, message: "bad codec parameters: \(FFmpeg.text(copied))") }
        context.pointee.pkt_timebase = stream.pointee.time_base
        context.pointee.opaque = UnsafeMutableRawPointer(input.tally)
        // Look for damage harder than by default (without giving up on it: no AV_EF_EXPLODE), so
        // more of what the decoder patches up shows in the tally and so in `warnings`.
        context.pointee.err_recognition |= AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER
        context.pointee.max_pixels = Int64(VideoDecoder.maxSourcePixels)
        // Frame threads keep a frame per thread in flight: fine for files, latency for live
        // sources, which get slice threads only.
        context.pointee.thread_count = threads
            ?? VideoDecoder.threads(width: Int(stream.pointee.codecpar.pointee.width), height: Int(stream.pointee.codecpar.pointee.height))
        context.pointee.thread_type = live ? FF_THREAD_SLICE : FF_THREAD_FRAME | FF_THREAD_SLICE
        if live { context.pointee.flags |= AV_CODEC_FLAG_LOW_DELAY }
        let opened = avcodec_open2(context, decoder, nil)
        if opened < 0 {
            throw VideoError(.unsupportedCodec, file: name,
                             message: "cannot start the \(String(cString: decoder.pointee.name)) decoder: \(FFmpeg.text(opened))")
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
    }
}
