// The kernels for any CPU: plain C, which the compiler vectorises for the baseline (SSE2 on x86-64).
#define FD_SUFFIX portable
#include "kernels_body.h"
