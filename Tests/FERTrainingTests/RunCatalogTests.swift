import XCTest
@testable import FERTraining
import FERTestSupport

/// `ferdash runs`: the listing and its JSON, against run directories made by hand.
final class RunCatalogTests: XCTestCase {
    let dir = TempDir()
    var root: String { dir.path }

    func makeRun(_ name: String, _ lines: [String], modified: Date) throws {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = dir + "/metrics.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: file)
    }

    func testJSONAgreesWithTheMetricsAndListsNewestFirst() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try makeRun("old", [
            #"{"event":"started","step":0,"dataset":"fer2013.csv","architecture":"seed"}"#,
            #"{"step":1,"epoch":0.01,"loss":1.9,"lr":0.001,"train_seconds":0.5}"#,
        ], modified: now.addingTimeInterval(-3600))
        try makeRun("new", [
            #"{"event":"started","step":0,"dataset":"bands","dataset_path":"/data/bands.csv","architecture":"vgg7","total_steps":20,"batch_size":8,"steps_per_epoch":6}"#,
            #"{"step":1,"epoch":0.16,"loss":1.9,"lr":0.001,"train_seconds":0.5}"#,
            #"{"step":2,"epoch":0.33,"loss":1.7,"lr":0.001,"train_seconds":1.0}"#,
            #"{"step":2,"val_loss":1.5,"val_accuracy":0.25,"confusion":[[1,3],[0,0]]}"#,
            "{broken",
            #"{"step":3,"epoch":0.5,"loss":1.6,"lr":0.001,"train_seconds":1.5}"#,
            #"{"step":3,"val_loss":1.25,"val_accuracy":0.5,"confusion":[[2,2],[0,0]]}"#,
            #"{"event":"stopped","step":3}"#,
        ], modified: now.addingTimeInterval(-60))
        try FileManager.default.createDirectory(atPath: root + "/not-a-run", withIntermediateDirectories: true)

        let (runs, skipped) = try RunCatalog.list(root, now: now)
        XCTAssertEqual(runs.map(\.name), ["new", "old"])
        XCTAssertEqual(skipped, ["not-a-run"])
        let array = "[" + runs.map(\.json).joined(separator: ",") + "]"
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(array.utf8)) as? [[String: Any]])
        let new = objects[0], old = objects[1]
        XCTAssertEqual(new["path"] as? String, root + "/new")
        XCTAssertEqual(new["architecture"] as? String, "vgg7")
        XCTAssertEqual(new["dataset"] as? String, "/data/bands.csv")
        XCTAssertEqual(new["step"] as? Int, 3)
        XCTAssertEqual(new["total_steps"] as? Int, 20)
        XCTAssertEqual(new["best_accuracy"] as? Double, 0.5)
        XCTAssertEqual(new["best_step"] as? Int, 3)
        XCTAssertEqual(new["last_val_loss"] as? Double, 1.25)
        XCTAssertEqual(new["state"] as? String, "stopped")
        XCTAssertEqual(new["train_seconds"] as? Double, 1.5)
        XCTAssertEqual(new["corrupt_lines"] as? [Int], [5])
        // An older run without the newer fields, never evaluated, silent for an hour.
        XCTAssertEqual(old["dataset"] as? String, "fer2013.csv")
        XCTAssertTrue(old["total_steps"] is NSNull)
        XCTAssertTrue(old["best_accuracy"] is NSNull, "null before any evaluation")
        XCTAssertEqual(old["state"] as? String, "stale")
        XCTAssertNotNil(old["stale_since"] as? String)
    }

    func testARunFolderItselfListsJustThatRunAndAMissingFolderIsNamed() throws {
        try makeRun("one", [#"{"event":"started","step":0}"#], modified: Date())
        XCTAssertEqual(try RunCatalog.list(root + "/one").runs.map(\.name), ["one"])
        XCTAssertThrowsError(try RunCatalog.list(root + "/nowhere")) { XCTAssertTrue("\($0)".contains("nowhere: no such directory"), "\($0)") }
        XCTAssertEqual(RunCatalog.newest(under: root), root + "/one")
    }
}
