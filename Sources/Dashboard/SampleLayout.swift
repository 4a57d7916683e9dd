import FERData
import TermUI

/// How the Sample panel's body is shared between the face and the seven class bars. In order of
/// preference: the face at full resolution with the bars below; at half size with the bars
/// beside; at half size with the bars in two columns below; at a third with the bars beside; and
/// as a last resort at a third with the bars below.
struct SampleLayout {
    /// Bars narrower than this stop being readable.
    static let minBarsWidth = 16
    /// Bars below the face need a row per class…
    static let barRows = Emotion.allCases.count
    /// …or, in two columns, four rows and this much width.
    static let twoColumnBarRows = 4, twoColumnBarsWidth = 32
    /// Columns between a face and the bars beside it.
    static let gap = 1

    /// Downscale of the 48×48 face: 1 (full), 2 or 3.
    let scale: Int
    /// The face's top-left cell.
    let face: (x: Int, y: Int)
    let bars: Rect

    /// Cells a face takes at `scale` (two pixel rows per cell).
    static func faceCells(scale: Int) -> (width: Int, height: Int) {
        ShadedImage.cellSize(width: ImageSet.side, height: ImageSet.side, scale: scale)
    }

    static func fullSizeFits(width: Int, height: Int) -> Bool {
        let full = faceCells(scale: 1)
        return width >= full.width && height >= full.height + barRows
    }

    /// True when a full-size face fits under the panel's headline but would not with the note's
    /// line as well; the note is then left out rather than the face shrunk.
    static func noteWouldShrinkFace(in inner: Rect) -> Bool {
        fullSizeFits(width: inner.width, height: inner.height - 1)
            && !fullSizeFits(width: inner.width, height: inner.height - 2)
    }

    init(body: Rect) {
        let half = Self.faceCells(scale: 2), third = Self.faceCells(scale: 3)
        func beside(_ face: (width: Int, height: Int)) -> Rect {
            body.splitLeft(face.width + Self.gap).1
        }
        func below(_ face: (width: Int, height: Int)) -> Rect { body.splitTop(face.height).1 }
        if Self.fullSizeFits(width: body.width, height: body.height) {
            let full = Self.faceCells(scale: 1)
            scale = 1
            face = (body.x + (body.width - full.width) / 2, body.y)
            bars = below(full)
        } else if body.height >= half.height && body.width - (half.width + Self.gap) >= Self.minBarsWidth {
            scale = 2
            face = (body.x, body.y)
            bars = beside(half)
        } else if body.height >= half.height + Self.twoColumnBarRows && body.width >= Self.twoColumnBarsWidth {
            scale = 2
            face = (body.x, body.y)
            bars = below(half)
        } else if body.height >= third.height && body.width - (third.width + Self.gap) >= Self.minBarsWidth {
            scale = 3
            face = (body.x, body.y)
            bars = beside(third)
        } else {
            scale = 3
            face = (body.x, body.y)
            bars = below(third)
        }
    }
}
