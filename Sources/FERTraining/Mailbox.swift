import Foundation

/// A lock-protected queue: producers on other threads post, the UI loop drains each tick.
/// (The UI thread sits in getch, so DispatchQueue.main would never deliver.)
public final class Inbox<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [Element] = []

    public init() {}

    public func post(_ element: Element) {
        lock.lock()
        pending.append(element)
        lock.unlock()
    }

    public func post(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        lock.lock()
        pending += elements
        lock.unlock()
    }

    /// Everything posted since the last drain, in order.
    public func drain() -> [Element] {
        lock.lock()
        defer { lock.unlock() }
        let elements = pending
        pending.removeAll(keepingCapacity: true)
        return elements
    }
}

/// The training session's events, on their way to the dashboard.
public typealias EventMailbox = Inbox<TrainingEvent>
