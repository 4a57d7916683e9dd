#if canImport(Glibc)
import Glibc
#endif

/// Working memory reused by the slices of parallel regions: a slice takes an item, uses it
/// alone, and gives it back; only as many items exist as slices ever ran at once.
///
/// Guarded by a pthread mutex, not Synchronization's `Mutex`: on Linux a contended `Mutex` is
/// handed over inside the kernel (a priority-inheritance futex), where Thread Sanitizer cannot
/// see the hand-over, and these pools are contended in every parallel region. A ten-line
/// program that pops and pushes under `Mutex` from 8 threads draws TSan reports; the same under
/// a pthread mutex draws none.
final class ScratchPool<Item: AnyObject & Sendable>: @unchecked Sendable { // unchecked: `items` is only touched with `mutex` held
    /// In its own allocation: a pthread mutex must never move.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var items: [Item] = []

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// An item given back earlier, or nil (the caller makes a new one).
    func take() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return items.popLast()
    }

    /// Items waiting to be taken (for tests: which engine's pool holds scratch).
    var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return items.count
    }

    func give(_ item: Item) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        items.append(item)
    }
}
