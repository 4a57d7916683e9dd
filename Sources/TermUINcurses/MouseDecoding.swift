import CNcurses
import TermUI

/// The button bits of curses' mouse events. They are macros in <ncurses.h>, read once through the shim.
struct CursesMouseMasks {
    var leftPressed, leftClicked, wheelUp, wheelDown: mmask_t

    static let current = CursesMouseMasks(leftPressed: ferdash_button1_pressed(), leftClicked: ferdash_button1_clicked(),
                                          wheelUp: ferdash_button4_pressed(), wheelDown: ferdash_button5_pressed())

    /// What the dashboard asks curses to report: a left press (a click acts at once, with no
    /// wait for the release) and the wheel, which xterm reports as presses of buttons 4 and 5.
    var wanted: mmask_t { leftPressed | leftClicked | wheelUp | wheelDown }
}

/// Turns what `getmouse` reported into a `MouseEvent`: pure, so the mapping is tested without
/// a terminal (like `decodeKey`). nil for what the dashboard does not use (releases, other
/// buttons, a position off the screen).
func decodeMouse(bstate: mmask_t, x: Int32, y: Int32, masks: CursesMouseMasks = .current) -> MouseEvent? {
    guard x >= 0 && y >= 0 else { return nil }
    let button: MouseEvent.Button
    if bstate & (masks.leftPressed | masks.leftClicked) != 0 { button = .left }
    else if bstate & masks.wheelUp != 0 { button = .wheelUp }
    else if bstate & masks.wheelDown != 0 { button = .wheelDown }
    else { return nil }
    return MouseEvent(x: Int(x), y: Int(y), button: button)
}
