// The public value types FERTraining, FaceDetection and the CLI rely on (the contract: add, don't break).
// Behaviour lives next door: DatasetLoader.swift (format detection), CSVReader.swift,
// ImageFolderReader.swift, ImageFile.swift + ImageDecoders.swift + Resample.swift, SyntheticFaces.swift.

/// The seven FER2013 classes, in label order.
public enum Emotion: Int, CaseIterable, Sendable {
    case anger, disgust, fear, happy, sad, surprise, neutral
    /// Lower-case name as printed and used in JSON ("anger", …).
    public var name: String { String(describing: self) }

    /// How many classes there are (7): the length of every probability vector and confusion row.
    public static let count = allCases.count

    /// The emotion with class index `index` (a label already checked, the argmax of a probability
    /// vector). An index outside 0..<7 is a bug in the caller, not bad input: files are checked
    /// where they are read, so this traps with the index rather than handing back an optional.
    public init(index: Int) {
        guard let emotion = Emotion(rawValue: index) else {
            preconditionFailure("class index \(index) is not an emotion (0..<\(Emotion.count))")
        }
        self = emotion
    }

    /// The most probable emotion of a score per class in `Emotion` order (the first of equals).
    public init<Scores: Collection>(mostLikelyIn scores: Scores) where Scores.Element: Comparable {
        precondition(scores.count == Emotion.count, "\(scores.count) scores, expected one per emotion")
        var best = 0
        var bestScore = scores.first!
        for (k, score) in scores.enumerated() where score > bestScore { (best, bestScore) = (k, score) }
        self.init(index: best)
    }
}

/// One split's images: pixels kept as UInt8, 2304 per image, row-major 48×48.
public struct ImageSet: Sendable {
    /// The side of every face image in pixels: FER2013's format, which every reader and the
    /// synthetic faces produce, and the network's input (`ModelShape`, checked equal in tests).
    public static let side = 48
    public static let pixelsPerImage = side * side
    public var pixels: [UInt8]
    /// Class index 0...6 per image, or -1 where the split is unlabelled.
    public var labels: [Int8]
    public init(pixels: [UInt8] = [], labels: [Int8] = []) {
        self.pixels = pixels
        self.labels = labels
    }
    public var count: Int { labels.count }
    public var isEmpty: Bool { labels.isEmpty }
    public var isLabeled: Bool { !labels.isEmpty && labels.allSatisfy { $0 >= 0 } }
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[index * Self.pixelsPerImage ..< (index + 1) * Self.pixelsPerImage]
    }
    public var perClassCounts: [Int] {
        var counts = [Int](repeating: 0, count: Emotion.count)
        for l in labels where l >= 0 { counts[Int(l)] += 1 }
        return counts
    }
}

public enum SplitName: String, CaseIterable, Sendable {
    case train, validation, test
}

/// A loaded dataset: three splits (any may be empty) and where it came from.
public struct Dataset: Sendable {
    public var name: String
    public var train: ImageSet
    public var validation: ImageSet
    public var test: ImageSet
    /// Rows skipped under --skip-bad-rows.
    public var skippedRows: Int
    public init(name: String, train: ImageSet, validation: ImageSet, test: ImageSet, skippedRows: Int = 0) {
        self.name = name
        self.train = train
        self.validation = validation
        self.test = test
        self.skippedRows = skippedRows
    }
    public subscript(split: SplitName) -> ImageSet {
        switch split {
        case .train: return train
        case .validation: return validation
        case .test: return test
        }
    }
}

/// Bad input: names the file, the line (when there is one) and what was expected.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var reason: String
    public init(file: String, line: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }
    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

public struct LoadOptions: Sendable {
    public var skipBadRows: Bool
    /// Seed of the 10% validation hold-out (formats without a validation split).
    public var splitSeed: UInt64
    public init(skipBadRows: Bool = false, splitSeed: UInt64 = 0) {
        self.skipBadRows = skipBadRows
        self.splitSeed = splitSeed
    }
}

public enum DatasetLoader {
    /// Detects the format (fer2013.csv[.gz], the seed's train.csv/test.csv file or folder,
    /// image folders train|test/<class>/) and loads it.
    public static func load(path: String, options: LoadOptions = .init()) throws -> Dataset {
        try loadDetected(path: path, options: options)
    }
}

/// A grayscale image of any size (decoded file, or a crop).
public struct GrayImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// An axis-aligned box in pixel coordinates.
public struct PixelRect: Sendable, Equatable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}
