import FERData
import Foundation
import TermUI

/// The face being browsed (from the dataset or a file) with what is known about it, why a file
/// could not be read, or that the split is empty. With saliency on, the map's legend sits in
/// the panel's bottom border (the body has no row to spare at 80×24).
struct SamplePanel: Widget {
    let state: AppState

    /// What the panel shows.
    enum Content {
        case face(header: String, pixels: [UInt8]?, truth: Int?, note: String?)
        case fileError(String)
        /// Watching a run whose dataset could not be loaded: why.
        case datasetNote(String)
        case empty
    }

    static func content(_ s: AppState) -> Content {
        if let f = s.file {
            return .face(header: (f.path as NSString).lastPathComponent, pixels: f.pixels, truth: nil, note: f.note)
        }
        if let err = s.fileError { return .fileError(err) }
        guard let idx = s.currentIndex else {
            if let note = s.watch?.datasetNote, s.dataset.train.isEmpty && s.dataset.validation.isEmpty && s.dataset.test.isEmpty {
                return .datasetNote(note)
            }
            return .empty
        }
        let set = s.dataset[s.currentSplit]
        var header = "\(s.currentSplit.rawValue) #\(idx)/\(set.count)"
        if let f = s.filter { header += " \(f == .misclassified ? "miscl" : "sel") \(s.position + 1)/\(s.browseCount)" }
        let l = Int(set.labels[idx])
        return .face(header: header, pixels: Array(set.image(idx)), truth: l >= 0 ? l : nil, note: nil)
    }

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        let s = state
        var title = s.file != nil ? "Sample  file" : "Sample"
        if s.file == nil, let f = s.filter {
            title += "  " + Self.filterTitle(f, room: r.width - 4 - title.count - 2 - (s.saliencyShown ? 10 : 0), unicode: caps.unicode)
        }
        if s.saliencyShown { title += "  saliency" }
        Box(title: title).draw(&g, r, caps: caps)
        let inner = Box.interior(of: r)
        guard !inner.isEmpty else { return }
        switch Self.content(s) {
        case .face(let header, let pixels, let truth, let note):
            let face = SampleFace(state: s, header: header, pixels: pixels, truth: truth, note: note)
            face.draw(&g, inner, caps: caps)
            if s.saliencyShown && face.image != nil {
                let border = Rect(x: inner.x + 1, y: inner.maxY, width: inner.width - 2, height: 1)
                let legend = SaliencyLegend.label(face.saliency?.values, className: face.saliency.map { DashboardView.classNames[$0.classIndex] },
                                                  room: border.width, caps: caps)
                legend.draw(&g, legend.area(atStartOf: border), caps: caps)
            }
        case .fileError(let message):
            FileErrorNote(message: message).draw(&g, inner, caps: caps)
        case .datasetNote(let note):
            var y = inner.y
            for line in wrapped(note, width: inner.width) where y < inner.maxY { g.put(line, x: inner.x, y: y, .dim, clip: inner); y += 1 }
        case .empty:
            g.put("no images in this split", x: inner.x, y: inner.y, .dim, clip: inner)
        }
    }

    /// The filter's title words in at most `room` characters if possible: full class names,
    /// then three-letter ones, then without "true" and "pred".
    static func filterTitle(_ f: SampleFilter, room: Int, unicode: Bool) -> String {
        let classNames = DashboardView.classNames
        let short = classNames.map { String($0.prefix(3)) }
        let forms = [f.title(names: classNames, unicode: unicode), f.title(names: short, unicode: unicode),
                     f.title(names: short, unicode: unicode).replacingOccurrences(of: "true ", with: "")
                         .replacingOccurrences(of: " pred ", with: " ")]
        return forms.first { $0.count <= room } ?? forms[2]
    }
}

/// A file that could not be predicted: why, wrapped so a long path stays readable.
struct FileErrorNote: Widget {
    let message: String

    func draw(_ g: inout CellGrid, _ inner: Rect, caps: Capabilities) {
        g.fill(inner)
        g.put("cannot predict:", x: inner.x, y: inner.y, .bold, clip: inner)
        var y = inner.y + 1
        var rest = Substring(message)
        while !rest.isEmpty && y < inner.maxY - 1 {
            g.put(String(rest.prefix(inner.width)), x: inner.x, y: y, Theme(caps: caps).errorText, clip: inner)
            rest = rest.dropFirst(inner.width); y += 1
        }
        g.put("Esc returns to the dataset", x: inner.x, y: y + 1, .dim, clip: inner)
    }
}

/// A saliency map's legend for a panel's bottom border: its colours and the class it explains,
/// or that it is still being computed.
enum SaliencyLegend {
    /// `map` is nil while the map has not come back for the face on screen; `room` is the width
    /// of the border row it goes on.
    static func label(_ map: [Float]?, className: String?, room: Int, caps: Capabilities,
                      computing: String = " computing saliency… ") -> Label {
        guard let map else { return Label(computing, .dim) }
        let overlay = HeatOverlay(values: map, width: ImageSet.side, height: ImageSet.side,
                                  over: ShadedImage(pixels: [], width: 0, height: 0), ramp: HeatRamp.rgb)
        let tail: [(String, Style)] = className.map { [("  " + $0 + " ", .dim)] } ?? [(" ", .plain)]
        return Label([(" ", .plain)] + overlay.legend(width: room - (className.map { $0.count + 4 } ?? 2), caps: caps) + tail)
    }
}
