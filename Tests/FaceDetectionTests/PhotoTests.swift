import FERData
import Foundation
import XCTest
@testable import FaceDetection

/// Manual checks on real photographs, which are not in the repository: set FERDASH_FACE_PHOTOS
/// to a folder of binary PGM files (e.g. the shared portraits converted to gray) to run them.
final class PhotoTests: XCTestCase {
    func testPhotosInFolder() throws {
        guard let folder = ProcessInfo.processInfo.environment["FERDASH_FACE_PHOTOS"] else {
            throw XCTSkip("set FERDASH_FACE_PHOTOS to a folder of .pgm photos to run")
        }
        let start = Date()
        let detector = try FaceDetector()
        print(String(format: "cascade loaded in %.0f ms", Date().timeIntervalSince(start) * 1000))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pgm") }.sorted()
        for name in names {
            let image = try readPGM(path: folder + "/" + name)
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

/// A minimal binary PGM (P5, 8-bit) reader, only for tests.
func readPGM(path: String) throws -> GrayImage {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var index = 0
    func token() -> String {
        var out = ""
        while index < data.count {
            let c = data[index]
            if c == UInt8(ascii: "#") {
                while index < data.count && data[index] != 10 { index += 1 }
            } else if c == 32 || c == 10 || c == 13 || c == 9 {
                if !out.isEmpty { break }
            } else {
                out.append(Character(UnicodeScalar(c)))
            }
            index += 1
        }
        return out
    }
    guard token() == "P5", let w = Int(token()), let h = Int(token()), token() == "255",
          data.count - index >= w * h else {
        throw NSError(domain: "PGM", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(path): not an 8-bit binary PGM"])
    }
    return GrayImage(width: w, height: h, pixels: [UInt8](data[index..<(index + w * h)]))
}
