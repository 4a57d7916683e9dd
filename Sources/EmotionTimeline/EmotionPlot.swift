import FERData

/// The picture `ferdash video --plot` writes for one video: the seven probabilities over time,
/// one panel per face (the faces seen most first), with a clock on the time axis. A person reads
/// a video's mood from this at a glance rather than from the CSV.
///
/// Frames are folded into time bins as they arrive, so an hour of video costs the same memory
/// as a minute: at most `maxBins` bins per face, each the mean of the frames in it. When the
/// video outgrows the bins, neighbours merge pairwise and the bin width doubles.
public struct EmotionPlot: Sendable {
    static let maxBins = 1000
    static let maxPanels = 6

    let title: String
    let duration: Double?
    /// Seconds per bin; bin `g` covers [g·binWidth, (g+1)·binWidth).
    private(set) var binWidth: Double
    /// Analysed frames per bin, with faces or without. A bin with frames but none of a face's is
    /// where that face was absent: its lines break there. A bin with no frames at all says
    /// nothing (bins finer than the analysis rate, a frame dropped): lines bridge it.
    private(set) var framesPerBin: [Int32] = []
    private(set) var faces: [FaceBins] = []
    /// What each face "mostly" showed, when the caller has it by a better rule than the plot's
    /// mean probabilities: `TimelineSummary`'s share of visible time, so the picture and the
    /// printed summary name the same emotion.
    public var dominantEmotions: [Int: Emotion] = [:]
    private var slotOfFace: [Int: Int] = [:]
    private(set) var frameCount = 0
    private(set) var lastTimestamp = 0.0

    /// `title`: what the picture is of (the video's file name); `duration`: the video's length
    /// in seconds if the container says, so the time axis spans the whole video even where no
    /// frame was analysed; without it the axis ends at the last frame seen.
    public init(title: String, duration: Double? = nil) {
        self.title = title
        self.duration = duration.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        // A known length fills the bins exactly once; otherwise start at 1/25 s (no frame finer
        // than a frame interval) and let doubling find the scale.
        binWidth = max(self.duration.map { $0 / Double(Self.maxBins) } ?? 0.04, 0.001)
    }

    /// Adds one analysed frame. Frames come in time order (a frame out of order still lands in
    /// its own bin).
    public mutating func add(_ frame: FrameAnalysis) {
        let t = frame.timestamp.isFinite ? max(0, frame.timestamp) : lastTimestamp
        while t / binWidth >= Double(Self.maxBins) { coarsen() }
        let bin = min(Int(t / binWidth), Self.maxBins - 1)
        if framesPerBin.count <= bin { framesPerBin.append(contentsOf: repeatElement(0, count: bin + 1 - framesPerBin.count)) }
        framesPerBin[bin] += 1
        frameCount += 1
        lastTimestamp = max(lastTimestamp, t)
        for face in frame.faces {
            let slot: Int
            if let known = slotOfFace[face.faceID] {
                slot = known
            } else {
                slot = faces.count
                slotOfFace[face.faceID] = slot
                faces.append(FaceBins(faceID: face.faceID, firstBin: bin))
            }
            faces[slot].add(face.probabilities, bin: bin)
        }
    }

    /// Doubles the bin width: bins 2g and 2g+1 become bin g, for the frame counts and every face.
    mutating func coarsen() {
        binWidth *= 2
        var merged = [Int32](repeating: 0, count: (framesPerBin.count + 1) / 2)
        for (g, n) in framesPerBin.enumerated() { merged[g / 2] += n }
        framesPerBin = merged
        for i in faces.indices { faces[i].halve() }
    }

    /// The most bins any face holds (for the memory bound's test).
    var largestBinCount: Int { max(framesPerBin.count, faces.map(\.counts.count).max() ?? 0) }

    /// Seconds the time axis spans: the whole video when its length is known, else what was seen.
    var span: Double { max(duration ?? 0, lastTimestamp, 1) }

    /// The faces in the order their panels appear: the most often seen first, then by ID.
    var facesByVisibility: [FaceBins] {
        faces.sorted { ($0.observations, -$0.faceID) > ($1.observations, -$1.faceID) }
    }

    // MARK: drawing

