import Dashboard
import EmotionTimeline
import FaceDetection
import FERData
import FERModel
import FERTraining
import Foundation
import Synchronization
import VideoAnalysis
import VideoDecoding

/// What the video view asks for, answered from three queues so none waits on another: the
/// analysis (the same `VideoJob` as headless, writing its files as it goes), the pictures at the
/// cursor (a second decoder that seeks, so scrubbing never disturbs the analysis), and crops with
/// saliency (a second copy of the network, as the analysing one is busy on its own thread).
final class VideoDashboardControl: VideoAnalysisControl, @unchecked Sendable {   // unchecked: `job`, the decoder, frames and network below `shared` are touched only on their own queue
    let source: String
    let inbox: VideoInbox
    let job: VideoJob
    let exportPath: String
    private let analysisQueue = DispatchQueue(label: "ferdash.video.analysis", qos: .userInitiated)
    private let pictureQueue = DispatchQueue(label: "ferdash.video.pictures", qos: .userInitiated)
    /// What the analysis has produced, read from the other queues.
    private struct Shared {
        /// Every analysed frame so far, in time order: the crops' boxes and `e`'s table.
        var analysed: [FrameAnalysis] = []
        /// For a stream, which cannot seek: the newest analysed picture answers every request.
        var latestPicture: GrayImage?
        var report: VideoReport?
        var failure: String?
    }
    private let shared = Mutex(Shared())
    // Only on `pictureQueue`:
    private var display: VideoDecoder?
    /// The newest frame decoded at or before the last time asked for, and the one after it.
    private var current: VideoFrame?
    private var ahead: VideoFrame?
    private let saliencyNetwork: Classifier

    init(source: String, job: VideoJob, saliencyNetwork: Classifier, exportPath: String, inbox: VideoInbox) {
        self.source = source
        self.job = job
        self.saliencyNetwork = saliencyNetwork
        self.exportPath = exportPath
        self.inbox = inbox
    }

    /// Starts the analysis on its queue; events go to the inbox, `.finished` or `.failed` last.
    func start() {
        let info = job.run.decoder.info
        inbox.post(.opened(info))
        analysisQueue.async { [self] in
            var lastProgress = -1.0
            do {
                let report = try job.start(progress: { [self] p in
                    guard p.elapsed - lastProgress >= 0.2 else { return }
                    lastProgress = p.elapsed
                    inbox.post(.progress(AnalysisProgress(decodedFrames: p.decodedFrames, analysedUpTo: p.timestamp,
                                                          framesPerSecond: p.elapsed > 0 ? Double(p.decodedFrames) / p.elapsed : 0)))
                }, onAnalysed: { [self] analysis, frame in
                    shared.withLock {
                        $0.analysed.append(analysis)
                        if info.isLive { $0.latestPicture = frame.image }
                    }
                    inbox.post(.analysed(analysis))
                })
                shared.withLock { $0.report = report }
                if let error = report.outcome.error {
                    inbox.post(.failed(String(describing: error)))
                } else {
                    inbox.post(.finished)
                }
            } catch {
                shared.withLock { $0.failure = String(describing: error) }
                inbox.post(.failed(String(describing: error)))
            }
        }
    }

    /// The headless summary of how the analysis ended, once it has (printed after the view closes).
    var finalReport: VideoReport? { shared.withLock { $0.report } }
    var finalFailure: String? { shared.withLock { $0.failure } }

    func stop() { job.run.stop() }

    /// After the view has closed: stops the analysis and waits for the three queues to be idle,
    /// so no picture, crop or saliency is still being computed (in FFmpeg or OpenBLAS) while the
    /// process exits and tears those libraries down — that crashed a quit right after `x`.
    func shutDown() {
        stop()
        analysisQueue.sync {}
        pictureQueue.sync { display = nil; current = nil; ahead = nil }
    }

    func requestFrame(at time: Double, width: Int, height: Int) {
        pictureQueue.async { [self] in
            do {
                let image = try picture(at: time)
                inbox.post(.frame(time: time, image: Self.scaled(image, width: width, height: height)))
            } catch {
                inbox.post(.frameUnavailable(time: time, reason: String(describing: error)))
            }
        }
    }

