import FERData
import FERTraining

/// What the dashboard may ask of the training session. `TrainingSession` conforms (below), both
/// a training one and, in browse mode, a serving one that only answers predictions.
/// Every method must return quickly and be safe to call from the UI thread.
public protocol DashboardSessionControl: AnyObject {
    func pause()
    func resume()
    /// Stops after the current batch, writes a checkpoint, then posts `.finished`.
    func stop()
    func saveCheckpointNow()
    /// Answered later by a `.prediction(tag:probabilities:)` event in the mailbox and, with
    /// `saliency`, a `.saliency(tag:classIndex:map:)` event for the predicted class.
    func requestPrediction(pixels: [UInt8], tag: Int, saliency: Bool)
    /// Browsing with a model: score it on a split, answered later by an `.evaluated` event for
    /// that split. Controls that cannot (a watched run's) never answer.
    func requestEvaluation(of split: SplitName)
}

extension DashboardSessionControl {
    public func requestEvaluation(of split: SplitName) {}
}

/// Its methods only set flags under a lock or queue work, as the protocol asks.
extension TrainingSession: DashboardSessionControl {}

/// How the terminal may be used, from flags and environment (NO_COLOR, TERM=dumb, locale).
public struct DisplayOptions: Equatable, Sendable {
    public var noColor: Bool
    public var ascii: Bool
    /// Clicks and the wheel (`--no-mouse` turns them off, leaving the terminal's own selection).
    public var mouse: Bool
    public init(noColor: Bool = false, ascii: Bool = false, mouse: Bool = true) {
        self.noColor = noColor; self.ascii = ascii; self.mouse = mouse
    }
}

/// An image file prepared for the network: the 48×48 pixels it will see and a note on how they were
/// obtained (e.g. "face found", "no face found, centre crop").
public struct FilePrediction: Sendable, Equatable {
    public var path: String
    public var pixels: [UInt8]
    public var note: String
    public init(path: String, pixels: [UInt8], note: String) {
        self.path = path; self.pixels = pixels; self.note = note
    }
}
