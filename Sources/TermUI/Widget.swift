/// The one way anything is drawn on screen, from a bar to a whole panel: into an area of a grid.
///
/// A widget given an area owns every cell of it: it clears what it does not draw and never draws
/// outside (the tests draw widgets into a grid of "x" to hold them to that). What it shows is
/// in its stored properties; the terminal's abilities come with each draw, so the same value
/// draws in colour, in plain Unicode or in ASCII.
public protocol Widget {
    func draw(_ grid: inout CellGrid, _ area: Rect, caps: Capabilities)
}
