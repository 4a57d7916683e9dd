import FERData
import Foundation
import TermUI

/// The Sample panel's body for a face: the headline (where it comes from, true and predicted
/// class), the note (unless it would push a full-size face out), the face with its saliency
/// when shown, and the probability bars, shared out by `SampleLayout`.
struct SampleFace: Widget {
    let state: AppState
    let header: String
    let pixels: [UInt8]?
    let truth: Int?
    let note: String?

    /// The probabilities of this very face, once they have come back.
    var probabilities: [Float]? { state.probabilitiesFor == state.showing ? state.probabilities : nil }
    var predicted: Int? { probabilities.flatMap { p in p.indices.max { p[$0] < p[$1] } } }
    /// The saliency map to draw over the face: shown, and come back for this very image.
    var saliency: SaliencyMap? { state.saliencyShown && state.saliencyFor == state.showing ? state.saliency : nil }
    /// The face, when its pixels are a whole 48×48 image.
    var image: ShadedImage? {
        guard let px = pixels, px.count == ImageSet.pixelsPerImage else { return nil }
        return ShadedImage(pixels: px, width: ImageSet.side, height: ImageSet.side)
    }

    func draw(_ g: inout CellGrid, _ inner: Rect, caps: Capabilities) {
        g.fill(inner)
        let glyphs = Glyphs(unicode: caps.unicode)
        let probs = probabilities, predicted = predicted
        let line = Self.headline(header, truth: truth, predicted: predicted, probabilities: probs,
                                 width: inner.width, unicode: caps.unicode)
        let wrong = truth != nil && predicted != nil && truth != predicted
        g.put(line.clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: inner.y,
              wrong ? Theme(caps: caps).error : .bold, clip: inner)
        var top = inner.y + 1
        if let n = note, top < inner.maxY, !SampleLayout.noteWouldShrinkFace(in: inner) {
            g.put(n.clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: top, .dim, clip: inner); top += 1
        }
        let body = Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top)
        guard var image else { return }
        let layout = SampleLayout(body: body)
        image.scale = layout.scale
        let faceArea = image.area(at: layout.face)
        if let map = saliency {
            HeatOverlay(values: map.values, width: ImageSet.side, height: ImageSet.side, over: image, ramp: HeatRamp.rgb)
                .draw(&g, faceArea, caps: caps)
        } else {
            image.draw(&g, faceArea, caps: caps)
        }
        ProbabilityBars(probabilities: probs, truth: truth, predicted: predicted, hasModel: state.hasModel,
                        noModel: state.watch != nil ? "no checkpoint yet: predictions start with the run's first" : nil)
            .draw(&g, layout.bars, caps: caps)
    }

    /// "header  true neutral  pred fear 55%": class names spelled out when the line fits,
    /// abbreviated otherwise, and at the narrowest "header  neu→fea 55%".
    static func headline(_ header: String, truth: Int?, predicted: Int?, probabilities: [Float]?,
                         width: Int, unicode: Bool) -> String {
        let classNames = DashboardView.classNames
        func headline(_ name: (Int) -> String) -> String {
            var line = header
            if let t = truth { line += "  true " + name(t) }
            if let p = predicted, let pr = probabilities { line += String(format: "  pred %@ %.0f%%", name(p), pr[p] * 100) }
            return line
        }
        var line = headline { classNames[$0] }
        if line.count > width { line = headline { String(classNames[$0].prefix(3)) } }
        if line.count > width, let t = truth, let p = predicted, let pr = probabilities {
            line = header + "  " + classNames[t].prefix(3) + (unicode ? "→" : "->") + classNames[p].prefix(3)
                + String(format: " %.0f%%", pr[p] * 100)
        }
        return line
    }
}
