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
} else if args.count > 1, args[1] == "trainloop" || args[1] == "inferloop" || args[1] == "latencyloop" {
    // Fixed work for measuring CPU time with /usr/bin/time: N training steps or inference
    // calls at batch 128, or N single-image calls.
    let threads = args.count > 2 ? Int(args[2]) ?? 2 : 2
    let steps = args.count > 3 ? Int(args[3]) ?? 50 : 50
    ComputeThreads.set(threads)
    let model = Classifier(architecture: .seed, seed: 1)
    let images = (0..<(128 * ModelShape.pixels)).map { Float($0 % 255) / 255 }
    let labels = (0..<128).map { Int32($0 % 7) }
    images.withUnsafeBufferPointer { buf in
        switch args[1] {
        case "trainloop": for _ in 0..<steps { _ = model.trainStep(images: buf, labels: labels) }
        case "inferloop": for _ in 0..<steps { _ = model.logits(images: buf, count: 128) }
        default:
            let one = UnsafeBufferPointer(rebasing: buf[0..<ModelShape.pixels])
            for _ in 0..<steps { _ = model.logits(images: one, count: 1) }
        }
    }
} else {
    print("ferdash skeleton (try: ferdash bench [threads] [steps])")
}
