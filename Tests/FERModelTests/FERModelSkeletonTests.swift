import XCTest
@testable import FERModel

final class FERModelSkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
