import FERData
import Foundation
import XCTest
@testable import FaceDetection

/// Manual checks on real photographs, which are not in the repository: set FERDASH_FACE_PHOTOS
/// to a folder of JPEG/PNG/PGM photos (e.g. /work/shared/faces) to run them, in release for
/// meaningful timings: `FERDASH_FACE_PHOTOS=… swift test -c release --filter PhotoTests`.
final class PhotoTests: XCTestCase {
    func testPhotosInFolder() throws {
        guard let folder = ProcessInfo.processInfo.environment["FERDASH_FACE_PHOTOS"] else {
            throw XCTSkip("set FERDASH_FACE_PHOTOS to a folder of photos to run")
        }
        let start = Date()
        let detector = try FaceDetector()
        print(String(format: "cascade loaded in %.0f ms", Date().timeIntervalSince(start) * 1000))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            ["jpg", "jpeg", "png", "pgm", "ppm"].contains { name.lowercased().hasSuffix("." + $0) }
        }.sorted()
        for name in names {
            let image = try ImageFile.readGray(path: folder + "/" + name)
            let (faces, ms, cpu) = detector.timeDetection(in: image, repeats: 5)
            print("photo \(name) \(image.width)×\(image.height): \(String(format: "%.1f ms wall, %.1f ms CPU", ms, cpu)), faces:",
                  faces.map(describe))
            // Small faces too: the whole pyramid down to the 24-pixel window (or the 1 MP cap).
            let (small, smallMs, smallCPU) = detector.timeDetection(in: image, minFaceSize: 24, repeats: 1)
            print("photo \(name) minFaceSize 24: \(String(format: "%.1f ms wall, %.1f ms CPU", smallMs, smallCPU)), faces:",
                  small.map(describe))
        }
    }
}

private func describe(_ face: DetectedFace) -> String {
    "(\(face.box.x),\(face.box.y) \(face.box.width)×\(face.box.height) c=\(String(format: "%.2f", face.confidence)))"
}
