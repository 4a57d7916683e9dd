@testable import EmotionTimeline
import FERData
import FERTestSupport
import Foundation
import XCTest

/// The video's emotion plot: a clock on the time axis, each face's lines where its emotions were,
/// nothing where it was absent, a panel per face, bounded memory for long videos, and a PNG.
final class EmotionPlotTests: XCTestCase {
    let box = PixelRect(x: 10, y: 10, width: 48, height: 48)

    /// `strong` at `level`, the rest of the probability shared evenly by the other six.
    func probabilities(_ strong: Emotion, _ level: Float) -> [Float] {
        (0..<7).map { $0 == strong.rawValue ? level : (1 - level) / 6 }
    }

    func frame(_ index: Int, fps: Double, _ faces: [(id: Int, p: [Float])]) -> FrameAnalysis {
        FrameAnalysis(frame: index, timestamp: Double(index) / fps, faces: faces.map {
            FaceObservation(faceID: $0.id, box: box, confidence: 0.9, probabilities: $0.p)
        })
    }

    func pixel(_ image: (rgb: [UInt8], width: Int, height: Int), _ x: Int, _ y: Int) -> RGB {
        let i = (y * image.width + x) * 3
        return RGB(image.rgb[i], image.rgb[i + 1], image.rgb[i + 2])
    }