    /// The picture as 8-bit RGB rows, top to bottom.
    public func render() -> (rgb: [UInt8], width: Int, height: Int) {
        let ranked = facesByVisibility
        let shown = Array(ranked.prefix(Self.maxPanels))
        let layout = Layout(panels: max(1, shown.count), hidden: ranked.count - shown.count)
        var canvas = PlotCanvas(width: Layout.width, height: layout.height, paper: Palette.paper)
        drawHeader(on: &canvas)
        drawLegend(on: &canvas)
        if shown.isEmpty {
            drawPanel(nil, index: 0, on: &canvas)
        } else {
            for (index, face) in shown.enumerated() { drawPanel(face, index: index, on: &canvas) }
        }
        if layout.hidden > 0 {
            let more = "+\(layout.hidden) MORE \(layout.hidden == 1 ? "FACE" : "FACES") NOT SHOWN (SEEN LESS)"
            canvas.text(more, x: Layout.left, y: Layout.panelTop(layout.panels), scale: 2, Palette.muted)
        }
        return (canvas.rgb, canvas.width, canvas.height)
    }

    /// Writes the picture as a PNG; a failure throws an error naming the file.
    public func write(path: String) throws {
        let image = render()
        try ImageFile.writePNG(rgb: image.rgb, width: image.width, height: image.height, path: path)
    }

    /// File name, length and number of faces on one line: the name large, the facts beside it.
    func drawHeader(on canvas: inout PlotCanvas) {
        let count = faces.count
        let facts = "\(TimeText.clock(duration ?? lastTimestamp))   "
            + (count == 0 ? "NO FACES" : "\(count) \(count == 1 ? "FACE" : "FACES")")
        let factsWidth = PixelFont.width(facts, scale: 2)
        // A long name keeps its end (the extension and the distinguishing part), led by "...".
        let room = (Layout.width - Layout.left - Layout.right - factsWidth - 24 + 3) / 12
        var name = title.uppercased()
        if name.count > room { name = "..." + String(name.suffix(max(1, room - 3))) }
        canvas.text(name, x: Layout.left, y: Layout.titleTop, scale: 3, Palette.ink)
        let factsX = Layout.left + PixelFont.width(name, scale: 3) + 24
        canvas.text(facts, x: factsX, y: Layout.titleTop + 5, scale: 2, Palette.muted)
    }

    /// The seven names, each in its colour after a short stroke of its line.
    func drawLegend(on canvas: inout PlotCanvas) {
        var x = Layout.left
        let y = Layout.legendTop
        for emotion in Emotion.allCases {
            let colour = Palette.emotion(emotion)
            canvas.fill(x: x, y: y + 4, width: 16, height: 3, colour)
            x += 22
            let name = emotion.name.uppercased()
            canvas.text(name, x: x, y: y, scale: 2, colour)
            x += PixelFont.width(name, scale: 2) + 22
        }
    }

    /// One face's panel: its label, the grid and axes, then its seven lines. `nil` draws the
    /// empty axes of a video where no face was found.
    func drawPanel(_ face: FaceBins?, index: Int, on canvas: inout PlotCanvas) {
        let top = Layout.panelTop(index)
        if let face {
            let dominant = dominantEmotions[face.faceID] ?? face.dominant
            var x = Layout.left
            func say(_ text: String, _ colour: RGB) {
                canvas.text(text, x: x, y: top, scale: 2, colour)
                x += PixelFont.width(text, scale: 2) + 8
            }
            say("FACE \(face.faceID)", Palette.ink)
            say("  MOSTLY", Palette.muted)
            say(dominant.name.uppercased(), Palette.emotion(dominant))
            let seen = frameCount == 0 ? 0 : min(100, Int((100 * Double(face.observations) / Double(frameCount)).rounded()))
            say("  SEEN IN \(seen)% OF ANALYSED FRAMES", Palette.muted)
        } else {
            canvas.text("NO FACE FOUND", x: Layout.left, y: top, scale: 2, Palette.ink)
        }
        let plot = Layout.plotRect(index)
        drawGrid(plot, on: &canvas)
        if let face { drawLines(face, plot, on: &canvas) }
    }

