import FERData

public enum FrameTableFormat: Sendable {
    case csv, jsonl
}

/// The per-frame table of a video's analysis (`--csv`, `--jsonl`): one row per face per analysed
/// frame, written as the analysis goes.
///
/// Columns, in this order (`columns`), with the types to read them as (pandas:
/// `pd.read_csv(f, dtype={"face_id": "Int64", "x": "Int64", "y": "Int64", "width": "Int64",
/// "height": "Int64", "label": "string"})`; `pd.read_json(f, lines=True)` for JSONL):
///
/// | column | type | meaning |
/// |---|---|---|
/// | `frame` | int | the decoded frame's index, 0-based, counting every frame of the stream |
/// | `timestamp` | float | seconds from the stream's start (pts); up to 6 decimals, trailing zeros dropped, one kept ("0.0", "2.033367") |
/// | `face_id` | Int64, nullable | the tracked face (`FaceTracker`), empty when no face |
/// | `confidence` | float, nullable | the detector's, 0...1, 4 decimals |
/// | `success` | int 0/1 | 1 for a face, 0 for a frame where none was found |
/// | `x`, `y`, `width`, `height` | Int64, nullable | the face's box in source pixels of the displayed (rotated) frame |
/// | `anger` … `neutral` | float, nullable | the seven probabilities in `Emotion` order, 4 decimals |
/// | `label` | string, nullable | the most probable emotion's name ("happy") |
///
/// A frame with no face still gets one row, with `success` 0 and every face field empty (null
/// in JSONL), as OpenFace does: gaps stay visible and every analysed frame is accounted for.
/// A non-finite number (a network gone wrong) is also written empty / null rather than as text
/// a reader would choke on. No CSV field ever needs quoting: all are numbers or plain labels.
/// JSONL: one object per row, the same keys in the same order.
///
/// Each frame's rows leave in one `write(2)` as soon as `write` is called (see `RecordFile`), so
/// a killed run leaves a valid table of every frame done; a frame that cannot be written whole is
/// cut off again and the error names the file and the frame.
public final class FrameTableWriter {
    public static let columns: [String] =
        ["frame", "timestamp", "face_id", "confidence", "success", "x", "y", "width", "height"]
        + Emotion.allCases.map(\.name) + ["label"]

    public let path: String
    public let format: FrameTableFormat
    private let file: RecordFile
    public private(set) var rowsWritten = 0

    /// Creates or empties the file (a CSV starts with its header line); the error names the file
    /// and the reason (missing folder, permission, read-only).
    public init(path: String, format: FrameTableFormat) throws {
        self.path = path
        self.format = format
        file = try RecordFile(path: path, what: "frame table")
        if format == .csv {
            try file.append(Array((Self.columns.joined(separator: ",") + "\n").utf8), context: " (header)")
        }
    }

    /// Writes the frame's rows: one per face, or one with `success` 0 when it has none.
    public func write(_ frame: FrameAnalysis) throws {
        let rows = frame.faces.isEmpty ? [Self.fields(frame, nil)] : frame.faces.map { Self.fields(frame, $0) }
        var text = ""
        for row in rows {
            switch format {
            case .csv: text += row.map { $0 ?? "" }.joined(separator: ",") + "\n"
            case .jsonl:
                // Only the label is text; emotion names need no escaping.
                let members = zip(Self.columns, row).map { key, value in
                    "\"\(key)\":" + (value.map { key == "label" ? "\"\($0)\"" : $0 } ?? "null")
                }
                text += "{" + members.joined(separator: ",") + "}\n"
            }
        }
        let at = " at frame \(frame.frame) (\(TimeText.position(frame.timestamp)))"
        try file.append(Array(text.utf8), context: at)
        rowsWritten += rows.count
    }

    public func close() throws {
        try file.close()
    }

    /// One row's fields in `columns` order, as they are spelled in both formats (JSON quotes
    /// the label); nil for an empty field.
    private static func fields(_ frame: FrameAnalysis, _ face: FaceObservation?) -> [String?] {
        var row: [String?] = [String(frame.frame), TableNumbers.seconds(frame.timestamp)]
        guard let face else {
            row.append(contentsOf: [nil, nil, "0"])
            row.append(contentsOf: [String?](repeating: nil, count: columns.count - row.count))
            return row
        }
        row += [String(face.faceID), TableNumbers.fraction(face.confidence), "1",
                String(face.box.x), String(face.box.y), String(face.box.width), String(face.box.height)]
        row += face.probabilities.map { TableNumbers.fraction(Double($0)) }
        // A label from non-finite probabilities would be meaningless: leave it empty too.
        row.append(face.probabilities.allSatisfy(\.isFinite) ? face.label.name : nil)
        return row
    }
}
