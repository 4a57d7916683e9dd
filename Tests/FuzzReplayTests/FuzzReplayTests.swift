import XCTest
@testable import ferfuzz

/// Every committed fuzz input — the seed corpora and the inputs of past findings under
/// regressions/<target>/ — goes through its target on every `swift test`, so a fixed crash
/// stays fixed even where no fuzzer runs.
final class FuzzReplayTests: XCTestCase {
    private let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

    func testEveryTargetHasASeedCorpus() {
        for target in FuzzTarget.allCases {
            XCTAssertFalse(FerFuzz.inputs([here + "/corpus/" + target.rawValue]).filter(isFile).isEmpty,
                           "no seeds for \(target.rawValue)")
        }
    }

    func testSeedCorporaRunWithoutAFinding() throws {
        try replay("corpus")
    }

    func testPastFindingsStayFixed() throws {
        try replay("regressions")
    }

    private func replay(_ folder: String) throws {
        for target in FuzzTarget.allCases {
            for input in FerFuzz.inputs([here + "/" + folder + "/" + target.rawValue]) where isFile(input) {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
                bytes.withUnsafeBufferPointer { target.run($0) }   // a finding traps here
            }
        }
    }

    private func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
