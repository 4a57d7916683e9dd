import Foundation

/// A lock-protected queue: background work posts, the UI loop drains it each tick. (The UI
/// thread sits in getch, so DispatchQueue.main would never deliver.)
public final class Mailbox<Message>: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [Message] = []

    public init() {}

    public func post(_ message: Message) {
        lock.lock()
        pending.append(message)
        lock.unlock()
    }

    /// Everything posted since the last drain, in order.
    public func drain() -> [Message] {
        lock.lock()
        defer { lock.unlock() }
        let messages = pending
        pending.removeAll(keepingCapacity: true)
        return messages
    }
}

/// Where the training session's events wait for the UI loop.
public typealias EventMailbox = Mailbox<TrainingEvent>
