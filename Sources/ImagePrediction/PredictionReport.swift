import FERData
import FERTraining
import Foundation

/// What the network said about one face of an image file, and how `ferdash predict` tells it.
public struct FacePrediction: Sendable {
    public var face: PreparedFace
    /// The seven class probabilities, in label order.
    public var probabilities: [Float]
    /// How often each label won with dropout on, over `runs` runs (`--samples`).
    public var dropout: (runs: Int, shares: [Double])?
    /// The `--explain` picture written for this face.
    public var explanation: String?

    public init(face: PreparedFace, probabilities: [Float], dropout: (runs: Int, shares: [Double])? = nil,
                explanation: String? = nil) {
        self.face = face; self.probabilities = probabilities; self.dropout = dropout; self.explanation = explanation
    }

    public var label: Emotion { Emotion(index: argmax(probabilities)) }

    /// `{"box", "label", "probabilities", "confidence" (a detected face only), "dropout_samples",
    /// "explanation"}`, the last two when asked for.
    public var json: JSON {
        var fields: [(String, JSON)] = [("box", Self.json(face.box)), ("label", .string(label.name)),
                                        ("probabilities", JSON.probabilities(probabilities[...]))]
        if face.box != nil { fields.append(("confidence", .number(face.confidence ?? 0))) }
        if let dropout {
            fields.append(("dropout_samples", .object(Emotion.allCases.map { ($0.name, .number(dropout.shares[$0.rawValue])) })))
        }
        if let explanation { fields.append(("explanation", .string(explanation))) }
        return .object(fields)
    }

    /// Where the face is and its label, a bar per class, the dropout histogram and the
    /// explanation's path: several lines, without a final newline.
    public var text: String {
        var out = ""
        if let box = face.box {
            out += String(format: "  face at x=%d y=%d %d×%d (confidence %.2f): ", box.x, box.y, box.width, box.height, face.confidence ?? 0)
        } else {
            out += "  centre crop: "
        }
        let label = self.label
        out += String(format: "%@ (%.1f%%)\n", label.name, probabilities[label.rawValue] * 100)
        for e in Emotion.allCases {
            let value = probabilities[e.rawValue]
            out += "    " + e.name.padding(toLength: 9, withPad: " ", startingAt: 0)
                + String(format: "%6.1f%% ", value * 100) + String(repeating: "█", count: Int((value * 30).rounded())) + "\n"
        }
        if let dropout {
            let ranked = dropout.shares.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element }
            out += "    dropout sampling (\(dropout.runs) runs): " + ranked.map {
                String(format: "%@ = %.1f%%", Emotion(index: $0.offset).name, $0.element * 100)
            }.joined(separator: ", ") + "\n"
        }
        return out.trimmingCharacters(in: .newlines) + (explanation.map { "\n    saliency: \($0)" } ?? "")
    }

    /// A face box as `{"x", "y", "width", "height"}`; `null` for the centre crop.
    static func json(_ box: PixelRect?) -> JSON {
        guard let box else { return .null }
        return .object([("x", .int(box.x)), ("y", .int(box.y)), ("width", .int(box.width)), ("height", .int(box.height))])
    }
}

/// What `ferdash predict` found in one image file: its size, how its faces were found, and
/// each face's prediction (at least one: without a face, the centre crop's).
public struct ImageFilePrediction: Sendable {
    public var file: String
    public var image: PreparedImage
    public var faces: [FacePrediction]

    public init(file: String, image: PreparedImage, faces: [FacePrediction]) {
        self.file = file; self.image = image; self.faces = faces
    }

    /// `{"file", "label", "probabilities", "face", "note", "faces"}`: the file's headline answer
    /// is its first (largest) face's, every face is in "faces".
    public var json: JSON {
        let first = faces[0]
        return .object([("file", .string(file)), ("label", .string(first.label.name)),
                        ("probabilities", JSON.probabilities(first.probabilities[...])), ("face", FacePrediction.json(first.face.box)),
                        ("note", image.note.map { .string($0) } ?? .null), ("faces", .array(faces.map(\.json)))])
    }

    /// A headline (file, size, note) and each face's lines.
    public var text: String {
        (["\(file): \(image.width)×\(image.height)" + (image.note.map { " — \($0)" } ?? "")] + faces.map(\.text))
            .joined(separator: "\n")
    }

    /// A file that could not be read, in the `--json` array: `{"file", "error"}`.
    public static func failureJSON(file: String, error: Error) -> JSON {
        .object([("file", .string(file)), ("error", .string(String(describing: error)))])
    }
}
