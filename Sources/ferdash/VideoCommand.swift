import ArgumentParser
import EmotionTimeline
import FaceDetection
import FERModel
import FERTraining
import Dashboard
import Foundation
import Synchronization
import VideoAnalysis
import VideoDecoding

struct Video: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Emotions over time in videos: one row per face per analysed frame, a summary per face.",
        discussion: """
            Reads whatever FFmpeg's libraries decode (MP4/H.264, WebM/VP9, MKV, MOV, AVI, GIF), a camera \
            (/dev/video0) or a stream (udp://, tcp://, rtsp://). Each frame's rows are written and flushed \
            as they are made, so an interrupted run leaves a valid table of every frame done. On a terminal, \
            one video opens in the dashboard; with --headless (or several videos, or no terminal) a progress \
            line per video.
            """)

    @Argument(help: "Video files, camera devices or stream URLs.")
    var inputs: [String]

    @Option(help: "A checkpoint file or a run directory (its best checkpoint). Default: the newest run under ./runs, else the shipped model (assets/models).")
    var model: String?

    @Option(help: "Analyse every N-th frame (decoding still reads them all).")
    var every: Int?

    @Option(help: "Analyse at most F frames per second of video, evenly by timestamp.")
    var fps: Double?

    @Flag(help: "Average each face's probabilities over 10 views (itself and its mirror, each shifted 2 px four ways): steadier, 10× the classification work.")
    var tta = false

    @Option(help: ArgumentHelp("Write DIR/<video>.csv per video (and -segments.csv, with --segments). Default: the current folder.", valueName: "DIR"))
    var out: String?

    @Option(help: ArgumentHelp("Write the table to this CSV file (one video only).", valueName: "FILE"))
    var csv: String?

    @Option(help: ArgumentHelp("Write the table as JSON Lines to this file (one video only).", valueName: "FILE"))
    var jsonl: String?

    @Option(help: ArgumentHelp("Average the probabilities over a centred window of this many seconds, per face (the table, summary, segments and plot all use it).", valueName: "SECONDS"))
    var smooth: Double?

    @Flag(help: "Also write the spans in which one emotion dominates: face_id,start,end,emotion,mean_probability.")
    var segments = false

    @Option(help: ArgumentHelp("Write a PNG per video into DIR: the seven probabilities over time per face.", valueName: "DIR"))
    var plot: String?

    @Flag(help: "Print progress lines instead of opening the dashboard.")
    var headless = false

    @OptionGroup var display: DisplayFlags

    @Option(help: ArgumentHelp("Take only the files at positions K, K+N, K+2N, … (0-based) of the sorted list, so N machines share a batch with no coordinator.", valueName: "K/N"))
    var shard: String?

    @Option(help: ArgumentHelp("How much of the frame around each detected face the network sees, as a fraction of the face box on each side (0.15 suits models trained on FER2013's crops; the built-in synthetic faces fill their picture: 0).", valueName: "FRACTION"))
    var margin = 0.15

    @Option(help: "Haar cascade XML for face detection (default: OpenCV's frontal face cascade from Debian's opencv-data).")
    var cascade: String?

    @Option(help: "Compute threads for the network (default 1: decoding takes the other core).")
    var threads = 1

    func validate() throws {
        if let every, every < 1 { throw ValidationError("--every must be 1 or more") }
        if let fps, !(fps > 0 && fps <= 1000) { throw ValidationError("--fps must be above 0 and at most 1000") }
        if every != nil && fps != nil { throw ValidationError("--every and --fps: choose one") }
        if [out, csv, jsonl].compactMap({ $0 }).count > 1 { throw ValidationError("--out, --csv and --jsonl: choose one") }
        if (csv != nil || jsonl != nil) && inputs.count > 1 {
            throw ValidationError("--csv and --jsonl name one file: with several videos use --out DIR")
        }
        if let smooth, !(smooth > 0 && smooth <= 3600) { throw ValidationError("--smooth must be above 0 and at most 3600 seconds") }
        if let shard { _ = try Shard(parsing: shard) }
        if threads < 1 || threads > 256 { throw ValidationError("--threads must be 1...256") }
        if !(margin >= 0 && margin <= 1) { throw ValidationError("--margin must be 0...1") }
    }

    func run() throws {
        var files = inputs
        if let shard { files = try Shard(parsing: shard).select(inputs) }
        guard !files.isEmpty else {
            print("shard \(shard ?? ""): no files for this shard (\(inputs.count) in all)")
            return
        }
        for folder in [out, plot].compactMap({ $0 }) { try makeFolder(folder) }
        let engine = Engine(threads: threads)
        let checkpoint = try chooseModel(model)
        let (classifier, _) = try RunDirectory.loadCheckpoint(checkpoint, engine: engine)
        let detector = try FaceDetector(cascadePath: cascade)
        var options = VideoAnalysisOptions()
        options.selection = every.map { .every($0) } ?? fps.map { .perSecond($0) } ?? .all
        options.tta = tta
        options.cropMargin = margin

        if files.count == 1 && !headless && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
            return try runDashboard(files[0], checkpoint: checkpoint, classifier: classifier, detector: detector, options: options)
        }
        var names = VideoNames()
        var failed = 0
        let current = CurrentRun()
        let signals = StopSignals(message: "stopping after this frame") { current.stop() }
        defer { withExtendedLifetime(signals) {} }
        for (k, file) in files.enumerated() {
            if current.stopped { break }
            let outputs = outputs(for: names.name(for: file))
            do {
                let decoder = try VideoDecoder(path: file, maxSide: options.maxSide)
                let run = VideoRun(decoder: decoder, analyzer: VideoAnalyzer(classifier: classifier, detector: detector, options: options))
                current.set(run)
                var line = VideoProgressLine(label: files.count > 1 ? "[\(k + 1)/\(files.count)] \(file)" : file,
                                             info: decoder.info, terminal: isatty(STDERR_FILENO) == 1)
                let report = try VideoJob(run: run, outputs: outputs).start(progress: { p in
                    if let text = line.update(p) { FileHandle.standardError.write(text) }
                })
                if let text = line.finish() { FileHandle.standardError.write(text) }
                print(VideoReportText.closingLines(report))
                if report.outcome.error != nil { failed += 1 }
            } catch {
                failed += 1
                FileHandle.standardError.write("Error: \(error)\n")
            }
        }
        if current.stopped { throw ExitCode(130) }
        if failed > 0 { throw ExitCode(1) }
    }

    /// One video in the dashboard's video view; the same files as headless are written as it goes
    /// when asked for (--csv, --jsonl, --out), and `e` writes the table of what is done so far.
    func runDashboard(_ file: String, checkpoint: String, classifier: Classifier, detector: FaceDetector, options: VideoAnalysisOptions) throws {
        var names = VideoNames()
        let name = names.name(for: file)
        var outputs = outputs(for: name)
        if out == nil && csv == nil && jsonl == nil { outputs.table = nil }
        let decoder = try VideoDecoder(path: file, maxSide: options.maxSide)
        let run = VideoRun(decoder: decoder, analyzer: VideoAnalyzer(classifier: classifier, detector: detector, options: options))
        let (saliencyNetwork, _) = try RunDirectory.loadCheckpoint(checkpoint, engine: classifier.engine)
        let inbox = VideoInbox()
        let control = VideoDashboardControl(source: file, job: VideoJob(run: run, outputs: outputs), saliencyNetwork: saliencyNetwork,
                                            exportPath: ((out ?? ".") as NSString).appendingPathComponent("\(name).csv"), inbox: inbox)
        let status = runVideoDashboard(control: control, inbox: inbox, options: display.options, onReady: { control.start() })
        control.shutDown()
        if let report = control.finalReport { print(VideoReportText.closingLines(report)) }
        if let failure = control.finalFailure { FileHandle.standardError.write("Error: \(failure)\n") }
        if status != 0 { throw ExitCode(status) }
    }

    func outputs(for name: String) -> VideoOutputs {
        let format: FrameTableFormat = jsonl != nil ? .jsonl : .csv
        if let file = csv ?? jsonl {
            let folder = (file as NSString).deletingLastPathComponent
            var o = VideoOutputs.inDirectory(folder.isEmpty ? "." : folder, name: name, format: format, segments: segments,
                                             plotDirectory: plot, smoothing: smooth)
            o.table = file
            if segments { o.segments = ((file as NSString).deletingPathExtension) + "-segments.csv" }
            return o
        }
        return VideoOutputs.inDirectory(out ?? ".", name: name, format: format, segments: segments,
                                        plotDirectory: plot, smoothing: smooth)
    }

    func makeFolder(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError("\(path): exists and is not a folder") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw UsageError("\(path): cannot create the folder (\((error as NSError).localizedDescription))")
        }
    }
}

/// The run in progress, for the signal handler: SIGINT stops it after the frame in hand.
final class CurrentRun: Sendable {
    private let state = Mutex<(run: VideoRun?, stopRequested: Bool)>((nil, false))
    func set(_ run: VideoRun) { state.withLock { $0.run = run } }
    func stop() {
        let run = state.withLock { state in
            state.stopRequested = true
            return state.run
        }
        run?.stop()
    }
    var stopped: Bool { state.withLock { $0.stopRequested } }
}
