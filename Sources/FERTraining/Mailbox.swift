import Synchronization

/// A locked queue: producers on other threads post, the UI loop drains each tick.
/// (The UI thread sits in getch, so DispatchQueue.main would never deliver.)
public final class Inbox<Element: Sendable>: Sendable {
    private let pending = Mutex<[Element]>([])

    public init() {}

    public func post(_ element: Element) {
        pending.withLock { $0.append(element) }
    }

    public func post(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        pending.withLock { $0 += elements }
    }

    /// Everything posted since the last drain, in order.
    public func drain() -> [Element] {
        pending.withLock { pending in
            let elements = pending
            pending.removeAll(keepingCapacity: true)
            return elements
        }
    }
}

/// The training session's events, on their way to the dashboard.
public typealias EventMailbox = Inbox<TrainingEvent>
