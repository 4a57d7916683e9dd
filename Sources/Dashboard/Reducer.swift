import FERData
import FERTraining
import TermUI

/// The whole behaviour of the dashboard as a pure function: no I/O, no terminal, no clocks
/// (time arrives in `.tick`). The loop executes the returned effects.
public func reduce(_ state: AppState, _ action: Action) -> (AppState, [Effect]) {
    var s = state
    let fx = reduce(into: &s, action)
    return (s, fx)
}

/// The same reduction in place: the loop uses it so a long loss history is appended to, not
/// copied, on every step event (a value passed in would still be shared with the caller).
public func reduce(into s: inout AppState, _ action: Action) -> [Effect] {
    var fx: [Effect] = []
    switch action {
    case .appeared:
        requestPrediction(&s, &fx)
        _ = evaluateSplitOnScreen(&s, &fx)
    case .terminate:
        s.overlay = .none
        if s.controlsTraining && !s.quitting { beginQuit(&s, &fx) } else { s.exitCode = s.quitting ? 1 : 0; fx.append(.exit(s.exitCode!)) }
    case .tick(let now):
        s.now = now
        if s.quitting, let t0 = s.quitStartedAt, now - t0 > s.quitTimeout {
            // The session did not confirm in time; leave anyway rather than hang the terminal.
            s.exitCode = 1
            fx.append(.exit(1))
        }
    case .event(let e):
        handleEvent(&s, e, &fx)
    case .watch(let w):
        watchChanged(&s, w, &fx)
    case .key(let key):
        handleKey(&s, key, &fx)
    case .screen(let screen):
        s.screen = screen
    case .history(let history):
        switch history {
        case .curves(let steps, let losses, let evals):
            (s.lossSteps, s.losses, s.evals) = (steps, losses, evals)
            s.historyNote = nil
        case .none(let note):
            s.historyNote = note
        }
    case .mouse(let m):
        guard let target = s.layout.target(of: m, in: s) else { break }
        pointed(&s, at: target, &fx)
    case .fileLoaded(let path, let result):
        s.gallery = nil   // the file (or why it failed) shows in the Sample panel, which the gallery covers
        switch result {
        case .success(let fp):
            s.file = fp
            s.fileError = nil
            s.message = fp.note.isEmpty ? "predicting \(path)" : "predicting \(path): \(fp.note)"
            s.messageIsError = false
            requestPrediction(&s, &fx)
        case .failure(let err):
            s.file = nil
            s.fileError = err.message
            s.message = err.message
            s.messageIsError = true
        }
    case .completions(let typed, let candidates):
        guard case .prompt(var field) = s.overlay, field.string == typed else { break }
        if candidates.isEmpty {
            s.completions = []
            s.message = "no match"
        } else {
            let prefix = commonPrefix(candidates)
            if prefix.count > typed.count { field.set(prefix) }
            s.overlay = .prompt(field)
            s.completions = candidates.count > 1 ? candidates : []
            s.message = nil
        }
    }
    return fx
}

private func setMessage(_ s: inout AppState, _ text: String, error: Bool = false) {
    s.message = text
    s.messageIsError = error
}

/// Browsing with a model: scores it on the split on screen, once (a report, once it has come,
/// stays). Validation is left out: the session scores it as it starts. True when asked now.
private func evaluateSplitOnScreen(_ s: inout AppState, _ fx: inout [Effect]) -> Bool {
    let split = s.split, set = s.dataset[split]
    guard s.phase == .browsing, s.hasModel, split != .validation, s.evaluations[split] == nil,
          !s.evaluating.contains(split), !set.isEmpty, set.isLabeled else { return false }
    s.evaluating.insert(split)
    fx.append(.evaluate(split))
    return true
}

/// Why the evaluated split has no evaluation to filter or show: none yet, or one on its way.
private func noEvaluationYet(_ s: AppState, _ consequence: String, pending: String) -> String {
    s.evaluating.contains(s.evaluatedSplit) ? "still evaluating the \(s.evaluatedSplit.rawValue) split: \(pending)"
                                            : "no evaluation yet: \(consequence)"
}

