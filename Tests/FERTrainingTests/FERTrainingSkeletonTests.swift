import XCTest
@testable import FERTraining

final class FERTrainingSkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