    /// Light lines at 25, 50 and 75 %, faint ones at the time ticks, the axes and their labels.
    func drawGrid(_ plot: Layout.Rect, on canvas: inout PlotCanvas) {
        let span = self.span
        let step = Self.tickInterval(forSpan: span, maxTicks: plot.width / 90)
        var t = 0.0
        while t <= span + 1e-9 {
            let x = min(plot.x + plot.width - 1, Int(plot.column(t, span: span)))
            if t > 0 { canvas.fill(x: x, y: plot.y, width: 1, height: plot.height, Palette.tickGrid) }
            canvas.fill(x: x, y: plot.y + plot.height, width: 1, height: 5, Palette.axis)
            let label = TimeText.clock(t), labelWidth = PixelFont.width(label, scale: 2)
            let labelX = min(Layout.width - 4 - labelWidth, max(4, x - labelWidth / 2))
            canvas.text(label, x: labelX, y: plot.y + plot.height + 9, scale: 2, Palette.muted)
            t += step
        }
        for percent in [25, 50, 75] {
            canvas.fill(x: plot.x, y: plot.row(Double(percent) / 100), width: plot.width, height: 1, Palette.grid)
        }
        for percent in [0, 50, 100] {
            let label = "\(percent)%", y = plot.row(Double(percent) / 100)
            canvas.text(label, x: plot.x - 10 - PixelFont.width(label, scale: 2), y: y - 5, scale: 2, Palette.muted)
        }
        canvas.fill(x: plot.x - 1, y: plot.y, width: 1, height: plot.height + 1, Palette.axis)
        canvas.fill(x: plot.x - 1, y: plot.y + plot.height, width: plot.width + 1, height: 1, Palette.axis)
    }

    /// Seven polylines through the bins' means, the face's strongest emotion drawn last so it
    /// stays on top. A line breaks where the face was absent; a lone bin between absences shows
    /// as a short dash.
    func drawLines(_ face: FaceBins, _ plot: Layout.Rect, on canvas: inout PlotCanvas) {
        let span = self.span
        let totals = face.totals
        let order = Emotion.allCases.sorted { totals[$0.rawValue] < totals[$1.rawValue] }
        for emotion in order {
            let colour = Palette.emotion(emotion)
            var previous: (x: Double, y: Double)?
            var runLength = 0
            func endRun() {
                if runLength == 1, let p = previous { canvas.line(p.x - 1.5, p.y, p.x + 1.5, p.y, thickness: 2, colour) }
                previous = nil; runLength = 0
            }
            for (k, count) in face.counts.enumerated() {
                let g = face.firstBin + k
                guard count > 0 else {
                    if framesPerBin[g] > 0 { endRun() }
                    continue
                }
                let mean = Double(face.sums[k * Emotion.count + emotion.rawValue]) / Double(count)
                let t = min(span, (Double(g) + 0.5) * binWidth)
                let point = (x: plot.column(t, span: span), y: plot.level(mean))
                if let p = previous { canvas.line(p.x, p.y, point.x, point.y, thickness: 2, colour) }
                previous = point
                runLength += 1
            }
            endRun()
        }
    }

    // MARK: axis helpers

    /// Steps a clock reads easily, in seconds: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min,
    /// 1, 2, 3, 6, 12 h, a day.
    static let niceSteps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

    /// The smallest nice step that puts at most `maxTicks` ticks after 0:00 on a `seconds`-long
    /// axis (never below a second: the labels show whole seconds); past a day, whole days doubled.
    public static func tickInterval(forSpan seconds: Double, maxTicks: Int) -> Double {
        let span = seconds.isFinite ? max(0, seconds) : 0, most = Double(max(1, maxTicks))
        if let step = niceSteps.first(where: { span / $0 <= most }) { return step }
        var step = niceSteps.last!
        while span / step > most { step *= 2 }
        return step
    }
}

/// One face's bins: the sums of its probabilities and how many observations each bin holds,
/// from the bin it first appeared in to the last one it was seen in.
struct FaceBins: Sendable {
    let faceID: Int
    /// The global bin index of `counts[0]`.
    private(set) var firstBin: Int
    private(set) var counts: [Int32] = []
    /// Seven per bin, in `Emotion` order.
    private(set) var sums: [Float] = []
    private(set) var observations = 0

    init(faceID: Int, firstBin: Int) { self.faceID = faceID; self.firstBin = firstBin }

