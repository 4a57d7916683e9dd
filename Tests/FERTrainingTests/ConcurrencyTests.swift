import FERData
import XCTest
@testable import FERTraining
import FERTestSupport

/// The two hand-overs between threads in FERTraining, under load: scripts/sanitize.sh runs these
/// (with the session's and the dashboard loop's tests) under Thread Sanitizer.
final class ConcurrencyTests: XCTestCase {
    func testMailboxKeepsEveryEventAndEachPostersOrder() {
        let mailbox = EventMailbox()
        let posters = 4, perPoster = 2000
        let done = DispatchGroup()
        for poster in 0..<posters {
            DispatchQueue.global().async(group: done) {
                for i in 0..<perPoster { mailbox.post(.paused(step: poster * perPoster + i)) }
            }
        }
        var received: [Int] = []
        // Drain while the posters post, as the UI loop does each tick.
        while done.wait(timeout: .now() + .milliseconds(1)) == .timedOut {
            received += mailbox.drain().compactMap { if case .paused(let step) = $0 { return step }; return nil }
        }
        received += mailbox.drain().compactMap { if case .paused(let step) = $0 { return step }; return nil }
        XCTAssertEqual(received.count, posters * perPoster)
        for poster in 0..<posters {
            let mine = received.filter { $0 / perPoster == poster }
            XCTAssertEqual(mine, Array(poster * perPoster..<(poster + 1) * perPoster), "poster \(poster) out of order")
        }
    }

    /// Batches prepared ahead on the preparer's thread equal batches built synchronously,
    /// whether the step asked for is the one prepared or not.
    func testPreparedAheadBatchesEqualSynchronousOnes() {
        let dataset = bandDataset(train: 40, validation: 7)
        let sampler = BatchSampler(count: dataset.train.count, batchSize: 8, seed: 5)
        let preparer = BatchPreparer(set: dataset.train, sampler: sampler, augmentation: .standard, seed: 9)
        let reference = BatchPreparer.Batch(batchSize: 8)
        for step in [0, 1, 2, 3, 7, 8, 20, 21, 22] {
            let batch = preparer.take(step: step)
            preparer.prepare(step: step == 3 ? 5 : step + 1)   // 5 is never taken: a stale guess
            BatchPreparer.fill(reference, step: step, set: dataset.train, sampler: sampler, augmentation: .standard, seed: 9)
            XCTAssertEqual(batch.step, step)
            XCTAssertEqual(batch.labels, reference.labels, "labels of step \(step)")
            XCTAssertTrue(memcmp(batch.images, reference.images, batch.count * MemoryLayout<Float>.size) == 0, "pixels of step \(step)")
            preparer.release(batch)
        }
    }

    /// With mixup a batch is still a pure function of (seed, step): prepared ahead or built
    /// now, the same blended pixels, partners and weight; and it differs from the unmixed batch.
    func testMixedBatchesAreTheSameWhenPreparedAheadAndDifferFromUnmixedOnes() throws {
        let dataset = bandDataset(train: 40, validation: 7)
        let sampler = BatchSampler(count: dataset.train.count, batchSize: 8, seed: 5)
        let mixup = Mixup(alpha: 1)
        let preparer = BatchPreparer(set: dataset.train, sampler: sampler, augmentation: .standard, mixup: mixup, seed: 9)
        let reference = BatchPreparer.Batch(batchSize: 8), plain = BatchPreparer.Batch(batchSize: 8)
        for step in [0, 1, 2, 9] {
            let batch = preparer.take(step: step)
            preparer.prepare(step: step + 1)
            BatchPreparer.fill(reference, step: step, set: dataset.train, sampler: sampler, augmentation: .standard,
                               mixup: mixup, seed: 9)
            BatchPreparer.fill(plain, step: step, set: dataset.train, sampler: sampler, augmentation: .standard, seed: 9)
            let mix = try XCTUnwrap(batch.mix)
            XCTAssertEqual(mix.partners, try XCTUnwrap(reference.mix).partners)
            XCTAssertEqual(mix.weight, try XCTUnwrap(reference.mix).weight)
            XCTAssertEqual(mix.partners, Array(batch.labels.reversed()))
            XCTAssertNil(plain.mix)
            XCTAssertTrue(memcmp(batch.images, reference.images, batch.count * MemoryLayout<Float>.size) == 0, "pixels of step \(step)")
            XCTAssertFalse(memcmp(batch.images, plain.images, batch.count * MemoryLayout<Float>.size) == 0, "step \(step) was mixed")
            preparer.release(batch)
        }
    }
}
