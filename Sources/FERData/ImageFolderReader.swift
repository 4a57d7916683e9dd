import Dispatch

/// The Kaggle re-upload layout: `train/<class>/*.png|jpg|jpeg` and `test/<class>/…`.
/// Images that are not 48×48 go through `ImageFile.faceInput` (centred square, area averaging).
enum ImageFolderReader {
    /// Folder names per class, lower-case; the emotion name itself is accepted too ("anger").
    static let classFolders: [String: Emotion] = [
        "angry": .anger, "anger": .anger, "disgust": .disgust, "disgusted": .disgust, "fear": .fear,
        "fearful": .fear, "happy": .happy, "sad": .sad, "surprise": .surprise, "surprised": .surprise,
        "neutral": .neutral,
    ]
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    static func load(root: String, options: LoadOptions) throws -> Dataset {
        var skipped = 0
        var splits: [String: ImageSet] = [:]
        for split in ["train", "test"] {
            guard let name = try FileSystem.list(root).first(where: { $0.lowercased() == split }) else { continue }
            let folder = FileSystem.join(root, name)
            guard FileSystem.kind(folder) == .directory else { continue }
            let (set, bad) = try loadSplit(folder, options: options)
            splits[split] = set
            skipped += bad
        }
        let all = splits["train"] ?? ImageSet()
        let (train, validation) = SeededSplit.holdOut(all, seed: options.splitSeed)
        let test = splits["test"] ?? ImageSet()
        if train.isEmpty && test.isEmpty {
            throw DataError(file: root, reason: "no images found in train/ or test/ class folders (.png, .jpg, .jpeg)")
        }
        return Dataset(name: FileSystem.basename(root), train: train, validation: validation, test: test, skippedRows: skipped)
    }

    static func loadSplit(_ folder: String, options: LoadOptions) throws -> (ImageSet, Int) {
        var files: [(path: String, label: Int8)] = []
        for entry in try FileSystem.list(folder) where !entry.hasPrefix(".") {
            let path = FileSystem.join(folder, entry)
            guard FileSystem.kind(path) == .directory else { continue }
            guard let emotion = classFolders[entry.lowercased()] else {
                throw DataError(file: path, reason: "unknown class folder \"\(entry)\" "
                    + "(expected angry, disgust, fear, happy, sad, surprise, neutral)")
            }
            for name in try FileSystem.list(path) where !name.hasPrefix(".") {
                let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
                if imageExtensions.contains(ext) { files.append((FileSystem.join(path, name), Int8(emotion.rawValue))) }
            }
        }
        // Decode in parallel straight into the final pixel buffer; errors are kept per file so the
        // first one in listing order is reported, whatever thread met it.
        let side = ImageSet.pixelsPerImage
        var errors = [DataError?](repeating: nil, count: files.count)
        var pixels = [UInt8](repeating: 0, count: files.count * side)
        let workers = max(1, min(onlineProcessorCount(), 8))
        pixels.withUnsafeMutableBufferPointer { dst in
            errors.withUnsafeMutableBufferPointer { errs in
                // Worker w decodes files w, w + workers, ...: each writes only its own image and error.
                let dstBase = WorkerShared(dst.baseAddress!), errBase = WorkerShared(errs.baseAddress)
                let files = files
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var i = w
                    while i < files.count {
                        do {
                            let image = try ImageFile.readGray(path: files[i].path)
                            let face = image.width == ImageSet.side && image.height == ImageSet.side
                                ? image.pixels : ImageFile.faceInput(from: image)
                            (dstBase.pointer + i * side).update(from: face, count: side)
                        } catch let error as DataError {
                            errBase.pointer![i] = error
                        } catch {
                            errBase.pointer![i] = DataError(file: files[i].path, reason: "\(error)")
                        }
                        i += workers
                    }
                }
            }
        }
        let bad = errors.compactMap { $0 }
        if let first = bad.first, !options.skipBadRows { throw first }
        let set = ImageSet(pixels: pixels, labels: files.map(\.label))
        return bad.isEmpty ? (set, 0) : (set.gather { errors[$0] == nil }, bad.count)
    }
}
