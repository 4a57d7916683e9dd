import EmotionTimeline

/// Counts trouble met while decoding (damaged packets skipped, frames the decoder patched up) in
/// stretches, and words each stretch as one warning once it is over: one line per damaged
/// stretch, not per packet, and a bounded number of lines however long and broken the video is.
struct DamageLog {
    /// The phrase for `count` items, e.g. { "skipped \($0) damaged packet" + ($0 == 1 ? "" : "s") }.
    let phrase: (Int) -> String
    private(set) var total = 0
    private var count = 0
    private var first: Double?
    private var last: Double?

    init(_ phrase: @escaping (Int) -> String) { self.phrase = phrase }

    mutating func note(at time: Double?) {
        count += 1; total += 1
        if let time {
            first = first.map { min($0, time) } ?? time
            last = last.map { max($0, time) } ?? time
        }
    }

    var isOpen: Bool { count > 0 }

    /// The warning for the stretch so far, which then starts afresh; nil when nothing happened.
    mutating func close() -> String? {
        guard count > 0 else { return nil }
        defer { count = 0; first = nil; last = nil }
        let text = phrase(count)
        switch (first, last) {
        case let (a?, b?) where TimeText.position(a) != TimeText.position(b):
            return "\(text) between \(TimeText.position(a)) and \(TimeText.position(b))"
        case let (a?, _):
            return "\(text) at \(TimeText.position(a))"
        default:
            return text
        }
    }
}
