import ArgumentParser
import Dashboard
import FERData
import FERModel
import FERTraining
import Foundation

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The dashboard on a run another process trains (or has finished), read-only and followed live.",
        discussion: """
            Quitting leaves the training running; pause and save need the training process. \
            The Sample panel browses the run's dataset (from the path the run recorded) with the \
            run's newest checkpoint, reloaded when a newer one is written.
            """)

    @Argument(help: ArgumentHelp("The run directory (default: the most recently written run under ./runs).", valueName: "run"))
    var runDirectory: String?

    @Option(help: "The run's dataset, when it has moved (default: the path the run recorded).")
    var data: String?

    @Option(name: .customLong("compare"), help: "Overlay this run's validation loss and accuracy, aligned by epoch (repeatable).")
    var compare: [String] = []

    @OptionGroup var display: DisplayFlags

    func run() throws {
        let directory = try resolveRun(runDirectory)
        let (summary, _) = try RunSummary.read(RunDirectory(path: directory).metrics)
        let comparisons = try loadComparisons(compare)
        let (dataset, note) = try watchDataset(start: summary.start, override: data)
        let status = runWatchDashboard(run: directory, dataset: dataset, datasetNote: note, comparisons: comparisons,
                                       options: display.options)
        if status != 0 { throw ExitCode(status) }
    }
}

/// The run `watch` opens: the one named, or the newest under ./runs; a folder that is not a run
/// is refused with what it is instead.
func resolveRun(_ given: String?) throws -> String {
    guard let given else {
        guard let newest = RunCatalog.newest(under: "runs") else {
            throw UsageError("no RUN given and no runs under ./runs; start one with `ferdash train --headless` or name a run directory")
        }
        return newest
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory) else {
        throw UsageError("\(given): no such run directory")
    }
    guard isDirectory.boolValue else { throw UsageError("\(given): not a run directory (give the folder that holds \(RunDirectory.metricsName))") }
    guard RunCatalog.isRun(given) else {
        var hint = ""
        if let runs = try? RunCatalog.list(given).runs, let newest = runs.first {
            hint = "; it holds \(runs.count) run(s), the newest \(newest.path) (`ferdash runs \(given)` lists them)"
        }
        throw UsageError("\(given): not a run: it holds no \(RunDirectory.metricsName)\(hint)")
    }
    return given
}

/// `--compare` runs, read once, their evaluations placed by epoch.
func loadComparisons(_ paths: [String]) throws -> [ComparedRun] {
    let names = paths.map { ($0 as NSString).lastPathComponent }
    return try paths.enumerated().map { i, path in
        let directory: String
        do { directory = try resolveRun(path) } catch { throw UsageError("--compare \(error)") }
        let (summary, _) = try RunSummary.read(RunDirectory(path: directory).metrics)
        // Two runs called alike (runs/a/x, old/a/x) are told apart by the path given.
        let name = names.filter { $0 == names[i] }.count > 1 ? path : names[i]
        guard let run = ComparedRun(name: name, summary: summary) else {
            throw UsageError("--compare \(path): cannot place its evaluations by epoch (it records neither steps_per_epoch nor epochs)")
        }
        return run
    }
}

/// The dataset the watched run trained on, or an empty one and the reason when it cannot be had
/// (the curves are shown either way). `--data` given and unreadable is an error: it was asked for.
func watchDataset(start: RunStart?, override: String?) throws -> (Dataset, note: String?) {
    let empty = Dataset(name: "none", train: ImageSet(), validation: ImageSet(), test: ImageSet())
    let options = LoadOptions(skipBadRows: start?.skipBadRows ?? false, splitSeed: start?.splitSeed ?? 0)
    if let override {
        FileHandle.standardError.write("ferdash: loading \(override)…\n")
        return (try DatasetLoader.load(path: override, options: options), nil)
    }
    guard let start else { return (empty, "the run has not recorded its dataset yet: --data PATH to browse one") }
    let builtInName = SyntheticFaces.builtIn().name
    let path: String
    if let recorded = start.datasetPath {
        if recorded == RunStart.builtInDataset { return (SyntheticFaces.builtIn(), nil) }
        path = recorded
    } else if start.dataset == builtInName {
        return (SyntheticFaces.builtIn(), nil)
    } else if let name = start.dataset, FileManager.default.fileExists(atPath: name) {
        path = name   // an older run recorded only the name it was given; it may be relative to here
    } else {
        return (empty, "the run does not record where its dataset \(start.dataset ?? "") is (an older run): --data PATH to browse it")
    }
    guard FileManager.default.fileExists(atPath: path) else {
        return (empty, "dataset \(path) is gone: nothing to browse (--data PATH if it moved); the curves are the run's own")
    }
    FileHandle.standardError.write("ferdash: loading \(path)…\n")
    do {
        return (try DatasetLoader.load(path: path, options: options), nil)
    } catch {
        return (empty, "dataset \(path) cannot be read: \(error)")
    }
}

/// `ferdash watch`: the dashboard fed by a `RunWatcher` instead of a session.
func runWatchDashboard(run: String, dataset: Dataset, datasetNote: String?, comparisons: [ComparedRun],
                       options: DisplayOptions) -> Int32 {
    let mailbox = EventMailbox()
    let inbox = ActionInbox()
    let control = WatchControl(mailbox: mailbox)
    let watcher = RunWatcher(poller: RunPoller(run: run, dataset: dataset, datasetNote: datasetNote, control: control),
                             inbox: inbox)
    var env = DashboardEnvironment(dataset: dataset, control: control, mailbox: mailbox,
                                   predictFile: dashboardFilePredictor(), options: options, training: true,
                                   onReady: { watcher.start() })
    env.feed = inbox
    env.watch = watcher.initialStatus
    env.comparisons = comparisons
    let status = runDashboard(env)
    watcher.stop()
    control.close()
    return status
}
