import FERData
import TermUI

/// What a key does in the normal (no dialog) mode.
public enum Command: Hashable, Sendable {
    case previous, next, back(Int), forward(Int), first, last
    case split(SplitName), misclassified
    case pauseResume, save, predictFile
    case smoothMore, smoothLess, logY, countsPercent, saliency
    case focus, trueClass(Int), clearFilter, gallery
    case help, close, redraw, quit
}


public struct KeyBinding {
    public var keys: [Key]
    /// How the keys are written in help and the hint bar.
    public var label: String
    public var help: String
    /// Short text for the one-line hint bar; nil keeps it out of the bar.
    public var hint: String?
    public var command: Command
}

/// The one table that both dispatches keys and renders help and hints, so they cannot disagree.
public enum KeyTable {
    public static func bindings(unicode: Bool) -> [KeyBinding] {
        let l = unicode ? "←/→" : "Left/Right", ud = unicode ? "↑/↓" : "Up/Down"
        return [
            KeyBinding(keys: [.left], label: l, help: "previous / next sample", hint: "sample", command: .previous),
            KeyBinding(keys: [.right], label: "", help: "", hint: nil, command: .next),
            KeyBinding(keys: [.up], label: ud, help: "jump back / forward 10 samples", hint: nil, command: .back(10)),
            KeyBinding(keys: [.down], label: "", help: "", hint: nil, command: .forward(10)),
            KeyBinding(keys: [.pageUp], label: "PgUp/PgDn", help: "jump back / forward 100 samples", hint: nil, command: .back(100)),
            KeyBinding(keys: [.pageDown], label: "", help: "", hint: nil, command: .forward(100)),
            KeyBinding(keys: [.home], label: "Home/End", help: "first / last sample", hint: nil, command: .first),
            KeyBinding(keys: [.end], label: "", help: "", hint: nil, command: .last),
            KeyBinding(keys: [.char("t")], label: "t v T", help: "train / validation / test split", hint: "split", command: .split(.train)),
            KeyBinding(keys: [.char("v")], label: "", help: "", hint: nil, command: .split(.validation)),
            KeyBinding(keys: [.char("T")], label: "", help: "", hint: nil, command: .split(.test)),
            KeyBinding(keys: [.char("m")], label: "m", help: "only misclassified validation samples", hint: "miscl", command: .misclassified),
            KeyBinding(keys: [.char("1")], label: "1-7 0", help: "only true class 1 anger … 7 neutral; 0 all", hint: nil, command: .trueClass(0)),
            KeyBinding(keys: [.char("2")], label: "", help: "", hint: nil, command: .trueClass(1)),
            KeyBinding(keys: [.char("3")], label: "", help: "", hint: nil, command: .trueClass(2)),
            KeyBinding(keys: [.char("4")], label: "", help: "", hint: nil, command: .trueClass(3)),
            KeyBinding(keys: [.char("5")], label: "", help: "", hint: nil, command: .trueClass(4)),
            KeyBinding(keys: [.char("6")], label: "", help: "", hint: nil, command: .trueClass(5)),
            KeyBinding(keys: [.char("7")], label: "", help: "", hint: nil, command: .trueClass(6)),
            KeyBinding(keys: [.char("0")], label: "", help: "", hint: nil, command: .clearFilter),
            KeyBinding(keys: [.tab], label: "Tab", help: "focus Confusion: arrows pick, Enter filters", hint: "focus", command: .focus),
            KeyBinding(keys: [.char("g")], label: "g", help: "gallery of these samples: arrows pick, Enter opens, g/Esc back",
                       hint: "gallery", command: .gallery),
            KeyBinding(keys: [.char(" ")], label: "space", help: "pause / resume training", hint: "pause", command: .pauseResume),
            KeyBinding(keys: [.char("s")], label: "s", help: "save a checkpoint now", hint: "save", command: .save),
            KeyBinding(keys: [.char("p")], label: "p", help: "predict on an image file (Tab completes)", hint: "predict", command: .predictFile),
            KeyBinding(keys: [.char("+"), .char("=")], label: "+/-", help: "more / less loss smoothing", hint: "smooth", command: .smoothMore),
            KeyBinding(keys: [.char("-"), .char("_")], label: "", help: "", hint: nil, command: .smoothLess),
            KeyBinding(keys: [.char("l")], label: "l", help: "log / linear loss axis", hint: "log", command: .logY),
            KeyBinding(keys: [.char("c")], label: "c", help: "confusion counts / row percent", hint: "counts", command: .countsPercent),
            KeyBinding(keys: [.char("x")], label: "x", help: "saliency overlay (HiResCAM, last conv block)", hint: "saliency", command: .saliency),
            KeyBinding(keys: [.char("?")], label: "?", help: "this help", hint: "help", command: .help),
            KeyBinding(keys: [.escape], label: "Esc", help: "close help, prompt, gallery, file; then the filter", hint: nil, command: .close),
            KeyBinding(keys: [.ctrl("l")], label: "Ctrl-L", help: "redraw the screen", hint: nil, command: .redraw),
            KeyBinding(keys: [.char("q"), .ctrl("c")], label: "q Ctrl-C", help: "quit (stops training, saves a checkpoint)", hint: "quit", command: .quit),
        ]
    }

    public static func command(for key: Key) -> Command? {
        bindings(unicode: true).first { $0.keys.contains(key) }?.command
    }

    /// The mouse, which has no key of its own: the last help row.
    public static let mouseHelp = (keys: "mouse", help: "click a confusion cell or gallery face, wheel moves (--no-mouse)")

    /// Help rows: the bindings that carry a label (pairs share one row), then the mouse.
    public static func helpRows(unicode: Bool) -> [(keys: String, help: String)] {
        bindings(unicode: unicode).filter { !$0.label.isEmpty }.map { ($0.label, $0.help) } + [mouseHelp]
    }

    /// Hints dropped first when the bar is too narrow (help and quit always stay).
    static let hintDropOrder = ["smooth", "log", "counts", "focus", "saliency", "miscl", "split", "save", "gallery", "sample"]

    /// `training: false` leaves out keys that only act on a live session (pause, save).
    public static func hintLine(unicode: Bool, width: Int = .max, training: Bool = true) -> String {
        let liveOnly: Set<Command> = [.pauseResume, .save]
        let items = bindings(unicode: unicode)
            .filter { training || !liveOnly.contains($0.command) }
            .compactMap { b in b.hint.map { (hint: $0, text: "\(b.label) \($0)") } }
        return fitHints(items, width: width, dropOrder: hintDropOrder)
    }

    /// The hint bar's text from (hint, "keys hint") items: all of them when they fit `width`,
    /// otherwise without the hints named in `dropOrder`, dropped one at a time in that order.
    /// (The video view's key table builds its bar the same way.)
    static func fitHints(_ items: [(hint: String, text: String)], width: Int, dropOrder: [String]) -> String {
        var items = items
        var drop = dropOrder[...]
        func line() -> String { items.map { $0.text }.joined(separator: "  ") }
        while line().count > width, let d = drop.popFirst() { items.removeAll { $0.hint == d } }
        return line()
    }
}
