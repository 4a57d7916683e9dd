import FERData

/// One decoded frame, as the analysis takes it.
public struct VideoFrame: Sendable {
    /// 0-based count of every decoded frame of the stream (after a seek: see `VideoDecoder.seek`).
    public var index: Int
    /// Seconds from the start of the stream: (best-effort pts − the stream's start time) × its time
    /// base. Never derived from the index and the frame rate, so variable-rate videos keep true times.
    public var timestamp: Double
    /// In display orientation (the rotation applied), scaled so the longer side is at most the
    /// decoder's maxSide; 0×0 when the caller did not want it.
    public var image: GrayImage
    /// Image pixels per source pixel (1 when not downscaled).
    public var scale: Double

    public init(index: Int, timestamp: Double, image: GrayImage, scale: Double) {
        self.index = index; self.timestamp = timestamp; self.image = image; self.scale = scale
    }
}

/// How a video source is opened.
public struct VideoOpenOptions: Sendable {
    /// Seconds a network or camera read may block before it gives up (nextFrame then throws
    /// `.interrupted`); nil waits for ever. Files ignore it.
    public var timeout: Double?
    /// FFmpeg's decoder threads (0: FFmpeg's own choice); nil picks by frame size
    /// (`VideoDecoder.threads(width:height:)`). Set by the benchmark that measures them.
    public var decoderThreads: Int32?

    public init(timeout: Double? = 10, decoderThreads: Int32? = nil) {
        self.timeout = timeout
        self.decoderThreads = decoderThreads
    }
}
