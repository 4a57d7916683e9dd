import Foundation
import FERData
import FERTraining
import TermUI

/// Screen layout and panels: pure views of `AppState` drawn into a `CellGrid`.
public enum DashboardView {
    public static let minWidth = 80, minHeight = 24
    public static let classNames = Emotion.allCases.map { $0.name }

    public static func render(_ s: AppState, width: Int, height: Int, caps: Capabilities) -> CellGrid {
        var g = CellGrid(width: width, height: height)
        draw(s, into: &g, caps: caps)
        return g
    }

    /// Draws the screen over whatever `g` holds: every cell is written (the tests start from a
    /// grid of "x" to prove it), so no earlier frame can show through.
    public static func draw(_ s: AppState, into g: inout CellGrid, caps: Capabilities) {
        let width = g.width, height = g.height
        let glyphs = Glyphs(unicode: caps.unicode)
        guard width >= minWidth && height >= minHeight else {
            drawTooSmall(&g, glyphs: glyphs)
            return
        }
        let layout = DashboardLayout(width: width, height: height)
        drawStatus(&g, layout.status, s, caps)
        if s.gallery != nil {
            drawGallery(&g, layout, s, caps)
        } else {
            drawLoss(&g, layout.loss, s, caps)
            drawConfusion(&g, layout.confusion, s, caps)
            drawSample(&g, layout.sample, s, caps)
        }
        drawHint(&g, layout.hint, s, caps)

        switch s.overlay {
        case .help: drawHelp(&g, caps)
        case .confirmQuit: drawConfirm(&g, caps)
        case .prompt(let field): drawPrompt(&g, layout.hint, field, s, caps)
        case .none: break
        }
    }

    static func drawTooSmall(_ g: inout CellGrid, glyphs: Glyphs) {
        g.fill(g.bounds)
        let lines = ["terminal too small (need \(minWidth)×\(minHeight))".replacingOccurrences(of: "×", with: glyphs.unicode ? "×" : "x"),
                     "now \(g.width)\(glyphs.unicode ? "×" : "x")\(g.height)", "q quits"]
        let top = max(0, (g.height - lines.count) / 2)
        for (i, l) in lines.enumerated() {
            let t = l.clipped(g.width)
            g.put(t, x: max(0, (g.width - t.count) / 2), y: top + i, i == 0 ? .bold : .plain)
        }
    }

