import CFFmpeg
import Foundation

/// An opened container: the AVFormatContext with its interrupt state and, for bytes in memory,
/// the AVIOContext it reads through. Freed when it goes away, so a decoder that fails half-way
/// through opening leaks nothing.
final class VideoInput {
    enum Kind { case file, memory, device, network }

    let kind: Kind
    /// The name errors use: the path or URL as given.
    let name: String
    private(set) var format: UnsafeMutablePointer<AVFormatContext>?
    /// Outlives the input when a `VideoInterrupter` still holds it.
    let interruptFlag: InterruptFlag
    var interrupt: UnsafeMutablePointer<cffmpeg_interrupt> { interruptFlag.state }
    /// Error lines FFmpeg logged for this input's demuxer and decoder (see cffmpeg_log_callback).
    let tally: UnsafeMutablePointer<cffmpeg_tally>
    /// Microseconds a read of a live source may block; 0 for none.
    let timeoutMicroseconds: Int64
    private var memory: MemoryInput?

    var isLive: Bool { kind == .device || kind == .network }

    /// What a path names: a URL (other than file:) or a device node is live; anything else a file.
    static func kind(of path: String) -> Kind {
        if let scheme = path.range(of: "://").map({ path[..<$0.lowerBound].lowercased() }), scheme != "file" {
            return .network
        }
        return path.hasPrefix("/dev/") ? .device : .file
    }

    private init(kind: Kind, name: String, timeout: Double?) throws {
        FFmpeg.ready
        self.kind = kind
        self.name = name
        let live = kind == .device || kind == .network
        timeoutMicroseconds = live ? Int64(max(0, min(timeout ?? 0, 1e6)) * 1e6) : 0
        guard let flag = InterruptFlag() else {
            throw VideoError(.cannotOpen, file: name, message: "out of memory")
        }
        interruptFlag = flag
        guard let tally = av_mallocz(MemoryLayout<cffmpeg_tally>.size)?.assumingMemoryBound(to: cffmpeg_tally.self) else {
            throw VideoError(.cannotOpen, file: name, message: "out of memory")
        }
        self.tally = tally
        format = avformat_alloc_context()
        guard let format else { throw VideoError(.cannotOpen, file: name, message: "out of memory") }
        cffmpeg_interrupt_install(format, flag.state)
        format.pointee.opaque = UnsafeMutableRawPointer(tally)
    }

    deinit {
        if format != nil {
            if format!.pointee.iformat != nil { avformat_close_input(&format) } else { avformat_free_context(format) }
        }
        memory?.close()
        av_free(tally)
    }

    /// A file, camera or network stream.
    convenience init(path: String, timeout: Double?) throws {
        try self.init(kind: Self.kind(of: path), name: path, timeout: timeout)
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        var inputFormat: UnsafePointer<AVInputFormat>?
        switch kind {
        case .device:
            // Cameras are read without blocking, so interrupt() and the time-out are noticed
            // between polls (v4l2's own read waits in an ioctl that no callback reaches).
            inputFormat = av_find_input_format("v4l2")
            format!.pointee.flags |= AVFMT_FLAG_NONBLOCK
        case .network:
            // Both spellings: rw_timeout is the generic protocol option; tcp, udp, http and rtsp
            // read `timeout` (microseconds in all of them).
            if timeoutMicroseconds > 0 {
                av_dict_set(&options, "rw_timeout", String(timeoutMicroseconds), 0)
                av_dict_set(&options, "timeout", String(timeoutMicroseconds), 0)
            }
        case .file, .memory:
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               (attributes[.size] as? NSNumber)?.intValue == 0, attributes[.type] as? FileAttributeType == .typeRegular {
                throw VideoError(.cannotOpen, file: name, message: "the file is empty")
            }
        }
        try open(url: path, inputFormat: inputFormat, options: &options)
    }

    /// Bytes in memory; `name` names them in errors and hints at the container by its extension.
    convenience init(bytes: [UInt8], name: String) throws {
        try self.init(kind: .memory, name: name, timeout: nil)
        guard !bytes.isEmpty else { throw VideoError(.cannotOpen, file: name, message: "the file is empty") }
        do { memory = try MemoryInput(bytes: bytes) } catch {
            throw VideoError(.cannotOpen, file: name, message: "out of memory")
        }
        memory!.interrupt = interrupt
        format!.pointee.pb = memory!.context
        format!.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        var options: OpaquePointer?
        try open(url: name, inputFormat: nil, options: &options)
    }

    private func open(url: String, inputFormat: UnsafePointer<AVInputFormat>?, options: inout OpaquePointer?) throws {
        cffmpeg_interrupt_arm(interrupt, timeoutMicroseconds)
        // On failure avformat_open_input frees the context itself (and sets it to nil).
        let opened = avformat_open_input(&format, url, inputFormat, &options)
        if opened < 0 { throw openError(opened) }
        cffmpeg_interrupt_arm(interrupt, timeoutMicroseconds)
        let probed = avformat_find_stream_info(format, nil)
        cffmpeg_interrupt_arm(interrupt, 0)
        if probed < 0 {
            if let stopped = stopError(at: nil) { throw stopped }
            throw VideoError(.cannotOpen, file: name, message: "cannot read the streams' parameters: \(FFmpeg.text(probed))")
        }
    }

    private func openError(_ code: Int32) -> VideoError {
        if let stopped = stopError(at: nil) {
            return VideoError(stopped.kind == .interrupted && cffmpeg_interrupt_timed_out(interrupt) != 0 ? .cannotOpen : stopped.kind,
                              file: name, message: stopped.message)
        }
        let reason = FFmpeg.text(code)
        let errno = FFmpeg.errno(code)
        switch kind {
        case .device:
            if errno == ENOENT || errno == ENODEV || errno == ENXIO {
                return VideoError(.cannotOpen, file: name,
                                  message: "no camera at \(name) (is one connected? `ls /dev/video*` lists the cameras there are)")
            }
            if errno == EACCES || errno == EPERM {
                return VideoError(.cannotOpen, file: name,
                                  message: "no permission to use the camera at \(name) (is the user in the 'video' group?)")
            }
            return VideoError(.cannotOpen, file: name, message: "cannot open the camera at \(name): \(reason)")
        case .network:
            return VideoError(.cannotOpen, file: name, message: "cannot open the stream: \(reason)")
        case .file, .memory:
            if errno == ENOENT { return VideoError(.cannotOpen, file: name, message: "no such file") }
            if errno == EACCES || errno == EPERM { return VideoError(.cannotOpen, file: name, message: "permission denied") }
            if code == FFmpeg.invalidData {
                return VideoError(.cannotOpen, file: name,
                                  message: "not a video, or a container FFmpeg does not know (\(reason))")
            }
            if code == FFmpeg.eof {
                return VideoError(.cannotOpen, file: name,
                                  message: "the file ends inside its header (cut off, or its writer stopped before the first frame)")
            }
            return VideoError(.cannotOpen, file: name, message: "cannot open: \(reason)")
        }
    }

    /// The error for a read that stopped because of interrupt() or the time-out, if that is why.
    func stopError(at time: Double?) -> VideoError? {
        if cffmpeg_interrupt_stopped(interrupt) != 0 {
            return VideoError(.interrupted, file: name, time: time, message: "interrupted")
        }
        if cffmpeg_interrupt_timed_out(interrupt) != 0 {
            let seconds = String(format: "%g", Double(timeoutMicroseconds) / 1e6)
            return VideoError(.interrupted, file: name, time: time, message: "no data for \(seconds) s (has the stream stopped?)")
        }
        return nil
    }
}
