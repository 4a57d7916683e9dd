import Foundation

/// Everything the video view's status panel says, as pure functions of plain values.
enum VideoStatusText {
    static func title(unicode: Bool) -> String { "ferdash video " + (unicode ? "— " : "- ") + "Status" }

    /// "stopping" while a quit waits for the analysis, else the phase's own word.
    static func phaseWord(_ phase: VideoPhase, quitting: Bool) -> String {
        quitting && phase.isLive ? "stopping" : phase.word
    }

    /// "● live" when following a live stream, else "▶ playing" or "❚❚ paused".
    static func playState(followingLive: Bool, playing: Bool, unicode: Bool) -> String {
        if followingLive { return unicode ? "● live" : "* live" }
        return playing ? (unicode ? "▶ playing" : "> playing") : (unicode ? "❚❚ paused" : "|| paused")
    }

    /// A file by its name (the folder is rarely what tells videos apart), a stream by its URL.
    static func sourceName(_ source: String) -> String {
        source.contains("://") ? source : (source as NSString).lastPathComponent
    }

    /// "0:12 / 1:30", and " live" after a stream's length so far.
    static func position(cursor: Double, span: Double, live: Bool) -> String {
        "\(DashboardView.duration(cursor)) / \(DashboardView.duration(span))" + (live ? " live" : "")
    }

    /// How much of the video is analysed, 0…1 (all of it once finished).
    static func analysedFraction(upTo: Double, span: Double, finished: Bool) -> Double {
        finished ? 1 : min(1, upTo / span)
    }

    /// "analysed", or "analysed to 0:45 (50%)"; a live stream has no end to be a fraction of.
    static func analysed(upTo: Double, fraction: Double?, finished: Bool) -> String {
        guard let fraction else { return "analysed to \(DashboardView.duration(upTo))" }
        return finished ? "analysed" : String(format: "analysed to %@ (%.0f%%)", DashboardView.duration(upTo), fraction * 100)
    }

    static func framesPerSecond(_ rate: Double) -> String { String(format: "%.0f frames/s", rate) }

    /// Time left at the analysis's pace: the frames still to analyse over frames a second; nil
    /// when there is no pace yet.
    static func eta(upTo: Double, span: Double, frameInterval: Double, framesPerSecond: Double) -> String? {
        guard framesPerSecond > 0 else { return nil }
        let remaining = max(0, span - upTo) / frameInterval
        return "ETA \(DashboardView.duration(remaining / framesPerSecond))"
    }

    static func facesSeen(_ n: Int) -> String { "\(n) face\(n == 1 ? "" : "s") seen" }

    /// "1280×720 h264 29.97 fps rotated 90°".
    static func about(width: Int, height: Int, codec: String, frameRate: Double?, rotation: Int, unicode: Bool) -> String {
        var about = "\(width)\(unicode ? "×" : "x")\(height) \(codec)"
        if let rate = frameRate { about += String(format: " %.4g fps", rate) }
        if rotation != 0 { about += " rotated \(rotation)\(unicode ? "°" : " deg")" }
        return about
    }

    /// Text with "…" spelled "..." where the terminal shows only ASCII.
    static func plain(_ text: String, unicode: Bool) -> String {
        unicode ? text : text.replacingOccurrences(of: "…", with: "...")
    }
}
