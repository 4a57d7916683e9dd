// Reading OpenCV's Haar cascade XML ("new" format, as written by opencv_traincascade) into a
// checked, flattened model the detector can walk without further validation.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Why a cascade could not be loaded, or what is wrong with it: names the file and the problem.
public struct FaceDetectorError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
    public var description: String { "\(file): \(reason)" }
}

/// A Haar cascade after validation, flattened into arrays so the hot loop does no lookups in
/// nested structures. Every index stored here was range-checked by the loader.
package struct HaarCascade: Sendable {
    /// The training window (24×24 for the frontal face cascades).
    var windowWidth: Int
    var windowHeight: Int

    struct Rect: Sendable, Equatable {
        var x: Int, y: Int, width: Int, height: Int
        var weight: Double
    }
    /// Rectangles of all features, feature `f` owning `rects[featureRectStart[f] ..< featureRectStart[f+1]]`.
    var rects: [Rect]
    var featureRectStart: [Int]
    var featureCount: Int { featureRectStart.count - 1 }

    /// One node of a weak classifier's decision tree. `left`/`right` > 0 name another node of
    /// the same tree; ≤ 0 name leaf `-value` (OpenCV's convention, so a stump is "0 -1").
    struct Node: Sendable, Equatable {
        var feature: Int
        var threshold: Double
        var left: Int
        var right: Int
    }
    var nodes: [Node]
    var leaves: [Double]
    /// Per weak classifier: where its nodes and leaves start.
    var classifierNodeStart: [Int]
    var classifierLeafStart: [Int]

    struct Stage: Sendable, Equatable {
        var threshold: Double
        /// Range of weak classifiers (indices into classifierNodeStart/LeafStart).
        var firstClassifier: Int
        var classifierCount: Int
    }
    var stages: [Stage]
}

// MARK: - Loading

extension HaarCascade {
    /// Loads and validates a cascade file; every failure becomes a FaceDetectorError naming `path`.
    static func load(path: String) throws -> HaarCascade {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FaceDetectorError(file: path, reason: """
                Haar cascade file not found. Install it with `apt-get install opencv-data` \
                (it provides \(FaceDetector.debianCascadePath)), or pass the path to a \
                haarcascade_frontalface_default.xml (option or FERDASH_CASCADE).
                """)
        }
        guard !isDirectory.boolValue else {
            throw FaceDetectorError(file: path, reason: "is a directory, expected a Haar cascade XML file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FaceDetectorError(file: path, reason: "cannot read the file (permissions?)")
        }
        return try parse(data: data, name: path)
    }

    /// Parses cascade XML held in memory; `name` is used in error messages.
    package static func parse(data: Data, name: String) throws -> HaarCascade {
        let root = try XMLTree.parse(data: data, name: name)
        do {
            return try CascadeReader.read(root)
        } catch let problem as CascadeProblem {
            throw FaceDetectorError(file: name, reason: problem.message)
        }
    }
}

/// An internal error without the file name; `parse` adds it.
private struct CascadeProblem: Error {
    var message: String
}

/// A minimal element tree: the cascade is under a megabyte, and validating a tree is much
/// simpler (and gives better messages) than validating inside SAX callbacks.
final class XMLTree {
    let name: String
    var text = ""
    var children: [XMLTree] = []
    let line: Int
    init(name: String, line: Int) {
        self.name = name
        self.line = line
    }

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    static func parse(data: Data, name: String) throws -> XMLTree {
        // Foundation's XMLParser traps (force-unwraps a String) on an element or attribute name
        // that is not UTF-8, which the fuzzer found; a cascade is ASCII, so refuse such bytes first.
        if let bad = firstInvalidUTF8(data) {
            let line = 1 + data.prefix(bad).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            throw FaceDetectorError(file: name, reason: "not a text file: invalid UTF-8 at byte \(bad) (line \(line)); expected Haar cascade XML")
        }
        // Foundation's XMLParser also crashes (strlen of a null pointer) on a processing
        // instruction without data, `<?name?>`, which the fuzzer found; a cascade has none but
        // the XML declaration, so refuse any other first.
        if let line = lineOfProcessingInstruction(data) {
            throw FaceDetectorError(file: name, reason: "line \(line): a processing instruction (<?…?>) other than the XML declaration; expected Haar cascade XML")
        }
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        // XMLParser stops at the first error (truncation, mismatched tags…) and reports where.
        let ok = parser.parse()
        if !ok || builder.root == nil || !builder.stack.isEmpty {
            let detail = parser.parserError.map { ($0 as NSError).localizedDescription } ?? "unexpected end of document"
            throw FaceDetectorError(file: name, reason:
                "malformed or truncated XML near line \(parser.lineNumber): \(detail)")
        }
        return builder.root!
    }

