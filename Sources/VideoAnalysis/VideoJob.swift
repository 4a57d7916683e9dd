import EmotionTimeline
import FERData
import Foundation
import VideoDecoding

/// Where one video's results go. Every output is optional; `smoothing` applies to all of them
/// (the table, the summary, the segments and the plot see the same averaged probabilities).
public struct VideoOutputs: Sendable, Equatable {
    public var table: String?
    public var tableFormat: FrameTableFormat = .csv
    public var segments: String?
    public var plot: String?
    /// Seconds of the centred moving average (`--smooth`), nil for none.
    public var smoothing: Double?

    public init(table: String? = nil, tableFormat: FrameTableFormat = .csv, segments: String? = nil,
                plot: String? = nil, smoothing: Double? = nil) {
        self.table = table; self.tableFormat = tableFormat; self.segments = segments
        self.plot = plot; self.smoothing = smoothing
    }

    /// The outputs of `video` under `--out DIR` (and `--plot DIR`): `DIR/<name>.csv` (or
    /// `.jsonl`), `DIR/<name>-segments.csv`, `PLOTDIR/<name>.png`. `name` is the file's name
    /// without its extension (see `VideoNames` for two videos of the same name).
    public static func inDirectory(_ directory: String?, name: String, format: FrameTableFormat, segments: Bool,
                                   plotDirectory: String?, smoothing: Double?) -> VideoOutputs {
        func join(_ dir: String, _ file: String) -> String { (dir as NSString).appendingPathComponent(file) }
        let ext = format == .csv ? "csv" : "jsonl"
        return VideoOutputs(table: directory.map { join($0, "\(name).\(ext)") }, tableFormat: format,
                            segments: segments ? join(directory ?? ".", "\(name)-segments.csv") : nil,
                            plot: plotDirectory.map { join($0, "\(name).png") }, smoothing: smoothing)
    }
}

/// Output names for a list of videos: each video's file name without its extension, numbered on
/// (`talk`, `talk-2`) when two videos in different folders share a name, so no result
/// overwrites another.
public struct VideoNames {
    private var used: [String: Int] = [:]
    public init() {}
    public mutating func name(for video: String) -> String {
        var stem = ((video as NSString).lastPathComponent as NSString).deletingPathExtension
        if stem.isEmpty || video.contains("://") || video.hasPrefix("/dev/") {
            // A stream or a device: its last path part is no file name ("udp://127.0.0.1:5000").
            stem = "stream"
        }
        let k = used[stem, default: 0] + 1
        used[stem] = k
        return k == 1 ? stem : "\(stem)-\(k)"
    }
}

/// Where a job is, for progress bars.
public struct VideoProgress: Sendable {
    public var timestamp: Double
    public var decodedFrames: Int
    public var analysedFrames: Int
    public var faces: Int
    public var elapsed: Double
}

/// What a finished (or stopped, or failed part-way) job leaves.
public struct VideoReport: Sendable {
    public var info: VideoInfo
    public var outcome: VideoRunOutcome
    public var summary: TimelineSummary
    public var rowsWritten: Int
    public var segments: [EmotionSegment]
    /// The files written, in the order written.
    public var written: [String]
}

/// One video from decoder to files: the run's analysed frames go through the smoother (if any)
/// into the table (each frame's rows written and flushed as it is made), the summary, the segment
/// finder and the plot; at the end the segments and the plot are written. An interrupted or
/// damaged video still leaves every file, covering each frame done.
public final class VideoJob {
    public let run: VideoRun
    public let outputs: VideoOutputs

    public init(run: VideoRun, outputs: VideoOutputs) {
        self.run = run
        self.outputs = outputs
    }

    public func start(progress: ((VideoProgress) -> Void)? = nil,
                      onAnalysed: ((FrameAnalysis, VideoFrame) -> Void)? = nil) throws -> VideoReport {
        let info = run.decoder.info
        let table = try outputs.table.map { try FrameTableWriter(path: $0, format: outputs.tableFormat) }
        // Fail before any work on a folder the plot or segments cannot go to.
        for path in [outputs.plot, outputs.segments].compactMap({ $0 }) { try Self.checkWritable(path) }
        var smoother = outputs.smoothing.map { ProbabilitySmoother(window: $0) }
        var summary = TimelineSummary()
        var finder = SegmentFinder(maxGap: run.analyzer.options.maxGap)
        var segments: [EmotionSegment] = []
        var plot = outputs.plot.map { _ in
            EmotionPlot(title: (info.source as NSString).lastPathComponent, duration: info.isLive ? nil : info.duration)
        }
        let started = Date()
        var faces = Set<Int>()
        var analysed = 0

        func take(_ frame: FrameAnalysis) throws {
            try table?.write(frame)
            summary.add(frame)
            segments += finder.add(frame)
            plot?.add(frame)
        }
        let outcome: VideoRunOutcome
        do {
            outcome = try run.run { analysis, frame in
                for face in analysis.faces { faces.insert(face.faceID) }
                analysed += 1
                onAnalysed?(analysis, frame)
                let ready = smoother != nil ? smoother!.push(analysis) : [analysis]
                for frame in ready { try take(frame) }
                progress?(VideoProgress(timestamp: frame.timestamp, decodedFrames: frame.index + 1,
                                        analysedFrames: analysed, faces: faces.count, elapsed: Date().timeIntervalSince(started)))
            }
        } catch {
            try? table?.close()
            throw error
        }
        // What the smoother held back, then what the finder still has open: the files cover
        // every analysed frame even when the run was cut short.
        if smoother != nil { for frame in smoother!.flush() { try take(frame) } }
        segments += finder.finish()
        try table?.close()
        var written = [outputs.table].compactMap { $0 }
        if let path = outputs.segments {
            try Self.write(SegmentFinder.csvHeader + "\n" + segments.map { SegmentFinder.csvRow($0) + "\n" }.joined(), to: path)
            written.append(path)
        }
        if let path = outputs.plot, var plot {
            plot.dominantEmotions = Dictionary(uniqueKeysWithValues: summary.faces().map { ($0.faceID, $0.dominant) })
            try plot.write(path: path)
            written.append(path)
        }
        return VideoReport(info: info, outcome: outcome, summary: summary, rowsWritten: table?.rowsWritten ?? 0,
                           segments: segments, written: written)
    }

    /// An error naming `path` and the reason when its folder does not exist or is not writable.
    static func checkWritable(_ path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VideoOutputError(path: path, reason: "the folder \(dir) does not exist")
        }
        guard access(dir, W_OK) == 0 else { throw VideoOutputError(path: path, reason: "the folder \(dir) is not writable") }
    }

    static func write(_ text: String, to path: String) throws {
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw VideoOutputError(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// A result file that could not be written.
public struct VideoOutputError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot write (\(reason))" }
}
