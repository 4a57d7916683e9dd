import TermUI

/// Below the minimum size, instead of any panel: the size needed, the size now, how to quit.
struct TooSmallNotice: Widget {
    let minWidth: Int, minHeight: Int

    func draw(_ g: inout CellGrid, _ r: Rect, caps: Capabilities) {
        g.fill(r)
        let times = caps.unicode ? "×" : "x"
        let lines = ["terminal too small (need \(minWidth)\(times)\(minHeight))", "now \(r.width)\(times)\(r.height)", "q quits"]
        let top = r.y + max(0, (r.height - lines.count) / 2)
        for (i, l) in lines.enumerated() {
            let t = l.clipped(r.width)
            g.put(t, x: r.x + max(0, (r.width - t.count) / 2), y: top + i, i == 0 ? .bold : .plain, clip: r)
        }
    }
}
