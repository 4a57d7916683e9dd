import Foundation
import XCTest
@testable import FERData

/// The sample images in assets/ are generated, never drawn by hand: run with RECORD_ASSETS=1 to
/// rewrite them. Without it the test checks that they still match the generator, so a change to
/// the renderer that forgets the assets fails here.
final class AssetsTests: XCTestCase {
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("assets").path

    static func samples() -> [(String, GrayImage)] {
        Emotion.allCases.map { ("synthetic-\($0.name).png", SyntheticFaces.face($0, seed: 2018 + UInt64($0.rawValue))) }
            + [("synthetic-contact-sheet.png", SyntheticFaces.contactSheet(perClass: 8, seed: 2018, scale: 2))]
    }

    func testSampleAssetsMatchTheGenerator() throws {
        let record = ProcessInfo.processInfo.environment["RECORD_ASSETS"] == "1"
        if record { try FileManager.default.createDirectory(atPath: Self.assets, withIntermediateDirectories: true) }
        for (name, image) in Self.samples() {
            let path = Self.assets + "/" + name
            if record { try ImageFile.writePNG(image, path: path) }
            guard FileManager.default.fileExists(atPath: path) else {
                throw XCTSkip("assets not recorded yet (RECORD_ASSETS=1)")
            }
            let stored = try ImageFile.readGray(path: path)
            XCTAssertEqual([stored.width, stored.height], [image.width, image.height], name)
            // A little tolerance: sinf/cosf may differ in the last bit between C libraries.
            let difference = zip(stored.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            XCTAssertLessThan(Double(difference) / Double(max(image.pixels.count, 1)), 0.5,
                              "\(name) is stale: rerun with RECORD_ASSETS=1")
        }
    }
}