/// Asks for probabilities of whatever the Sample panel shows, with a fresh tag so a late answer
/// for an older image is ignored.
private func requestPrediction(_ s: inout AppState, _ fx: inout [Effect]) {
    guard s.hasModel else { return }
    let pixels: [UInt8]
    if let f = s.file {
        pixels = f.pixels
    } else if let idx = s.currentIndex {
        pixels = Array(s.dataset[s.currentSplit].image(idx))
    } else { return }
    let tag = s.nextTag
    s.nextTag += 1
    s.requestedTag = tag
    s.requestedFor = s.showing
    fx.append(.requestPrediction(pixels: pixels, tag: tag, saliency: s.saliencyShown))
}

private func handleEvent(_ s: inout AppState, _ e: TrainingEvent, _ fx: inout [Effect]) {
    switch e {
    case .started(let info):
        s.info = info
        if !s.lossSteps.isEmpty { forgetAfter(step: info.firstStep, &s) }
        // A watched run that ended may be resumed by another process: it runs again.
        if s.phase == .starting || s.phase == .browsing || s.watch != nil { s.phase = .running }
        if let teachers = info.teachers, !s.quitting { setMessage(&s, "distilling: " + teachers) }
        requestPrediction(&s, &fx)
    case .step(let r):
        s.lastStep = r
        if s.firstStepSeen == nil { s.firstStepSeen = r.step - 1 }
        s.lossSteps.append(r.step)
        s.losses.append(r.loss)
        if s.phase == .starting { s.phase = .running }
    case .evaluated(let r):
        let asked = s.evaluating.remove(r.split) != nil
        s.evaluations[r.split] = r
        // A browsed model's scores are no points of a training curve; the run's own curves come
        // from its metrics (`.history`).
        if s.phase != .browsing { s.evals.append(EvalPoint(step: r.step, loss: r.validationLoss, accuracy: r.accuracy)) }
        if s.filter != nil { s.position = min(s.position, max(0, s.browseCount - 1)) }
        if asked {
            setMessage(&s, String(format: "the model (step %d) scores %.1f%% on the %@ split", r.step, r.accuracy * 100,
                                  r.split.rawValue))
        }
        // New weights: refresh the sample's probabilities so they track training.
        requestPrediction(&s, &fx)
    case .checkpointSaved(let c):
        s.lastCheckpoint = c
        if !s.quitting { setMessage(&s, "checkpoint saved at step \(c.step)\(c.isBest ? " (best)" : "")") }
    case .paused(let step):
        // A pause the person already took back (space twice) is not shown.
        if s.phase.isLive && !s.quitting && s.pauseRequested {
            s.phase = .paused
            s.pauseRequested = false
            setMessage(&s, "paused at step \(step) (space resumes)")
        }
    case .resumed(let step):
        if s.phase.isLive && !s.quitting { s.phase = .running; s.pauseRequested = false; setMessage(&s, "resumed at step \(step)") }
    case .planned(let plan):
        // Progress and ETA follow the plan; the Status panel keeps saying why.
        s.plan = plan
        s.info?.totalSteps = plan.totalSteps
        if !s.quitting {
            setMessage(&s, plan.isFullLength ? "time budget: all \(BudgetPlan.epochText(plan.recipeEpochs)) epochs fit"
                                             : "time budget: the schedule is made for \(plan.length)")
        }
    case .replanned(let total, let reason):
        // Progress and ETA follow the shortened run.
        s.info?.totalSteps = total
        s.plan?.totalSteps = total
        if !s.quitting { setMessage(&s, reason) }
    case .prediction(let tag, let probs):
        if tag == s.requestedTag {
            s.probabilities = probs
            s.probabilitiesFor = s.requestedFor
        }
    case .saliency(let tag, let classIndex, let map):
        if tag == s.requestedTag {
            s.saliency = SaliencyMap(classIndex: classIndex, values: map)
            s.saliencyFor = s.requestedFor
        }
    case .finished(let f):
        s.finish = f
        s.phase = .finished(stoppedEarly: f.stoppedEarly)
        if s.quitting {
            s.exitCode = 0
            fx.append(.exit(0))
        } else {
            setMessage(&s, f.stoppedEarly ? "training stopped at step \(f.step)" : "training finished at step \(f.step)")
            requestPrediction(&s, &fx)
        }
    case .failed(let msg):
        s.phase = .failed(msg)
        setMessage(&s, "training failed: \(msg)", error: true)
        if s.quitting {
            s.exitCode = 1
            fx.append(.exit(1))
        }
    }
}

