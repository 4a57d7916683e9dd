import EmotionTimeline
import Foundation

/// What `ferdash video` prints about one video when it is done: what was read, where it stopped
/// if early, what was written, and the per-face summary.
public enum VideoReportText {
    public static func closingLines(_ report: VideoReport) -> String {
        let o = report.outcome
        var lines: [String] = []
        let fps = o.seconds > 0 ? Double(o.decodedFrames) / o.seconds : 0
        let speed = (o.lastTimestamp ?? 0) > 0 && o.seconds > 0 ? String(format: ", %.1f× real time", (o.lastTimestamp ?? 0) / o.seconds) : ""
        lines.append("\(report.info.source): \(report.info.width)×\(report.info.height) \(report.info.codec)"
                     + (report.info.rotation != 0 ? ", rotated \(report.info.rotation)°" : "")
                     + ", \(o.analysedFrames) of \(o.decodedFrames) frames analysed in "
                     + String(format: "%.1f s (%.0f frames/s%@)", o.seconds, fps, speed))
        for warning in o.warnings { lines.append("  note: \(warning)") }
        if let error = o.error {
            lines.append("  stopped early: \(error)" + (o.lastTimestamp.map { "; rows up to \(TimeText.position($0)) are written" } ?? ""))
        } else if o.stopped {
            lines.append("  stopped at \(TimeText.position(o.lastTimestamp ?? 0)) (frame \(o.lastFrame ?? 0)); the files cover every frame up to there")
        }
        if !report.written.isEmpty { lines.append("  wrote " + report.written.joined(separator: ", ") + " (\(report.rowsWritten) rows)") }
        let summary = report.summary.text()
        if !summary.isEmpty { lines.append(summary) }
        return lines.joined(separator: "\n")
    }
}

/// A video's progress as the text to write to stderr, and when: on a terminal one line redrawn
/// in place at most 5 times a second; elsewhere (a log file, a batch job) a line every 10% of
/// the video or every 30 seconds, so a log stays short however long the video.
public struct VideoProgressLine {
    public let label: String
    /// Nil for a live source or a file of unknown length: no bar, no ETA.
    public let duration: Double?
    public let live: Bool
    public let terminal: Bool
    private var lastDraw = -1.0
    private var lastLoggedTenth = -1
    private var lastLogTime = 0.0

    public init(label: String, info: VideoInfo, terminal: Bool) {
        self.label = label
        duration = info.isLive ? nil : info.duration
        live = info.isLive
        self.terminal = terminal
    }

    /// The line for `p`: position, bar, percent and ETA when the length is known, speed, faces.
    public func text(_ p: VideoProgress) -> String {
        let rate = p.elapsed > 0 ? Double(p.decodedFrames) / p.elapsed : 0
        let realTime = p.elapsed > 0 ? p.timestamp / p.elapsed : 0
        var text = "\(label): \(TimeText.position(p.timestamp))"
        if let duration, duration > 0 {
            let f = min(1, max(0, p.timestamp / duration))
            let eta = realTime > 0 ? (duration - p.timestamp) / realTime : 0
            text += " / \(TimeText.position(duration)) " + Self.bar(f) + String(format: " %3.0f%%, ETA %@", f * 100, TimeText.position(eta))
        } else if live {
            text += " (live)"
        }
        return text + String(format: ", %.0f frames/s (%.1f× real time), %d face%@", rate, realTime, p.faces, p.faces == 1 ? "" : "s")
    }

    /// What to write for `p` now (nil: nothing yet): a redraw of the line on a terminal, a new
    /// line in a log.
    public mutating func update(_ p: VideoProgress) -> String? {
        if terminal {
            guard p.elapsed - lastDraw >= 0.2 else { return nil }
            lastDraw = p.elapsed
            return "\r\u{1B}[K" + text(p)
        }
        let tenth = duration.map { $0 > 0 ? Int(min(1, max(0, p.timestamp / $0)) * 10) : -1 } ?? -1
        guard tenth > lastLoggedTenth || p.elapsed - lastLogTime >= 30 else { return nil }
        lastLoggedTenth = max(lastLoggedTenth, tenth)
        lastLogTime = p.elapsed
        return text(p) + "\n"
    }

    /// What to write when the video is done: a terminal's line is cleared, a log keeps its lines.
    public func finish() -> String? {
        terminal && lastDraw >= 0 ? "\r\u{1B}[K" : nil
    }

    static func bar(_ fraction: Double) -> String {
        let width = 20, filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
}
