import Dashboard
import Foundation
import TermUINcurses

/// `ferdash video FILE` on a terminal: the video view (`VideoLoop`) over the analysis behind
/// `control`, which posts its events into `inbox` from its own queue. Runs on the calling (main)
/// thread until the person quits; returns the exit status, the terminal restored on every path.
/// `onReady` runs once the terminal is up (start the analysis there, so nothing runs when the
/// terminal cannot show the view).
func runVideoDashboard(control: VideoAnalysisControl, inbox: VideoInbox, options: DisplayOptions,
                       quitTimeout: Double = 10, onReady: (() -> Void)? = nil) -> Int32 {
    let term: NcursesTerminal
    do {
        term = try NcursesTerminal(noColor: options.noColor, ascii: options.ascii, mouse: options.mouse)
    } catch {
        FileHandle.standardError.write(Data("ferdash: \(error)\n".utf8))
        return 1
    }
    defer { term.shutdown() }
    onReady?()
    var loop = VideoLoop(terminal: term, control: control, inbox: inbox, quitTimeout: quitTimeout)
    return loop.run()
}