/// A watched run resumed from its checkpoint at `step` (what was trained after it is gone, and
/// so is its curve) or started afresh in the same folder (step 0: nothing before it counts).
private func forgetAfter(step: Int, _ s: inout AppState) {
    let keep = s.lossSteps.firstIndex { $0 > step } ?? s.lossSteps.count
    s.lossSteps.removeSubrange(keep...)
    s.losses.removeSubrange(keep...)
    s.evals.removeAll { $0.step > step }
    if let e = s.latestEval, e.step > step { s.latestEval = nil }
    s.firstStepSeen = nil
    s.finish = nil
}

/// A new reading of the watched run: new weights mean fresh probabilities; a corrupt line or
/// an unreadable checkpoint is said once, when it first appears.
private func watchChanged(_ s: inout AppState, _ w: WatchStatus, _ fx: inout [Effect]) {
    let old = s.watch
    s.watch = w
    if let step = w.checkpointStep, step != old?.checkpointStep {
        s.hasModel = true
        setMessage(&s, "predicting with the run's checkpoint of step \(step)")
        requestPrediction(&s, &fx)
    }
    if let note = w.fileNote, note != old?.fileNote { setMessage(&s, note, error: true) }
    if w.problemCount > (old?.problemCount ?? 0), let first = w.firstProblem {
        let more = w.problemCount > 1 ? " (and \(w.problemCount - 1) more)" : ""
        setMessage(&s, "skipped \(first)\(more); showing the rest", error: true)
    }
}

/// What a key meant for the trainer says it cannot reach it from here.
private func needsTrainer(_ s: inout AppState, _ what: String) {
    let who = s.watch?.trainer.map { " (\($0))" } ?? ""
    setMessage(&s, "\(what) needs the training process\(who): watch only reads the run")
}

private func handleKey(_ s: inout AppState, _ key: Key, _ fx: inout [Effect]) {
    switch s.overlay {
    case .confirmQuit:
        switch key {
        case .char("y"), .char("Y"), .ctrl("c"):
            s.overlay = .none
            // Training may have ended while the question was open: then there is nothing to wait for.
            if s.controlsTraining { beginQuit(&s, &fx) } else { s.exitCode = 0; fx.append(.exit(0)) }
        case .char("n"), .char("N"), .escape, .char("q"):
            s.overlay = .none
            setMessage(&s, "quit cancelled")
        default: break
        }
        return
    case .prompt(var field):
        switch key {
        case .enter:
            s.overlay = .none
            s.completions = []
            let path = field.string
            if path.isEmpty { setMessage(&s, "no file given"); return }
            setMessage(&s, "loading \(path)")
            fx.append(.loadFile(path))
        case .escape:
            s.overlay = .none
            s.completions = []
            s.message = nil
        case .ctrl("c"):
            s.overlay = .none
            s.completions = []
            quit(&s, &fx)
        case .tab: fx.append(.completePath(field.string))
        case .backspace: field.backspace(); s.overlay = .prompt(field)
        case .delete: field.deleteForward(); s.overlay = .prompt(field)
        case .left: field.left(); s.overlay = .prompt(field)
        case .right: field.right(); s.overlay = .prompt(field)
        case .home, .ctrl("a"): field.home(); s.overlay = .prompt(field)
        case .end, .ctrl("e"): field.end(); s.overlay = .prompt(field)
        case .ctrl("u"): field.set(""); s.overlay = .prompt(field)
        case .char(let c): field.insert(c); s.overlay = .prompt(field); s.completions = []
        case .ctrl("l"): fx.append(.redraw)
        default: break
        }
        return
    case .help, .none:
        break
    }
    if s.focus == .confusion && s.overlay == .none && confusionKey(&s, key, &fx) { return }
    if s.gallery != nil && s.overlay == .none && galleryKey(&s, key, &fx) { return }
    guard let cmd = KeyTable.command(for: key) else { return }
    run(cmd, &s, &fx)
}

