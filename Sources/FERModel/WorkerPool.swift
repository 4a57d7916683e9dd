import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// The threads behind `parallelFor`: helpers that stay awake for a moment between parallel
// regions.
//
// A forward pass is a chain of short parallel regions (one per layer), microseconds apart. With
// GCD's concurrentPerform each region had to wake a sleeping worker, and on this virtual
// machine a wake-up costs tens of microseconds: a batch-1 prediction ran no faster on two
// threads than on one. Here a helper that finishes a region spins (yielding the core to any
// other runnable thread) for `spinNanoseconds` before it sleeps, so the next region finds it
// awake. Work items are taken dynamically from a shared counter; results do not depend on which
// thread ran which item (see `workItems`).
//
// One region runs at a time. A caller that finds the pool busy (another thread inside
// parallelFor) falls back to concurrentPerform, so regions never wait for each other.

final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle helper keeps polling for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 100_000

    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let participants = Atomic<Int>(0)

    // The published region; written and read under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    nonisolated(unsafe) private var body: ((Int) -> Void)?
    nonisolated(unsafe) private var items = 0
    nonisolated(unsafe) private var sleepers = 0
    nonisolated(unsafe) private var helpers = 0

    private init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        wake = .allocate(capacity: 1)
        wake.initialize(to: pthread_cond_t())
        pthread_cond_init(wake, nil)
    }

    /// Runs body(0..<n) on the calling thread and `threads − 1` helpers. False (nothing run)
    /// when another region is in flight.
    func run(_ n: Int, threads: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startHelpers(threads - 1)
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(mutex)
            self.body = body
            items = n
            next.store(0, ordering: .relaxed)
            unfinished.store(n, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)

            take(body, items: n)
            while unfinished.load(ordering: .acquiring) > 0 { sched_yield() }
            // No helper may still hold this body when the caller's closure context goes away,
            // nor take an index from the counter once the next region resets it.
            pthread_mutex_lock(mutex)
            self.body = nil
            pthread_mutex_unlock(mutex)
            while participants.load(ordering: .acquiring) > 0 { sched_yield() }
        }
        return true
    }

    /// Runs items until the counter passes the end.
    private func take(_ body: (Int) -> Void, items n: Int) {
        while true {
            let i = next.add(1, ordering: .relaxed).oldValue
            guard i < n else { return }
            body(i)
            unfinished.subtract(1, ordering: .releasing)
        }
    }

    private func startHelpers(_ wanted: Int) {
        while helpers < wanted {
            helpers += 1
            var thread = pthread_t()
            let context = Unmanaged.passUnretained(self).toOpaque()   // the pool lives forever
            let created = pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeUnretainedValue().helperLoop()
                return nil
            }, context)
            if created == 0 { pthread_detach(thread) } else { helpers -= 1; return }
        }
    }

    private func helperLoop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            // Poll for the next region, then sleep until one is published.
            let started = DispatchTime.now().uptimeNanoseconds
            var polls = 0
            while generation.load(ordering: .acquiring) == seen {
                polls += 1
                if polls & 63 == 0 && DispatchTime.now().uptimeNanoseconds - started > Self.spinNanoseconds { break }
                sched_yield()
            }
            pthread_mutex_lock(mutex)
            while generation.load(ordering: .acquiring) == seen {
                sleepers += 1
                pthread_cond_wait(wake, mutex)
                sleepers -= 1
            }
            seen = generation.load(ordering: .acquiring)
            pthread_mutex_unlock(mutex)
            if joinRegion() { participants.subtract(1, ordering: .releasing) }
        }
    }

    /// Takes items of the published region, if it is still open. Returns whether it joined.
    /// A function of its own so that its reference to the body is gone before the caller
    /// leaves (decrements `participants`): the body lives in the publisher's stack frame.
    @inline(never)
    private func joinRegion() -> Bool {
        pthread_mutex_lock(mutex)
        guard let body = self.body else {
            pthread_mutex_unlock(mutex)
            return false
        }
        participants.add(1, ordering: .relaxed)
        let n = items
        pthread_mutex_unlock(mutex)
        take(body, items: n)
        return true
    }
}
