import ArgumentParser
import Dashboard

/// How the dashboard may draw: the person's and the terminal's limits.
struct DisplayFlags: ParsableArguments {
    @Flag(help: "No colours (also when NO_COLOR is set or TERM=dumb).")
    var noColor = false

    @Flag(help: "ASCII glyphs only (also when the locale is not UTF-8).")
    var ascii = false

    @Flag(help: "Ignore the mouse (clicks and wheel), leaving the terminal's own text selection.")
    var noMouse = false

    var options: DisplayOptions { DisplayOptions(noColor: noColor, ascii: ascii, mouse: !noMouse) }
}