private func beginQuit(_ s: inout AppState, _ fx: inout [Effect]) {
    s.quitting = true
    s.quitStartedAt = s.now
    setMessage(&s, "stopping: saving a checkpoint before exit…")
    fx.append(.stop)
}

private func quit(_ s: inout AppState, _ fx: inout [Effect]) {
    if s.quitting {
        // Asked twice while waiting for the session: the person really wants out.
        s.exitCode = 1
        fx.append(.exit(1))
    } else if s.controlsTraining {
        s.overlay = .confirmQuit
    } else {
        s.exitCode = 0
        fx.append(.exit(0))
    }
}

private func move(_ s: inout AppState, to position: Int, _ fx: inout [Effect]) {
    let n = s.browseCount
    let before = s.showing
    s.file = nil
    s.fileError = nil
    s.position = n == 0 ? 0 : max(0, min(n - 1, position))
    if s.showing != before || s.probabilitiesFor != s.showing { requestPrediction(&s, &fx) }
}

private func run(_ cmd: Command, _ s: inout AppState, _ fx: inout [Effect]) {
    switch cmd {
    case .previous: move(&s, to: s.position - 1, &fx)
    case .next: move(&s, to: s.position + 1, &fx)
    case .back(let n): move(&s, to: s.position - n, &fx)
    case .forward(let n): move(&s, to: s.position + n, &fx)
    case .first: move(&s, to: 0, &fx)
    case .last: move(&s, to: s.browseCount - 1, &fx)
    case .split(let split):
        if s.dataset[split].isEmpty { setMessage(&s, "the \(split.rawValue) split is empty"); return }
        s.split = split
        s.misclassifiedOnly = false
        s.position = -1   // force a change so the prediction is requested
        move(&s, to: 0, &fx)
        if evaluateSplitOnScreen(&s, &fx) { setMessage(&s, "evaluating the \(split.rawValue) split with the model…") }
    case .misclassified: toggleMisclassified(&s, &fx)
    case .pauseResume where s.watch != nil: needsTrainer(&s, "pause")
    case .save where s.watch != nil: needsTrainer(&s, "saving a checkpoint")
    case .pauseResume: pauseOrResume(&s, &fx)
    case .save:
        if s.phase.isLive {
            fx.append(.saveCheckpoint)
            setMessage(&s, "saving a checkpoint…")
        } else {
            setMessage(&s, "training is not running: nothing to save")
        }
    case .predictFile:
        s.overlay = .prompt(TextField(s.file.map { $0.path } ?? ""))
        s.completions = []
        setMessage(&s, "image path (Tab completes, Enter predicts, Esc cancels)")
    case .smoothMore: s.smoothingPercent = min(99, s.smoothingPercent + 5)
    case .smoothLess: s.smoothingPercent = max(0, s.smoothingPercent - 5)
    case .logY: s.logY.toggle()
    case .countsPercent: s.confusionPercent.toggle()
    case .saliency:
        if !s.hasModel { setMessage(&s, "no model yet: nothing to explain"); return }
        s.saliencyShown.toggle()
        setMessage(&s, s.saliencyShown ? "saliency: HiResCAM of the predicted class on the last convolution block" : "saliency off")
        // The map comes with a prediction from the current weights at the session's next
        // control point, like the probabilities.
        if s.saliencyShown && s.saliencyFor != s.showing { requestPrediction(&s, &fx) }
    case .help: s.overlay = s.overlay == .help ? .none : .help
    case .close:
        if s.overlay != .none { s.overlay = .none }
        else if s.gallery != nil { closeGallery(&s, open: false, &fx) }
        else if s.file != nil || s.fileError != nil {
            s.file = nil
            s.fileError = nil
            requestPrediction(&s, &fx)
        } else if s.filter != nil {
            setFilter(&s, nil, &fx)
            setMessage(&s, "showing all \(s.split.rawValue) samples")
        } else { s.message = nil }
    case .focus where s.gallery != nil:
        setMessage(&s, "the gallery covers the Confusion panel: g or Esc returns first")
    case .focus:
        s.focus = s.focus == .sample ? .confusion : .sample
        if s.focus == .confusion {
            setMessage(&s, s.shownEval == nil ? noEvaluationYet(s, "the confusion matrix fills in at the first one",
                                                                        pending: "the confusion matrix fills in when it is done")
                                              : "arrows move over the cells, Enter shows that cell's samples, Tab goes back")
        } else { s.message = nil }
    case .trueClass(let c):
        let name = DashboardView.classNames[c]
        let count = s.dataset[s.split].labels.filter { Int($0) == c }.count
        if count == 0 { setMessage(&s, "no \(name) samples in the \(s.split.rawValue) split"); return }
        setFilter(&s, .trueClass(c), &fx)
        setMessage(&s, "\(count) \(s.split.rawValue) samples of true class \(name)")
    case .clearFilter:
        if s.filter != nil { setFilter(&s, nil, &fx) }
        setMessage(&s, "showing all \(s.split.rawValue) samples")
    case .gallery:
        if s.gallery != nil { return closeGallery(&s, open: false, &fx) }
        if s.browseCount == 0 { return setMessage(&s, "no samples to show in a gallery") }
        s.gallery = GalleryReturn(split: s.split, filter: s.filter, position: s.position)
        s.focus = .sample
        move(&s, to: s.position, &fx)   // leaves a file preview for the dataset
        setMessage(&s, "gallery: arrows pick a face, Enter opens it, g or Esc returns")
    case .redraw: fx.append(.redraw)
    case .quit: quit(&s, &fx)
    }
}

