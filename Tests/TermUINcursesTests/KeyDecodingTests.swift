import TermUI
import XCTest
@testable import TermUINcurses

/// The key mapping, without a terminal: curses' codes for special keys, and characters.
final class KeyDecodingTests: XCTestCase {
    let codes = CursesKeyCodes.current

    func testSpecialKeysByTheirCursesCodes() {
        let expected: [(Int32, Key)] = [
            (codes.resize, .resize), (codes.up, .up), (codes.down, .down), (codes.left, .left), (codes.right, .right),
            (codes.pageUp, .pageUp), (codes.pageDown, .pageDown), (codes.home, .home), (codes.end, .end),
            (codes.backspace, .backspace), (codes.delete, .delete), (codes.enter, .enter),
            (codes.function[0], .function(1)), (codes.function[11], .function(12)),
        ]
        for (code, key) in expected { XCTAssertEqual(decodeKey(isKeyCode: true, code: code), key, "code \(code)") }
        // The shim reads ncurses' own values (KEY_UP is octal 0403, KEY_F(1) is 0411).
        XCTAssertEqual(codes.up, 0o403)
        XCTAssertEqual(codes.function[0], 0o411)
        XCTAssertEqual(Set(expected.map(\.0)).count, expected.count, "no two keys share a code")
    }

    func testUnknownKeyCodesAreIgnored() {
        XCTAssertNil(decodeKey(isKeyCode: true, code: 0o777))
        XCTAssertNil(decodeKey(isKeyCode: true, code: codes.function[11] + 1), "F13 is not a key we use")
    }

    func testControlCharacters() {
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 27), .escape)
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 9), .tab, "Tab before Ctrl-I")
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 10), .enter)
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 13), .enter, "raw mode with nonl: Enter is CR")
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 8), .backspace)
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 127), .backspace)
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 3), .ctrl("c"))
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 12), .ctrl("l"))
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 21), .ctrl("u"))
    }

    func testCharactersIncludingWideOnes() {
        XCTAssertEqual(decodeKey(isKeyCode: false, code: Int32(UInt8(ascii: "q"))), .char("q"))
        XCTAssertEqual(decodeKey(isKeyCode: false, code: Int32(UInt8(ascii: " "))), .char(" "))
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 0xE9), .char("é"))
        XCTAssertEqual(decodeKey(isKeyCode: false, code: 0x1F600), .char("😀"))
        XCTAssertNil(decodeKey(isKeyCode: false, code: 0xD800), "a lone surrogate is no character")
        XCTAssertNil(decodeKey(isKeyCode: false, code: -1))
    }
}

/// The mouse mapping, without a terminal: curses' button bits to clicks and wheel turns.
final class MouseDecodingTests: XCTestCase {
    let masks = CursesMouseMasks.current

    func testLeftPressOrClickAndTheWheel() {
        XCTAssertEqual(decodeMouse(bstate: masks.leftPressed, x: 12, y: 30), MouseEvent(x: 12, y: 30, button: .left))
        XCTAssertEqual(decodeMouse(bstate: masks.leftClicked, x: 0, y: 0), MouseEvent(x: 0, y: 0, button: .left))
        XCTAssertEqual(decodeMouse(bstate: masks.wheelUp, x: 5, y: 6), MouseEvent(x: 5, y: 6, button: .wheelUp))
        XCTAssertEqual(decodeMouse(bstate: masks.wheelDown, x: 5, y: 6), MouseEvent(x: 5, y: 6, button: .wheelDown))
        // ncurses' own values (NCURSES_MOUSE_VERSION 2: five bits per button, pressed is bit 1).
        XCTAssertEqual(masks.leftPressed, 0o2)
        XCTAssertEqual(masks.wheelUp, 0o2 << 15)
        XCTAssertEqual(masks.wheelDown, 0o2 << 20)
        XCTAssertEqual(masks.wanted & masks.leftPressed, masks.leftPressed, "the dashboard asks for what it decodes")
    }

    func testReleasesOtherButtonsAndOffScreenPositionsAreIgnored() {
        XCTAssertNil(decodeMouse(bstate: masks.leftPressed >> 1, x: 1, y: 1), "button 1 released")
        XCTAssertNil(decodeMouse(bstate: masks.leftPressed << 5, x: 1, y: 1), "button 2 pressed")
        XCTAssertNil(decodeMouse(bstate: 0, x: 1, y: 1))
        XCTAssertNil(decodeMouse(bstate: masks.leftPressed, x: -1, y: 3))
        XCTAssertNil(decodeMouse(bstate: masks.leftPressed, x: 3, y: -1))
    }
}