    // MARK: status

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite && seconds >= 0 else { return "--" }
        let t = Int(seconds)
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }


    /// A piece of the status panel; pieces flow left to right and wrap to the next line.
    enum Segment {
        case text(String, Style)
        case bar(width: Int, fraction: Double, style: Style)
        case lineBreak
        var width: Int {
            switch self {
            case .text(let t, _): return t.count
            case .bar(let w, _, _): return w
            case .lineBreak: return 0
            }
        }
    }

    static func flow(_ g: inout CellGrid, _ r: Rect, _ segments: [Segment], glyphs: Glyphs) -> Int {
        var x = r.x, y = r.y
        for seg in segments {
            if case .lineBreak = seg {
                if x > r.x { y += 1; x = r.x }
                continue
            }
            let w = seg.width + (x > r.x ? 2 : 0)
            if x + w > r.maxX && x > r.x {
                // On the last line a piece that does not fit is skipped; a smaller later one may still fit.
                if y + 1 >= r.maxY { continue }
                y += 1; x = r.x
            }
            guard y < r.maxY else { break }
            if x > r.x { x += 2 }
            switch seg {
            case .text(let t, let st):
                x = g.put(t.clipped(r.maxX - x, ellipsis: glyphs.ellipsis), x: x, y: y, st, clip: r)
            case .bar(let w, let f, let st):
                Widgets.bar(&g, x: x, y: y, width: min(w, r.maxX - x), fraction: f, style: st, glyphs: glyphs)
                x += w
            case .lineBreak: break
            }
        }
        return x > r.x ? y + 1 : y
    }

    static func drawStatus(_ g: inout CellGrid, _ r: Rect, _ s: AppState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        let inner = Widgets.box(&g, r, title: "ferdash " + (s.watch != nil ? "watch " : "") + (glyphs.unicode ? "— " : "- ") + "Status",
                                glyphs: glyphs)
        guard !inner.isEmpty else { return }
        var msg = s.message
        var msgIsError = s.messageIsError
        if case .failed(let m) = s.phase, s.message == nil { msg = "training failed: \(m)"; msgIsError = true }
        if msg == nil, let c = s.lastCheckpoint { msg = "last checkpoint: step \(c.step)\(c.isBest ? " (best)" : "")  \(c.path)" }
        // The message always keeps the last line; progress and data flow into the rest.
        let (flowR, msgR) = msg != nil && inner.height >= 2 ? inner.splitBottom(1) : (inner, Rect(x: 0, y: 0, width: 0, height: 0))
        let word = s.quitting && s.phase.isLive ? "stopping" : (s.pauseRequested && s.phase == .running ? "pausing" : s.phase.word)
        let theme = Theme(caps: caps)
        var segs: [Segment] = [s.watch.map { watchWord($0, theme) } ?? .text(word, theme.phase(s.phase))]
        let step = s.lastStep?.step ?? s.info?.firstStep ?? 0
        if let info = s.info {
            let frac = info.totalSteps > 0 ? Double(step) / Double(info.totalSteps) : 0
            // An older run may not have recorded its planned length.
            segs.append(.text(info.totalSteps > 0 ? "step \(step)/\(info.totalSteps)" : "step \(step)", .bold))
            segs.append(.bar(width: inner.width >= 110 ? 24 : 12, fraction: frac, style: theme.progress))
            segs.append(.text(String(format: "%.1f%%", frac * 100), .plain))
            segs.append(.text(String(format: "epoch %.2f", s.lastStep?.epoch ?? 0), .plain))
            if let st = s.lastStep {
                // Most useful first: on a narrow screen the tail is what gets dropped.
                let done = Double(st.step - (s.firstStepSeen ?? info.firstStep))
                let eta = done > 0 && s.progressing ? st.elapsed / done * Double(info.totalSteps - st.step) : .nan
                segs.append(.text("ETA \(duration(eta))", .plain))
                segs.append(.text(String(format: "%.0f img/s", st.imagesPerSecond), .plain))
                segs.append(.text("elapsed \(duration(st.elapsed))", .plain))
                segs.append(.text(String(format: "lr %.2e", st.learningRate), .plain))
            }
        } else if s.watch != nil {
            segs.append(.text("the run has not written its start yet", .dim))
        } else if s.phase == .starting {
            segs.append(.text("waiting for the training session…", .dim))
        } else if s.phase == .browsing {
            segs.append(.text(s.hasModel ? "model loaded: predictions on" : "no model: browsing only", .dim))
        }
        // Wide: data on its own line. Narrow: it flows after the progress and fills what is left.
        if flowR.height >= 2 && inner.width >= 110 { segs.append(.lineBreak) }
        let d = s.dataset
        let dot = caps.unicode ? "·" : "/"
        segs.append(.text("data \(d.name)", .plain))
        segs.append(.text("train \(d.train.count) \(dot) val \(d.validation.count) \(dot) test \(d.test.count)", .plain))
        if let info = s.info {
            segs.append(.text("arch \(info.architecture)  batch \(info.batchSize)", .plain))
            segs.append(.text("run \(info.runDirectory)", .plain))
        }
        if let w = s.watch {
            if let last = w.lastWrite { segs.append(.text("written \(ago(w.checkedAt.timeIntervalSince(last)))", .plain)) }
            if let trainer = w.trainer { segs.append(.text("trainer \(trainer)", .dim)) }
        }
        _ = flow(&g, flowR, segs, glyphs: glyphs)
        if let m = msg, !msgR.isEmpty {
            let style: Style = msgIsError ? theme.error : .plain
            g.fill(msgR)
            g.put(m.clipped(msgR.width, ellipsis: glyphs.ellipsis), x: msgR.x, y: msgR.y, style, clip: msgR)
        }
    }

    /// Watching: the run's state as its files tell it.
    static func watchWord(_ w: WatchStatus, _ theme: Theme) -> Segment {
        let style: Style
        var word = w.state.word
        switch w.state {
        case .running: style = theme.working
        case .finished, .stopped: style = theme.done
        case .failed: style = theme.broken
        case .stale(let since):
            style = theme.halted
            word += " since " + clockTime(since, w.timeZone)
        }
        return .text(word, style)
    }

    public static func clockTime(_ date: Date, _ zone: TimeZone = .current) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    public static func ago(_ seconds: Double) -> String {
        let t = max(0, Int(seconds))
        if t < 60 { return "\(t)s ago" }
        if t < 3600 { return "\(t / 60)m ago" }
        return t < 86400 ? "\(t / 3600)h \(t / 60 % 60)m ago" : "\(t / 86400)d ago"
    }

    // MARK: loss

    static func drawLoss(_ g: inout CellGrid, _ r: Rect, _ s: AppState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        let title = String(format: "Loss  smoothing %.2f%@", s.smoothing, s.logY ? "  log-y" : "")
        let inner = Widgets.box(&g, r, title: title, glyphs: glyphs)
        guard !inner.isEmpty else { return }
        let (chartR, accR) = inner.splitBottom(1)
        // Reduce to ~2 points per braille column before drawing: long runs stay cheap and keep extremes.
        let buckets = max(1, (chartR.width - 8) * (caps.unicode ? 2 : 1))
        let raw = Curves.bucketMinMax(steps: s.lossSteps, values: s.losses.map { Double($0) }, buckets: buckets)
        let smooth = Curves.bucketMinMax(steps: s.lossSteps, values: Curves.debiasedEMA(s.losses, weight: s.smoothing), buckets: buckets)
        let val = s.evals.map { (x: Double($0.step), y: Double($0.loss)) }
        let theme = Theme(caps: caps)
        let short = chartR.width < 64   // legend must fit beside the y labels
        var series = [
            ChartSeries(name: short ? "raw" : "train (raw)", points: raw, style: theme.faintCurve,
                        marker: ".", inLegend: s.smoothingPercent > 0),
            ChartSeries(name: s.smoothingPercent > 0 ? (short ? "smoothed" : "train (smoothed)") : "train", points: smooth,
                        style: theme.mainCurve, marker: "*"),
        ]
        if s.smoothingPercent == 0 { series.removeFirst() }
        series.append(ChartSeries(name: short ? "val" : "validation", points: val, style: theme.secondCurve,
                                  marker: "o", connect: true))
        if s.phase == .browsing && s.lossSteps.isEmpty && s.evals.isEmpty {
            drawBrowseLossNote(&g, chartR, s)
            return
        }
        if let info = s.info, !s.comparisons.isEmpty {
            drawComparison(&g, chartR, legendR: accR, s, info: info, live: series, caps)
            return
        }
        LineChart(series: series, logY: s.logY).draw(&g, chartR, caps: caps)
        // Validation accuracy under the chart: latest, best and a sparkline of every evaluation.
        if let last = s.evals.last {
            let best = s.evals.map { $0.accuracy }.max() ?? 0
            var x = g.put(String(format: "val acc %.1f%%  best %.1f%%  ", last.accuracy * 100, best * 100), x: accR.x, y: accR.y, .bold, clip: accR)
            let room = accR.maxX - x
            let accs = s.evals.suffix(max(0, room)).map { $0.accuracy }
            x = g.put(Curves.sparkline(Array(accs), unicode: caps.unicode), x: x, y: accR.y,
                      theme.secondTrend, clip: accR)
        } else {
            g.put("val acc: no evaluation yet", x: accR.x, y: accR.y, .dim, clip: accR)
        }
    }

    /// `--compare`: other runs' validation loss behind the live curves and, when there is room,
    /// a validation-accuracy chart under them on the same axis; one legend line names the runs.
    static func drawComparison(_ g: inout CellGrid, _ r: Rect, legendR: Rect, _ s: AppState, info: SessionInfo,
                               live: [ChartSeries], _ caps: Capabilities) {
        let theme = Theme(caps: caps)
        // An epoch of another run sits where the live run reaches the same epoch; its curve is
        // shown over the live run's planned length.
        let perEpoch = Double(info.stepsPerEpoch)
        let end = Double(max(info.totalSteps, s.lastStep?.step ?? 0, 1))
        let others = s.comparisons.enumerated().map { i, run in
            (run: run, style: theme.comparedRun(i),
             marker: compareMarkers[i % compareMarkers.count],
             points: run.points.map { (x: $0.epoch * perEpoch, p: $0) }.filter { $0.x <= end })
        }
        let xs = live.flatMap { $0.points.map(\.x) } + others.flatMap { $0.points.map(\.x) }
        let xRange = (xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1)
        let lossSeries = others.map {
            ChartSeries(name: $0.run.name, points: $0.points.map { (x: $0.x, y: $0.p.loss) }, style: $0.style,
                        marker: $0.marker, inLegend: false)
        } + live   // drawn last: the live run stays in front
        let withAccuracy = r.height >= 14
        let (lossR, accuracyR) = withAccuracy ? r.splitBottom(r.height * 2 / 5) : (r, Rect(x: 0, y: 0, width: 0, height: 0))
        LineChart(series: lossSeries, logY: s.logY, xRange: xRange).draw(&g, lossR, caps: caps)
        if withAccuracy {
            let accuracySeries = others.map {
                ChartSeries(name: $0.run.name, points: $0.points.map { (x: $0.x, y: $0.p.accuracy) }, style: $0.style,
                            marker: $0.marker, inLegend: false)
            } + [ChartSeries(name: "validation accuracy", points: s.evals.map { (x: Double($0.step), y: $0.accuracy) },
                             style: theme.secondCurve, marker: "o")]
            LineChart(series: accuracySeries, xRange: xRange).draw(&g, accuracyR, caps: caps)
        }
        // Legend: each run's colour, name and best validation accuracy.
        func best(_ a: Double?) -> String { a.map { String(format: " %.1f%%", $0 * 100) } ?? "" }
        let mark = caps.unicode ? "━" : "-"
        var x = g.put(mark, x: legendR.x, y: legendR.y, theme.secondCurve, clip: legendR)
        x = g.put(" this run" + best(s.evals.map(\.accuracy).max()) + "  ", x: x, y: legendR.y, .bold, clip: legendR)
        for o in others {
            x = g.put(caps.unicode ? mark : String(o.marker), x: x, y: legendR.y, o.style, clip: legendR)
            x = g.put(" " + o.run.name + best(o.run.bestAccuracy) + "  ", x: x, y: legendR.y, .plain, clip: legendR)
        }
    }

    static let compareMarkers: [Character] = ["+", "x", "#", "%", "&"]

    // MARK: confusion

    static func drawConfusion(_ g: inout CellGrid, _ r: Rect, _ s: AppState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        let focused = s.focus == .confusion
        var title = focused ? (caps.unicode ? "▶ Confusion" : "> Confusion") : "Confusion"
        if let e = s.shownEval { title += confusionTitleTail(e, s, room: r.width - 4 - title.count) }
        let inner = Widgets.box(&g, r, title: title, glyphs: glyphs)
        guard !inner.isEmpty else { return }
        guard let e = s.shownEval, let view = confusionView(s) else {
            g.put(confusionWaiting(s), x: inner.x, y: inner.y, .dim, clip: inner)
            return
        }
        view.draw(&g, inner, caps: caps)
        let footY = inner.y + e.confusion.classes + 1
        if footY < inner.maxY {
            let c = e.confusion
            var foot = String(format: "accuracy %.1f%% (%d/%d)  %@ %.4f", c.accuracy * 100, c.correct, c.total, lossLabel(e),
                              e.validationLoss)
            if foot.count + 30 <= inner.width { foot += "  rows: true, columns: predicted" }
            g.put(foot, x: inner.x, y: footY, .plain, clip: inner)
        }
    }

    /// The matrix of the evaluation shown as drawn (and as a click finds its cells); nil before one.
    static func confusionView(_ s: AppState) -> ConfusionView? {
        guard let e = s.shownEval else { return nil }
        return ConfusionView(counts: e.confusion.counts, names: classNames, percent: s.confusionPercent,
                             cursor: s.focus == .confusion ? (s.confusionCursor.truth, s.confusionCursor.predicted) : nil)
    }

    // MARK: sample

    /// What the Sample panel shows: a face (from the dataset or a file) with what is known about
    /// it, why a file could not be read, or that the split is empty.
    enum SampleContent {
        case face(header: String, pixels: [UInt8]?, truth: Int?, note: String?)
        case fileError(String)
        /// Watching a run whose dataset could not be loaded: why.
        case datasetNote(String)
        case empty
    }

    static func sampleContent(_ s: AppState) -> SampleContent {
        if let f = s.file {
            return .face(header: (f.path as NSString).lastPathComponent, pixels: f.pixels, truth: nil, note: f.note)
        }
        if let err = s.fileError { return .fileError(err) }
        guard let idx = s.currentIndex else {
            if let note = s.watch?.datasetNote, s.dataset.train.isEmpty && s.dataset.validation.isEmpty && s.dataset.test.isEmpty {
                return .datasetNote(note)
            }
            return .empty
        }
        let set = s.dataset[s.currentSplit]
        var header = "\(s.currentSplit.rawValue) #\(idx)/\(set.count)"
        if let f = s.filter { header += " \(f == .misclassified ? "miscl" : "sel") \(s.position + 1)/\(s.browseCount)" }
        let l = Int(set.labels[idx])
        return .face(header: header, pixels: Array(set.image(idx)), truth: l >= 0 ? l : nil, note: nil)
    }

    static func drawSample(_ g: inout CellGrid, _ r: Rect, _ s: AppState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        var title = s.file != nil ? "Sample  file" : "Sample"
        if s.file == nil, let f = s.filter {
            title += "  " + filterTitle(f, room: r.width - 4 - title.count - 2 - (s.saliencyShown ? 10 : 0), unicode: caps.unicode)
        }
        if s.saliencyShown { title += "  saliency" }
        let inner = Widgets.box(&g, r, title: title, glyphs: glyphs)
        guard !inner.isEmpty else { return }
        switch sampleContent(s) {
        case .face(let header, let pixels, let truth, let note):
            drawFace(&g, inner, header: header, pixels: pixels, truth: truth, note: note, s, caps)
        case .fileError(let message):
            drawFileError(&g, inner, message, Theme(caps: caps))
        case .datasetNote(let note):
            var y = inner.y
            for line in wrapped(note, width: inner.width) where y < inner.maxY { g.put(line, x: inner.x, y: y, .dim, clip: inner); y += 1 }
        case .empty:
            g.put("no images in this split", x: inner.x, y: inner.y, .dim, clip: inner)
        }
    }

    static func drawFileError(_ g: inout CellGrid, _ inner: Rect, _ message: String, _ theme: Theme) {
        g.put("cannot predict:", x: inner.x, y: inner.y, .bold, clip: inner)
        var y = inner.y + 1
        // Wrap the message so a long path stays readable.
        var rest = Substring(message)
        while !rest.isEmpty && y < inner.maxY - 1 {
            g.put(String(rest.prefix(inner.width)), x: inner.x, y: y, theme.errorText, clip: inner)
            rest = rest.dropFirst(inner.width); y += 1
        }
        g.put("Esc returns to the dataset", x: inner.x, y: y + 1, .dim, clip: inner)
    }

    /// The filter's title words in at most `room` characters if possible: full class names,
    /// then three-letter ones, then without "true" and "pred".
    static func filterTitle(_ f: SampleFilter, room: Int, unicode: Bool) -> String {
        let short = classNames.map { String($0.prefix(3)) }
        let forms = [f.title(names: classNames, unicode: unicode), f.title(names: short, unicode: unicode),
                     f.title(names: short, unicode: unicode).replacingOccurrences(of: "true ", with: "")
                         .replacingOccurrences(of: " pred ", with: " ")]
        return forms.first { $0.count <= room } ?? forms[2]
    }

    /// Headline, the note (unless it would push a full-size face out), the face and the bars.
    static func drawFace(_ g: inout CellGrid, _ inner: Rect, header: String, pixels: [UInt8]?, truth: Int?, note: String?,
                         _ s: AppState, _ caps: Capabilities) {
        let glyphs = Glyphs(unicode: caps.unicode)
        let probs = s.probabilitiesFor == s.showing ? s.probabilities : nil
        let predicted = probs.flatMap { p in p.indices.max { p[$0] < p[$1] } }
        let line = sampleHeadline(header, truth: truth, predicted: predicted, probabilities: probs,
                                  width: inner.width, unicode: caps.unicode)
        let wrong = truth != nil && predicted != nil && truth != predicted
        g.put(line.clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: inner.y,
              wrong ? Theme(caps: caps).error : .bold, clip: inner)
        var top = inner.y + 1
        if let n = note, top < inner.maxY, !SampleLayout.noteWouldShrinkFace(in: inner) {
            g.put(n.clipped(inner.width, ellipsis: glyphs.ellipsis), x: inner.x, y: top, .dim, clip: inner); top += 1
        }
        let body = Rect(x: inner.x, y: top, width: inner.width, height: inner.maxY - top)
        guard let px = pixels, px.count == ImageSet.pixelsPerImage else { return }
        let layout = SampleLayout(body: body)
        let image = ShadedImage(pixels: px, width: ImageSet.side, height: ImageSet.side)
        image.draw(&g, at: layout.face, scale: layout.scale, caps: caps)
        drawBars(&g, layout.bars, probs: probs, truth: truth, predicted: predicted, hasModel: s.hasModel,
                 noModel: s.watch != nil ? "no checkpoint yet: predictions start with the run's first" : nil, caps: caps)
        if s.saliencyShown { drawSaliency(&g, s, inner: inner, image: image, origin: layout.face, scale: layout.scale, caps: caps) }
    }

    /// The `x` overlay: the map over the face once it has come back for this very image, and its
    /// legend written into the panel's bottom border (the body has no row to spare at 80×24).
    static func drawSaliency(_ g: inout CellGrid, _ s: AppState, inner: Rect, image: ShadedImage, origin: (x: Int, y: Int),
                             scale: Int, caps: Capabilities) {
        let legendR = Rect(x: inner.x + 1, y: inner.maxY, width: inner.width - 2, height: 1)
        guard let map = s.saliency, s.saliencyFor == s.showing else {
            g.put(" computing saliency… ", x: legendR.x, y: legendR.y, .dim, clip: legendR)
            return
        }
        let overlay = HeatOverlay(values: map.values, width: ImageSet.side, height: ImageSet.side, ramp: HeatRamp.rgb)
        overlay.draw(&g, over: image, at: origin, scale: scale, caps: caps)
        var x = g.put(" ", x: legendR.x, y: legendR.y, .plain, clip: legendR)
        for (text, style) in overlay.legend(width: legendR.width - classNames[map.classIndex].count - 4, caps: caps) {
            x = g.put(text, x: x, y: legendR.y, style, clip: legendR)
        }
        g.put("  " + classNames[map.classIndex] + " ", x: x, y: legendR.y, .dim, clip: legendR)
    }

    /// "header  true neutral  pred fear 55%": class names spelled out when the line fits,
    /// abbreviated otherwise, and at the narrowest "header  neu→fea 55%".
    static func sampleHeadline(_ header: String, truth: Int?, predicted: Int?, probabilities: [Float]?,
                               width: Int, unicode: Bool) -> String {
        func headline(_ name: (Int) -> String) -> String {
            var line = header
            if let t = truth { line += "  true " + name(t) }
            if let p = predicted, let pr = probabilities { line += String(format: "  pred %@ %.0f%%", name(p), pr[p] * 100) }
            return line
        }
        var line = headline { classNames[$0] }
        if line.count > width { line = headline { String(classNames[$0].prefix(3)) } }
        if line.count > width, let t = truth, let p = predicted, let pr = probabilities {
            line = header + "  " + classNames[t].prefix(3) + (unicode ? "→" : "->") + classNames[p].prefix(3)
                + String(format: " %.0f%%", pr[p] * 100)
        }
        return line
    }

    /// `classStyle` colours each class's bar its own way (the video view's emotion colours);
    /// without it the bars say true, wrong and other.
    static func drawBars(_ g: inout CellGrid, _ r: Rect, probs: [Float]?, truth: Int?, predicted: Int?, hasModel: Bool,
                         noModel: String? = nil, caps: Capabilities, classStyle: ((Int) -> Style)? = nil) {
        guard !r.isEmpty else { return }
        guard let probs, probs.count >= classNames.count else {
            g.put(hasModel ? "predicting…" : noModel ?? "no model: no probabilities", x: r.x, y: r.y, .dim, clip: r)
            return
        }
        let glyphs = Glyphs(unicode: caps.unicode)
        // Not enough rows for seven bars: two columns of four.
        let columns = r.height < classNames.count && r.width >= 32 ? 2 : 1
        let rowsPerColumn = (classNames.count + columns - 1) / columns
        let colW = columns == 1 ? r.width : (r.width - 1) / 2
        let nameW = colW >= 30 ? 9 : 4
        for (c, name) in classNames.enumerated() {
            let y = r.y + c % rowsPerColumn
            guard y < r.maxY else { continue }
            let r = Rect(x: r.x + (c / rowsPerColumn) * (colW + 1), y: r.y, width: colW, height: r.height)
            let isPred = c == predicted, isTrue = c == truth
            let mark = isTrue ? (isPred ? "=" : "*") : (isPred ? ">" : " ")
            let label = (nameW == 9 ? name : String(name.prefix(3))).padded(nameW)
            let x = g.put(mark + label, x: r.x, y: y, isPred ? .bold : .plain, clip: r)
            let pct = r.width >= 30 ? String(format: "%5.1f%%", probs[c] * 100) : String(format: "%3.0f%%", probs[c] * 100)
            let barW = max(0, r.maxX - x - pct.count - 1)
            Widgets.bar(&g, x: x, y: y, width: barW, fraction: Double(probs[c]),
                        style: classStyle?(c) ?? Theme(caps: caps).classBar(isTrue: isTrue, isPredicted: isPred), glyphs: glyphs)
            g.put(pct, x: x + barW + 1, y: y, isPred ? .bold : .plain, clip: r)
        }
        if columns == 1 && r.height > classNames.count && truth != nil {
            g.put("* true  > predicted  = both", x: r.x, y: r.y + classNames.count, .dim, clip: r)
        }
    }

    /// Words flowed into lines of at most `width` characters (a longer word is cut).
    static func wrapped(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
            while line.count > width { lines.append(String(line.prefix(width))); line = String(line.dropFirst(width)) }
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    // MARK: hint bar and overlays

    static func drawHint(_ g: inout CellGrid, _ r: Rect, _ s: AppState, _ caps: Capabilities) {
        guard !r.isEmpty else { return }
        g.fill(r, Cell(" ", .reverse))
        let text = KeyTable.hintLine(unicode: caps.unicode, width: r.width - 1, training: s.controlsTraining)
        g.put(" " + text.clipped(r.width - 1), x: r.x, y: r.y, .reverse, clip: r)
    }

    static func drawHelp(_ g: inout CellGrid, _ caps: Capabilities) {
        let rows = KeyTable.helpRows(unicode: caps.unicode)
        Widgets.helpOverlay(&g, title: "Help  keys", rows: rows.map { ($0.keys, $0.help) }, footer: "Esc or ? closes",
                            glyphs: Glyphs(unicode: caps.unicode))
    }

    static func drawConfirm(_ g: inout CellGrid, _ caps: Capabilities,
                            question: [String] = ["Training is running.", "Stop it, save a checkpoint and quit?"]) {
        let lines = question + ["", "y = yes, n = no"]
        let r = g.bounds.centered(width: 44, height: lines.count + 2)
        g.fill(r)
        let inner = Widgets.box(&g, r, title: "Quit?", glyphs: Glyphs(unicode: caps.unicode), style: .bold)
        for (i, l) in lines.enumerated() { g.put(l, x: inner.x + 1, y: inner.y + i, i == lines.count - 1 ? .bold : .plain, clip: inner) }
    }

    static func drawPrompt(_ g: inout CellGrid, _ hintR: Rect, _ field: TextField, _ s: AppState, _ caps: Capabilities) {
        g.fill(hintR)
        field.draw(&g, hintR, label: " predict file: ")
        // Completion candidates in a box just above the prompt.
        guard !s.completions.isEmpty else { return }
        let names = s.completions.prefix(8).map { ($0 as NSString).lastPathComponent + ($0.hasSuffix("/") ? "/" : "") }
        let extra = s.completions.count > 8 ? ["… \(s.completions.count - 8) more"] : []
        let lines = names + extra
        let w = min(g.width, (lines.map { $0.count }.max() ?? 0) + 4)
        let r = Rect(x: hintR.x + 15, y: hintR.y - lines.count - 2, width: w, height: lines.count + 2).intersection(g.bounds)
        g.fill(r)
        let inner = Widgets.box(&g, r, title: "", glyphs: Glyphs(unicode: caps.unicode))
        for (i, l) in lines.enumerated() { g.put(l, x: inner.x + 1, y: inner.y + i, .plain, clip: inner) }
    }
}

extension Theme {
    /// The status panel's phase word.
    func phase(_ p: Phase) -> Style {
        switch p {
        case .running: return working
        case .paused: return halted
        case .finished: return done
        case .failed: return broken
        case .starting, .browsing: return waiting
        }
    }
}
