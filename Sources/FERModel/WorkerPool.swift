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
//
// Each `Engine` owns one pool. Its helpers hold the pool until `stop()` (the engine's deinit)
// wakes them to exit, so an engine's threads end with it.

final class WorkerPool: @unchecked Sendable { // unchecked: the region's fields are guarded by `mutex` (a pthread mutex: helpers sleep on its condition variable), `helpers` by `busy`
    /// How long an idle helper keeps polling for the next region before it sleeps.
    static let spinNanoseconds: UInt64 = 100_000

    private let busy = Atomic<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let next = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let participants = Atomic<Int>(0)

    // The published region; written and read under `mutex`.
    private let mutex = PthreadMutex()
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private var body: ((Int) -> Void)?
    private var items = 0
    private var sleepers = 0
    /// Set once, by `stop()`: helpers leave instead of waiting for the next region.
    private var stopping = false
    /// Helpers started; only the thread that holds `busy` reads or writes it.
    private var helpers = 0

    init() {
        wake = .allocate(capacity: 1)
        wake.initialize(to: pthread_cond_t())
        pthread_cond_init(wake, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        wake.deallocate()
    }

    /// Tells the helpers to exit once they finish what they are doing (they release the pool
    /// as they go). No region may be in flight or start afterwards: the owner is going away.
    func stop() {
        mutex.lock()
        stopping = true
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(wake)
        mutex.unlock()
    }

    /// Runs body(0..<n) on the calling thread and `threads − 1` helpers. False (nothing run)
    /// when another region is in flight.
    func run(_ n: Int, threads: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        startHelpers(threads - 1)
        withoutActuallyEscaping(body) { body in
            mutex.lock()
            self.body = body
            items = n
            next.store(0, ordering: .relaxed)
            unfinished.store(n, ordering: .relaxed)
            generation.add(1, ordering: .releasing)
            if sleepers > 0 { pthread_cond_broadcast(wake) }
            mutex.unlock()

            take(body, items: n)
            while unfinished.load(ordering: .acquiring) > 0 { sched_yield() }
            // No helper may still hold this body when the caller's closure context goes away,
            // nor take an index from the counter once the next region resets it.
            mutex.lock()
            self.body = nil
            mutex.unlock()
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
            // Each helper holds the pool until it exits.
            let context = Unmanaged.passRetained(self).toOpaque()
            let created = pthread_create(&thread, nil, { context in
                let pool = Unmanaged<WorkerPool>.fromOpaque(context!)
                pool.takeUnretainedValue().helperLoop()
                pool.release()
                return nil
            }, context)
            if created == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<WorkerPool>.fromOpaque(context).release()
                helpers -= 1
                return
            }
        }
    }

    /// Runs regions until `stop()`.
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
            mutex.lock()
            while generation.load(ordering: .acquiring) == seen {
                sleepers += 1
                pthread_cond_wait(wake, mutex.pointer)
                sleepers -= 1
            }
            seen = generation.load(ordering: .acquiring)
            let leaving = stopping
            mutex.unlock()
            if leaving { return }
            if joinRegion() { participants.subtract(1, ordering: .releasing) }
        }
    }

    /// Takes items of the published region, if it is still open. Returns whether it joined.
    /// A function of its own so that its reference to the body is gone before the caller
    /// leaves (decrements `participants`): the body lives in the publisher's stack frame.
    @inline(never)
    private func joinRegion() -> Bool {
        mutex.lock()
        guard let body = self.body else {
            mutex.unlock()
            return false
        }
        participants.add(1, ordering: .relaxed)
        let n = items
        mutex.unlock()
        take(body, items: n)
        return true
    }
}
