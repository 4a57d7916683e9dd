import FERData
import TermUI

/// The selected face: the 48×48 crop the network saw (with its saliency on `x`, the legend in
/// the bottom border) and the seven probabilities of the analysed frame at the cursor.
struct VideoFacePanel: Widget {
    let state: VideoState

    /// Why there is no face to show at the cursor.
    static func absence(_ s: VideoState) -> String {
        let faces = s.facesAtCursor
        if s.info == nil { return "opening the video…" }
        if s.analysedIndexAtCursor == nil { return "not analysed yet at \(VideoView.timecode(s.cursor))" }
        if faces.isEmpty { return "no face at \(VideoView.timecode(s.cursor))" }
        return "face #\(s.selectedFace ?? 0) is not in this frame: Tab picks one of \(faces.count)"
    }

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state, glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        let title = (s.selectedFace.map { "Face #\($0)" } ?? "Face") + (s.saliencyShown ? "  saliency" : "")
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        guard let face = s.facesAtCursor.first(where: { $0.faceID == s.selectedFace }) else {
            var y = inner.y
            for line in wrapped(VideoStatusText.plain(Self.absence(s), unicode: caps.unicode), width: inner.width) where y < inner.maxY {
                g.put(line, x: inner.x, y: y, .dim, clip: inner); y += 1
            }
            return
        }
        let predicted = face.label.rawValue
        let headline = String(format: "%@ %.0f%%  confidence %.2f", face.label.name, face.probabilities[predicted] * 100, face.confidence)
        g.put(headline.clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: inner.y,
              theme.emotion(predicted).with(bold: true), clip: inner)
        let body = inner.splitTop(1).1
        let layout = SampleLayout(body: body)
        if let crop = s.crop, crop.faceID == face.faceID, crop.pixels.count == ImageSet.pixelsPerImage {
            let image = ShadedImage(pixels: crop.pixels, width: ImageSet.side, height: ImageSet.side, scale: layout.scale)
            let map = crop.saliency.flatMap { $0.count == ImageSet.pixelsPerImage ? $0 : nil }
            if s.saliencyShown, let map {
                HeatOverlay(values: map, width: ImageSet.side, height: ImageSet.side, over: image, ramp: HeatRamp.rgb)
                    .draw(&g, image.area(at: layout.face), caps: caps)
            } else {
                image.draw(&g, image.area(at: layout.face), caps: caps)
            }
            if s.saliencyShown {
                let border = Rect(x: inner.x + 1, y: inner.maxY, width: inner.width - 2, height: 1)
                let legend = SaliencyLegend.label(map, className: nil, room: border.width, caps: caps,
                                                  computing: VideoStatusText.plain(" computing saliency… ", unicode: caps.unicode))
                legend.draw(&g, legend.area(atStartOf: border), caps: caps)
            }
        } else {
            let cells = SampleLayout.faceCells(scale: layout.scale)
            let area = Rect(x: layout.face.x, y: layout.face.y, width: cells.width, height: cells.height).intersection(body)
            CentredNote(text: s.cropNote ?? "loading…").draw(&g, area, caps: caps)
        }
        ProbabilityBars(probabilities: face.probabilities, truth: nil, predicted: predicted, hasModel: true,
                        classStyle: { theme.emotion($0) })
            .draw(&g, layout.bars, caps: caps)
    }
}
