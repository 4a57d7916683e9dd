import TermUI

/// Where each panel sits on a screen of a given size: what `DashboardView.draw` fills, and what
/// a mouse click at a cell hits (`target(of:in:)`), so the two cannot disagree.
struct DashboardLayout {
    let status, loss, confusion, sample, hint: Rect
    /// Everything between the status panel and the key bar: the gallery's box.
    let body: Rect
    /// False below the minimum size, where only "terminal too small" is drawn.
    let fits: Bool

    /// `planLine`: a time budget's plan is shown, which has a status line of its own on a full-size screen.
    init(width: Int, height: Int, planLine: Bool = false) {
        fits = width >= DashboardView.minWidth && height >= DashboardView.minHeight
        let full = width >= 120 && height >= 40
        let (status, belowStatus) = Rect(x: 0, y: 0, width: width, height: height)
            .splitTop((full ? 5 : 4) + (full && planLine ? 1 : 0))
        let (body, hint) = belowStatus.splitBottom(1)
        let sampleW = full ? max(50, width * 5 / 12) : (width >= 100 ? 44 : 38)
        let (left, sample) = body.splitRight(min(sampleW, body.width - 38))
        let (loss, confusion) = left.splitBottom(full ? 11 : min(10, left.height / 2 + 1))
        (self.status, self.body, self.hint, self.sample, self.loss, self.confusion) = (status, body, hint, sample, loss, confusion)
    }

    /// Where the gallery's faces are (it fills the body).
    var galleryFaces: GalleryLayout { GalleryPanel.faces(in: body) }
}

/// What a click or a wheel turn asks for, found from the screen's layout.
public enum MouseTarget: Equatable, Sendable {
    /// A confusion cell: its samples, like Enter on it.
    case confusionCell(ConfusionCell)
    /// A face of the gallery, by its position among the browsed samples: open it, like Enter.
    case galleryFace(Int)
    /// The wheel: back (-1) or forward (+1) one sample, or one row of the gallery.
    case wheel(Int)
}

extension DashboardLayout {
    /// Pure: the same rectangles the renderer drew into. nil where a click means nothing.
    func target(of m: MouseEvent, in s: AppState) -> MouseTarget? {
        guard fits, s.overlay == .none else { return nil }
        switch m.button {
        case .wheelUp: return .wheel(-1)
        case .wheelDown: return .wheel(1)
        case .left: break
        }
        if s.gallery != nil {
            let faces = galleryFaces
            guard let slot = faces.slot(atX: m.x, y: m.y) else { return nil }
            let position = faces.pageStart(of: s.position) + slot
            return position < s.browseCount ? .galleryFace(position) : nil
        }
        guard let view = ConfusionPanel.matrix(s),
              let cell = view.cell(atX: m.x, y: m.y, in: confusion.inset(1), caps: s.screen.caps) else { return nil }
        return .confusionCell(ConfusionCell(truth: cell.truth, predicted: cell.predicted))
    }
}
