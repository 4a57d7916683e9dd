#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DatasetLoader {
    /// Which reader a path needs; decided from what is on disk, not from the command line.
    enum Format: Equatable {
        case csvFile(String)          // fer2013.csv[.gz], a seed train.csv, or any pixel CSV
        case seedFolder(train: String, test: String?)
        case imageFolders(root: String)
        case classFolders(root: String)   // a lone split folder: <class>/*.png directly inside
    }

    static func detect(path: String) throws -> Format {
        guard let kind = FileSystem.kind(path) else {
            throw DataError(file: path, reason: "no such file or directory")
        }
        if kind == .file { return .csvFile(path) }
        let entries = try FileSystem.list(path)
        func child(_ name: String) -> String? {
            entries.first { $0.lowercased() == name }.map { FileSystem.join(path, $0) }
        }
        if let train = child("train.csv") ?? child("train.csv.gz") {
            return .seedFolder(train: train, test: child("test.csv") ?? child("test.csv.gz"))
        }
        if let fer = child("fer2013.csv") ?? child("fer2013.csv.gz") { return .csvFile(fer) }
        let hasImageSplit = ["train", "test"].contains { name in
            child(name).map { FileSystem.kind($0) == .directory } ?? false
        }
        if hasImageSplit { return .imageFolders(root: path) }
        let hasClassFolder = entries.contains { name in
            ImageFolderReader.classFolders[name.lowercased()] != nil && FileSystem.kind(FileSystem.join(path, name)) == .directory
        }
        if hasClassFolder { return .classFolders(root: path) }
        throw DataError(file: path, reason: "unrecognised folder: expected fer2013.csv, train.csv (+ test.csv), "
            + "or train/ and test/ folders (or class folders directly) with class subfolders "
            + "(angry, disgust, fear, happy, sad, surprise, neutral)")
    }

    static func loadDetected(path: String, options: LoadOptions) throws -> Dataset {
        switch try detect(path: path) {
        case .csvFile(let file):
            var dataset = try loadCSV(file, options: options)
            // The seed's train.csv given directly still picks up its companion test.csv.
            if FileSystem.basename(file).lowercased() == "train.csv" {
                let sibling = FileSystem.join(FileSystem.dirname(file), "test.csv")
                if FileSystem.kind(sibling) == .file {
                    let test = try readCSV(sibling, options: options, requireEmotion: false)
                    dataset.test = test.byUsage[0]
                    dataset.skippedRows += test.skipped
                }
            }
            return dataset
        case .seedFolder(let train, let test):
            var dataset = try loadCSV(train, options: options)
            dataset.name = FileSystem.basename(path)
            if let test {
                let rows = try readCSV(test, options: options, requireEmotion: false)
                dataset.test = rows.byUsage[0]
                dataset.skippedRows += rows.skipped
            }
            return dataset
        case .imageFolders(let root):
            return try ImageFolderReader.load(root: root, options: options)
        case .classFolders(let root):
            // Treated as training data (with the seeded validation hold-out): a lone folder of
            // labelled faces is far more often something to learn from than a held-out test set.
            let (set, skipped) = try ImageFolderReader.loadSplit(root, options: options)
            guard !set.isEmpty else { throw DataError(file: root, reason: "no images found in the class folders (.png, .jpg, .jpeg)") }
            let (train, validation) = SeededSplit.holdOut(set, seed: options.splitSeed)
            return Dataset(name: FileSystem.basename(root), train: train, validation: validation, test: ImageSet(),
                           skippedRows: skipped)
        }
    }

    /// Reads a pixel CSV, inflating it when it starts with the gzip magic (whatever its name says),
    /// block by block while it is parsed (CSVStream.swift), so the text is never held whole.
    static func readCSV(_ path: String, options: LoadOptions, requireEmotion: Bool,
                        holdOutSeed: UInt64? = nil) throws -> CSVRows {
        try CSVReader.read(path: path, options: options, requireEmotion: requireEmotion, holdOutSeed: holdOutSeed)
    }

    /// A labelled CSV: with Usage, Training/PublicTest/PrivateTest map to train/validation/test;
    /// without it (or when no PublicTest rows exist), a seeded 10% of train becomes validation.
    /// The reader does that hold-out while merging its chunks: each set is copied exactly once.
    static func loadCSV(_ path: String, options: LoadOptions) throws -> Dataset {
        let rows = try readCSV(path, options: options, requireEmotion: true, holdOutSeed: options.splitSeed)
        return Dataset(name: FileSystem.basename(path), train: rows.byUsage[0], validation: rows.byUsage[1],
                       test: rows.byUsage[2], skippedRows: rows.skipped)
    }
}

/// The few file-system questions the loaders ask, on plain POSIX calls.
enum FileSystem {
    enum Kind { case file, directory, other }

    static func kind(_ path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Entry names (without "." and ".."), sorted so every load sees the same order.
    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw DataError(file: path, reason: "cannot list folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }

    static func basename(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p.split(separator: "/").last.map(String.init) ?? String(p)
    }

    static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
