import ArgumentParser
import Dashboard
import FERTraining
import Foundation

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the runs under a folder, newest first: progress, best validation accuracy, state.")

    @Argument(help: "The folder holding run directories (or one run directory).")
    var directory = "runs"

    @Flag(help: "A JSON array of objects (path, architecture, dataset, step, total_steps, best_accuracy, state, ...).")
    var json = false

    func run() throws {
        let (runs, skipped) = try RunCatalog.list(directory)
        if json {
            print("[" + runs.map(\.json).joined(separator: ",\n ") + "]")
            return
        }
        if runs.isEmpty {
            print("no runs under \(directory)")
        } else {
            print(RunTable.render(runs))
        }
        if !skipped.isEmpty {
            FileHandle.standardError.write("skipped \(skipped.count) folder(s) without \(RunDirectory.metricsName): \(skipped.joined(separator: ", "))\n")
        }
    }
}

/// The plain-text listing: one aligned line per run.
enum RunTable {
    static func render(_ runs: [RunEntry], now: Date = Date()) -> String {
        let header = ["RUN", "ARCH", "DATASET", "STEP", "BEST VAL", "AT STEP", "VAL LOSS", "TRAINED", "STATE", "LAST WRITE"]
        let rows = runs.map { r -> [String] in
            let s = r.summary
            let best = s.best
            var state = r.state.word
            if case .stale(let since) = r.state { state += " since " + DashboardView.clockTime(since) }
            return [
                r.name, r.architecture ?? "?", ((r.dataset ?? "?") as NSString).lastPathComponent,
                "\(s.step)/" + (s.totalSteps.map(String.init) ?? "?"),
                best.map { String(format: "%.1f%%", $0.accuracy * 100) } ?? "-",
                best.map { String($0.step) } ?? "-",
                s.latestEvaluation.map { String(format: "%.4f", $0.loss) } ?? "-",
                DashboardView.duration(s.trainSeconds), state,
                r.lastWrite.map { DashboardView.ago(now.timeIntervalSince($0)) } ?? "-",
            ]
        }
        let table = [header] + rows
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { row in
            row.enumerated().map { c, cell in
                // Numbers right-aligned, words left-aligned.
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return (3...7).contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
