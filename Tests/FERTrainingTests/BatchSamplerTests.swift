import XCTest
@testable import FERTraining

final class BatchSamplerTests: XCTestCase {
    func testEachEpochVisitsEveryImageOnce() {
        let sampler = BatchSampler(count: 10, batchSize: 5, seed: 7)
        let epoch0 = sampler.indices(step: 0) + sampler.indices(step: 1)
        let epoch1 = sampler.indices(step: 2) + sampler.indices(step: 3)
        XCTAssertEqual(epoch0.sorted(), Array(0..<10))
        XCTAssertEqual(epoch1.sorted(), Array(0..<10))
        XCTAssertNotEqual(epoch0, epoch1, "each epoch is shuffled anew")
    }

    func testBatchesStraddleEpochBoundaries() {
        let sampler = BatchSampler(count: 7, batchSize: 3, seed: 1)
        let stream = (0..<7).flatMap { sampler.indices(step: $0) } // 21 indices = 3 epochs
        for epoch in 0..<3 {
            XCTAssertEqual(Array(stream[(epoch * 7)..<(epoch * 7 + 7)]).sorted(), Array(0..<7))
        }
    }

    func testSameSeedSameBatchesAndResumeNeedsNoState() {
        let a = BatchSampler(count: 100, batchSize: 16, seed: 42)
        let b = BatchSampler(count: 100, batchSize: 16, seed: 42)
        XCTAssertEqual(a.indices(step: 37), b.indices(step: 37))
        XCTAssertNotEqual(a.indices(step: 37), BatchSampler(count: 100, batchSize: 16, seed: 43).indices(step: 37))
    }

    func testEpochFraction() {
        let sampler = BatchSampler(count: 256, batchSize: 128, seed: 0)
        XCTAssertEqual(sampler.epoch(afterSteps: 3), 1.5)
    }
}
