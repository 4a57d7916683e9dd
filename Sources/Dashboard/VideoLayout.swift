import FERData
import TermUI

/// Where the video view's panels sit on a screen of a given size. Pure: drawing, the size of the
/// frames the reducer asks for, and what a click hits all come from it, so they cannot disagree.
struct VideoLayout {
    let status, frame, face, timeline, hint: Rect
    /// False below the minimum size, where only "terminal too small" is drawn.
    let fits: Bool
    /// Room for the timeline's seven probability rows above the dominant-emotion strip.
    let tall: Bool

    /// The timeline's rows: seven probabilities and a two-row strip (or the strip alone), the
    /// time axis with the cursor, and the border.
    static let tallTimelineHeight = 2 + Emotion.allCases.count + 2 + 1, shortTimelineHeight = 2 + 2 + 1
    /// The face panel fits a third-size face with readable bars beside it at its narrowest.
    static let minFaceWidth = 35

    init(width: Int, height: Int) {
        fits = width >= DashboardView.minWidth && height >= DashboardView.minHeight
        tall = height >= 34
        let (status, belowStatus) = Rect(x: 0, y: 0, width: width, height: height).splitTop(tall ? 5 : 4)
        let (body, hint) = belowStatus.splitBottom(1)
        let (top, timeline) = body.splitBottom(tall ? Self.tallTimelineHeight : Self.shortTimelineHeight)
        let (frame, face) = top.splitRight(max(Self.minFaceWidth, width * 2 / 5))
        (self.status, self.hint, self.timeline, self.frame, self.face) = (status, hint, timeline, frame, face)
    }

    /// Where the picture goes in the frame panel for a video of this displayed size.
    func frameFit(sourceWidth: Int, sourceHeight: Int) -> FrameFit {
        FrameFit(area: frame.inset(1), sourceWidth: sourceWidth, sourceHeight: sourceHeight)
    }

    var timelineTrack: TimelineLayout { TimelineLayout(inner: timeline.inset(1), tall: tall) }
}

/// A picture scaled into an area of cells in half blocks (two pixel rows per cell), keeping its
/// aspect, centred; and where a box in source pixels lands on it.
struct FrameFit {
    /// The picture's size in pixels, as asked of the decoder.
    let pixelWidth: Int, pixelHeight: Int
    /// Its top-left cell and size in cells.
    let origin: (x: Int, y: Int)
    let cells: (width: Int, height: Int)
    let sourceWidth: Int, sourceHeight: Int

    init(area: Rect, sourceWidth: Int, sourceHeight: Int) {
        let w = max(1, sourceWidth), h = max(1, sourceHeight)
        let scale = min(Double(area.width) / Double(w), Double(area.height * 2) / Double(h))
        pixelWidth = area.isEmpty ? 0 : max(1, min(area.width, Int(Double(w) * scale)))
        pixelHeight = area.isEmpty ? 0 : max(1, min(area.height * 2, Int(Double(h) * scale)))
        cells = (pixelWidth, (pixelHeight + 1) / 2)
        origin = (area.x + (area.width - cells.width) / 2, area.y + (area.height - cells.height) / 2)
        self.sourceWidth = w; self.sourceHeight = h
    }

    var rect: Rect { Rect(x: origin.x, y: origin.y, width: cells.width, height: cells.height) }

    /// The cells a face box covers (at least one), clipped to the picture.
    func cellRect(of box: PixelRect) -> Rect {
        func cx(_ px: Int) -> Int { origin.x + px * pixelWidth / sourceWidth }
        func cy(_ py: Int) -> Int { origin.y + py * pixelHeight / sourceHeight / 2 }
        let x0 = cx(box.x), y0 = cy(box.y)
        let x1 = max(x0 + 1, cx(box.x + box.width)), y1 = max(y0 + 1, cy(box.y + box.height))
        return Rect(x: x0, y: y0, width: x1 - x0, height: y1 - y0).intersection(rect)
    }
}

/// The timeline panel's inside: row labels on the left, then the track, whose columns each
/// cover an equal slice of the video; the cursor's column and a click's time come from here.
struct TimelineLayout {
    static let labelWidth = 9
    let inner: Rect
    /// The columns that stand for time, over every row.
    let track: Rect
    /// One row per emotion (tall layout only), the dominant-emotion strip, and the time axis.
    let probabilityRows: Rect
    let strip: Rect
    let axis: Rect

    init(inner: Rect, tall: Bool) {
        self.inner = inner
        track = inner.splitLeft(Self.labelWidth).1
        let (rows, axis) = inner.splitBottom(1)
        let (probabilities, strip) = rows.splitBottom(2)
        probabilityRows = tall ? probabilities : Rect(x: inner.x, y: inner.y, width: inner.width, height: 0)
        self.strip = strip
        self.axis = axis
    }

    var columns: Int { track.width }

    /// The column (a screen x) that shows time `t` of a timeline `span` seconds long.
    func x(for t: Double, span: Double) -> Int {
        guard columns > 0, span > 0 else { return track.x }
        return track.x + max(0, min(columns - 1, Int(t / span * Double(columns))))
    }

    /// The times column `c` (0-based) covers.
    func timeRange(column c: Int, span: Double) -> Range<Double> {
        let w = Double(max(1, columns))
        return (Double(c) * span / w)..<(Double(c + 1) * span / w)
    }

    /// The time a click at screen column `x` points at: the middle of that column; nil off the track.
    func time(atX x: Int, y: Int, span: Double) -> Double? {
        guard x >= track.x, x < track.maxX, y >= inner.y, y < inner.maxY, span > 0 else { return nil }
        let r = timeRange(column: x - track.x, span: span)
        return (r.lowerBound + r.upperBound) / 2
    }
}
