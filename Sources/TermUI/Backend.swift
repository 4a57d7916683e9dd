/// What the renderer needs from a terminal. The ncurses implementation lives in TermUINcurses;
/// tests use `MemoryBackend`.
public protocol Backend: AnyObject {
    /// Current size in cells (columns, rows).
    var size: (width: Int, height: Int) { get }
    var capabilities: Capabilities { get }
    /// Writes changed runs; nothing is visible until `flush`.
    func write(_ runs: [CellRun])
    /// Makes the frame visible (one terminal update per frame).
    func flush()
    /// Forgets what the terminal shows so the next frame repaints everything (Ctrl-L).
    func invalidate()
}

/// What the terminal can show, decided once at start-up from locale, $TERM and options.
public struct Capabilities: Equatable, Sendable {
    /// Braille, blocks and box drawing are safe (UTF-8 locale and not --ascii).
    public var unicode: Bool
    /// 0 (no colour / NO_COLOR), 8, 16 or 256.
    public var colors: Int
    public init(unicode: Bool, colors: Int) { self.unicode = unicode; self.colors = colors }
    public static let full = Capabilities(unicode: true, colors: 256)
    public static let plain = Capabilities(unicode: false, colors: 0)
    public var hasColor: Bool { colors >= 8 }
}

/// Keeps the previous frame and sends only the difference to the backend.
public final class FramePresenter {
    public let backend: Backend
    private var previous: CellGrid?
    public init(backend: Backend) { self.backend = backend }

    /// Forces a full repaint on the next present (Ctrl-L, resize).
    public func invalidate() {
        previous = nil
        backend.invalidate()
    }

    /// Sends the changes and flushes once. Returns the number of changed runs (0: nothing written).
    @discardableResult
    public func present(_ grid: CellGrid) -> Int {
        let runs = GridDiff.runs(from: previous, to: grid)
        previous = grid
        if !runs.isEmpty {
            backend.write(runs)
            backend.flush()
        }
        return runs.count
    }
}

/// An in-memory terminal for tests: applies runs to its own grid and counts writes and flushes.
public final class MemoryBackend: Backend {
    public private(set) var screen: CellGrid
    public private(set) var flushCount = 0
    public private(set) var cellsWritten = 0
    public var capabilities: Capabilities
    public init(width: Int, height: Int, capabilities: Capabilities = .full) {
        screen = CellGrid(width: width, height: height)
        self.capabilities = capabilities
    }
    public var size: (width: Int, height: Int) { (screen.width, screen.height) }
    public func resize(width: Int, height: Int) { screen = CellGrid(width: width, height: height) }
    public func write(_ runs: [CellRun]) {
        for run in runs { cellsWritten += run.cells.count }
        GridDiff.apply(runs, to: &screen)
    }
    public func flush() { flushCount += 1 }
    public func invalidate() { screen = CellGrid(width: screen.width, height: screen.height, fill: Cell("~")) }
}

/// Keys as the app sees them, independent of curses key codes.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)   // ctrl("c"), ctrl("l")
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backspace, delete
    case resize
    case function(Int)
    /// A click or a wheel turn, when the terminal reports the mouse.
    case mouse(MouseEvent)
}

/// What the mouse did, at which cell (0-based column and row of the screen).
public struct MouseEvent: Hashable, Sendable {
    public enum Button: Hashable, Sendable { case left, wheelUp, wheelDown }
    public var x: Int, y: Int
    public var button: Button
    public init(x: Int, y: Int, button: Button) { self.x = x; self.y = y; self.button = button }
}

/// A backend that also reads keys: what the UI loop drives (ncurses in the app, scripted in tests).
public protocol Terminal: Backend {
    /// Waits up to `timeoutMs` for a key (or a mouse event); nil on timeout.
    func readKey(timeoutMs: Int32) -> Key?
    /// A pending SIGINT/SIGTERM/SIGHUP number (0 if none); reading clears it.
    func takeSignal() -> Int32
}
