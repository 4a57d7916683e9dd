/// Working memory reused by the slices of parallel regions: a slice takes an item, uses it
/// alone, and gives it back; only as many items exist as slices ever ran at once. Contended in
/// every parallel region, hence a `PthreadMutex` (see there why not `Mutex`).
final class ScratchPool<Item: AnyObject & Sendable>: @unchecked Sendable { // unchecked: `items` is only touched with `mutex` held
    private let mutex = PthreadMutex()
    private var items: [Item] = []

    /// An item given back earlier, or nil (the caller makes a new one).
    func take() -> Item? { mutex.withLock { items.popLast() } }

    /// Items waiting to be taken (for tests: which engine's pool holds scratch).
    var count: Int { mutex.withLock { items.count } }

    func give(_ item: Item) { mutex.withLock { items.append(item) } }
}
