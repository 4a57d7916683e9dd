import XCTest
@testable import FERData
import FERTestSupport

final class SyntheticFacesTests: XCTestCase {
    func testDeterministicPerSeedAndPrefixStable() {
        let a = SyntheticFaces.generate(count: 40, seed: 7)
        let b = SyntheticFaces.generate(count: 40, seed: 7)
        let c = SyntheticFaces.generate(count: 40, seed: 8)
        XCTAssertEqual(a.pixels, b.pixels)
        XCTAssertEqual(a.labels, b.labels)
        XCTAssertNotEqual(a.pixels, c.pixels)
        let shorter = SyntheticFaces.generate(count: 10, seed: 7)
        XCTAssertEqual(shorter.pixels, Array(a.pixels.prefix(10 * 2304)))
    }

    func testAllSevenClassesRoughlyBalancedAndNotBlank() {
        let set = SyntheticFaces.generate(count: 700, seed: 1)
        XCTAssertEqual(set.pixels.count, 700 * 2304)
        XCTAssertTrue(set.isLabeled)
        XCTAssertTrue(set.perClassCounts.allSatisfy { $0 >= 60 }, "\(set.perClassCounts)")
        for i in 0..<set.count {
            let px = set.image(i).map(Double.init)
            let mean = px.reduce(0, +) / 2304
            let spread = (px.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2304).squareRoot()
            XCTAssertGreaterThan(spread, 8, "face \(i) is nearly flat")
        }
    }

    func testBuiltInSplits() {
        let data = SyntheticFaces.builtIn(seed: 3, train: 70, validation: 20, test: 15)
        XCTAssertEqual(data.name, "built-in synthetic faces")
        XCTAssertEqual([data.train.count, data.validation.count, data.test.count], [70, 20, 15])
        XCTAssertNotEqual(Array(data.train.pixels.prefix(2304)), Array(data.validation.pixels.prefix(2304)))
        XCTAssertTrue(data.test.isLabeled)
    }

    /// Learnable but not trivial, judged on the expression cues the renderer draws (a pixel-space probe
    /// would mostly measure the random framing): a nearest-class-mean classifier on standardised cues
    /// must do far better than chance yet stay imperfect, and its worst confusions must be the
    /// designed ones (fear↔surprise, anger↔disgust), not random pairs.
    func testCueOverlapGivesTheIntendedConfusions() {
        let confusion = CueProbe.confusion(samples: 7000, seed: 99)
        let total = confusion.joined().reduce(0, +)
        let accuracy = Double((0..<7).map { confusion[$0][$0] }.reduce(0, +)) / Double(total)
        XCTAssertGreaterThan(accuracy, 0.6)
        XCTAssertLessThan(accuracy, 0.95)
        func worstExpressive(_ row: Emotion) -> Emotion {
            Emotion.allCases.filter { $0 != row && $0 != .neutral }.max { confusion[row.rawValue][$0.rawValue] < confusion[row.rawValue][$1.rawValue] }!
        }
        XCTAssertEqual(worstExpressive(.fear), .surprise)
        XCTAssertEqual(worstExpressive(.surprise), .fear)
        XCTAssertEqual(worstExpressive(.anger), .disgust)
        XCTAssertEqual(worstExpressive(.disgust), .anger)
    }
}

/// Nearest-class-mean over standardised cue vectors: half the samples fit, half are scored.
enum CueProbe {
    static func vector(_ c: ExpressionCues) -> [Double] {
        let cues: [Float] = [c.browHeight, c.browSlant, c.eyeOpen, c.smile, c.mouthOpen, c.mouthWidth,
                             abs(c.asymmetry), c.wrinkle, c.teeth]
        return cues.map { Double($0) }
    }

    static func confusion(samples: Int, seed: UInt64) -> [[Int]] {
        var rng = SplitMix64(seed: seed)
        var xs: [[Double]] = [], ys: [Int] = []
        for _ in 0..<(2 * samples) {
            let e = Emotion(index: rng.below(Emotion.count))
            xs.append(vector(ExpressionCues.sample(e, rng: &rng)))
            ys.append(e.rawValue)
        }
        let d = xs[0].count
        let mean = (0..<d).map { j in xs.map { $0[j] }.reduce(0, +) / Double(xs.count) }
        var sd = [Double](repeating: 0, count: d)
        for x in xs { for j in 0..<d { sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / Double(xs.count) } }
        sd = sd.map { max($0.squareRoot(), 1e-9) }
        let z = xs.map { x in (0..<d).map { (x[$0] - mean[$0]) / sd[$0] } }
        var centroids = [[Double]](repeating: [Double](repeating: 0, count: d), count: 7)
        var counts = [Double](repeating: 0, count: 7)
        for i in 0..<samples {
            for j in 0..<d { centroids[ys[i]][j] += z[i][j] }
            counts[ys[i]] += 1
        }
        for c in 0..<7 { for j in 0..<d { centroids[c][j] /= max(counts[c], 1) } }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: 7), count: 7)
        for i in samples..<(2 * samples) {
            var best = 0, bestDistance = Double.infinity
            for c in 0..<7 {
                var distance = 0.0
                for j in 0..<d { distance += (z[i][j] - centroids[c][j]) * (z[i][j] - centroids[c][j]) }
                if distance < bestDistance { bestDistance = distance; best = c }
            }
            confusion[ys[i]][best] += 1
        }
        return confusion
    }
}
