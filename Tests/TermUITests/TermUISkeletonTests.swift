import XCTest
@testable import TermUI

final class TermUISkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