    func requestCrop(faceID: Int, at time: Double, saliency: Bool) {
        pictureQueue.async { [self] in
            guard let face = observation(faceID: faceID, at: time) else {
                inbox.post(.cropUnavailable(faceID: faceID, time: time, reason: "face \(faceID) is not in the frame at \(TimeText.position(time))"))
                return
            }
            do {
                let image = try picture(at: time)
                let toImage = Double(image.width) / Double(max(1, job.run.decoder.info.width))
                let box = PixelRect(x: Int(Double(face.box.x) * toImage), y: Int(Double(face.box.y) * toImage),
                                    width: max(1, Int(Double(face.box.width) * toImage)),
                                    height: max(1, Int(Double(face.box.height) * toImage)))
                let pixels = VideoAnalyzer.faceInput(image, box: box, margin: job.run.analyzer.options.cropMargin)
                let map = saliency ? Evaluator.saliency(saliencyNetwork, pixels: pixels, class: face.label.rawValue) : nil
                inbox.post(.faceCrop(FaceCrop(faceID: faceID, time: time, pixels: pixels, saliency: map)))
            } catch {
                inbox.post(.cropUnavailable(faceID: faceID, time: time, reason: String(describing: error)))
            }
        }
    }

    /// `e`: the table of every frame analysed so far (when the run already writes one as it
    /// goes, that file is it).
    func exportCSV() {
        if let path = job.outputs.table {
            inbox.post(.exported(path: path))
            return
        }
        let frames = shared.withLock { $0.analysed }
        pictureQueue.async { [self] in
            do {
                let writer = try FrameTableWriter(path: exportPath, format: .csv)
                for frame in frames { try writer.write(frame) }
                try writer.close()
                inbox.post(.exported(path: exportPath))
            } catch {
                inbox.post(.exportFailed(String(describing: error)))
            }
        }
    }

    /// The analysed face `faceID` at the analysed frame nearest `time`.
    private func observation(faceID: Int, at time: Double) -> FaceObservation? {
        shared.withLock { shared in
            let analysed = shared.analysed
            guard !analysed.isEmpty else { return nil }
            var lo = 0, hi = analysed.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if analysed[mid].timestamp < time { lo = mid + 1 } else { hi = mid }
            }
            let candidates = [lo - 1, lo].filter { analysed.indices.contains($0) }
            let nearest = candidates.min { abs(analysed[$0].timestamp - time) < abs(analysed[$1].timestamp - time) }!
            return analysed[nearest].faces.first { $0.faceID == faceID }
        }
    }

    /// The picture shown at `time`: a stream's newest; for a file, decoded forward when `time`
    /// is just ahead (playing), else after a seek.
    private func picture(at time: Double) throws -> GrayImage {
        if job.run.decoder.info.isLive {
            guard let latest = shared.withLock({ $0.latestPicture }) else {
                throw VideoError(.noFrames, file: source, message: "no picture yet")
            }
            return latest
        }
        if display == nil { display = try VideoDecoder(path: source) }
        guard let display else { throw VideoError(.cannotOpen, file: source, message: "cannot open") }
        // Playing asks for times a little ahead of the last: decode on. Anything else: seek.
        let forward = current.map { time >= $0.timestamp - 1e-6 && time - $0.timestamp < 2 } ?? false
        if !forward { try seek(display, to: time) }
        try decode(display, upTo: time)
        if current == nil && ahead == nil {
            // At the very end a seek can land past the last frame: come from a little before.
            try seek(display, to: max(0, time - 2))
            try decode(display, upTo: time)
        }
        if let frame = current ?? ahead { return frame.image }
        throw VideoError(.noFrames, file: source, time: time, message: "no frame at this time")
    }

    private func seek(_ display: VideoDecoder, to time: Double) throws {
        try display.seek(to: time)
        current = nil
        ahead = nil
    }

    /// Decodes on until the next frame starts after `time`: the picture on screen at `time` is
    /// the last frame that starts at or before it.
    private func decode(_ display: VideoDecoder, upTo time: Double) throws {
        while true {
            if ahead == nil {
                guard let frame = try display.nextFrame() else { return }
                ahead = frame
            }
            guard let next = ahead, next.timestamp <= time + 1e-6 else { return }
            current = next
            ahead = nil
        }
    }

    /// `image` resized to exactly width × height (the panel's pixels, in the video's aspect).
    static func scaled(_ image: GrayImage, width: Int, height: Int) -> GrayImage {
        guard width > 0, height > 0, image.width > 0, image.height > 0 else { return GrayImage(width: 0, height: 0, pixels: []) }
        return GrayImage(width: width, height: height,
                         pixels: Resample.resize(image, rect: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                                                 width: width, height: height))
    }
}
