// swift-tools-version: 6.0
import PackageDescription

// One executable over a stack of small libraries; see docs/DESIGN.md for who may import whom.
//
// Release builds keep Swift's run-time checks (bounds, overflow) everywhere but the numeric
// engine. -Ounchecked is only for FERModel, where it measured ~5% faster vgg9 training on the
// AVX2 EPYC (398–422 against 377–403 img/s, 4 interleaved runs). Elsewhere a few hundredths of
// a second do not buy unchecked parsing: fer2013.csv loads in 0.35–0.42 s unchecked against
// 0.39–0.45 s checked. Everything that parses files (CSV, images, checkpoints, metrics, cascades,
// run files) keeps its checks.
//
// Parsers of untrusted files keep Swift's checks: -O, not -Ounchecked.
let checked: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]
// The engine's kernels, unchecked in release (the measurement above). Its kernels (SIMD types
// above all: every lane operation is a call at -Onone) run 4-50x slower unoptimised, so its
// tests and the debug tool keep -O.
let engine: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
                              .unsafeFlags(["-O"], .when(configuration: .debug))]
// Face detection runs a cascade over every window of a frame: the video tests analyse hundreds
// of frames, 10x slower unoptimised, so they keep -O in debug (with Swift's checks).
let detection: [SwiftSetting] = checked + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "ferdash",
    products: [.executable(name: "ferdash", targets: ["ferdash"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libncurses-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        // FFmpeg's demuxers, decoders and scaler (Debian: libavformat-dev and its siblings).
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libavdevice-dev"])]),
        // Thin C glue for zlib, libpng and libjpeg, whose error handling needs setjmp.
        .target(name: "CCodecs", linkerSettings: [
            .linkedLibrary("z"), .linkedLibrary("png16"), .linkedLibrary("jpeg"),
        ]),

        // The engine's element-wise kernels, one table per instruction set, picked at run time.
        // No FMA contraction, so every table computes the same bits; -O2 in debug too, as the
        // engine's tests run through them.
        .target(name: "CKernels", cSettings: [
            .unsafeFlags(["-O3", "-ffp-contract=off"], .when(configuration: .release)),
            .unsafeFlags(["-O2", "-ffp-contract=off"], .when(configuration: .debug)),
        ]),
        // The checkpoint file format, apart from the engine so that its reader of downloaded or
        // damaged files keeps Swift's checks while the engine runs unchecked.
        .target(name: "CheckpointFormat", swiftSettings: checked),
        .target(name: "FERModel", dependencies: ["CBLAS", "CKernels", "CheckpointFormat"], swiftSettings: engine),
        .target(name: "FERData", dependencies: ["CCodecs"], swiftSettings: checked),
        .target(name: "FaceDetection", dependencies: ["FERData"], swiftSettings: detection),
        // Protocol Buffers wire encoding, shared by the TensorBoard and ONNX writers.
        .target(name: "ProtoWire"),
        .target(name: "FERTraining", dependencies: ["FERModel", "FERData", "ProtoWire"],
                swiftSettings: checked),
        .target(name: "ONNXExport", dependencies: ["FERModel", "ProtoWire"]),
        // What a video's analysis found over time, as plain values: per-frame faces and
        // probabilities, the face tracker, the CSV/JSONL table, summaries, smoothing, segments, the plot.
        .target(name: "EmotionTimeline", dependencies: ["FERData"]),
        // The only importer of CFFmpeg: frames with their presentation times, in display orientation.
        .target(name: "VideoDecoding", dependencies: ["CFFmpeg", "FERData", "EmotionTimeline"]),
        // A video's analysis: decode on one thread, find and follow faces, classify, write as it goes.
        .target(name: "VideoAnalysis", dependencies: ["VideoDecoding", "EmotionTimeline", "FaceDetection", "FERModel",
                                                      "FERTraining", "FERData"]),
        .target(name: "TermUI"),
        .target(name: "TermUINcurses", dependencies: ["TermUI", "CNcurses"]),
        .target(name: "Dashboard", dependencies: ["TermUI", "FERModel", "FERTraining", "FERData", "EmotionTimeline"]),
        // `ferdash predict` without the flags: faces found in image files, the network's answer, its JSON and text.
        .target(name: "ImagePrediction", dependencies: ["FaceDetection", "FERModel", "FERTraining", "FERData"]),
        .executableTarget(name: "ferdash", dependencies: [
            "FERModel", "FERData", "FERTraining", "ONNXExport", "FaceDetection", "TermUI", "TermUINcurses", "Dashboard",
            "EmotionTimeline", "VideoDecoding", "VideoAnalysis", "ImagePrediction",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: checked),
        // Drives each parser with arbitrary bytes: a file replayer, or libFuzzer's driver when
        // scripts/fuzz.sh builds it with -sanitize=fuzzer (see the file's header).
        .executableTarget(name: "ferfuzz", dependencies: ["CheckpointFormat", "FERModel", "FERData", "FaceDetection", "FERTraining", "VideoDecoding"]),

        // What the test targets share: snapshots, temporary folders, the event recorder, a seeded RNG.
        // (FERModelTests needs none of it: the engine tests use the engine's own generator.)
        .target(name: "FERTestSupport", dependencies: ["TermUI", "FERData", "FERTraining"], path: "Tests/FERTestSupport"),
        .testTarget(name: "FERModelTests", dependencies: ["FERModel", "CheckpointFormat"]),
        .testTarget(name: "FERDataTests", dependencies: ["FERData", "FERTestSupport"]),
        .testTarget(name: "FaceDetectionTests", dependencies: ["FaceDetection", "FERData", "FERTestSupport"]),
        .testTarget(name: "FERTrainingTests", dependencies: ["FERTraining", "FERModel", "FERData", "FERTestSupport"]),
        .testTarget(name: "FileFormatTests", dependencies: ["ProtoWire", "FERTraining", "ONNXExport", "FERModel", "FERData",
                                                           "FERTestSupport"]),
        .testTarget(name: "EmotionTimelineTests", dependencies: ["EmotionTimeline", "FERData", "FERTestSupport"]),
        .testTarget(name: "VideoDecodingTests", dependencies: ["VideoDecoding", "EmotionTimeline", "FERData", "FERTestSupport"]),
        .testTarget(name: "VideoAnalysisTests", dependencies: ["VideoAnalysis", "VideoDecoding", "EmotionTimeline", "FaceDetection",
                                                               "FERModel", "FERTraining", "FERData", "FERTestSupport"]),
        .testTarget(name: "TermUITests", dependencies: ["TermUI", "FERTestSupport"], exclude: ["__Snapshots__"]),
        .testTarget(name: "TermUINcursesTests", dependencies: ["TermUINcurses", "TermUI"]),
        .testTarget(name: "FuzzReplayTests", dependencies: ["ferfuzz"], exclude: ["corpus", "regressions", "dictionaries", "lsan.supp"]),
        .testTarget(name: "ImagePredictionTests", dependencies: ["ImagePrediction", "FERTraining", "FERData", "FERTestSupport"]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TermUI", "FERTraining", "FERData", "EmotionTimeline",
                                                          "FERTestSupport"],
                    exclude: ["__Snapshots__"]),
    ],
    // Every target in Swift 6 mode: complete concurrency checking (docs/DESIGN.md, "Concurrency").
    swiftLanguageModes: [.v6]
)
