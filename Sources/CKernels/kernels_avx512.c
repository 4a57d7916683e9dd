// The kernels compiled for AVX-512; dispatch.c hands them out only where the CPU has F/VL/BW/DQ.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"), \
                                            min_vector_width(512))), apply_to = function)
#define FD_SUFFIX avx512
#include "kernels_body.h"
#pragma clang attribute pop
#endif
