import FERData
import FERTraining
import Foundation
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

final class ScreenTests: XCTestCase {
    func testRunning120x40() {
        let g = Fixture.render(Fixture.runningState(), 120, 40)
        assertSnapshot(g, "running-120x40")
        let t = g.text
        for needle in ["running", "step 300/1000", "Loss", "Confusion", "Sample", "surprise", "prec", "? help"] {
            XCTAssertTrue(t.contains(needle), needle)
        }
        // The sample is at full resolution: 48 half-block columns on one row.
        XCTAssertTrue(g.lines.contains { $0.contains(String(repeating: "▀", count: 48)) })
    }

    func testRunning80x24() {
        let g = Fixture.render(Fixture.runningState(), 80, 24)
        assertSnapshot(g, "running-80x24")
        for needle in ["running", "Loss", "Confusion", "Sample", "quit"] { XCTAssertTrue(g.text.contains(needle), needle) }
    }

    func testASCIINoColour80x24() {
        var s = Fixture.runningState()
        s = reduce(s, .key(.char("c"))).0
        let g = Fixture.render(s, 80, 24, .plain)
        assertSnapshot(g, "running-80x24-ascii")
        XCTAssertTrue(g.text.unicodeScalars.allSatisfy { $0.isASCII }, "nothing but ASCII when the locale or --ascii says so")
        XCTAssertTrue(g.text.contains("*"), "the confusion diagonal is marked without colour")
    }

    func testPausedWithHelp120x40() {
        let s = Fixture.apply(Fixture.runningState(), [.key(.char(" ")), .event(.paused(step: 300)), .key(.char("?"))])
        let g = Fixture.render(s, 120, 40)
        assertSnapshot(g, "paused-help-120x40")
        XCTAssertTrue(g.text.contains("paused"))
    }

    func testPromptAndQuitDialog() {
        let p = Fixture.apply(Fixture.runningState(), [.key(.char("p")), .key(.char("x")), .key(.char("."))])
        XCTAssertTrue(Fixture.render(p, 80, 24).lines[23].contains("predict file: x."))
        let q = Fixture.apply(Fixture.runningState(), [.key(.char("q"))])
        assertSnapshot(Fixture.render(q, 80, 24), "quit-dialog-80x24")
    }

