/// Every colour the interface uses, chosen in one place from what the terminal can show.
/// Panels and widgets ask for a role ("the main curve", "an error"); without colour each role
/// falls back to an attribute (bold, reverse, dim) that keeps it apart from plain text.
public struct Theme: Equatable, Sendable {
    public let caps: Capabilities
    public init(caps: Capabilities) { self.caps = caps }

    public var hasColor: Bool { caps.hasColor }

    /// `colored` on a colour terminal, `plain` otherwise.
    public func colored(_ colored: Style, else plain: Style) -> Style { hasColor ? colored : plain }

    // MARK: text

    /// A message that something went wrong (status line, the headline of a wrong prediction).
    public var error: Style { colored(Style(fg: .red, bold: true), else: .bold) }
    /// The body of an error message.
    public var errorText: Style { colored(Style(fg: .red), else: .plain) }

    // MARK: state words (without colour the one that means "working" is bold, the rest reversed)

    public var working: Style { colored(Style(fg: .green, bold: true), else: .bold) }
    public var halted: Style { colored(Style(fg: .yellow, bold: true), else: .reverse) }
    public var done: Style { colored(Style(fg: .cyan, bold: true), else: .reverse) }
    public var broken: Style { colored(Style(fg: .red, bold: true, reverse: true), else: .reverse) }
    public var waiting: Style { colored(.bold, else: .reverse) }

    // MARK: data

    /// The strongest cells of a heat map where no colour ramp can be shown (8/16 colours: red
    /// background; none: reverse video).
    public var heatMark: Style { colored(Style(fg: .yellow, bg: .red, bold: true), else: .reverse) }
    /// The focused cell of a table (the confusion cursor).
    public var cursor: Style { Style(bold: true, reverse: true) }

    /// Progress toward a goal (the run's progress bar).
    public var progress: Style { colored(Style(fg: .green), else: .plain) }
    /// The main curve of a chart (the smoothed training loss).
    public var mainCurve: Style { colored(Style(fg: .cyan, bold: true), else: .bold) }
    /// A second curve to compare with the main one (validation loss).
    public var secondCurve: Style { colored(Style(fg: .yellow, bold: true), else: .bold) }
    /// Small trend marks in the second curve's colour (the validation accuracy sparkline).
    public var secondTrend: Style { colored(Style(fg: .yellow), else: .plain) }
    /// Noisy data drawn underneath its smoothed curve: mid gray where there is a gray ramp.
    public var faintCurve: Style {
        Style(fg: hasColor ? .index(caps.colors >= 256 ? 244 : 7) : .default, dim: true)
    }

    /// The `index`th other run drawn for comparison, each in a colour of its own.
    public func comparedRun(_ index: Int) -> Style {
        let palette: [Color] = [.magenta, .blue, .red, .green, .white]
        return colored(Style(fg: palette[index % palette.count]), else: .plain)
    }

    /// A class bar: the true class green, a wrong prediction red, the rest blue.
    public func classBar(isTrue: Bool, isPredicted: Bool) -> Style {
        colored(Style(fg: isTrue ? .green : (isPredicted ? .red : .blue)), else: .plain)
    }

    /// An emotion's own colour, by its index in `Emotion` order (anger red, disgust green, fear
    /// purple, happy yellow, sad blue, surprise cyan, neutral gray), the same in every panel that
    /// tells emotions apart (the video view's boxes, bars, timeline rows and strip). Without
    /// colour: plain, and those panels spell the emotion out instead.
    public func emotion(_ index: Int) -> Style {
        let ansi: [Color] = [.red, .green, .magenta, .yellow, .blue, .cyan, .white]
        let xterm: [UInt8] = [196, 70, 135, 220, 33, 51, 250]
        guard hasColor, ansi.indices.contains(index) else { return .plain }
        return Style(fg: caps.colors >= 256 ? .index(xterm[index]) : ansi[index])
    }

    /// A confusion-matrix cell shaded by its share of the row, `level` 0…5: the diagonal (right
    /// answers) on a green ramp, mistakes on a red one. Without colour only the diagonal is bold.
    public func confusionCell(level: Int, diagonal: Bool) -> Style {
        guard hasColor else { return diagonal ? .bold : .plain }
        guard caps.colors >= 256 else {
            return Style(fg: diagonal ? .green : (level > 0 ? .red : .default), bold: level >= 2 || diagonal)
        }
        let step = min(5, level)
        // The 6×6×6 colour cube starts at 16: index 16 + 36·red + 6·green + blue.
        let ramp: Color = diagonal ? .index(UInt8(16 + 6 * step)) : .index(UInt8(16 + 36 * step))
        let text: Color = level >= 3 ? .index(231) : .index(250)   // white on strong shades, light gray on faint
        return Style(fg: text, bg: level == 0 ? .default : ramp, bold: diagonal)
    }
}
