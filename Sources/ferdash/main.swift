import FERModel

// Placeholder until the lead wires the real CLI: `ferdash bench [threads] [steps]` times the engine.
let args = CommandLine.arguments
if args.count > 1, args[1] == "bench" {
    let threads = args.count > 2 ? Int(args[2]) ?? ComputeThreads.count : ComputeThreads.count
    let steps = args.count > 3 ? Int(args[3]) ?? 20 : 20
    print(EngineBenchmark.run(architecture: .seed, threads: threads, batch: 128, steps: steps))
} else if args.count > 1, args[1] == "profile" {
    let threads = args.count > 2 ? Int(args[2]) ?? ComputeThreads.count : ComputeThreads.count
    let batch = args.count > 3 ? Int(args[3]) ?? 128 : 128
    for row in EngineBenchmark.profile(threads: threads, batch: batch, steps: batch == 1 ? 500 : 10) {
        print(row.layer, "forward", row.forwardMs, "ms", "backward", row.backwardMs, "ms")
    }
} else if args.count > 1, args[1] == "trainloop" {
    // Fixed work for measuring CPU time with /usr/bin/time: N training steps at batch 128.
    let threads = args.count > 2 ? Int(args[2]) ?? 2 : 2
    let steps = args.count > 3 ? Int(args[3]) ?? 50 : 50
    ComputeThreads.set(threads)
    let model = Classifier(architecture: .seed, seed: 1)
    let images = (0..<(128 * ModelShape.pixels)).map { Float($0 % 255) / 255 }
    let labels = (0..<128).map { Int32($0 % 7) }
    images.withUnsafeBufferPointer { buf in
        for _ in 0..<steps { _ = model.trainStep(images: buf, labels: labels) }
    }
} else {
    print("ferdash skeleton (try: ferdash bench [threads] [steps])")
}
