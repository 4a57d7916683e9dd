import FERData
import TermUI

/// The picture at the cursor scaled into the panel, with a box and a label for each face the
/// analysis found there, the selected one brighter.
struct FramePanel: Widget {
    let state: VideoState
    /// Where the picture goes for a video of a given size: the layout decides it, as it also
    /// decides the size of the frames asked of the decoder.
    let fit: (_ sourceWidth: Int, _ sourceHeight: Int) -> FrameFit

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state, glyphs = Glyphs(unicode: caps.unicode), theme = Theme(caps: caps)
        var title = "Frame " + VideoView.timecode(s.cursor)
        if let i = s.analysedIndexAtCursor { title += "  #\(s.timeline.frameNumbers[i])" }
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        guard let info = s.info else { return CentredNote(text: "opening the video…").draw(&g, inner, caps: caps) }
        let fit = fit(info.width, info.height)
        guard let frame = s.frame else { return CentredNote(text: s.frameNote ?? "decoding the frame…").draw(&g, inner, caps: caps) }
        let pixels = Self.resampled(frame.image, width: fit.pixelWidth, height: fit.pixelHeight)
        ShadedImage(pixels: pixels, width: fit.pixelWidth, height: fit.pixelHeight).draw(&g, fit.rect, caps: caps)
        for face in s.facesAtCursor {
            let selected = face.faceID == s.selectedFace
            var style = theme.emotion(face.label.rawValue)
            style.bold = selected
            let box = fit.cellRect(of: face.box)
            Self.outline(&g, box, style: style, glyphs: glyphs)
            var labelStyle = style
            labelStyle.reverse = selected
            g.put("#\(face.faceID) \(face.label.name)", x: box.x + (box.width > 2 ? 1 : 0), y: box.y, labelStyle, clip: inner)
        }
        // The picture shown is an older one: say why the one asked for did not come.
        if let note = s.frameNote {
            g.put(VideoStatusText.plain(note, unicode: caps.unicode).clipped(inner.width, ellipsis: glyphs.ellipsis),
                  x: inner.x, y: inner.maxY - 1, theme.errorText, clip: inner)
        }
    }

    /// A box's border over the picture (a single mark when it is one cell); what is inside it
    /// stays, so it is not a widget.
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
}

/// One dim line in the middle of its area (ASCII "..." for "…" where needed).
struct CentredNote: Widget {
    let text: String

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        g.fill(r)
        let t = VideoStatusText.plain(text, unicode: caps.unicode).clipped(r.width)
        g.put(t, x: r.x + max(0, (r.width - t.count) / 2), y: r.y + r.height / 2, .dim, clip: r)
    }
}
