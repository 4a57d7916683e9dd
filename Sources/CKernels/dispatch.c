// Picks a kernel table by what the CPU supports. The tables themselves are in the
// kernels_*.c files, one per instruction set, all compiled from kernels_body.h.
#include "ckernels.h"
#include <stddef.h>

extern const fd_kernels fd_kernels_portable;
#if defined(__x86_64__)
extern const fd_kernels fd_kernels_avx2;
extern const fd_kernels fd_kernels_avx512;
#endif

int fd_isa_supported(int isa) {
    switch (isa) {
    case FD_ISA_PORTABLE:
        return 1;
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wider registers (XCR0).
    case FD_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case FD_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
#endif
    default:
        return 0;
    }
}

int fd_isa_best(void) {
    for (int isa = FD_ISA_COUNT - 1; isa > FD_ISA_PORTABLE; isa--) {
        if (fd_isa_supported(isa)) return isa;
    }
    return FD_ISA_PORTABLE;
}

const char *fd_isa_name(int isa) {
    static const char *names[FD_ISA_COUNT] = {"portable", "avx2", "avx512"};
    return isa >= 0 && isa < FD_ISA_COUNT ? names[isa] : NULL;
}

const fd_kernels *fd_kernels_for(int isa) {
#if defined(__x86_64__)
    if (isa == FD_ISA_AVX512 && fd_isa_supported(isa)) return &fd_kernels_avx512;
    if (isa == FD_ISA_AVX2 && fd_isa_supported(isa)) return &fd_kernels_avx2;
#endif
    return &fd_kernels_portable;
}
