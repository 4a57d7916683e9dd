import EmotionTimeline
import FERData
import Foundation
import TermUI
@testable import Dashboard
import FERTestSupport

/// A scripted video analysis: a two-minute 25 fps interview with two people, and a camera
/// stream, so video screens and reducer tests are deterministic.
enum VideoFixture {
    static let file = VideoInfo(source: "/home/ana/videos/interview.mp4", container: "mov,mp4,m4a,3gp,3g2,mj2", codec: "h264",
                                width: 1280, height: 720, duration: 120, frameRate: 25)
    static let stream = VideoInfo(source: "rtsp://camera.local/stream", container: "rtsp", codec: "h264",
                                  width: 640, height: 480, duration: nil, frameRate: 30, isLive: true)

    /// `main` at `weight`, the rest shared evenly.
    static func probabilities(_ main: Emotion, _ weight: Float) -> [Float] {
        (0..<7).map { $0 == main.rawValue ? weight : (1 - weight) / 6 }
    }

    /// Person 0 is there throughout: happy, then neutral, then surprised, then happy again.
    /// Person 1 comes in at 10 s and leaves at 50 s: angry, then sad.
    static func analysis(frame: Int, fps: Double = 25, scale: Int = 1) -> FrameAnalysis {
        let t = Double(frame) / fps
        let wobble = Float(0.12 * sin(t * 1.3))
        let first: Emotion = t < 20 ? .happy : t < 40 ? .neutral : t < 55 ? .surprise : .happy
        var faces = [FaceObservation(faceID: 0, box: PixelRect(x: (260 + Int(30 * sin(t / 4))) / scale, y: 170 / scale,
                                                                 width: 230 / scale, height: 280 / scale),
                                     confidence: 0.93, probabilities: probabilities(first, 0.6 + wobble))]
        if t >= 10 && t < 50 {
            faces.append(FaceObservation(faceID: 1, box: PixelRect(x: 820 / scale, y: 210 / scale, width: 190 / scale, height: 240 / scale),
                                         confidence: 0.81, probabilities: probabilities(t < 30 ? .anger : .sad, 0.5 - wobble)))
        }
        return FrameAnalysis(frame: frame, timestamp: t, faces: faces)
    }

    /// What the control would decode: a dim room with a bright oval where each face is.
    static func picture(_ r: FrameRequest, info: VideoInfo, faces: [FaceObservation]) -> GrayImage {
        var px = [UInt8](repeating: 0, count: r.width * r.height)
        for y in 0..<r.height {
            for x in 0..<r.width { px[y * r.width + x] = UInt8(30 + 70 * y / max(1, r.height) + (x / 7 % 2) * 6) }
        }
        let sx = Double(r.width) / Double(info.width), sy = Double(r.height) / Double(info.height)
        for f in faces {
            let cx = (Double(f.box.x) + Double(f.box.width) / 2) * sx, cy = (Double(f.box.y) + Double(f.box.height) / 2) * sy
            let rx = Double(f.box.width) / 2 * sx, ry = Double(f.box.height) / 2 * sy
            for y in 0..<r.height {
                for x in 0..<r.width {
                    let dx = (Double(x) - cx) / rx, dy = (Double(y) - cy) / ry
                    if dx * dx + dy * dy <= 1 { px[y * r.width + x] = dy < -0.1 && abs(abs(dx) - 0.4) < 0.15 ? 40 : 210 }
                }
            }
        }
        return GrayImage(width: r.width, height: r.height, pixels: px)
    }

    static func apply(_ s: inout VideoState, _ actions: [VideoAction]) {
        for a in actions { _ = reduceVideo(into: &s, a) }
    }

    static func screen(_ w: Int, _ h: Int, _ caps: Capabilities = .full) -> VideoAction {
        .screen(ScreenInfo(width: w, height: h, caps: caps))
    }

    /// Answers the picture and crop requests in flight, and those their answers lead to, as
    /// the control would.
    static func answerRequests(_ s: inout VideoState) {
        for _ in 0..<4 where s.frameRequestSince != nil || s.cropRequestSince != nil { answerOnce(&s) }
    }

    static func answerOnce(_ s: inout VideoState) {
        guard let info = s.info else { return }
        if let r = s.frameRequest, s.frameRequestSince != nil {
            let faces = s.facesAtCursor
            apply(&s, [.event(.frame(time: r.time, image: picture(r, info: info, faces: faces)))])
        }
        if let c = s.cropRequest, s.cropRequestSince != nil {
            let pixels = Array(Fixture.dataset.train.image(c.faceID % Fixture.dataset.train.count))
            let map: [Float]? = c.saliency ? (0..<2304).map { VideoFixture.saliency($0) } : nil
            apply(&s, [.event(.faceCrop(FaceCrop(faceID: c.faceID, time: c.time, pixels: pixels, saliency: map)))])
        }
    }

    /// A warm spot between the eyes, fading out over 20 pixels.
    static func saliency(_ i: Int) -> Float {
        let dx = Double(i % 48 - 24), dy = Double(i / 48 - 20)
        let d: Double = (dx * dx + dy * dy).squareRoot() / 20
        return Float(max(0, 1 - d))
    }

    /// The interview opened on a `w`×`h` screen, analysed frame by frame for its first minute.
    static func opened(_ w: Int, _ h: Int, _ caps: Capabilities = .full, analysedFrames: Int = 1500,
                       frameStep: Int = 1) -> VideoState {
        var s = VideoState()
        apply(&s, [.tick(now: 100), screen(w, h, caps), .event(.opened(file))])
        for f in stride(from: 0, to: analysedFrames, by: frameStep) { apply(&s, [.event(.analysed(analysis(frame: f)))]) }
        apply(&s, [.event(.progress(AnalysisProgress(decodedFrames: analysedFrames, analysedUpTo: Double(analysedFrames) / 25,
                                                     framesPerSecond: 61.5)))])
        return s
    }

    /// Half analysed, the cursor at 0:30 with both people in view, the second one selected.
    static func halfAnalysed(_ w: Int, _ h: Int, _ caps: Capabilities = .full) -> VideoState {
        var s = opened(w, h, caps)
        apply(&s, [.key(.pageDown), .key(.pageDown), .key(.pageDown), .key(.tab)])
        answerRequests(&s)
        return s
    }

    /// A camera stream followed live, 40 s in.
    static func live(_ w: Int, _ h: Int, _ caps: Capabilities = .full) -> VideoState {
        var s = VideoState()
        apply(&s, [.tick(now: 100), screen(w, h, caps), .event(.opened(stream))])
        for f in 0..<1200 { apply(&s, [.event(.analysed(analysis(frame: f, fps: 30, scale: 2)))]) }
        apply(&s, [.event(.progress(AnalysisProgress(decodedFrames: 1200, analysedUpTo: 39.97, framesPerSecond: 30)))])
        answerRequests(&s)
        return s
    }

    /// The whole interview analysed, the cursor at 0:45 (40 s and 125 frames), saliency on.
    static func finished(_ w: Int, _ h: Int, _ caps: Capabilities = .full) -> VideoState {
        var s = opened(w, h, caps, analysedFrames: 3000)
        apply(&s, [.event(.finished)] + Array(repeating: .key(.pageDown), count: 4) + Array(repeating: .key(.right), count: 125))
        apply(&s, [.key(.char("x"))])
        answerRequests(&s)
        return s
    }

    static func render(_ s: VideoState, _ w: Int, _ h: Int, _ caps: Capabilities = .full) -> CellGrid {
        var g = CellGrid(width: w, height: h, fill: unpaintedCell)
        VideoView.draw(s, into: &g, caps: caps)
        return g
    }
}
