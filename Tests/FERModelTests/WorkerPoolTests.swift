import Dispatch
import Synchronization
import XCTest
@testable import FERModel

final class WorkerPoolTests: XCTestCase {
    let engine = Engine(threads: 2)

    /// Every index runs exactly once, region after region, with helpers awake or asleep.
    func testEachIndexRunsOnceInEveryRegion() {
        for round in 0..<2_000 {
            let n = 2 + round % 9
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: n)
            counts.initialize(repeating: 0, count: n)
            defer { counts.deallocate() }
            // Distinct slots per index: no two items write the same memory.
            engine.parallelFor(n) { i in counts[i] += 1 }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: n)), Array(repeating: 1, count: n), "round \(round)")
            if round % 500 == 0 { usleep(2_000) }   // let the helpers fall asleep now and then
        }
    }

    /// Two threads entering at once, and a region nested in another, fall back instead of
    /// waiting on each other; nothing is lost or run twice.
    func testConcurrentAndNestedRegionsAllComplete() {
        let total = Atomic<Int>(0), engine = self.engine
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<200 {
                engine.parallelFor(4) { _ in
                    engine.parallelFor(3) { _ in total.add(1, ordering: .relaxed) }
                }
            }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 4 * 200 * 4 * 3)
    }

    /// The work really is shared: with two threads both take part in a long enough region.
    func testTwoThreadsShareTheWork() {
        let threads = UnsafeMutablePointer<pthread_t>.allocate(capacity: 8)
        defer { threads.deallocate() }
        var sawTwo = false
        for _ in 0..<50 where !sawTwo {
            engine.parallelFor(8) { i in
                threads[i] = pthread_self()
                usleep(1_000)
            }
            sawTwo = Set((0..<8).map { UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(threads[$0])))) }).count > 1
        }
        XCTAssertTrue(sawTwo, "one thread ran every item")
    }
}
