import TermUI

/// What a key does in the video view.
public enum VideoCommand: Hashable, Sendable {
    case playPause
    case previousFrame, nextFrame
    case seek(Double)
    case start, end
    case nextFace
    case saliency
    case export
    case help, close, redraw, quit
}

public struct VideoKeyBinding {
    public var keys: [Key]
    /// How the keys are written in help and the hint bar ("" for the second key of a pair).
    public var label: String
    public var help: String
    /// Short text for the hint bar; nil keeps it out of the bar.
    public var hint: String?
    public var command: VideoCommand
}

/// The video view's one table: it dispatches keys and writes help and the hint bar.
public enum VideoKeyTable {
    /// How far PgUp and PgDn jump.
    public static let pageSeconds = 10.0

    public static func bindings(unicode: Bool) -> [VideoKeyBinding] {
        let lr = unicode ? "←/→" : "Left/Right"
        return [
            VideoKeyBinding(keys: [.char(" ")], label: "space", help: "play / pause at the video's own speed", hint: "play",
                            command: .playPause),
            VideoKeyBinding(keys: [.left], label: lr, help: "previous / next analysed frame", hint: "frame", command: .previousFrame),
            VideoKeyBinding(keys: [.right], label: "", help: "", hint: nil, command: .nextFrame),
            VideoKeyBinding(keys: [.pageUp], label: "PgUp/PgDn", help: "back / forward \(Int(pageSeconds)) seconds", hint: "10s",
                            command: .seek(-pageSeconds)),
            VideoKeyBinding(keys: [.pageDown], label: "", help: "", hint: nil, command: .seek(pageSeconds)),
            VideoKeyBinding(keys: [.home], label: "Home/End", help: "start / end (End follows a live stream)", hint: nil,
                            command: .start),
            VideoKeyBinding(keys: [.end], label: "", help: "", hint: nil, command: .end),
            VideoKeyBinding(keys: [.tab], label: "Tab", help: "next face at the cursor", hint: "face", command: .nextFace),
            VideoKeyBinding(keys: [.char("x")], label: "x", help: "saliency on the face (HiResCAM, last conv block)",
                            hint: "saliency", command: .saliency),
            VideoKeyBinding(keys: [.char("e")], label: "e", help: "write the analysis table as CSV", hint: "csv", command: .export),
            VideoKeyBinding(keys: [.char("?")], label: "?", help: "this help", hint: "help", command: .help),
            VideoKeyBinding(keys: [.escape], label: "Esc", help: "close help", hint: nil, command: .close),
            VideoKeyBinding(keys: [.ctrl("l")], label: "Ctrl-L", help: "redraw the screen", hint: nil, command: .redraw),
            VideoKeyBinding(keys: [.char("q"), .ctrl("c")], label: "q Ctrl-C", help: "quit (stops the analysis)", hint: "quit",
                            command: .quit),
        ]
    }

    public static func command(for key: Key) -> VideoCommand? {
        bindings(unicode: true).first { $0.keys.contains(key) }?.command
    }

    /// The mouse, which has no key of its own: the last help row.
    public static let mouseHelp = (keys: "mouse", help: "click the timeline to jump there, a face box to select it; wheel steps frames")

    public static func helpRows(unicode: Bool) -> [(keys: String, help: String)] {
        bindings(unicode: unicode).filter { !$0.label.isEmpty }.map { ($0.label, $0.help) } + [mouseHelp]
    }

    /// Hints dropped first when the bar is too narrow (help and quit always stay).
    static let hintDropOrder = ["saliency", "10s", "csv", "face", "frame"]

    public static func hintLine(unicode: Bool, width: Int = .max) -> String {
        let items = bindings(unicode: unicode).compactMap { b in b.hint.map { (hint: $0, text: "\(b.label) \($0)") } }
        return KeyTable.fitHints(items, width: width, dropOrder: hintDropOrder)
    }
}
