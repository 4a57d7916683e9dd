import Dispatch
import EmotionTimeline
import FaceDetection
import FERData
import Synchronization

/// Finds the faces of video frames at a cost a video can afford.
///
/// A thorough detection of a whole 640×480 frame takes about 70 ms on one Zen 3 core; a frame
/// has 8 ms at 120 frames/s. So each followed face is looked for only in a window around its
/// last box (a thorough search of a small picture: about 2 ms), and the whole frame is searched
/// only now and then — every `fullInterval` seconds while faces are followed, every
/// `searchInterval` while none is — with a quicker pass (`DetectionPass.quick`) on a worker
/// thread, overlapping the frames after it. Its finds are candidates: each new one is confirmed
/// by the same local search in the frame where the result is taken, which also brings its box up
/// to date and gives its confidence on the same scale as every other row.
///
/// While no face is followed the full search runs at once, in the frame itself (there is nothing
/// else to do meanwhile). The outcome never depends on timing: a full search on the worker is
/// always taken `lag` analysed frames after the frame it searched (waiting for it if need be), so
/// a run gives the same table every time.
/// No search starts while one is out, so with sparse analysis (`--every N`) the searches are at
/// least `lag` analysed frames apart, and the worker keeps pace with the frames.
/// The boxes stay on the faces because they are detections, not predictions; a face the local
/// search misses is not reported in that frame (the tracker keeps its id for up to a second).
final class VideoFaceFinder {
    let detector: FaceDetector
    let minimumConfidence: Double
    let fullInterval: Double
    let searchInterval: Double
    /// Analysed frames between a full search's frame and the frame its finds join.
    let lag: Int
    private var lastFull: Double?
    private var pending: (result: FullSearch, framesSince: Int)?
    private let worker = DispatchQueue(label: "ferdash.video.full-detection", qos: .userInitiated)

    /// The side, in pixels of the window searched, that a followed face is scaled to. The
    /// cascade's confidence counts the hits that gather on a face, and a face drawn small gathers
    /// few: measured on scripted videos, at 40 px real faces scored 0.2–0.98, at 48 px 0.66–0.99,
    /// at 64 px 0.91–0.99 (at 1.5, 1.8 and 2.4 ms a face). Following takes 48; a new face must
    /// pass `minimumConfidence` at 64, the scale where the cascade's confidence means what it
    /// means on photos.
    static let followingFaceSide = 48.0
    static let confirmingFaceSide = 64.0

    init(detector: FaceDetector, minimumConfidence: Double, fullInterval: Double, searchInterval: Double, lag: Int = 4) {
        self.detector = detector
        self.minimumConfidence = minimumConfidence
        self.fullInterval = fullInterval
        self.searchInterval = searchInterval
        self.lag = lag
    }

    /// Waits for a full search still on the worker (its result is not needed), so nothing of
    /// this run is still computing once the run has returned.
    func settle() {
        if let (search, _) = pending { _ = search.wait() }
        pending = nil
    }

    /// Whether the frame at `time` starts a full search.
    func wantsFullSearch(at time: Double, following: Bool) -> Bool {
        guard pending == nil else { return false }
        guard let lastFull else { return true }
        // A seek or a timestamp jump back starts afresh.
        if time < lastFull { return true }
        return time - lastFull >= (following ? fullInterval : searchInterval) - 1e-9
    }