    func testFinishedAndFileSample() {
        let px = (0..<2304).map { UInt8($0 % 48 * 5) }
        let s = Fixture.apply(Fixture.runningState(), [
            .event(.finished(FinishReport(step: 300, elapsed: 75, stoppedEarly: true))),
            .fileLoaded(path: "/tmp/face.png", result: .success(FilePrediction(path: "/tmp/face.png", pixels: px, note: "no face found, centre crop"))),
        ])
        let tagged = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(4)))])
        let g = Fixture.render(tagged, 120, 40)
        assertSnapshot(g, "finished-file-120x40")
        XCTAssertTrue(g.text.contains("finished"))
        XCTAssertTrue(g.text.contains("face.png"))
        XCTAssertTrue(g.text.contains("55.0%"))
    }

    func testPromptWithCompletions80x24() {
        let s = Fixture.apply(Fixture.runningState(), [.key(.char("p")), .key(.char("f")),
                                                        .completions(for: "f", candidates: ["faces/", "face1.png", "face2.png"])])
        let g = Fixture.render(s, 80, 24)
        assertSnapshot(g, "prompt-completions-80x24")
        XCTAssertTrue(g.lines[23].contains("predict file: f"))
        XCTAssertTrue(g.text.contains("face1.png"))
    }

    func testBrowseWithModel120x40() {
        var s = AppState(dataset: Fixture.dataset, training: false, hasModel: true)
        s = Fixture.apply(s, [.appeared, .key(.char("v")), .key(.right)])
        s = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(2)))])
        let g = Fixture.render(s, 120, 40)
        assertSnapshot(g, "browse-120x40")
        XCTAssertTrue(g.text.contains("browse"))
        XCTAssertTrue(g.text.contains("validation #1/20"))
        XCTAssertFalse(g.lines[39].contains("pause"), "no pause hint without training")
    }

    func testTooSmallScreen() {
        let g = Fixture.render(Fixture.runningState(), 79, 23)
        assertSnapshot(g, "too-small-79x23")
        XCTAssertTrue(g.text.contains("terminal too small (need 80×24)"))
    }

    func testTinySizesDoNotCrash() {
        let states = [Fixture.runningState(), AppState(dataset: Fixture.dataset, training: false, hasModel: false),
                      Fixture.apply(Fixture.runningState(), [.key(.char("?"))]),
                      Fixture.apply(Fixture.runningState(), [.key(.char("q"))]),
                      Fixture.apply(Fixture.runningState(), [.key(.char("p")), .key(.char("f")),
                                                             .completions(for: "f", candidates: (0..<20).map { "f\($0).png" })]),
                      Fixture.apply(Fixture.runningState(), [.fileLoaded(path: "x", result: .failure(FileLoadError(String(repeating: "long error ", count: 40))))])]
        for s in states {
            for (w, h) in [(0, 0), (1, 1), (2, 2), (79, 23), (80, 23), (79, 24), (80, 24), (200, 60), (120, 24), (80, 40)] {
                let g = Fixture.render(s, w, h)
                XCTAssertEqual(g.width, w)
                XCTAssertEqual(g.height, h)
            }
        }
    }

    func testEmptyDatasetAndNoEvents() {
        let empty = Dataset(name: "empty", train: ImageSet(), validation: ImageSet(), test: ImageSet())
        let g = Fixture.render(AppState(dataset: empty, training: true, hasModel: true), 80, 24)
        XCTAssertTrue(g.text.contains("starting"))
        XCTAssertTrue(g.text.contains("no images"))
    }

    func testLongRunKeepsItsShape() {
        // 20 000 steps with a single spike: the spike must still reach the top of the plot.
        var s = AppState(dataset: Fixture.dataset, training: true, hasModel: false)
        s = reduce(s, .event(.started(Fixture.info))).0
        for i in 1...20_000 {
            let r = StepReport(step: i, epoch: 0, loss: i == 12_345 ? 9 : 1, learningRate: 0, imagesPerSecond: 0, elapsed: 0)
            s = reduce(s, .event(.step(r))).0
        }
        s.smoothingPercent = 0
        let g = Fixture.render(s, 120, 40)
        let plotTop = g.lines.firstIndex { $0.contains("9.") }!
        XCTAssertTrue(g.lines[plotTop].unicodeScalars.contains { $0.value > 0x2800 && $0.value < 0x2900 },
                      "the spike is drawn on the top row")
    }

    func testDemoSessionEventsDriveTheReducerInOrder() {
        let mailbox = EventMailbox()
        let info = SessionInfo(architecture: "demo", datasetName: "demo", trainCount: 40, validationCount: 20,
                               testCount: 10, batchSize: 8, totalSteps: 30, firstStep: 0, runDirectory: "/tmp/x")
        let demo = DemoSession(info: info, stepDelay: 0.001, evalEvery: 10, sink: { mailbox.post($0) })
        demo.start(validationLabels: Fixture.dataset.validation.labels)
        defer { demo.close() }
        var s = AppState(dataset: Fixture.dataset, training: true, hasModel: true)
        var events: [TrainingEvent] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let batch = mailbox.drain()
            events += batch
            for e in batch { s = reduce(s, .event(e)).0 }
            if case .finished = s.phase { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        guard case .started = events.first else { return XCTFail("first event must be started") }
        XCTAssertEqual(s.phase, .finished(stoppedEarly: false))
        XCTAssertEqual(s.losses.count, 30)
        XCTAssertEqual(s.evals.count, 3)
    }
}

final class SampleHeadlineTests: XCTestCase {
    func testHeadlineShrinksButKeepsTruthPredictionAndPercent() {
        var d = Fixture.dataset
        // A big split makes the index long, as with the real 6000-image training split.
        d.train = ImageSet(pixels: [UInt8](repeating: 0, count: 6000 * 2304), labels: [Int8](repeating: 6, count: 6000))
        var s = AppState(dataset: d, training: false, hasModel: true)
        s = Fixture.apply(s, [.appeared])
        s = Fixture.apply(s, [.event(.prediction(tag: s.requestedTag!, probabilities: Fixture.probabilities(2)))])
        let g = Fixture.render(s, 80, 24)
        XCTAssertTrue(g.lines[5].contains("train #0/6000  neu→fea 55%"), g.lines[5])
    }
}
