import XCTest
@testable import Dashboard

final class DashboardSkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
