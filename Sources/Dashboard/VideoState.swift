import EmotionTimeline
import FERData
import TermUI

/// Where the analysis is.
public enum VideoPhase: Equatable, Sendable {
    /// Waiting for `.opened`.
    case opening
    case analysing
    case finished
    case failed(String)

    public var word: String {
        switch self {
        case .opening: return "opening"
        case .analysing: return "analysing"
        case .finished: return "finished"
        case .failed: return "failed"
        }
    }
    /// The analysis still runs: quitting must stop it.
    public var isLive: Bool { self == .opening || self == .analysing }
}

/// A picture asked of the control: the time, and the pixel size the frame panel shows it at.
public struct FrameRequest: Equatable, Sendable {
    public var time: Double
    public var width: Int, height: Int
    public init(time: Double, width: Int, height: Int) { self.time = time; self.width = width; self.height = height }
}

/// A face crop asked of the control.
public struct CropRequest: Equatable, Sendable {
    public var faceID: Int
    public var time: Double
    public var saliency: Bool
    public init(faceID: Int, time: Double, saliency: Bool) { self.faceID = faceID; self.time = time; self.saliency = saliency }
}

/// The picture the frame panel shows, and the request it answered.
public struct ShownPicture: Equatable, Sendable {
    public var time: Double
    public var image: GrayImage
}

/// Everything the video view shows, as plain values. Only `reduceVideo` changes it.
public struct VideoState: Equatable {
    public var info: VideoInfo?
    public var phase: VideoPhase = .opening
    public var timeline = VideoTimeline()
    public var progress: AnalysisProgress?

    /// Seconds from the start of the video: what every panel shows.
    public var cursor = 0.0
    /// Space: the cursor runs at the video's own speed, by the clock time between ticks.
    public var playing = false
    /// A stream's cursor rides its newest analysed frame until the person moves it (End again).
    public var followingLive = false
    /// The face the crop panel and the timeline show, by its tracker id.
    public var selectedFace: Int?
    /// `x`: the crop panel shows where the network looked.
    public var saliencyShown = false

    public var frame: ShownPicture?
    /// Why the last frame request failed, until one succeeds.
    public var frameNote: String?
    public var crop: FaceCrop?
    public var cropNote: String?
    /// The last requests sent, and since when one is unanswered (nil: none in flight).
    public var frameRequest: FrameRequest?
    public var frameRequestSince: Double?
    public var cropRequest: CropRequest?
    public var cropRequestSince: Double?

    public var screen = ScreenInfo(width: 0, height: 0, caps: .full)
    public var overlay: VideoOverlay = .none
    public var message: String?
    public var messageIsError = false
    public var quitting = false
    public var quitStartedAt: Double?
    public var quitTimeout = 30.0
    public var now = 0.0
    /// The clock at the previous tick, so play advances by the time really elapsed.
    public var lastTick: Double?
    public var exitCode: Int32?

    public init() {}

    /// Where the panels are on the measured screen (as `VideoView.draw` places them).
    var layout: VideoLayout { VideoLayout(width: screen.width, height: screen.height) }

    /// Seconds between two frames of the video (a guess of 30 per second when it does not say).
    public var frameInterval: Double {
        guard let r = info?.frameRate, r.isFinite, r > 0 else { return 1.0 / 30 }
        return 1 / r
    }

    public var isLive: Bool { info?.isLive ?? false }

    /// Everything up to here has been analysed.
    public var analysedUpTo: Double { max(progress?.analysedUpTo ?? 0, timeline.lastTime ?? 0) }

    /// The latest time the cursor can reach: the last frame of a file (its duration less a frame,
    /// or the last analysed frame once the analysis has gone further), the newest analysed frame
    /// of a stream.
    public var lastFrameTime: Double {
        let analysed = timeline.lastTime ?? 0
        guard !isLive, let d = info?.duration, d.isFinite, d > 0 else { return max(analysed, progress?.analysedUpTo ?? 0) }
        return max(analysed, d - frameInterval, 0)
    }

    /// The time the timeline spans: the whole file, or the stream so far.
    public var span: Double {
        if !isLive, let d = info?.duration, d.isFinite, d > 0 { return d }
        return max(lastFrameTime, frameInterval)
    }

    /// A face is shown at the cursor when the last analysed frame at or before it is this close
    /// (analysis may skip frames; beyond this the cursor is where nothing was analysed yet).
    static let faceHoldSeconds = 1.0

    /// The analysed frame whose faces the cursor shows.
    public var analysedIndexAtCursor: Int? {
        guard let i = timeline.lastIndex(atOrBefore: cursor + 1e-9), cursor - timeline.times[i] <= Self.faceHoldSeconds else { return nil }
        return i
    }

    /// The faces at the cursor, by id.
    public var facesAtCursor: [FaceObservation] {
        guard let i = analysedIndexAtCursor else { return [] }
        return timeline.faces(at: i).sorted { $0.faceID < $1.faceID }
    }
}

public enum VideoOverlay: Equatable, Sendable {
    case none, help, confirmQuit
}

public enum VideoAction: Equatable {
    case key(Key)
    case event(VideoEvent)
    /// Once per loop tick with a monotonic time in seconds.
    case tick(now: Double)
    case screen(ScreenInfo)
    case mouse(MouseEvent)
    /// SIGTERM/SIGINT from outside: stop the analysis and leave; twice leaves at once.
    case terminate
}

/// Work the video reducer asks the loop to do.
public enum VideoEffect: Equatable {
    case requestFrame(FrameRequest)
    case requestCrop(CropRequest)
    case exportCSV
    case stop
    case redraw
    case exit(Int32)
}
