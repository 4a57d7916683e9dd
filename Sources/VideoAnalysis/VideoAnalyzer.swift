import EmotionTimeline
import FaceDetection
import FERData
import FERModel
import FERTraining
import VideoDecoding

/// How a video is analysed.
public struct VideoAnalysisOptions: Sendable, Equatable {
    public var selection: FrameSelection = .all
    /// Test-time augmentation: each face's probabilities averaged over 10 views, as `predict --tta`.
    public var tta = false
    /// The decoder scales frames so their longer side is at most this (4K and 8K frames come
    /// down to a size detection can afford; a 48×48 crop needs no more).
    public var maxSide = 1280
    /// Seconds between full-frame detections while faces are followed (new faces entering are
    /// found within this), and while none is.
    public var fullDetectionInterval = 0.5
    public var searchInterval = 0.2
    /// Full-frame detections below this confidence are dropped (as `predict` does).
    public var minimumConfidence = 0.6
    /// A face unseen for less than this many seconds keeps its id.
    public var maxGap = 1.0
    /// How much of the frame around the detector's box the network sees, as a fraction of the
    /// box on each side. FER2013's crops show the whole face with a little around it, and the
    /// cascade's box is tighter, so 0.15 (as `predict`); a model trained on other crops (the
    /// synthetic faces fill their image edge to edge: 0) wants its own.
    public var cropMargin = 0.15

    public init() {}
}

/// One video's analysis, frame by frame: faces found (`VideoFaceFinder`), given ids that follow
/// each person (`FaceTracker`), cropped as `predict` crops a photo and classified.
public final class VideoAnalyzer {
    public let classifier: Classifier
    public let options: VideoAnalysisOptions
    private let finder: VideoFaceFinder
    private var tracker: FaceTracker

    public init(classifier: Classifier, detector: FaceDetector, options: VideoAnalysisOptions = .init()) {
        self.classifier = classifier
        self.options = options
        finder = VideoFaceFinder(detector: detector, minimumConfidence: options.minimumConfidence,
                                 fullInterval: options.fullDetectionInterval, searchInterval: options.searchInterval)
        tracker = FaceTracker(maxGap: options.maxGap)
    }

    /// The faces of one decoded frame (frames in time order), with boxes in source pixels.
    public func analyse(_ frame: VideoFrame) -> FrameAnalysis {
        let image = frame.image
        let toImage = frame.scale > 0 ? frame.scale : 1
        let followed = tracker.activeFaces(at: frame.timestamp).map { scaled($0.box, by: toImage) }
        let found = finder.find(in: image, at: frame.timestamp, followed: followed)
        // The tracker works in source pixels, as the table reports them.
        let detections = found.map { TrackedDetection(box: scaled($0.box, by: 1 / toImage), confidence: $0.confidence) }
        let ids = tracker.assign(detections, at: frame.timestamp)
        guard !found.isEmpty else { return FrameAnalysis(frame: frame.index, timestamp: frame.timestamp, faces: []) }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(found.count * ImageSet.pixelsPerImage)
        for d in found { pixels += Self.faceInput(image, box: d.box, margin: options.cropMargin) }
        let p = Evaluator.probabilities(classifier, pixels: pixels, tta: options.tta ? .mirrorAndShifts : .none)
        var faces = detections.indices.map { k in
            FaceObservation(faceID: ids[k], box: detections[k].box, confidence: detections[k].confidence,
                            probabilities: Array(p[(k * ModelShape.classes)..<((k + 1) * ModelShape.classes)]))
        }
        faces.sort { $0.faceID < $1.faceID }
        return FrameAnalysis(frame: frame.index, timestamp: frame.timestamp, faces: faces)
    }

    /// Lets work started for frames not yet seen finish (the end of a run).
    public func settle() { finder.settle() }

    /// The 48×48 the network sees for a face box (in the image's own pixels).
    public static func faceInput(_ image: GrayImage, box: PixelRect, margin: Double) -> [UInt8] {
        ImageFile.faceInput(from: image, crop: faceCrop(box, margin: margin, imageWidth: image.width, imageHeight: image.height))
    }
}

/// A box multiplied by `factor` (source pixels ↔ a scaled image's pixels).
func scaled(_ box: PixelRect, by factor: Double) -> PixelRect {
    guard factor != 1 else { return box }
    return PixelRect(x: Int((Double(box.x) * factor).rounded()), y: Int((Double(box.y) * factor).rounded()),
                     width: max(1, Int((Double(box.width) * factor).rounded())),
                     height: max(1, Int((Double(box.height) * factor).rounded())))
}
