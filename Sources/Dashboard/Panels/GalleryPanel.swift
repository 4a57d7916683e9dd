import FERData
import TermUI

/// `g`: the browsed samples (split and filter) as a grid of small faces over the whole body, a
/// page at a time, each labelled with its true class and, where the latest evaluation predicted
/// it, the predicted one. The selection is the browse position.
struct GalleryPanel: Widget {
    let state: AppState

    /// The first inner row says where the labels come from…
    static func noteRow(in box: Rect) -> Rect { box.inset(1).splitTop(1).0 }
    /// …and the faces fill the rest.
    static func faces(in box: Rect) -> GalleryLayout { GalleryLayout(area: box.inset(1).splitTop(1).1) }

    func draw(_ g: inout CellGrid, _ box: Rect, caps: Capabilities) {
        let s = state
        let glyphs = Glyphs(unicode: caps.unicode)
        let faces = Self.faces(in: box)
        let count = s.browseCount
        let first = faces.pageStart(of: s.position), end = min(count, first + faces.perPage)
        var title = count == 0 ? "Gallery" : "Gallery \(first + 1)\(caps.unicode ? "–" : "-")\(end) of \(count)"
        if let f = s.filter { title += "  " + SamplePanel.filterTitle(f, room: box.width - 6 - title.count, unicode: caps.unicode) }
        Box(title: title).draw(&g, box, caps: caps)
        let predictions = s.currentSplit == s.evaluatedSplit ? s.evaluatedPredictions : nil
        let note = Self.noteRow(in: box)
        var noteText = Self.note(s, predicted: predictions != nil, unicode: caps.unicode)
        if noteText.count + Self.keys.count <= note.width { noteText += Self.keys }
        g.put(noteText.clipped(note.width, ellipsis: glyphs.ellipsis), x: note.x, y: note.y, .dim, clip: note)
        guard count > 0 else {
            g.put("no images here", x: faces.area.x, y: faces.area.y, .dim, clip: faces.area)
            return
        }
        let set = s.dataset[s.currentSplit], indices = s.filteredIndices
        let theme = Theme(caps: caps)
        for position in first..<end {
            let slot = position - first, idx = indices?[position] ?? position
            let face = ShadedImage(pixels: Array(set.image(idx)), width: ImageSet.side, height: ImageSet.side, scale: faces.scale)
            face.draw(&g, face.area(at: faces.faceOrigin(slot)), caps: caps)
            let label = Int(set.labels[idx])
            let truth = label >= 0 ? label : nil, predicted = predictions.map { Int($0[idx]) }
            var style = truth != nil && predicted != nil && truth != predicted ? theme.error : .plain
            // The selection in reverse video across its whole label row: visible without colour.
            let r = faces.labelRect(slot)
            if position == s.position { style.reverse = true; g.fill(r, Cell(" ", style)) }
            let text = Self.label(truth: truth, predicted: predicted, width: r.width, unicode: caps.unicode)
            g.put(text, x: r.x + max(0, (r.width - text.count) / 2), y: r.y, style, clip: r)
        }
    }

    /// Where the labels come from, so a missing prediction is never mistaken for a right one.
    static func note(_ s: AppState, predicted: Bool, unicode: Bool) -> String {
        let split = s.currentSplit.rawValue, arrow = unicode ? "→" : "->"
        let browsing = s.phase == .browsing
        let source: String
        if predicted, let step = s.shownEval?.step {
            // Browsing, the model is fixed: its step says which one.
            source = browsing ? "\(split): true \(arrow) predicted, by the model (step \(step))"
                              : "\(split): true \(arrow) predicted, from the evaluation at step \(step)"
        } else if browsing && s.evaluating.contains(s.currentSplit) {
            source = "\(split): true labels only for now, evaluating the \(split) split…"
        } else if browsing && !s.hasModel {
            source = "\(split): true labels only (no model: browse --model RUN predicts)"
        } else if s.shownEval == nil {
            source = "\(split): true labels only, no evaluation yet"
        } else if s.currentSplit != s.evaluatedSplit {
            source = "\(split): true labels only (evaluations predict the validation split: v)"
        } else {
            source = "\(split): true labels only (the evaluation did not list each sample's prediction)"
        }
        return source
    }

    /// After the note when it fits (the status line says it too, until the next message).
    static let keys = "; Enter opens, g or Esc returns"

    /// "happy ✓", "anger→sad", or the true class alone without a prediction. Full class names
    /// when the longest label fits `width`, three-letter ones otherwise, so one page never mixes them.
    static func label(truth: Int?, predicted: Int?, width: Int, unicode: Bool) -> String {
        func label(_ truth: Int?, _ predicted: Int?, _ names: [String]) -> String {
            let t = truth.map { names[$0] } ?? "?"
            guard let p = predicted else { return t }
            return p == truth ? t + (unicode ? " ✓" : " ok") : t + (unicode ? "→" : "->") + names[p]
        }
        let classNames = DashboardView.classNames
        let longest = classNames.indices.flatMap { t in classNames.indices.map { label(t, $0, classNames).count } }.max() ?? 0
        return label(truth, predicted, longest <= width ? classNames : classNames.map { String($0.prefix(3)) })
    }
}
