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
} else {
    print("ferdash skeleton (try: ferdash bench [threads] [steps])")
}
