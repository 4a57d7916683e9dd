import CNcurses
import TermUI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The only place that talks to ncurses. Create it on the UI thread, use it only there,
/// and call `shutdown()` on every way out (it is idempotent).
public final class NcursesTerminal: Terminal {
    public let capabilities: Capabilities
    private var active = false
    private var screen: OpaquePointer?
    private var pairs: [Int: Int32] = [:]     // (fg+1) * 512 + (bg+1) → pair number
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private let colorCount: Int

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `noColor` / `ascii` / `mouse` come from flags; NO_COLOR, TERM=dumb and a non-UTF-8 locale are checked here.
    public init(noColor: Bool, ascii: Bool, mouse: Bool = true) throws {
        // The locale must be set before initscr or wide characters come out garbled.
        setlocale(LC_ALL, "")
        let env = { (k: String) -> String? in getenv(k).map { String(cString: $0) } }
        let term = env("TERM") ?? ""
        let dumb = term == "dumb" || term.isEmpty
        let utf8 = ferdash_locale_is_utf8() != 0
        let wantColor = !noColor && (env("NO_COLOR") ?? "").isEmpty && !dumb

        // A terminal without cursor addressing cannot show a dashboard; say so instead of drawing garbage.
        if dumb { throw StartError(description: "TERM=\(term.isEmpty ? "(unset)" : term) cannot show the dashboard; use --headless") }
        guard isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 else {
            throw StartError(description: "the dashboard needs a terminal on stdin and stdout; use --headless")
        }
        // newterm (unlike initscr) returns nil on failure instead of exiting the process.
        guard let screen = newterm(nil, ferdash_stdout(), ferdash_stdin()) else {
            throw StartError(description: "cannot initialise the terminal (TERM=\(term))")
        }
        self.screen = screen
        active = true
        ferdash_install_signal_flags()
        ferdash_install_crash_restore()
        raw()            // Ctrl-C arrives as a key; the signal flag covers kill -INT from outside
        noecho()
        nonl()
        keypad(ferdash_stdscr(), true)
        curs_set(0)
        set_escdelay(25) // Esc must feel instant, not wait the default second
        if mouse {
            // Reported as KEY_MOUSE; no click interval, so a click acts on the press at once.
            mousemask(CursesMouseMasks.current.wanted, nil)
            mouseinterval(0)
        }
        leaveok(ferdash_stdscr(), true)
        var colors = 0
        if wantColor && has_colors() {
            start_color()
            use_default_colors()
            let n = Int(ferdash_colors())
            colors = n >= 256 ? 256 : (n >= 16 ? 16 : (n >= 8 ? 8 : 0))
            // The 24×24 gray pairs of the half-block image need the extended pair range; with
            // only a few hundred pairs, draw the image with shade blocks instead.
            if colors == 256 && ferdash_color_pairs() < 1024 { colors = 16 }
        }
        colorCount = colors
        maxPairs = colors > 0 ? ferdash_color_pairs() : 0
        capabilities = Capabilities(unicode: utf8 && !ascii && !dumb, colors: colors)
    }

    deinit { shutdown() }

    /// Restores the terminal. Safe to call more than once.
    public func shutdown() {
        guard active else { return }
        active = false
        curs_set(1)
        // Mouse reporting off before leaving, or a click in the shell afterwards prints escape codes.
        mousemask(0, nil)
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
    }

    public var size: (width: Int, height: Int) {
        var y: Int32 = 0, x: Int32 = 0
        ferdash_getmaxyx(ferdash_stdscr(), &y, &x)
        return (Int(max(0, x)), Int(max(0, y)))
    }

    /// A pending SIGINT/SIGTERM/SIGHUP (0 if none). Reading clears it.
    public func takeSignal() -> Int32 { ferdash_take_signal() }

    /// Maps a palette index the terminal lacks onto one it has.
    private func fit(_ c: Color) -> Int {
        guard case .index(let i) = c else { return -1 }
        let idx = Int(i)
        if idx < colorCount { return idx }
        if idx < 16 { return idx % 8 }
        if idx >= 232 { return idx - 232 >= 12 ? 7 : 0 }
        let v = idx - 16, r = v / 36, g = v / 6 % 6, b = v % 6
        return (r > 2 ? 1 : 0) | (g > 2 ? 2 : 0) | (b > 2 ? 4 : 0)
    }

    private func pair(for style: Style) -> Int32 {
        guard colorCount > 0 else { return 0 }
        let fg = fit(style.fg), bg = fit(style.bg)
        if fg < 0 && bg < 0 { return 0 }
        let key = (fg + 1) * 512 + (bg + 1)
        if let p = pairs[key] { return p }
        // Pairs are allocated on first use; if the terminal runs out, fall back to default colours.
        guard nextPair < maxPairs else { return 0 }
        let p = nextPair
        guard init_extended_pair(p, Int32(fg), Int32(bg)) != ERR else { return 0 }
        nextPair += 1
        pairs[key] = p
        return p
    }

    public func write(_ runs: [CellRun]) {
        let win = ferdash_stdscr()
        for run in runs {
            for (i, cell) in run.cells.enumerated() {
                var attrs = ferdash_a_normal()
                if cell.style.bold { attrs |= ferdash_a_bold() }
                if cell.style.dim { attrs |= ferdash_a_dim() }
                if cell.style.reverse { attrs |= ferdash_a_reverse() }
                let scalar = cell.char.unicodeScalars.first ?? " "
                let ch: wchar_t = capabilities.unicode || scalar.isASCII ? wchar_t(bitPattern: scalar.value) : wchar_t(63)
                // The bottom-right cell reports ERR (the cursor cannot advance) but is drawn; ignore it.
                _ = ferdash_put_cell(win, Int32(run.y), Int32(run.x + i), ch, attrs, pair(for: cell.style))
            }
        }
    }

    public func flush() {
        wnoutrefresh(ferdash_stdscr())
        doupdate()
    }

    public func invalidate() {
        // The next doupdate repaints every cell instead of trusting what curses thinks is shown.
        clearok(ferdash_curscr(), true)
    }

    /// Waits up to `timeoutMs` for a key or a mouse event (the loop's tick); nil on timeout or
    /// an unknown key.
    public func readKey(timeoutMs: Int32) -> Key? {
        wtimeout(ferdash_stdscr(), timeoutMs)
        var wch: wint_t = 0
        let r = wget_wch(ferdash_stdscr(), &wch)
        if r == ERR { return nil }
        let isKeyCode = r == ferdash_key_code_yes(), code = Int32(bitPattern: UInt32(truncatingIfNeeded: wch))
        if isKeyCode && code == ferdash_key_mouse() {
            var x: Int32 = 0, y: Int32 = 0, bstate: mmask_t = 0
            guard ferdash_get_mouse(&x, &y, &bstate) == OK else { return nil }
            return decodeMouse(bstate: bstate, x: x, y: y).map { .mouse($0) }
        }
        return decodeKey(isKeyCode: isKeyCode, code: code)
    }
}