/// Arrows, paging and Enter while the gallery is open; false for keys it leaves alone.
private func galleryKey(_ s: inout AppState, _ key: Key, _ fx: inout [Effect]) -> Bool {
    let faces = s.layout.galleryFaces   // how far a row and a page reach
    switch key {
    case .left: move(&s, to: s.position - 1, &fx)
    case .right: move(&s, to: s.position + 1, &fx)
    case .up: move(&s, to: s.position - faces.rowStep, &fx)
    case .down: move(&s, to: s.position + faces.rowStep, &fx)
    case .pageUp: move(&s, to: s.position - faces.perPage, &fx)
    case .pageDown: move(&s, to: s.position + faces.perPage, &fx)
    case .enter: closeGallery(&s, open: true, &fx)
    default: return false   // Home/End and the rest mean what they mean outside it
    }
    return true
}

/// Enter (`open`) shows the selected face in the Sample panel; `g` and Esc go back to the
/// sample shown before the gallery opened, if the split and filter are still those.
private func closeGallery(_ s: inout AppState, open: Bool, _ fx: inout [Effect]) {
    guard let back = s.gallery else { return }
    s.gallery = nil
    if open {
        if let idx = s.currentIndex { setMessage(&s, "\(s.currentSplit.rawValue) #\(idx) from the gallery (g shows it again)") }
    } else {
        if back.split == s.split && back.filter == s.filter { move(&s, to: back.position, &fx) }
        s.message = nil
    }
}

/// A click or wheel turn, already mapped to what it points at (`DashboardLayout.target`).
private func pointed(_ s: inout AppState, at target: MouseTarget, _ fx: inout [Effect]) {
    switch target {
    case .confusionCell(let cell):
        s.confusionCursor = cell
        drillDown(&s, into: cell, &fx)
    case .galleryFace(let position):
        move(&s, to: position, &fx)
        closeGallery(&s, open: true, &fx)
    case .wheel(let direction):
        move(&s, to: s.position + direction * (s.gallery != nil ? s.layout.galleryFaces.rowStep : 1), &fx)
    }
}

