import CNcurses
import TermUI

/// The curses codes for special keys. They are macros in <ncurses.h>, read once through the shim.
struct CursesKeyCodes {
    var resize, up, down, left, right, pageUp, pageDown, home, end, backspace, delete, enter: Int32
    /// F1…F12 in order.
    var function: [Int32]

    static let current = CursesKeyCodes(
        resize: ferdash_key_resize(), up: ferdash_key_up(), down: ferdash_key_down(), left: ferdash_key_left(),
        right: ferdash_key_right(), pageUp: ferdash_key_ppage(), pageDown: ferdash_key_npage(),
        home: ferdash_key_home(), end: ferdash_key_end(), backspace: ferdash_key_backspace(),
        delete: ferdash_key_dc(), enter: ferdash_key_enter(), function: (1...12).map { ferdash_key_f(Int32($0)) })
}

/// Turns what `wget_wch` reported into a `Key`: pure, so the mapping is tested without a
/// terminal. `isKeyCode` is true when curses returned KEY_CODE_YES (`code` is then one of its
/// KEY_* codes), false for a character (`code` is its Unicode value). nil: a key we ignore.
func decodeKey(isKeyCode: Bool, code: Int32, codes: CursesKeyCodes = .current) -> Key? {
    if isKeyCode {
        let named: [(Int32, Key)] = [
            (codes.resize, .resize), (codes.up, .up), (codes.down, .down), (codes.left, .left), (codes.right, .right),
            (codes.pageUp, .pageUp), (codes.pageDown, .pageDown), (codes.home, .home), (codes.end, .end),
            (codes.backspace, .backspace), (codes.delete, .delete), (codes.enter, .enter),
        ]
        if let key = named.first(where: { $0.0 == code })?.1 { return key }
        return codes.function.firstIndex(of: code).map { .function($0 + 1) }
    }
    switch code {
    case 27: return .escape
    case 9: return .tab
    case 10, 13: return .enter
    case 8, 127: return .backspace
    case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(code) + 96)))   // Ctrl-A is 1
    default:
        guard code >= 0, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
        return .char(Character(scalar))
    }
}