    func near(_ a: RGB, _ b: RGB) -> Bool {
        abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b)) <= 24
    }

    // MARK: the time axis

    func testTickIntervalsAreNiceAndFitFromThreeSecondsToThreeHours() throws {
        let cases: [(span: Double, ticks: Int, step: Double)] = [
            (3, 10, 1), (10, 10, 1), (11, 10, 2), (40, 10, 5), (90, 10, 10), (140, 10, 15), (300, 10, 30),
            (600, 10, 60), (1200, 10, 120), (3000, 10, 300), (3600, 10, 600), (10800, 10, 1800), (10800, 5, 3600),
            (0, 10, 1), (3 * 86400, 10, 43200),
        ]
        for c in cases {
            XCTAssertEqual(EmotionPlot.tickInterval(forSpan: c.span, maxTicks: c.ticks), c.step, "span \(c.span) s, \(c.ticks) ticks")
        }
        // Every span in between: a nice step, at most maxTicks of them, and the next smaller
        // nice step would have been too many.
        var span = 3.0
        while span <= 10800 {
            let step = EmotionPlot.tickInterval(forSpan: span, maxTicks: 10)
            let index = try XCTUnwrap(EmotionPlot.niceSteps.firstIndex(of: step), "\(step) s is not a nice step")
            XCTAssertLessThanOrEqual(span / step, 10, "span \(span)")
            if index > 0 { XCTAssertGreaterThan(span / EmotionPlot.niceSteps[index - 1], 10, "span \(span)") }
            span *= 1.17
        }
    }

    // MARK: the lines

    func testHappyThenSadShowsEachColourNearTheTopWhileItLasts() {
        // 3 s happy at 0.9, then 2 s sad at 0.9, at 30 frames a second.
        var plot = EmotionPlot(title: "scripted.mp4", duration: 5)
        for i in 0..<150 {
            let t = Double(i) / 30
            plot.add(frame(i, fps: 30, [(0, probabilities(t < 3 ? .happy : .sad, 0.9))]))
        }
        let image = plot.render()
        let plotArea = EmotionPlot.Layout.plotRect(0)
        let happy = EmotionPlot.Palette.emotion(.happy), sad = EmotionPlot.Palette.emotion(.sad)
        func coloursNearTheTop(atFraction f: Double) -> (happy: Bool, sad: Bool) {
            let x = plotArea.x + Int(f * Double(plotArea.width))
            let band = (plotArea.y..<(plotArea.y + plotArea.height / 5)).map { pixel(image, x, $0) }
            return (band.contains { near($0, happy) }, band.contains { near($0, sad) })
        }
        for f in stride(from: 0.02, through: 0.57, by: 0.05) {
            XCTAssertEqual(coloursNearTheTop(atFraction: f).happy, true, "happy near the top at \(f) of the width")
            XCTAssertEqual(coloursNearTheTop(atFraction: f).sad, false, "no sad near the top at \(f) of the width")
        }
        for f in stride(from: 0.63, through: 0.98, by: 0.05) {
            XCTAssertEqual(coloursNearTheTop(atFraction: f).sad, true, "sad near the top at \(f) of the width")
            XCTAssertEqual(coloursNearTheTop(atFraction: f).happy, false, "no happy near the top at \(f) of the width")
        }
    }

    func testAGapWithoutTheFaceLeavesThePlotBlank() {
        // 10 frames a second for 6 s; the face is away from 2 s to 4 s (frames analysed, no face).
        var plot = EmotionPlot(title: "gap.mp4", duration: 6)
        for i in 0..<60 {
            let t = Double(i) / 10
            plot.add(frame(i, fps: 10, t >= 2 && t < 4 ? [] : [(0, probabilities(.surprise, 0.6))]))
        }
        let image = plot.render()
        let area = EmotionPlot.Layout.plotRect(0)
        let blank = [EmotionPlot.Palette.paper, EmotionPlot.Palette.grid, EmotionPlot.Palette.tickGrid]
        func inked(atSecond t: Double) -> Int {
            let x = area.x + Int(t / 6 * Double(area.width))
            return (area.y..<(area.y + area.height)).filter { !blank.contains(pixel(image, x, $0)) }.count
        }
        for t in stride(from: 2.3, through: 3.7, by: 0.1) {
            XCTAssertEqual(inked(atSecond: t), 0, "nothing drawn at \(t) s, where the face was absent")
        }
        XCTAssertGreaterThan(inked(atSecond: 1), 0, "lines where the face was present")
        XCTAssertGreaterThan(inked(atSecond: 5), 0, "lines again after the face came back")
    }

    func testFramesSparserThanTheBinsAreBridgedNotGaps() {
        // 2 frames a second into 5 ms bins: most bins have no frame at all, yet the line is whole.
        var plot = EmotionPlot(title: "sparse.mp4", duration: 5)
        for i in 0..<10 { plot.add(frame(i, fps: 2, [(0, probabilities(.happy, 0.9))])) }
        let image = plot.render()
        let area = EmotionPlot.Layout.plotRect(0)
        let happy = EmotionPlot.Palette.emotion(.happy)
        // Between the first and last bin centres (0 s and 4.5 s, as fractions of 5 s).
        for f in stride(from: 0.05, through: 0.85, by: 0.1) {
            let x = area.x + Int(f * Double(area.width))
            XCTAssertTrue((area.y..<(area.y + area.height / 5)).contains { near(pixel(image, x, $0), happy) }, "at \(f)")
        }
    }

    // MARK: panels

    func testEachFaceGetsAPanelTheMostSeenFirstAndAtMostSix() {
        func plot(faces: Int) -> EmotionPlot {
            var plot = EmotionPlot(title: "faces.mp4")
            for i in 0..<100 {
                // Face k is seen in the frames up to 10·(k+1): the higher IDs more often.
                plot.add(frame(i, fps: 25, (0..<faces).filter { i < 10 * ($0 + 1) }.map { ($0, probabilities(.neutral, 0.5)) }))
            }
            return plot
        }
        let one = plot(faces: 1).render(), two = plot(faces: 2).render()
        XCTAssertEqual(one.width, two.width)
        XCTAssertEqual(two.height - one.height, EmotionPlot.Layout.panelHeight, "a second face adds a panel")
        XCTAssertEqual(one.rgb.count, one.width * one.height * 3)
        XCTAssertEqual(plot(faces: 2).facesByVisibility.map(\.faceID), [1, 0], "the face seen more comes first")

        let eight = plot(faces: 8)
        let image = eight.render()
        XCTAssertEqual(image.height, EmotionPlot.Layout(panels: 6, hidden: 2).height, "six panels and a line for the rest")
        XCTAssertGreaterThan(image.height, EmotionPlot.Layout(panels: 6, hidden: 0).height)
        XCTAssertEqual(eight.facesByVisibility.prefix(6).map(\.faceID), [7, 6, 5, 4, 3, 2])
    }

    func testNoFramesOrNoFacesStillDrawsAxes() {
        let empty = EmotionPlot(title: "nothing.mp4").render()
        XCTAssertEqual(empty.height, EmotionPlot.Layout(panels: 1, hidden: 0).height)
        var faceless = EmotionPlot(title: "faceless.mp4", duration: 12)
        for i in 0..<30 { faceless.add(frame(i, fps: 2.5, [])) }
        XCTAssertEqual(faceless.render().height, empty.height)
    }

    // MARK: memory and speed

    func testBinsStayBoundedOverLongVideosAndKeepTheMeans() {
        // 200,000 frames at 30 fps (1 h 51 min) of two faces, with no duration given.
        var plot = EmotionPlot(title: "long.mp4")
        let happy = probabilities(.happy, 0.9), sad = probabilities(.sad, 0.7)
        let observations = [FaceObservation(faceID: 0, box: box, confidence: 1, probabilities: happy),
                            FaceObservation(faceID: 1, box: box, confidence: 1, probabilities: sad)]
        let elapsed = ContinuousClock().measure {
            for i in 0..<200_000 {
                plot.add(FrameAnalysis(frame: i, timestamp: Double(i) / 30, faces: i % 3 == 0 ? [observations[0]] : observations))
            }
        }
        print("EmotionPlot: 200,000 frames added in \(elapsed)")
        XCTAssertLessThan(elapsed, .seconds(10), "adding frames stays cheap (well under 1 s in release)")
        XCTAssertLessThanOrEqual(plot.largestBinCount, EmotionPlot.maxBins)
        XCTAssertGreaterThan(plot.largestBinCount, EmotionPlot.maxBins / 2, "coarsened no further than needed")
        XCTAssertGreaterThan(Double(EmotionPlot.maxBins) * plot.binWidth, plot.lastTimestamp)
        XCTAssertEqual(plot.frameCount, 200_000)
        for face in plot.faces {
            XCTAssertEqual(face.counts.reduce(0) { $0 + Int($1) }, face.observations, "merging keeps every observation")
            let expected = face.faceID == 0 ? (Emotion.happy, Float(0.9)) : (Emotion.sad, Float(0.7))
            for k in face.counts.indices where face.counts[k] > 0 {
                XCTAssertEqual(face.sums[k * 7 + expected.0.rawValue] / Float(face.counts[k]), expected.1, accuracy: 1e-3)
            }
        }
        XCTAssertEqual(plot.faces[1].observations, 133_333)
        XCTAssertEqual(plot.render().height, EmotionPlot.Layout(panels: 2, hidden: 0).height)
    }

    // MARK: the file

    func testWriteToAMissingFolderNamesThePath() {
        let dir = TempDir()
        let path = dir.file("no-such-folder/plot.png")
        XCTAssertThrowsError(try EmotionPlot(title: "x.mp4").write(path: path)) { error in
            XCTAssertTrue("\(error)".contains(path), "the error names the file: \(error)")
        }
    }

    func testWrittenPNGReadsBackAtItsSize() throws {
        let dir = TempDir()
        var plot = EmotionPlot(title: "clip.mp4", duration: 3)
        for i in 0..<30 { plot.add(frame(i, fps: 10, [(0, probabilities(.fear, 0.5))])) }
        let path = dir.file("clip.png")
        try plot.write(path: path)
        let back = try ImageFile.readGray(path: path)
        let image = plot.render()
        XCTAssertEqual(back.width, image.width)
        XCTAssertEqual(back.height, image.height)
        XCTAssertEqual(image.width, EmotionPlot.Layout.width)
    }

    /// A realistic 90 s interview with two people, for looking at: set FERDASH_PLOT_EXAMPLE to a
    /// path to keep the picture (otherwise it goes to a temporary folder).
    func testExampleTwoFaceTimeline() throws {
        var random = SplitMix64(seed: 90)
        var plot = EmotionPlot(title: "interview_take2.mp4", duration: 90)
        func mix(_ weights: [Emotion: Float]) -> [Float] {
            let raw = Emotion.allCases.map { max(0.001, (weights[$0] ?? 0.02) + 0.05 * random.gaussian()) }
            let total = raw.reduce(0, +)
            return raw.map { $0 / total }
        }
        let fps = 10.0
        for i in 0..<Int(90 * fps) {
            let t = Double(i) / fps
            var faces: [(id: Int, p: [Float])] = []
            // The host: calm, laughs from 20 s to 38 s, surprised at 50 s, sad from 62 s to 78 s.
            if !(t >= 30.5 && t < 32) {   // looks away for a moment
                let host: [Emotion: Float] = t >= 20 && t < 38 ? [.happy: 0.75, .neutral: 0.15]
                    : abs(t - 50) < 2 ? [.surprise: 0.7, .fear: 0.15, .neutral: 0.1]
                    : t >= 62 && t < 78 ? [.sad: 0.55, .neutral: 0.3]
                    : [.neutral: 0.7, .happy: 0.1]
                faces.append((0, mix(host)))
            }
            // The guest: joins at 12 s, leaves the frame from 44 s to 55 s, gone after 84 s; mostly
            // neutral with a burst of anger and disgust around 70 s.
            if t >= 12 && !(t >= 44 && t < 55) && t < 84 {
                let guest: [Emotion: Float] = abs(t - 70) < 4 ? [.anger: 0.5, .disgust: 0.25, .neutral: 0.15]
                    : [.neutral: 0.55, .sad: 0.15, .happy: 0.1]
                faces.append((1, mix(guest)))
            }
            plot.add(frame(i, fps: fps, faces))
        }
        let dir = TempDir()
        let path = ProcessInfo.processInfo.environment["FERDASH_PLOT_EXAMPLE"] ?? dir.file("example.png")
        try plot.write(path: path)
        let back = try ImageFile.readGray(path: path)
        XCTAssertEqual(back.height, EmotionPlot.Layout(panels: 2, hidden: 0).height)
        XCTAssertEqual(plot.faces.map(\.dominant), [.neutral, .neutral])
    }
}
