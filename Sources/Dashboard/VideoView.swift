import EmotionTimeline
import FERData
import Foundation
import TermUI

/// The video view's screen: status, the frame with its face boxes, the selected face with its
/// probabilities, the timeline, the key bar. Pure views of `VideoState` drawn into a `CellGrid`.
public enum VideoView {
    /// "1:23.4": the cursor to a tenth of a second (frames are closer than a second apart).
    public static func timecode(_ t: Double) -> String {
        guard t.isFinite && t >= 0 else { return "--" }
        let tenths = Int((t * 10 + 1e-6).rounded(.down))
        return DashboardView.duration(Double(tenths / 10)) + ".\(tenths % 10)"
    }

    /// Each emotion's letter where no colour tells them apart (sUrprise, as Sad has the S).
    static let emotionLetters: [Character] = ["A", "D", "F", "H", "S", "U", "N"]

    public static func render(_ s: VideoState, width: Int, height: Int, caps: Capabilities) -> CellGrid {
        var g = CellGrid(width: width, height: height)
        draw(s, into: &g, caps: caps)
        return g
    }

    /// Draws every cell of `g` (the tests start from a grid of "x" to prove it).
    public static func draw(_ s: VideoState, into g: inout CellGrid, caps: Capabilities) {
        let layout = VideoLayout(width: g.width, height: g.height)
        guard layout.fits else { return DashboardView.drawTooSmall(&g, glyphs: Glyphs(unicode: caps.unicode)) }
        drawStatus(&g, layout.status, s, caps)
        drawFrame(&g, layout, s, caps)
        drawFace(&g, layout.face, s, caps)
        drawTimeline(&g, layout, s, caps)
        drawHint(&g, layout.hint, caps)
        switch s.overlay {
        case .help:
            Widgets.helpOverlay(&g, title: "Help  video keys", rows: VideoKeyTable.helpRows(unicode: caps.unicode),
                                footer: "Esc or ? closes", glyphs: Glyphs(unicode: caps.unicode))
        case .confirmQuit:
            DashboardView.drawConfirm(&g, caps, question: ["The video is still being analysed.", "Stop the analysis and quit?"])
        case .none: break
        }
    }

    // MARK: status

    static func drawStatus(_ g: inout CellGrid, _ r: Rect, _ s: VideoState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        let inner = Widgets.box(&g, r, title: "ferdash video " + (caps.unicode ? "— " : "- ") + "Status", glyphs: glyphs)
        guard !inner.isEmpty else { return }
        let (flowR, msgR) = s.message != nil && inner.height >= 2 ? inner.splitBottom(1) : (inner, Rect(x: 0, y: 0, width: 0, height: 0))
        typealias Segment = DashboardView.Segment
        var segs: [Segment] = [.text(s.quitting && s.phase.isLive ? "stopping" : s.phase.word, phaseStyle(s.phase, theme))]
        if s.followingLive {
            segs.append(.text(caps.unicode ? "● live" : "* live", theme.error))
        } else {
            segs.append(.text(s.playing ? (caps.unicode ? "▶ playing" : "> playing") : (caps.unicode ? "❚❚ paused" : "|| paused"),
                              s.playing ? .bold : .plain))
        }
        guard let info = s.info else {
            segs.append(.text(plainText("opening the video…", caps), .dim))
            _ = DashboardView.flow(&g, flowR, segs, glyphs: glyphs)
            return drawMessage(&g, msgR, s, theme, glyphs)
        }
        segs.append(.text(sourceName(info.source), .bold))
        let upTo = s.analysedUpTo
        if s.isLive {
            segs.append(.text("\(DashboardView.duration(s.cursor)) / \(DashboardView.duration(s.span)) live", .plain))
            segs.append(.text("analysed to \(DashboardView.duration(upTo))", .plain))
        } else {
            let total = s.span
            let fraction = s.phase == .finished ? 1 : min(1, upTo / total)
            segs.append(.text("\(DashboardView.duration(s.cursor)) / \(DashboardView.duration(total))", .plain))
            segs.append(.bar(width: inner.width >= 110 ? 24 : 12, fraction: fraction, style: theme.progress))
            segs.append(.text(s.phase == .finished ? "analysed" : String(format: "analysed to %@ (%.0f%%)",
                                                                        DashboardView.duration(upTo), fraction * 100), .plain))
        }
        if let p = s.progress, s.phase.isLive {
            segs.append(.text(String(format: "%.0f frames/s", p.framesPerSecond), .plain))
            if !s.isLive, p.framesPerSecond > 0 {
                let remaining = max(0, s.span - upTo) / s.frameInterval
                segs.append(.text("ETA \(DashboardView.duration(remaining / p.framesPerSecond))", .plain))
            }
        }
        let faces = s.timeline.faceIDsSeen.count
        segs.append(.text("\(faces) face\(faces == 1 ? "" : "s") seen", .plain))
        // Wide: what the video is on its own line. Narrow: it flows after and fills what is left.
        if flowR.height >= 2 && inner.width >= 110 { segs.append(.lineBreak) }
        var about = "\(info.width)\(caps.unicode ? "×" : "x")\(info.height) \(info.codec)"
        if let rate = info.frameRate { about += String(format: " %.4g fps", rate) }
        if info.rotation != 0 { about += " rotated \(info.rotation)\(caps.unicode ? "°" : " deg")" }
        segs.append(.text(about, .dim))
        segs.append(.text("\(s.timeline.count) frames analysed", .dim))
        _ = DashboardView.flow(&g, flowR, segs, glyphs: glyphs)
        drawMessage(&g, msgR, s, theme, glyphs)
    }

