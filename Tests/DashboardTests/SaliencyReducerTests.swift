import FERData
import FERTraining
import TermUI
import XCTest
@testable import Dashboard
import FERTestSupport

/// `x` and the saliency answers: what the reducer asks for and what it keeps.
final class SaliencyReducerTests: XCTestCase {
    func press(_ s: AppState, _ key: Key) -> (AppState, [Effect]) { reduce(s, .key(key)) }

    func testXAsksForTheMapOfTheSampleShownAndKeepsTheAnswer() {
        let s = Fixture.runningState()
        let (on, fx) = press(s, .char("x"))
        XCTAssertTrue(on.saliencyShown)
        XCTAssertEqual(fx, [.requestPrediction(pixels: Array(Fixture.dataset.train.image(0)), tag: on.requestedTag!, saliency: true)])
        let map = (0..<2304).map { Float($0 % 48) / 47 }
        let answered = reduce(on, .event(.saliency(tag: on.requestedTag!, classIndex: 3, map: map))).0
        XCTAssertEqual(answered.saliency, SaliencyMap(classIndex: 3, values: map))
        XCTAssertEqual(answered.saliencyFor, answered.showing)
        // Off again: no new request, the map stays for the next time.
        let (off, fx2) = press(answered, .char("x"))
        XCTAssertFalse(off.saliencyShown)
        XCTAssertEqual(fx2, [])
    }

    func testMovingWithTheOverlayOnAsksForTheNewSamplesMap() {
        let on = press(Fixture.runningState(), .char("x")).0
        let (moved, fx) = press(on, .right)
        XCTAssertEqual(fx, [.requestPrediction(pixels: Array(Fixture.dataset.train.image(1)), tag: moved.requestedTag!, saliency: true)])
    }

    func testAStaleMapIsIgnored() {
        let on = press(Fixture.runningState(), .char("x")).0
        let old = on.requestedTag!
        let moved = press(on, .right).0
        let after = reduce(moved, .event(.saliency(tag: old, classIndex: 1, map: [Float](repeating: 1, count: 2304)))).0
        XCTAssertNil(after.saliency, "the answer for the previous sample must not be drawn over this one")
    }

    func testWithoutAModelXSaysSo() {
        var s = Fixture.runningState()
        s.hasModel = false
        let (after, fx) = press(s, .char("x"))
        XCTAssertFalse(after.saliencyShown)
        XCTAssertEqual(fx, [])
        XCTAssertEqual(after.message, "no model yet: nothing to explain")
    }
}
