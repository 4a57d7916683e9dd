// The kernels compiled for AVX2 + FMA; dispatch.c hands them out only where the CPU has both.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define FD_SUFFIX avx2
#include "kernels_body.h"
#pragma clang attribute pop
#endif