    /// A file by its name (the folder is rarely what tells videos apart), a stream by its URL.
    static func sourceName(_ source: String) -> String {
        source.contains("://") ? source : (source as NSString).lastPathComponent
    }

    /// Text with "…" spelled "..." where the terminal shows only ASCII.
    static func plainText(_ text: String, _ caps: Capabilities) -> String {
        caps.unicode ? text : text.replacingOccurrences(of: "…", with: "...")
    }

    static func drawMessage(_ g: inout CellGrid, _ r: Rect, _ s: VideoState, _ theme: Theme, _ glyphs: Glyphs) {
        guard let message = s.message, !r.isEmpty else { return }
        let m = plainText(message, theme.caps)
        g.fill(r)
        g.put(m.clipped(r.width, ellipsis: glyphs.ellipsis), x: r.x, y: r.y, s.messageIsError ? theme.error : .plain, clip: r)
    }

    static func phaseStyle(_ p: VideoPhase, _ theme: Theme) -> Style {
        switch p {
        case .analysing: return theme.working
        case .finished: return theme.done
        case .failed: return theme.broken
        case .opening: return theme.waiting
        }
    }

    // MARK: frame

    /// The picture at the cursor scaled into the panel, with a box and a label for each face
    /// the analysis found there, the selected one brighter.
    static func drawFrame(_ g: inout CellGrid, _ layout: VideoLayout, _ s: VideoState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        var title = "Frame " + timecode(s.cursor)
        if let i = s.analysedIndexAtCursor { title += "  #\(s.timeline.frameNumbers[i])" }
        let inner = Widgets.box(&g, layout.frame, title: title, glyphs: glyphs)
        guard !inner.isEmpty else { return }
        guard let info = s.info else { return centred(&g, inner, "opening the video…", caps) }
        let fit = layout.frameFit(sourceWidth: info.width, sourceHeight: info.height)
        guard let frame = s.frame else { return centred(&g, inner, s.frameNote ?? "decoding the frame…", caps) }
        let pixels = resampled(frame.image, width: fit.pixelWidth, height: fit.pixelHeight)
        ShadedImage(pixels: pixels, width: fit.pixelWidth, height: fit.pixelHeight).draw(&g, at: fit.origin, scale: 1, caps: caps)
        for face in s.facesAtCursor {
            let selected = face.faceID == s.selectedFace
            var style = theme.emotion(face.label.rawValue)
            style.bold = selected
            let r = fit.cellRect(of: face.box)
            outline(&g, r, style: style, glyphs: glyphs)
            var labelStyle = style
            labelStyle.reverse = selected
            let label = "#\(face.faceID) \(face.label.name)"
            g.put(label, x: r.x + (r.width > 2 ? 1 : 0), y: r.y, labelStyle, clip: inner)
        }
        // The picture shown is an older one: say why the one asked for did not come.
        if let note = s.frameNote {
            g.put(plainText(note, caps).clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: inner.maxY - 1,
                  theme.errorText, clip: inner)
        }
    }

    /// A box's border over the picture (a single mark when it is one cell).
    static func outline(_ g: inout CellGrid, _ r: Rect, style: Style, glyphs: Glyphs) {
        guard !r.isEmpty else { return }
        guard r.width >= 2 && r.height >= 2 else { return g.fill(r, Cell(glyphs.unicode ? "□" : "o", style)) }
        for x in r.x..<r.maxX { g[x, r.y] = Cell(glyphs.h, style); g[x, r.maxY - 1] = Cell(glyphs.h, style) }
        for y in r.y..<r.maxY { g[r.x, y] = Cell(glyphs.v, style); g[r.maxX - 1, y] = Cell(glyphs.v, style) }
        g[r.x, r.y] = Cell(glyphs.tl, style); g[r.maxX - 1, r.y] = Cell(glyphs.tr, style)
        g[r.x, r.maxY - 1] = Cell(glyphs.bl, style); g[r.maxX - 1, r.maxY - 1] = Cell(glyphs.br, style)
    }

