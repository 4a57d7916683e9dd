import XCTest
@testable import FaceDetection

final class FaceDetectionSkeletonTests: XCTestCase {
    func testModuleLinks() { XCTAssertTrue(true) }
}
