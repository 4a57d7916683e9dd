import Foundation

/// A locked queue: producers on other threads post, the UI loop drains each tick.
/// (The UI thread sits in getch, so DispatchQueue.main would never deliver.)
///
/// An `NSLock` (a pthread mutex), not Synchronization's `Mutex`: posters and the UI loop contend
/// for it all the time, and on Linux a contended `Mutex` is handed over inside the kernel where
/// Thread Sanitizer cannot see it (see `FERModel/ScratchPool.swift`).
public final class Inbox<Element: Sendable>: @unchecked Sendable { // unchecked: `pending` is only touched with `lock` held
    private let lock = NSLock()
    private var pending: [Element] = []

    public init() {}

    public func post(_ element: Element) {
        lock.withLock { pending.append(element) }
    }

    public func post(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        lock.withLock { pending += elements }
    }

    /// Everything posted since the last drain, in order.
    public func drain() -> [Element] {
        lock.withLock {
            let elements = pending
            pending.removeAll(keepingCapacity: true)
            return elements
        }
    }
}

/// The training session's events, on their way to the dashboard.
public typealias EventMailbox = Inbox<TrainingEvent>