    /// The line of the first `<?` that does not open the XML declaration at the very start.
    static func lineOfProcessingInstruction(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        let open: [UInt8] = [UInt8(ascii: "<"), UInt8(ascii: "?")]
        var line = 1
        for i in bytes.indices {
            if bytes[i] == UInt8(ascii: "\n") { line += 1; continue }
            guard i + 1 < bytes.count, bytes[i] == open[0], bytes[i + 1] == open[1] else { continue }
            if i == 0 && isXMLDeclaration(bytes[2...]) { continue }
            return line
        }
        return nil
    }

    /// `xml` followed by white space: the declaration, not a processing instruction named xml….
    private static func isXMLDeclaration(_ rest: ArraySlice<UInt8>) -> Bool {
        guard rest.starts(with: Array("xml".utf8)), let next = rest.dropFirst(3).first else { return false }
        return next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r")
    }

    /// Where the first sequence that is not valid UTF-8 starts, if there is one.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var decoder = UTF8()
        var iterator = data.makeIterator()
        var valid = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): valid += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return valid
            }
        }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLTree?
        var stack: [XMLTree] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            let node = XMLTree(name: elementName, line: parser.lineNumber)
            if let parent = stack.last { parent.children.append(node) } else if root == nil { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            _ = stack.popLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

/// Turns the element tree into a HaarCascade, checking every count and index on the way.
private enum CascadeReader {
    static func read(_ root: XMLTree) throws -> HaarCascade {
        let cascade = try cascadeElement(root)
        let window = try windowSize(cascade)
        // Features first, so weak classifiers can be checked against their count.
        let features = try readFeatures(cascade, window: window)
        var trees = Trees(featureCount: features.count)
        let stages = try readStages(cascade, into: &trees)
        return HaarCascade(windowWidth: window.width, windowHeight: window.height, rects: features.rects,
                           featureRectStart: features.rectStart, nodes: trees.nodes, leaves: trees.leaves,
                           classifierNodeStart: trees.nodeStart, classifierLeafStart: trees.leafStart,
                           stages: stages)
    }

    /// The <cascade> element of a new-style HAAR/BOOST cascade.
    private static func cascadeElement(_ root: XMLTree) throws -> XMLTree {
        // The file is <opencv_storage><cascade>…; accept a bare <cascade> root too.
        guard let cascade = root.name == "cascade" ? root : root.child("cascade") else {
            if root.children.contains(where: { $0.child("stages") != nil && $0.child("size") != nil }) {
                throw CascadeProblem(message:
                    "old-style OpenCV cascade (opencv-haar-classifier) is not supported; use a file in the new format such as haarcascade_frontalface_default.xml")
            }
            throw CascadeProblem(message: "missing <cascade> element (not an OpenCV cascade file?)")
        }
        if let type = cascade.child("featureType")?.trimmedText, type.uppercased() != "HAAR" {
            throw CascadeProblem(message: "<featureType> is \(type); only HAAR cascades are supported")
        }
        if let type = cascade.child("stageType")?.trimmedText, type.uppercased() != "BOOST" {
            throw CascadeProblem(message: "<stageType> is \(type); only BOOST cascades are supported")
        }
        return cascade
    }

    private static func windowSize(_ cascade: XMLTree) throws -> (width: Int, height: Int) {
        let width = try integer(cascade, "width", in: "<cascade>")
        let height = try integer(cascade, "height", in: "<cascade>")
        guard (1...1000).contains(width), (1...1000).contains(height) else {
            throw CascadeProblem(message: "window size \(width)×\(height) is not plausible")
        }
        guard width >= 3, height >= 3 else {
            throw CascadeProblem(message: "window \(width)×\(height) is too small (need at least 3×3)")
        }
        return (width, height)
    }

    /// Every feature's rectangles in one array; feature f owns rects[rectStart[f]..<rectStart[f + 1]].
    private static func readFeatures(_ cascade: XMLTree, window: (width: Int, height: Int))
        throws -> (rects: [HaarCascade.Rect], rectStart: [Int], count: Int) {
        guard let featuresNode = cascade.child("features") else {
            throw CascadeProblem(message: "missing <features> in <cascade>")
        }
        var rects: [HaarCascade.Rect] = []
        var rectStart: [Int] = [0]
        for (f, feature) in featuresNode.children.enumerated() {
            rects += try readFeature(feature, place: "feature \(f) (line \(feature.line))", window: window)
            rectStart.append(rects.count)
        }
        guard rectStart.count > 1 else { throw CascadeProblem(message: "<features> is empty") }
        return (rects, rectStart, rectStart.count - 1)
    }

    private static func readFeature(_ feature: XMLTree, place: String, window: (width: Int, height: Int))
        throws -> [HaarCascade.Rect] {
        guard let rectsNode = feature.child("rects") else {
            throw CascadeProblem(message: "\(place): missing <rects>")
        }
        if let tilted = feature.child("tilted") {
            let value = try numbers(tilted, expectCount: 1, in: place)[0]
            if value != 0 {
                throw CascadeProblem(message: "\(place): tilted (45°) features are not supported by this detector")
            }
        }
        // Haar features have two or three rectangles; the detector stores three per node.
        guard (1...3).contains(rectsNode.children.count) else {
            throw CascadeProblem(message: "\(place): expected 1 to 3 rectangles, found \(rectsNode.children.count)")
        }
        return try rectsNode.children.enumerated().map { r, rectNode in
            let v = try numbers(rectNode, expectCount: 5, in: "\(place), rect \(r)")
            for i in 0..<4 where v[i] != v[i].rounded() {
                throw CascadeProblem(message: "\(place), rect \(r): coordinate \(v[i]) is not an integer")
            }
            // Checked before Int(_:), which traps on a value beyond Int's range (a fuzzer find).
            for i in 0..<4 where abs(v[i]) > 1e9 {
                throw CascadeProblem(message:
                    "\(place), rect \(r): coordinate \(v[i]) lies far outside the \(window.width)×\(window.height) window")
            }
            let rect = HaarCascade.Rect(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3]), weight: v[4])
            guard rect.x >= 0, rect.y >= 0, rect.width > 0, rect.height > 0,
                  rect.x + rect.width <= window.width, rect.y + rect.height <= window.height else {
                throw CascadeProblem(message:
                    "\(place), rect \(r): \(rect.x) \(rect.y) \(rect.width) \(rect.height) lies outside the \(window.width)×\(window.height) window")
            }
            return rect
        }
    }

    /// The weak classifiers' trees, flattened: classifier c's nodes start at nodeStart[c] and
    /// its leaves at leafStart[c].
    private struct Trees {
        let featureCount: Int
        var nodes: [HaarCascade.Node] = []
        var leaves: [Double] = []
        var nodeStart: [Int] = []
        var leafStart: [Int] = []
        init(featureCount: Int) { self.featureCount = featureCount }
    }

    private static func readStages(_ cascade: XMLTree, into trees: inout Trees) throws -> [HaarCascade.Stage] {
        guard let stagesNode = cascade.child("stages") else {
            throw CascadeProblem(message: "missing <stages> in <cascade>")
        }
        guard !stagesNode.children.isEmpty else { throw CascadeProblem(message: "<stages> is empty") }
        if cascade.child("stageNum") != nil {
            let declared = try integer(cascade, "stageNum", in: "<cascade>")
            guard declared == stagesNode.children.count else {
                throw CascadeProblem(message:
                    "<stageNum> says \(declared) stages but <stages> holds \(stagesNode.children.count) (truncated file?)")
            }
        }
        return try stagesNode.children.enumerated().map { s, stage in
            try readStage(stage, place: "stage \(s) (line \(stage.line))", into: &trees)
        }
    }

    private static func readStage(_ stage: XMLTree, place: String, into trees: inout Trees) throws -> HaarCascade.Stage {
        guard let thresholdNode = stage.child("stageThreshold") else {
            throw CascadeProblem(message: "\(place): missing <stageThreshold>")
        }
        let threshold = try numbers(thresholdNode, expectCount: 1, in: "\(place) <stageThreshold>")[0]
        guard let weakNode = stage.child("weakClassifiers"), !weakNode.children.isEmpty else {
            throw CascadeProblem(message: "\(place): missing or empty <weakClassifiers>")
        }
        if stage.child("maxWeakCount") != nil {
            let declared = try integer(stage, "maxWeakCount", in: place)
            guard declared == weakNode.children.count else {
                throw CascadeProblem(message:
                    "\(place): <maxWeakCount> says \(declared) weak classifiers but there are \(weakNode.children.count)")
            }
        }
        let first = trees.nodeStart.count
        for (w, weak) in weakNode.children.enumerated() {
            try readWeakClassifier(weak, place: "\(place), weak classifier \(w)", into: &trees)
        }
        return .init(threshold: threshold, firstClassifier: first, classifierCount: trees.nodeStart.count - first)
    }

    private static func readWeakClassifier(_ weak: XMLTree, place wplace: String, into trees: inout Trees) throws {
        guard let internalNodes = weak.child("internalNodes") else {
            throw CascadeProblem(message: "\(wplace): missing <internalNodes>")
        }
        guard let leafNode = weak.child("leafValues") else {
            throw CascadeProblem(message: "\(wplace): missing <leafValues>")
        }
        let raw = try numbers(internalNodes, expectCount: nil, in: "\(wplace) <internalNodes>")
        guard !raw.isEmpty, raw.count % 4 == 0 else {
            throw CascadeProblem(message:
                "\(wplace): <internalNodes> must hold groups of 4 numbers (left right featureIndex threshold), found \(raw.count)")
        }
        let leafValues = try numbers(leafNode, expectCount: nil, in: "\(wplace) <leafValues>")
        let nodeCount = raw.count / 4
        guard leafValues.count == nodeCount + 1 else {
            throw CascadeProblem(message:
                "\(wplace): a tree of \(nodeCount) node(s) needs \(nodeCount + 1) leaf values, found \(leafValues.count)")
        }
        trees.nodeStart.append(trees.nodes.count)
        trees.leafStart.append(trees.leaves.count)
        for n in 0..<nodeCount {
            let left = raw[4 * n], right = raw[4 * n + 1], feature = raw[4 * n + 2]
            for v in [left, right, feature] where v != v.rounded() || abs(v) > 1e9 {
                throw CascadeProblem(message: "\(wplace), node \(n): index \(v) is not an integer")
            }
            let node = HaarCascade.Node(feature: Int(feature), threshold: raw[4 * n + 3], left: Int(left), right: Int(right))
            guard (0..<trees.featureCount).contains(node.feature) else {
                throw CascadeProblem(message:
                    "\(wplace), node \(n): feature index \(node.feature) is out of range (the file has \(trees.featureCount) features)")
            }
            // Children must point forward (to a later node) or to an existing leaf, which
            // also rules out cycles, so evaluation always terminates.
            for child in [node.left, node.right] {
                let valid = child > 0 ? (child > n && child < nodeCount) : (-child < leafValues.count)
                guard valid else {
                    throw CascadeProblem(message:
                        "\(wplace), node \(n): child index \(child) is out of range (\(nodeCount) node(s), \(leafValues.count) leaves)")
                }
            }
            trees.nodes.append(node)
        }
        trees.leaves.append(contentsOf: leafValues)
    }

    private static func integer(_ parent: XMLTree, _ name: String, in place: String) throws -> Int {
        guard let node = parent.child(name) else {
            throw CascadeProblem(message: "missing <\(name)> in \(place)")
        }
        let text = node.trimmedText
        guard let value = Int(text) else {
            throw CascadeProblem(message: "<\(name)> in \(place) (line \(node.line)) is not an integer: '\(text.prefix(40))'")
        }
        return value
    }

    /// The whitespace-separated numbers of an element; all must be finite.
    private static func numbers(_ node: XMLTree, expectCount: Int?, in place: String) throws -> [Double] {
        let words = node.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        var values: [Double] = []
        values.reserveCapacity(words.count)
        for word in words {
            guard let v = Double(word), v.isFinite else {
                throw CascadeProblem(message: "\(place) (line \(node.line)): '\(word.prefix(40))' is not a number")
            }
            values.append(v)
        }
        if let expectCount, values.count != expectCount {
            throw CascadeProblem(message:
                "\(place) (line \(node.line)): expected \(expectCount) number(s), found \(values.count)")
        }
        return values
    }
}
