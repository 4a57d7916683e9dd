import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Which instruction set the engine's own kernels (CKernels: the Winograd transforms and their
/// epilogues) run on. All three compute the same bits; they differ only in speed. OpenBLAS picks
/// its own kernels for the GEMMs, independently.
///
/// Each `Engine` names one (by default `FERDASH_ISA=portable|avx2|avx512` if set, else the best
/// this CPU supports); layers take their engine's table when they are built (tests build layers
/// for each one).
public enum KernelISA: String, CaseIterable, Sendable {
    case portable, avx2, avx512

    var code: Int32 {
        switch self {
        case .portable: return Int32(FD_ISA_PORTABLE)
        case .avx2: return Int32(FD_ISA_AVX2)
        case .avx512: return Int32(FD_ISA_AVX512)
        }
    }

    /// Whether this CPU can run the table.
    public var isSupported: Bool { fd_isa_supported(code) != 0 }

    /// The tables this CPU can run, slowest first.
    public static var supported: [KernelISA] { allCases.filter(\.isSupported) }

    /// The fastest table this CPU can run.
    public static var best: KernelISA { supported.last ?? .portable }

    /// FERDASH_ISA read once: the table it names, or `best` with the reason it could not be
    /// used (the CLI reports that reason and stops; a library user gets the fastest table).
    public static let fromEnvironment = choose(getenv("FERDASH_ISA").map { String(cString: $0) })

    /// The table a FERDASH_ISA value asks for (nil or empty: `best`), with the reason when it
    /// cannot be had.
    static func choose(_ requested: String?) -> (isa: KernelISA, problem: String?) {
        guard let raw = requested, !raw.isEmpty else { return (best, nil) }
        let names = allCases.map(\.rawValue).joined(separator: ", ")
        guard let isa = KernelISA(rawValue: raw.lowercased()) else {
            return (best, "FERDASH_ISA=\(raw) is not an instruction set of ours; expected one of \(names)")
        }
        guard isa.isSupported else {
            return (best, "FERDASH_ISA=\(raw): this CPU cannot run it; it supports "
                        + supported.map(\.rawValue).joined(separator: ", "))
        }
        return (isa, nil)
    }

    /// The kernel table (static storage in CKernels).
    var table: UnsafePointer<fd_kernels> { fd_kernels_for(code) }
}
