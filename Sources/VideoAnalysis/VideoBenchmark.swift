import EmotionTimeline
import FaceDetection
import FERModel
import Foundation
import VideoDecoding

/// `ferdash bench --video FILE`: how fast a video is decoded alone, and analysed (decode, detect,
/// follow, classify) with a given frame selection, as frames per second and as a multiple of
/// real time (video seconds per wall second).
public enum VideoBenchmark {
    public struct Pass: Sendable {
        public var name: String
        public var decodedFrames: Int
        public var analysedFrames: Int
        public var seconds: Double
        /// The timestamp of the last frame read: how much video the pass covered.
        public var videoSeconds: Double
        /// Distinct face ids seen.
        public var faces: Int

        public var framesPerSecond: Double { seconds > 0 ? Double(decodedFrames) / seconds : 0 }
        public var realTime: Double { seconds > 0 ? videoSeconds / seconds : 0 }
    }

    /// Decoding and scaling every frame, nothing else.
    public static func decodeOnly(path: String, maxSide: Int = VideoAnalysisOptions().maxSide) throws -> Pass {
        let decoder = try VideoDecoder(path: path, maxSide: maxSide)
        let start = DispatchTime.now().uptimeNanoseconds
        var frames = 0
        var last = 0.0
        while let frame = try decoder.nextFrame() {
            frames += 1
            last = frame.timestamp
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Pass(name: "decode only", decodedFrames: frames, analysedFrames: 0, seconds: seconds,
                    videoSeconds: last + frameInterval(decoder.info), faces: 0)
    }

    /// The whole analysis, as `ferdash video` runs it (no files written).
    public static func analyse(path: String, name: String, classifier: Classifier, detector: FaceDetector,
                               options: VideoAnalysisOptions) throws -> Pass {
        let decoder = try VideoDecoder(path: path, maxSide: options.maxSide)
        let run = VideoRun(decoder: decoder, analyzer: VideoAnalyzer(classifier: classifier, detector: detector, options: options))
        var ids = Set<Int>()
        let outcome = try run.run { analysis, _ in for face in analysis.faces { ids.insert(face.faceID) } }
        if let error = outcome.error { throw error }
        return Pass(name: name, decodedFrames: outcome.decodedFrames, analysedFrames: outcome.analysedFrames,
                    seconds: outcome.seconds, videoSeconds: (outcome.lastTimestamp ?? 0) + frameInterval(decoder.info),
                    faces: ids.count)
    }

    /// One frame's duration, so a pass over N frames counts N frames of video, not N − 1.
    static func frameInterval(_ info: VideoInfo) -> Double {
        guard let rate = info.frameRate, rate > 0 else { return 0 }
        return 1 / rate
    }
}