    /// The picture at exactly `width`×`height` (the control sends it so; a frame from before a
    /// resize is stretched, nearest pixel, until the new size arrives).
    static func resampled(_ image: GrayImage, width: Int, height: Int) -> [UInt8] {
        if image.width == width && image.height == height && image.pixels.count == width * height { return image.pixels }
        guard image.width > 0, image.height > 0, image.pixels.count >= image.width * image.height else {
            return [UInt8](repeating: 0, count: width * height)
        }
        var out = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let sy = y * image.height / height
            for x in 0..<width { out[y * width + x] = image.pixels[sy * image.width + x * image.width / width] }
        }
        return out
    }

    static func centred(_ g: inout CellGrid, _ r: Rect, _ text: String, _ caps: Capabilities) {
        let t = plainText(text, caps).clipped(r.width)
        g.put(t, x: r.x + max(0, (r.width - t.count) / 2), y: r.y + r.height / 2, .dim, clip: r)
    }

    // MARK: face

    /// The selected face: the 48×48 crop the network saw (with its saliency on `x`) and the
    /// seven probabilities of the analysed frame at the cursor.
    static func drawFace(_ g: inout CellGrid, _ r: Rect, _ s: VideoState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        let title = (s.selectedFace.map { "Face #\($0)" } ?? "Face") + (s.saliencyShown ? "  saliency" : "")
        let inner = Widgets.box(&g, r, title: title, glyphs: glyphs)
        guard !inner.isEmpty else { return }
        let faces = s.facesAtCursor
        guard let face = faces.first(where: { $0.faceID == s.selectedFace }) else {
            let why: String
            if s.info == nil { why = "opening the video…" }
            else if s.analysedIndexAtCursor == nil { why = "not analysed yet at \(timecode(s.cursor))" }
            else if faces.isEmpty { why = "no face at \(timecode(s.cursor))" }
            else { why = "face #\(s.selectedFace ?? 0) is not in this frame: Tab picks one of \(faces.count)" }
            var y = inner.y
            for line in DashboardView.wrapped(plainText(why, caps), width: inner.width) where y < inner.maxY {
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
        let crop = s.crop.flatMap { $0.faceID == face.faceID && $0.pixels.count == ImageSet.pixelsPerImage ? $0 : nil }
        if let crop {
            let image = ShadedImage(pixels: crop.pixels, width: ImageSet.side, height: ImageSet.side)
            image.draw(&g, at: layout.face, scale: layout.scale, caps: caps)
            if s.saliencyShown { drawSaliency(&g, crop, image: image, inner: inner, layout: layout, caps: caps) }
        } else {
            let cells = SampleLayout.faceCells(scale: layout.scale)
            let area = Rect(x: layout.face.x, y: layout.face.y, width: cells.width, height: cells.height).intersection(body)
            centred(&g, area, s.cropNote ?? "loading…", caps)
        }
        DashboardView.drawBars(&g, layout.bars, probs: face.probabilities, truth: nil, predicted: predicted, hasModel: true,
                               caps: caps, classStyle: { theme.emotion($0) })
    }

    /// The map over the crop once it has come for this face, its legend in the bottom border.
    static func drawSaliency(_ g: inout CellGrid, _ crop: FaceCrop, image: ShadedImage, inner: Rect, layout: SampleLayout,
                             caps: Capabilities) {
        let legendR = Rect(x: inner.x + 1, y: inner.maxY, width: inner.width - 2, height: 1)
        guard let map = crop.saliency, map.count == ImageSet.pixelsPerImage else {
            g.put(plainText(" computing saliency… ", caps), x: legendR.x, y: legendR.y, .dim, clip: legendR)
            return
        }
        let overlay = HeatOverlay(values: map, width: ImageSet.side, height: ImageSet.side, ramp: HeatRamp.rgb)
        overlay.draw(&g, over: image, at: layout.face, scale: layout.scale, caps: caps)
        var x = g.put(" ", x: legendR.x, y: legendR.y, .plain, clip: legendR)
        for (text, style) in overlay.legend(width: legendR.width - 2, caps: caps) { x = g.put(text, x: x, y: legendR.y, style, clip: legendR) }
        g.put(" ", x: x, y: legendR.y, .plain, clip: legendR)
    }

    // MARK: key bar

    static func drawHint(_ g: inout CellGrid, _ r: Rect, _ caps: Capabilities) {
        guard !r.isEmpty else { return }
        g.fill(r, Cell(" ", .reverse))
        let text = VideoKeyTable.hintLine(unicode: caps.unicode, width: r.width - 1)
        g.put(" " + text.clipped(r.width - 1), x: r.x, y: r.y, .reverse, clip: r)
    }
}

extension Style {
    func with(bold: Bool) -> Style { var s = self; s.bold = bold; return s }
}
