import TermUI

/// A piece of a status panel; pieces flow left to right and wrap to the next line.
enum Segment: Equatable {
    case text(String, Style)
    case bar(width: Int, fraction: Double, style: Style)
    case lineBreak

    var width: Int {
        switch self {
        case .text(let t, _): return t.count
        case .bar(let w, _, _): return w
        case .lineBreak: return 0
        }
    }
}

/// Segments flowed into an area two blanks apart, wrapping at its right edge. On the last line
/// a piece that does not fit is skipped, as a smaller later one may still fit.
struct SegmentFlow: Widget {
    var segments: [Segment]

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        g.fill(r)
        let glyphs = Glyphs(unicode: caps.unicode)
        var x = r.x, y = r.y
        for seg in segments {
            if case .lineBreak = seg {
                if x > r.x { y += 1; x = r.x }
                continue
            }
            let w = seg.width + (x > r.x ? 2 : 0)
            if x + w > r.maxX && x > r.x {
                if y + 1 >= r.maxY { continue }
                y += 1; x = r.x
            }
            guard y < r.maxY else { break }
            if x > r.x { x += 2 }
            switch seg {
            case .text(let t, let st):
                x = g.put(t.clipped(r.maxX - x, ellipsis: glyphs.ellipsis), x: x, y: y, st, clip: r)
            case .bar(let w, let f, let st):
                Bar(fraction: f, style: st).draw(&g, Rect(x: x, y: y, width: min(w, r.maxX - x), height: 1), caps: caps)
                x += w
            case .lineBreak: break
            }
        }
    }
}
