import XCTest
@testable import FERData

final class FERDataSkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
