import Foundation

/// `ferfuzz` drives one parser (a `FuzzTarget`) with arbitrary bytes.
///
/// Built normally it replays files: `ferfuzz TARGET FILE|DIR...` runs each input once, which is how
/// a finding is reproduced under a debugger. Built by `scripts/fuzz.sh` (`-sanitize=fuzzer,address
/// -DFERFUZZ_LIBFUZZER`) it hands its arguments to libFuzzer, with the target named by
/// `FERFUZZ_TARGET`: `FERFUZZ_TARGET=png ferfuzz corpus/ -max_total_time=60`.
@main
enum FerFuzz {
    static func main() {
        #if FERFUZZ_LIBFUZZER
        guard let name = ProcessInfo.processInfo.environment["FERFUZZ_TARGET"], let target = FuzzTarget(rawValue: name) else {
            fail("set FERFUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        selected = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput))
        #else
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            fail("usage: ferfuzz TARGET FILE|DIR... (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var count = 0
        for input in inputs(Array(arguments.dropFirst())) {
            guard let data = FileManager.default.contents(atPath: input) else { fail("cannot read \(input)") }
            [UInt8](data).withUnsafeBufferPointer { target.run($0) }
            count += 1
        }
        print("ferfuzz \(target.rawValue): \(count) inputs ran without a finding")
        #endif
    }

    /// Files as given; directories expanded to their files, sorted.
    static func inputs(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("ferfuzz: \(message)\n".utf8))
        exit(2)
    }
}

#if FERFUZZ_LIBFUZZER
nonisolated(unsafe) var selected = FuzzTarget.csv   // unchecked: set in main before libFuzzer starts; its callback only reads it

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// libFuzzer's entry point (its own `main`, linked in by -sanitize=fuzzer, refers to it too).
@_cdecl("LLVMFuzzerTestOneInput")
func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
#endif
