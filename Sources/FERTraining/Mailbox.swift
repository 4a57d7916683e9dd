import Foundation

/// A lock-protected queue of events: the training queue posts, the UI loop drains each tick.
/// (The UI thread sits in getch, so DispatchQueue.main would never deliver.)
public final class EventMailbox: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [TrainingEvent] = []

    public init() {}

    public func post(_ event: TrainingEvent) {
        lock.lock()
        pending.append(event)
        lock.unlock()
    }

    /// Everything posted since the last drain, in order.
    public func drain() -> [TrainingEvent] {
        lock.lock()
        defer { lock.unlock() }
        let events = pending
        pending.removeAll(keepingCapacity: true)
        return events
    }
}
