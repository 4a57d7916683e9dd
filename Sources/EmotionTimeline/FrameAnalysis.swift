import FERData

/// The video a timeline belongs to, as its decoder reported it.
public struct VideoInfo: Sendable, Equatable {
    /// The path or URL as the person gave it.
    public var source: String
    /// The demuxer's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    public var container: String
    /// The video codec's name, e.g. "h264".
    public var codec: String
    /// The displayed size in source pixels: after the rotation below, before any downscaling.
    public var width: Int
    public var height: Int
    /// Degrees clockwise the coded picture is turned to display it (0, 90, 180 or 270), from the
    /// stream's display matrix (phone videos).
    public var rotation: Int
    /// Seconds, when the container says; nil for live streams.
    public var duration: Double?
    /// The average frame rate, for display and estimates only: timestamps never derive from it.
    public var frameRate: Double?
    /// A stream (camera, network) rather than a file: no duration, no seeking.
    public var isLive: Bool

    public init(source: String, container: String, codec: String, width: Int, height: Int, rotation: Int = 0,
                duration: Double?, frameRate: Double?, isLive: Bool = false) {
        self.source = source; self.container = container; self.codec = codec
        self.width = width; self.height = height; self.rotation = rotation
        self.duration = duration; self.frameRate = frameRate; self.isLive = isLive
    }
}

/// One face in one analysed frame: where it is, how sure the detector was, and what the network
/// says of it.
public struct FaceObservation: Sendable, Equatable {
    /// Follows one person across frames (see `FaceTracker`); 0, 1, 2, … in order of appearance.
    public var faceID: Int
    /// In source pixels of the displayed (rotated) frame.
    public var box: PixelRect
    /// The detector's confidence, 0...1.
    public var confidence: Double
    /// Seven probabilities in `Emotion` order.
    public var probabilities: [Float]

    public init(faceID: Int, box: PixelRect, confidence: Double, probabilities: [Float]) {
        precondition(probabilities.count == Emotion.allCases.count, "seven probabilities, in Emotion order")
        self.faceID = faceID; self.box = box; self.confidence = confidence; self.probabilities = probabilities
    }

    /// The most probable emotion (the first of equals).
    public var label: Emotion {
        Emotion(mostLikelyIn: probabilities)
    }
}

/// What the analysis found in one analysed frame. No faces means none was found there: the table
/// still gets a row for it (`success` 0), so gaps stay visible.
public struct FrameAnalysis: Sendable, Equatable {
    /// The decoded frame's index, 0-based, counting every frame of the stream (analysed or not).
    public var frame: Int
    /// Presentation time in seconds from the start of the stream: the frame's pts × its stream's
    /// time base, less the stream's start time.
    public var timestamp: Double
    public var faces: [FaceObservation]

    public init(frame: Int, timestamp: Double, faces: [FaceObservation]) {
        self.frame = frame; self.timestamp = timestamp; self.faces = faces
    }
}