/// Shows the filter's first sample (or the split's first when `filter` is nil).
private func setFilter(_ s: inout AppState, _ filter: SampleFilter?, _ fx: inout [Effect]) {
    s.file = nil
    s.fileError = nil
    s.filter = filter
    s.position = -1   // force a change so the prediction is requested
    move(&s, to: 0, &fx)
}

/// Arrows and Enter while the Confusion panel has the focus; false for keys it leaves alone.
private func confusionKey(_ s: inout AppState, _ key: Key, _ fx: inout [Effect]) -> Bool {
    let k = DashboardView.classNames.count
    var cell = s.confusionCursor
    switch key {
    case .left: cell.predicted = max(0, cell.predicted - 1)
    case .right: cell.predicted = min(k - 1, cell.predicted + 1)
    case .up: cell.truth = max(0, cell.truth - 1)
    case .down: cell.truth = min(k - 1, cell.truth + 1)
    case .enter:
        drillDown(&s, into: cell, &fx)
        return true
    default: return false
    }
    s.confusionCursor = cell
    return true
}

/// Enter on a confusion cell: the samples of the evaluated split of that true and predicted class.
private func drillDown(_ s: inout AppState, into cell: ConfusionCell, _ fx: inout [Effect]) {
    guard let eval = s.shownEval else { return setMessage(&s, noEvaluationYet(s, "nothing to filter", pending: "nothing to filter yet")) }
    let words = SampleFilter.cell(cell).title(names: DashboardView.classNames, unicode: true).dropFirst("filter: ".count)
    if s.evaluatedPredictions == nil {
        return setMessage(&s, "the evaluation does not list each sample's prediction (a watched run's metrics hold only the matrix)")
    }
    let split = s.evaluatedSplit.rawValue
    if eval.confusion.counts[cell.truth][cell.predicted] == 0 { return setMessage(&s, "no \(split) samples are \(words)") }
    setFilter(&s, .cell(cell), &fx)
    s.focus = .sample
    setMessage(&s, "\(s.browseCount) \(split) samples \(words) (Esc shows all)")
}

/// `m`: only the misclassified samples of the evaluated split, or back to all of them.
private func toggleMisclassified(_ s: inout AppState, _ fx: inout [Effect]) {
    if s.misclassifiedOnly {
        s.misclassifiedOnly = false
        s.position = -1
        move(&s, to: 0, &fx)
        setMessage(&s, "showing all \(s.split.rawValue) samples")
    } else if s.watch != nil && s.latestEval != nil && s.latestEval!.misclassified.isEmpty {
        setMessage(&s, "the run's metrics do not list which samples were misclassified")
    } else if s.shownEval == nil {
        setMessage(&s, noEvaluationYet(s, "nothing to filter", pending: "nothing to filter yet"))
    } else if s.misclassifiedIndices.isEmpty {
        setMessage(&s, "no misclassified \(s.evaluatedSplit.rawValue) samples")
    } else {
        s.misclassifiedOnly = true
        s.position = -1
        move(&s, to: 0, &fx)
        setMessage(&s, "\(s.misclassifiedIndices.count) misclassified \(s.evaluatedSplit.rawValue) samples")
    }
}

/// Space: pause (confirmed later by the session's `paused` event), or resume.
private func pauseOrResume(_ s: inout AppState, _ fx: inout [Effect]) {
    switch s.phase {
    case .running, .starting:
        if s.pauseRequested {
            // Changed their mind before the batch ended.
            s.pauseRequested = false
            fx.append(.resume)
            setMessage(&s, "resumed")
        } else {
            // "paused" is shown only once the session confirms, so the word never lies.
            s.pauseRequested = true
            fx.append(.pause)
            setMessage(&s, "pausing after the current batch…")
        }
    case .paused:
        s.phase = .running
        s.pauseRequested = false
        fx.append(.resume)
        setMessage(&s, "resumed")
    default:
        setMessage(&s, "training is not running")
    }
}
