import FERData
import TermUI

/// How the gallery lays out faces: a grid of downscaled faces, each above a one-row label, as
/// many as fit, centred. Pages hold whole screens: the page of a position starts at a multiple
/// of `perPage`. Pure, so the renderer, the arrows and the mouse agree on which face is where.
struct GalleryLayout {
    /// Columns between two faces.
    static let gap = 1
    /// Faces at a third of full size when at least this many fit; at a quarter otherwise.
    static let enough = 12

    let area: Rect
    /// Downscale of the 48×48 face: 3 or 4.
    let scale: Int
    /// Cells one face takes (its label row comes below).
    let face: (width: Int, height: Int)
    let columns: Int, rows: Int
    /// The first face's column (what is left over is shared on both sides).
    let left: Int

    init(area: Rect) {
        func fit(_ scale: Int) -> (scale: Int, face: (width: Int, height: Int), columns: Int, rows: Int) {
            let f = ShadedImage.cellSize(width: ImageSet.side, height: ImageSet.side, scale: scale)
            return (scale, f, max(0, (area.width + Self.gap) / (f.width + Self.gap)), max(0, area.height / (f.height + 1)))
        }
        let third = fit(3)
        let chosen = third.columns * third.rows >= Self.enough ? third : fit(4)
        self.area = area
        (scale, face, columns, rows) = (chosen.scale, chosen.face, chosen.columns, chosen.rows)
        let used = columns * (face.width + Self.gap) - Self.gap
        left = area.x + max(0, (area.width - used) / 2)
    }

    /// Faces on one page (at least 1, so paging never divides by zero on a tiny area).
    var perPage: Int { max(1, columns * rows) }
    /// Positions one row apart (the arrows up and down, the wheel).
    var rowStep: Int { max(1, columns) }

    func pageStart(of position: Int) -> Int { max(0, position) / perPage * perPage }

    /// Top-left cell of the face in `slot` (0 is the page's first, row by row).
    func faceOrigin(_ slot: Int) -> (x: Int, y: Int) {
        (left + slot % rowStep * (face.width + Self.gap), area.y + slot / rowStep * (face.height + 1))
    }

    /// The label row under the face in `slot`.
    func labelRect(_ slot: Int) -> Rect {
        let o = faceOrigin(slot)
        return Rect(x: o.x, y: o.y + face.height, width: face.width, height: 1)
    }

    /// The slot whose face or label covers (x, y); nil in the gaps and outside the grid.
    func slot(atX x: Int, y: Int) -> Int? {
        let dx = x - left, dy = y - area.y
        guard dx >= 0, dy >= 0, dx % (face.width + Self.gap) < face.width else { return nil }
        let column = dx / (face.width + Self.gap), row = dy / (face.height + 1)
        guard column < columns, row < rows else { return nil }
        return row * columns + column
    }
}
