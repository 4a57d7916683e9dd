import EmotionTimeline
import FERData
import FERTraining

// The boundary between the video view and the analysis behind it: values in (`VideoEvent`,
// posted from any thread into a `VideoInbox` the loop drains each tick), requests out
// (`VideoAnalysisControl`, called on the UI thread). The executable implements the control.

/// What the analysis (or the code answering the view's requests) tells the video view.
public enum VideoEvent: Sendable, Equatable {
    /// The decoder opened the video: its size, duration (nil for a stream) and frame rate.
    case opened(VideoInfo)
    /// One analysed frame, in time order: its faces, ids and probabilities.
    case analysed(FrameAnalysis)
    /// How far the analysis has got, now and then (a few times a second is plenty).
    case progress(AnalysisProgress)
    /// The picture at a time, answering `requestFrame`: already scaled to the size asked for.
    case frame(time: Double, image: GrayImage)
    /// `requestFrame` could not be answered (seek failed, a stream that cannot seek back…).
    case frameUnavailable(time: Double, reason: String)
    /// A face's 48×48 crop, answering `requestCrop`.
    case faceCrop(FaceCrop)
    /// `requestCrop` could not be answered.
    case cropUnavailable(faceID: Int, time: Double, reason: String)
    /// `exportCSV` wrote the table here.
    case exported(path: String)
    case exportFailed(String)
    /// The analysis reached the end of the video, or stopped after `stop()`. Nothing follows.
    case finished
    /// The analysis gave up (decoder or model error). Nothing follows.
    case failed(String)
}

/// The analysis's pace, for the status line.
public struct AnalysisProgress: Sendable, Equatable {
    /// Frames decoded so far, analysed or skipped.
    public var decodedFrames: Int
    /// Video time (seconds) up to which every frame has been analysed.
    public var analysedUpTo: Double
    /// Video frames the analysis gets through per second of wall time.
    public var framesPerSecond: Double
    public init(decodedFrames: Int, analysedUpTo: Double, framesPerSecond: Double) {
        self.decodedFrames = decodedFrames; self.analysedUpTo = analysedUpTo; self.framesPerSecond = framesPerSecond
    }
}

/// The face the network saw at one analysed frame: 48×48 gray pixels and, when asked for,
/// the saliency map (48×48 values in 0...1) of its most probable class.
public struct FaceCrop: Sendable, Equatable {
    public var faceID: Int
    /// The analysed frame's timestamp the crop was asked for.
    public var time: Double
    public var pixels: [UInt8]
    public var saliency: [Float]?
    public init(faceID: Int, time: Double, pixels: [UInt8], saliency: [Float]?) {
        self.faceID = faceID; self.time = time; self.pixels = pixels; self.saliency = saliency
    }
}

/// The video view's events on their way to the UI loop.
public typealias VideoInbox = Inbox<VideoEvent>

/// What the video view asks of the analysis. The view never has more than one frame and one
/// crop request outstanding: it waits for the answer (or `…Unavailable`) before asking again,
/// so a slow decoder is never flooded while the video plays. Every method must return quickly
/// (queue the work) and be safe to call from the UI thread.
public protocol VideoAnalysisControl: AnyObject {
    /// Decode the picture shown at `time` (seconds), scale it to exactly `width`×`height` gray
    /// pixels (the frame panel's size, in the video's aspect), and post `.frame` with it.
    func requestFrame(at time: Double, width: Int, height: Int)
    /// Post `.faceCrop` with the 48×48 input the network saw for `faceID` in the analysed frame
    /// at `time`, with the saliency map when `saliency` is set.
    func requestCrop(faceID: Int, at time: Double, saliency: Bool)
    /// Write the analysis table (what is analysed so far) and post `.exported` or `.exportFailed`.
    func exportCSV()
    /// Stop the analysis soon; it posts `.finished` once stopped.
    func stop()
}
