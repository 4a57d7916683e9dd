#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex in an allocation of its own (a pthread mutex must never move), for the
/// engine's worker pool and scratch pools.
///
/// Not Synchronization's `Mutex`: on Linux a contended `Mutex` is handed over inside the kernel
/// (a priority-inheritance futex), where Thread Sanitizer cannot see the hand-over, and these
/// locks are contended in every parallel region. A ten-line program that pops and pushes under
/// `Mutex` from 8 threads draws TSan reports; the same under a pthread mutex draws none.
final class PthreadMutex: @unchecked Sendable { // unchecked: a pthread mutex exists to be shared between threads
    /// For `pthread_cond_wait`.
    let pointer: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: pthread_mutex_t())
        pthread_mutex_init(pointer, nil)
    }

    deinit {
        pthread_mutex_destroy(pointer)
        pointer.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(pointer) }
    @inline(__always) func unlock() { pthread_mutex_unlock(pointer) }

    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