    /// This frame's faces, in the image's pixels. `followed`: the boxes of the faces the tracker
    /// is following (in the same pixels).
    func find(in image: GrayImage, at time: Double, followed: [PixelRect]) -> [TrackedDetection] {
        var found: [TrackedDetection] = []
        for box in followed {
            if let d = findNear(box, in: image), !found.contains(where: { overlap($0.box, d.box) > 0.5 }) { found.append(d) }
        }
        if let (search, framesSince) = pending {
            if framesSince + 1 >= lag {
                pending = nil
                confirm(search.wait(), in: image, besides: followed, into: &found)
            } else {
                pending = (search, framesSince + 1)
            }
        }
        if wantsFullSearch(at: time, following: !followed.isEmpty) {
            lastFull = time
            if followed.isEmpty {
                // Nothing to follow, so nothing to overlap with: search now, and a face that
                // appears is reported from this frame on.
                confirm(detector.detect(in: image, pass: .quick).map(\.box), in: image, besides: [], into: &found)
            } else {
                let search = FullSearch()
                let detector = self.detector
                worker.async { search.finish(detector.detect(in: image, pass: .quick).map(\.box)) }
                pending = (search, 0)
            }
        }
        return found
    }

    /// Adds each candidate of a full search that is no face already found or followed, once the
    /// local search confirms it in `image` with enough confidence.
    private func confirm(_ candidates: [PixelRect], in image: GrayImage, besides followed: [PixelRect],
                         into found: inout [TrackedDetection]) {
        for candidate in candidates where !(found.map(\.box) + followed).contains(where: { overlap($0, candidate) > 0.3 }) {
            if let d = findNear(candidate, in: image, faceSide: Self.confirmingFaceSide), d.confidence >= minimumConfidence,
               !found.contains(where: { overlap($0.box, d.box) > 0.3 }) {
                found.append(d)
            }
        }
    }

    /// The face in a window twice the size of `box` around it, scaled so the face is about
    /// `faceSide` pixels; the detection overlapping `box` most, if any.
    func findNear(_ box: PixelRect, in image: GrayImage, faceSide: Double = followingFaceSide) -> TrackedDetection? {
        let side = max(box.width, box.height)
        guard side > 0 else { return nil }
        let window = PixelRect(x: box.x - side / 2, y: box.y - side / 2, width: 2 * side, height: 2 * side).clipped(to: image)
        guard window.width >= 24, window.height >= 24 else { return nil }
        // Shrink only: a small face is searched at its own size.
        let scale = min(1, faceSide / Double(side))
        let w = max(24, Int((Double(window.width) * scale).rounded()))
        let h = max(24, Int((Double(window.height) * scale).rounded()))
        let small = GrayImage(width: w, height: h, pixels: Resample.resize(image, rect: window, width: w, height: h))
        let sx = Double(window.width) / Double(w), sy = Double(window.height) / Double(h)
        let minFace = max(24, Int(Double(side) * 0.7 / sx))
        var best: (TrackedDetection, Double)?
        for face in detector.detect(in: small, minFaceSize: minFace) {
            let mapped = PixelRect(x: window.x + Int((Double(face.box.x) * sx).rounded()),
                                   y: window.y + Int((Double(face.box.y) * sy).rounded()),
                                   width: Int((Double(face.box.width) * sx).rounded()),
                                   height: Int((Double(face.box.height) * sy).rounded()))
            let o = overlap(mapped, box)
            if o > 0.25, o > (best?.1 ?? 0) { best = (TrackedDetection(box: mapped, confidence: face.confidence), o) }
        }
        return best?.0
    }
}

/// A full-frame search running on the worker: its boxes, once done.
private final class FullSearch: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let boxes = Mutex<[PixelRect]>([])
    func finish(_ boxes: [PixelRect]) {
        self.boxes.withLock { $0 = boxes }
        done.signal()
    }
    func wait() -> [PixelRect] {
        done.wait()
        return boxes.withLock { $0 }
    }
}

/// Intersection over union of two boxes.
func overlap(_ a: PixelRect, _ b: PixelRect) -> Double {
    let x0 = max(a.x, b.x), y0 = max(a.y, b.y)
    let x1 = min(a.x + a.width, b.x + b.width), y1 = min(a.y + a.height, b.y + b.height)
    let inter = Double(max(0, x1 - x0) * max(0, y1 - y0))
    let union = Double(a.width * a.height + b.width * b.height) - inter
    return union > 0 ? inter / union : 0
}
