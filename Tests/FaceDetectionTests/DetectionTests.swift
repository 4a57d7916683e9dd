import FERData
import Foundation
import XCTest
@testable import FaceDetection

final class DetectionTests: XCTestCase {
    static let shared: FaceDetector? = try? FaceDetector()

    func realDetector() throws -> FaceDetector {
        guard realCascadeAvailable, let d = Self.shared else {
            throw XCTSkip("Haar cascade not installed (apt-get install opencv-data)")
        }
        return d
    }

    func testSyntheticFaceProbe() throws {
        let detector = try realDetector()
        for (w, h, l, t, s) in [(320, 240, 100, 60, 100), (400, 300, 40, 100, 60), (640, 480, 300, 80, 200)] {
            let img = sceneWithFace(width: w, height: h, left: l, top: t, size: s)
            let faces = detector.detect(in: img)
            print("probe", w, h, l, t, s, faces)
        }
    }
}
