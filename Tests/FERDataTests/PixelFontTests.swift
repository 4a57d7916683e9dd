import XCTest
@testable import FERData

/// The pictures' 3×5 font: every glyph fits its cell, lower case draws as capitals, and a
/// character without a glyph shows as "?" instead of vanishing.
final class PixelFontTests: XCTestCase {
    func dots(_ text: String) -> [[Int]] {
        var dots: [[Int]] = []
        PixelFont.draw(text, x: 0, y: 0, scale: 1) { x, y, size in dots.append([x, y, size]) }
        return dots
    }

    func testGlyphsFitTheirCellAndStandInForWhatIsMissing() {
        for (ch, rows) in PixelFont.glyphs {
            XCTAssertEqual(rows.count, 5, "\(ch)")
            XCTAssertTrue(rows.allSatisfy { $0 < 8 }, "\(ch) is three dots wide")
        }
        XCTAssertEqual(dots("face 0"), dots("FACE 0"))
        XCTAssertEqual(dots("é"), dots("?"))
        XCTAssertEqual(dots("ß"), dots("?"), "upper-cases to two letters: no glyph")
        XCTAssertTrue(dots("1:05").contains([5, 1, 1]), "the colon's upper dot, in the second cell")
        XCTAssertEqual(PixelFont.width("1:05", scale: 2), 30)
        XCTAssertEqual(PixelFont.width("", scale: 2), 0)
    }
}
