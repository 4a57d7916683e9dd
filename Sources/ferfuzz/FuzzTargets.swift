import CheckpointFormat
import FaceDetection
import FERData
import FERModel
import FERTraining
import Foundation
import VideoDecoding

/// One parser driven with arbitrary bytes. Every input must end in a value or a thrown error;
/// a trap, a sanitizer report, a hang or an error that does not name its source is a finding.
enum FuzzTarget: String, CaseIterable {
    case csv            // a pixel CSV file, through the public dataset loader
    case csvGzip = "csv-gzip"   // the same, gzip-compressed (raw .gz bytes, or CSV text we compress and cut)
    case png
    case jpeg
    case pnm            // PGM / PPM
    case exif           // the EXIF orientation reader of JPEG APP1 segments
    case checkpoint     // the checkpoint decoder
    case cascade        // OpenCV Haar cascade XML, then a detection with what it accepted
    case metrics        // metrics.jsonl as `ferdash watch` reads another process's file
    case video          // any container FFmpeg knows, through VideoDecoder(bytes:), every frame

    func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .csv: Self.loadDataset(Array(bytes), name: "fuzz.csv")
        case .csvGzip: Self.loadDataset(Self.gzipInput(bytes), name: "fuzz.csv.gz")
        case .png, .jpeg, .pnm: Self.decodeImage(bytes)
        case .exif: Self.exif(bytes)
        case .checkpoint: Self.checkpoint(Array(bytes))
        case .cascade: Self.cascade(bytes)
        case .metrics: Self.metrics(Array(bytes))
        case .video: Self.video(Array(bytes))
        }
    }

    // MARK: - Targets

    /// The reader streams files (on a second thread), so the input goes through one: the path
    /// users' downloads take. Blocks of 4 KB instead of 8 MB make rows cross block seams (and keep
    /// an execution cheap); both the strict and the --skip-bad-rows modes run.
    private static func loadDataset(_ bytes: [UInt8], name: String) {
        let path = scratchDirectory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            fatalError("ferfuzz: cannot write \(path)")
        }
        for (skip, requireEmotion) in [(false, true), (true, false)] {
            do {
                let rows = try CSVReader.read(path: path, options: LoadOptions(skipBadRows: skip), requireEmotion: requireEmotion,
                                              holdOutSeed: 1, blockSize: 4096)
                for set in rows.byUsage {
                    require(set.pixels.count == set.count * ImageSet.side * ImageSet.side, "image set with \(set.count) images holds \(set.pixels.count) pixels")
                }
                require(skip || rows.skipped == 0, "rows skipped without --skip-bad-rows")
            } catch {
                requireNamed(error, path)
            }
        }
    }

    /// Input that starts with the gzip magic is used as is; anything else is CSV text we
    /// compress, then cut at a point the input's last byte picks (a truncated download).
    private static func gzipInput(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return Array(bytes) }
        let compressed = Gzip.compress(Array(bytes))
        guard let last = bytes.last, last & 1 == 1 else { return compressed }
        return Array(compressed.prefix(compressed.count * Int(last) / 256))
    }

    private static func decodeImage(_ bytes: UnsafeBufferPointer<UInt8>) {
        do {
            let image = try ImageFile.decodeGray(bytes, name: "fuzz-image")
            require(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height,
                    "decoded \(image.width)×\(image.height) with \(image.pixels.count) pixels")
            // What predict does next with a decoded photo.
            require(ImageFile.faceInput(from: image).count == ImageSet.side * ImageSet.side, "face input size")
        } catch {
            requireNamed(error, "fuzz-image")
        }
    }

    private static func exif(_ bytes: UnsafeBufferPointer<UInt8>) {
        let orientation = ExifOrientation.read(jpeg: bytes)
        require((1...8).contains(orientation), "orientation \(orientation) outside 1…8")
        let image = GrayImage(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6])
        let turned = ExifOrientation.apply(orientation, to: image)
        require(turned.pixels.sorted() == image.pixels, "orientation \(orientation) lost pixels")
    }

    /// Against a layout of a few floats for the known architecture names (nil, "unknown", for
    /// others): the fuzzer reaches every field up to the checksum without megabyte inputs, and
    /// without building a real network per input as `Classifier.fromCheckpoint` does.
    private static func checkpoint(_ bytes: [UInt8]) {
        let small: [(name: String, count: Int)] = [("w", 3), ("b", 2)]
        do {
            let state = try CheckpointCodec.decode(bytes, knownArchitectures: Architecture.allCases.map(\.rawValue),
                                                   layout: { Architecture(rawValue: $0) == nil ? nil : small })
            require(state.tensors.map(\.value.count) == [3, 2], "decoded tensors of the wrong sizes")
        } catch {
            require(!String(describing: error).isEmpty, "an empty checkpoint error")
        }
    }

    private static func cascade(_ bytes: UnsafeBufferPointer<UInt8>) {
        do {
            let cascade = try HaarCascade.parse(data: Data(buffer: bytes), name: "fuzz.xml")
            // Whatever the loader accepts must be safe to run.
            var pixels = [UInt8](repeating: 0, count: 40 * 40)
            for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: i &* 37) }
            let detector = FaceDetector(cascade: cascade, name: "fuzz.xml")
            _ = detector.detect(in: GrayImage(width: 40, height: 40, pixels: pixels), minFaceSize: 1)
        } catch {
            requireNamed(error, "fuzz.xml")
        }
    }

    /// The file is read while another process appends to it, so lines arrive cut anywhere:
    /// reading it in two pieces (cut where the first byte says) must give what reading it whole does.
    private static func metrics(_ bytes: [UInt8]) {
        var whole = MetricsParser()
        let once = whole.feed(bytes)
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var pieces = MetricsParser()
        let first = pieces.feed(Array(bytes[..<cut])), second = pieces.feed(Array(bytes[cut...]))
        // Record by record; a step line without its loss reads as NaN, and NaN != NaN, so such a
        // record counts as equal when it prints the same (whole lists cannot be compared as text:
        // a dictionary prints in an order of its own).
        let pieced = first.records + second.records
        require(pieced.count == once.records.count && zip(pieced, once.records).allSatisfy { $0 == $1 || "\($0)" == "\($1)" },
                "records differ when the file arrives in two pieces (cut at \(cut))")
        require(first.problems + second.problems == once.problems, "problems differ when the file arrives in two pieces (cut at \(cut))")
        require(whole.pendingBytes == pieces.pendingBytes && whole.lineCount == pieces.lineCount, "line bookkeeping differs")
        for problem in once.problems {
            require(problem.description.hasPrefix("\(RunDirectory.metricsName) line \(problem.line): "), "problem without its line: \(problem)")
        }
    }

    /// Opens the bytes as a video and decodes it to the end (images on every other frame, so both
    /// paths run), then, for inputs whose last byte is odd, seeks to the middle and decodes a few
    /// more. A small maxSide keeps an execution cheap. Capped at 300 frames and 10 s between frames,
    /// so a long valid video cannot pass for a hang; a single call that hangs still is a finding.
    private static func video(_ bytes: [UInt8]) {
        let name = "fuzz-video"
        let maxSide = 64
        do {
            let decoder = try VideoDecoder(bytes: bytes, name: name, maxSide: maxSide)
            let info = decoder.info
            require(info.width > 0 && info.height > 0, "opened a video of \(info.width)×\(info.height)")
            require([0, 90, 180, 270].contains(info.rotation), "rotation \(info.rotation)")
            require(info.duration.map { $0.isFinite && $0 >= 0 } ?? true, "duration \(String(describing: info.duration))")
            require(!info.isLive, "bytes in memory reported as live")
            let started = Date()
            var count = 0, lastIndex = -1
            func check(_ frame: VideoFrame, wantImage: Bool) {
                require(frame.index > lastIndex, "frame index \(frame.index) after \(lastIndex)")
                lastIndex = frame.index
                require(frame.timestamp.isFinite, "timestamp \(frame.timestamp)")
                require(frame.scale > 0 && frame.scale <= 1, "scale \(frame.scale)")
                let image = frame.image
                if wantImage {
                    require(image.width > 0 && image.height > 0 && max(image.width, image.height) <= maxSide
                            && image.pixels.count == image.width * image.height,
                            "an image of \(image.width)×\(image.height) with \(image.pixels.count) pixels")
                } else {
                    require(image.width == 0 && image.height == 0 && image.pixels.isEmpty, "an image nobody wanted")
                }
            }
            while count < 300, Date().timeIntervalSince(started) < 10, let frame = try decoder.nextFrame(wantImage: count % 2 == 0) {
                check(frame, wantImage: count % 2 == 0)
                count += 1
            }
            require(decoder.warnings.count <= 100, "\(decoder.warnings.count) warnings")
            if count > 0, let last = bytes.last, last & 1 == 1 {
                try decoder.seek(to: (info.duration ?? 1) / 2)
                lastIndex = -1
                for _ in 0..<5 {
                    guard let frame = try decoder.nextFrame() else { break }
                    check(frame, wantImage: true)
                }
            }
        } catch {
            requireNamed(error, name)
        }
    }

    // MARK: - Checks

    /// Errors people see must say which file they are about.
    private static func requireNamed(_ error: Error, _ name: String) {
        let text = String(describing: error)
        require(text.contains(name), "error does not name \(name): \(text)")
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("ferfuzz: \(message())") }
    }

    /// Per process: fuzzing jobs may run side by side.
    private static let scratchDirectory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/ferfuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        scratchPath = dir
        atexit { try? FileManager.default.removeItem(atPath: FuzzTarget.scratchPath) }
        return dir
    }()

    /// For the atexit handler, which cannot capture.
    nonisolated(unsafe) static var scratchPath = ""   // unchecked: set once, before any fuzz input runs, by the lazy `scratchDirectory` initialiser (a one-time, locked init)
}