    mutating func add(_ probabilities: [Float], bin: Int) {
        if bin < firstBin {
            let extra = firstBin - bin
            counts.insert(contentsOf: repeatElement(0, count: extra), at: 0)
            sums.insert(contentsOf: repeatElement(0, count: Emotion.count * extra), at: 0)
            firstBin = bin
        }
        if bin >= firstBin + counts.count {
            let extra = bin + 1 - firstBin - counts.count
            counts.append(contentsOf: repeatElement(0, count: extra))
            sums.append(contentsOf: repeatElement(0, count: Emotion.count * extra))
        }
        let k = bin - firstBin
        counts[k] += 1
        for e in 0..<Emotion.count {
            // A broken value (NaN from a diverged network) counts as 0 instead of spoiling the bin.
            let p = probabilities[e].isFinite ? min(1, max(0, probabilities[e])) : 0
            sums[k * Emotion.count + e] += p
        }
        observations += 1
    }

    /// Follows `EmotionPlot.coarsen`: global bins 2g and 2g+1 become g.
    mutating func halve() {
        guard !counts.isEmpty else { firstBin /= 2; return }
        let first = firstBin / 2, last = (firstBin + counts.count - 1) / 2
        var newCounts = [Int32](repeating: 0, count: last - first + 1)
        var newSums = [Float](repeating: 0, count: Emotion.count * newCounts.count)
        for k in counts.indices {
            let j = (firstBin + k) / 2 - first
            newCounts[j] += counts[k]
            for e in 0..<Emotion.count { newSums[j * Emotion.count + e] += sums[k * Emotion.count + e] }
        }
        firstBin = first; counts = newCounts; sums = newSums
    }

    /// Each emotion's probability summed over every observation: what the face mostly showed,
    /// and the order its lines are drawn in. Summed from the bins when drawing rather than kept
    /// up to date, as `add` is the hot path (every face of every analysed frame).
    var totals: [Double] {
        var totals = [Double](repeating: 0, count: Emotion.count)
        for (i, sum) in sums.enumerated() { totals[i % Emotion.count] += Double(sum) }
        return totals
    }

    /// The emotion with the highest mean probability over the face's observations.
    var dominant: Emotion {
        Emotion(mostLikelyIn: totals)
    }
}

extension EmotionPlot {
    /// Where everything sits, in pixels. About 1000 px wide; 180 px more per face panel.
    struct Layout {
        static let width = 1000
        static let left = 64, right = 24
        static let titleTop = 16
        static let legendTop = 46
        static let panelsTop = 80
        static let panelHeight = 180
        /// From a panel's label to its plot area, and the plot area's height.
        static let labelToPlot = 20, plotHeight = 120

        let panels: Int, hidden: Int
        var height: Int { Self.panelTop(panels) + (hidden > 0 ? 24 : 0) + 4 }

        static func panelTop(_ index: Int) -> Int { panelsTop + index * panelHeight }

        /// The area a panel's lines are drawn in; its axes sit just outside, left and below.
        static func plotRect(_ index: Int) -> Rect {
            Rect(x: left, y: panelTop(index) + labelToPlot, width: width - left - right, height: plotHeight)
        }

        struct Rect {
            let x: Int, y: Int, width: Int, height: Int

            /// The column a time falls on, as a continuous coordinate.
            func column(_ t: Double, span: Double) -> Double { Double(x) + min(1, max(0, t / span)) * Double(width) }

            /// The centre of a 2 px line at probability `p`: inset one pixel so 0 and 100 % stay inside.
            func level(_ p: Double) -> Double { Double(y) + 1 + (1 - min(1, max(0, p))) * Double(height - 2) }

            /// The pixel row of a grid line at probability `p`.
            func row(_ p: Double) -> Int { Int(level(p)) }
        }
    }

    /// The picture's colours. The emotions use Okabe and Ito's palette for colour-blind
    /// readers (the dashboard has no colours per emotion to agree with), neutral a plain gray.
    enum Palette {
        static let paper = RGB(255, 255, 255)
        static let ink = RGB(40, 40, 40)
        static let muted = RGB(110, 110, 110)
        static let axis = RGB(150, 150, 150)
        static let grid = RGB(222, 222, 222)
        static let tickGrid = RGB(240, 240, 240)

        static func emotion(_ emotion: Emotion) -> RGB {
            switch emotion {
            case .anger: RGB(213, 94, 0)        // vermillion
            case .disgust: RGB(0, 158, 115)     // bluish green
            case .fear: RGB(204, 121, 167)      // reddish purple
            case .happy: RGB(230, 159, 0)       // orange
            case .sad: RGB(0, 114, 178)         // blue
            case .surprise: RGB(86, 180, 233)   // sky blue
            case .neutral: RGB(120, 120, 120)   // gray
            }
        }
    }
}
