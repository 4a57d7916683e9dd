// The kernels, written once as plain loops over channels (NHWC: channels are the
// contiguous axis, so every loop below is a straight vector loop) and compiled once per
// instruction set by the kernels_*.c files, which define FD_SUFFIX and the target attribute.
//
// F(2×2, 3×3) and F(4×4, 3×3) (Lavin & Gray 2016): an m×m output tile from an (m+2)×(m+2)
// input tile d, V = Bᵀ d B, y = Aᵀ M A. The arithmetic and its order follow the Swift
// reference this replaced (rows first, then columns), so every table gives the same bits.
#include "ckernels.h"

#define FD_CAT2(a, b) a##_##b
#define FD_CAT(a, b) FD_CAT2(a, b)
#define FD_FN(name) FD_CAT(name, FD_SUFFIX)
// No interleaving: the tile loops already give each iteration dozens of live vectors, and a
// second copy spilled (AVX2 F(4×4) input transform 6.0 → 4.8 µs per tile row without it).
#define FD_VECTOR _Pragma("clang loop vectorize(assume_safety) interleave_count(1)")
// The tile loops inside a channel loop must vanish before it can be vectorised.
#define FD_UNROLL _Pragma("unroll")

static inline float FD_FN(fd_max)(float a, float b) { return a > b ? a : b; }

// ---- F(2×2, 3×3): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 −1]

static void FD_FN(wino2_input)(const float *strip, long stride, long C, long tiles, float *v, long plane) {
    for (long t = 0; t < tiles; t++) {
        const float *d = strip + 2 * t * C;
        float *o = v + t * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            float u[4][4];
            for (int i = 0; i < 4; i++) {
                const float *r = d + i * stride + c;
                float a = r[0], b = r[C], e = r[2 * C], f = r[3 * C];
                u[i][0] = a - e; u[i][1] = b + e; u[i][2] = e - b; u[i][3] = b - f;
            }
            for (int j = 0; j < 4; j++) {
                float a = u[0][j], b = u[1][j], e = u[2][j], f = u[3][j];
                o[j * plane + c] = a - e;
                o[(4 + j) * plane + c] = b + e;
                o[(8 + j) * plane + c] = e - b;
                o[(12 + j) * plane + c] = b - f;
            }
        }
    }
}

// y = Aᵀ M A + bias of one tile at channel c: s = Aᵀ M column by column, then y = s A row by row.
static inline void FD_FN(wino2_tile)(const float *base, long plane, long c, float b, float v[4]) {
    float s0[4], s1[4];
    FD_UNROLL for (int j = 0; j < 4; j++) {
        float q0 = base[j * plane + c], q1 = base[(4 + j) * plane + c];
        float q2 = base[(8 + j) * plane + c], q3 = base[(12 + j) * plane + c];
        s0[j] = q0 + q1 + q2; s1[j] = q1 - q2 - q3;
    }
    v[0] = (s0[0] + s0[1] + s0[2]) + b; v[1] = (s0[1] - s0[2] - s0[3]) + b;
    v[2] = (s1[0] + s1[1] + s1[2]) + b; v[3] = (s1[1] - s1[2] - s1[3]) + b;
}

static void FD_FN(wino2_output)(const float *m, long plane, long C, long tiles, const float *bias, int epilogue,
                                float *y, long row, float *pooled, uint8_t *arg) {
    // One loop per epilogue (see wino4_output: no branch inside a vector loop).
    for (long t = 0; t < tiles; t++) {
        const float *base = m + t * C;
        if (epilogue == FD_EPILOGUE_RELU_POOL && arg) {
            float *p = pooled + t * C;
            uint8_t *a = arg + t * C;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float v[4];
                FD_FN(wino2_tile)(base, plane, c, bias[c], v);
                float m01 = FD_FN(fd_max)(v[0], v[1]), m012 = FD_FN(fd_max)(m01, v[2]);
                p[c] = FD_FN(fd_max)(FD_FN(fd_max)(m012, v[3]), 0);
                // The winner 0…3, the first on ties, as MaxPool2x2 picks it.
                a[c] = v[3] > m012 ? 3 : (v[2] > m01 ? 2 : (v[1] > v[0] ? 1 : 0));
            }
        } else if (epilogue == FD_EPILOGUE_RELU_POOL) {
            float *p = pooled + t * C;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float v[4];
                FD_FN(wino2_tile)(base, plane, c, bias[c], v);
                p[c] = FD_FN(fd_max)(FD_FN(fd_max)(FD_FN(fd_max)(v[0], v[1]), FD_FN(fd_max)(v[2], v[3])), 0);
            }
        } else {
            float *y00 = y + 2 * t * C, *y01 = y00 + C, *y10 = y00 + row, *y11 = y10 + C;
            int relu = epilogue == FD_EPILOGUE_RELU;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float v[4];
                FD_FN(wino2_tile)(base, plane, c, bias[c], v);
                // Plain stores the values as they are (a NaN must reach the loss, not be clamped away).
                y00[c] = relu ? FD_FN(fd_max)(v[0], 0) : v[0];
                y01[c] = relu ? FD_FN(fd_max)(v[1], 0) : v[1];
                y10[c] = relu ? FD_FN(fd_max)(v[2], 0) : v[2];
                y11[c] = relu ? FD_FN(fd_max)(v[3], 0) : v[3];
            }
        }
    }
}

static void FD_FN(wino2_output_gradient)(const float *dy, long row, long C, long tiles, float *m, long plane,
                                         float *bias_grad) {
    for (long t = 0; t < tiles; t++) {
        const float *d00 = dy + 2 * t * C, *d01 = d00 + C, *d10 = d00 + row, *d11 = d10 + C;
        float *o = m + t * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            float a = d00[c], b = d01[c], e = d10[c], f = d11[c];
            // Rows of A dy: (a, b), (a + e, b + f), (a − e, b − f), (−e, −f); then each row times Aᵀ.
            float u[4] = {a, a + e, a - e, -e}, w[4] = {b, b + f, b - f, -f};
            for (int i = 0; i < 4; i++) {
                o[(4 * i) * plane + c] = u[i];
                o[(4 * i + 1) * plane + c] = u[i] + w[i];
                o[(4 * i + 2) * plane + c] = u[i] - w[i];
                o[(4 * i + 3) * plane + c] = -w[i];
            }
            bias_grad[c] += (a + b) + (e + f);
        }
    }
}

// ---- F(4×4, 3×3), interpolation points 0, ±1, ±2, ∞:
// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]

#define FD_BT4(d, t)                                              \
    do {                                                          \
        t[0] = 4 * d[0] - 5 * d[2] + d[4];                        \
        t[1] = -4 * (d[1] + d[2]) + (d[3] + d[4]);                \
        t[2] = 4 * (d[1] - d[2]) + (d[4] - d[3]);                 \
        t[3] = 2 * (d[3] - d[1]) + (d[4] - d[2]);                 \
        t[4] = 2 * (d[1] - d[3]) + (d[4] - d[2]);                 \
        t[5] = 4 * d[1] - 5 * d[3] + d[5];                        \
    } while (0)

#define FD_AT4(q, o)                                              \
    do {                                                          \
        float p12 = q[1] + q[2], m12 = q[1] - q[2];               \
        float p34 = q[3] + q[4], m34 = q[3] - q[4];               \
        o[0] = q[0] + p12 + p34;                                  \
        o[1] = m12 + 2 * m34;                                     \
        o[2] = p12 + 4 * p34;                                     \
        o[3] = m12 + 8 * m34 + q[5];                              \
    } while (0)

// A q for a column q of 4 output-gradient values (A = (Aᵀ)ᵀ, 6×4): the adjoint of FD_AT4.
#define FD_A4(q, o)                                               \
    do {                                                          \
        float e02 = q[0] + q[2], o13 = q[1] + q[3];               \
        float e4 = q[0] + 4 * q[2], o28 = 2 * q[1] + 8 * q[3];    \
        o[0] = q[0];                                              \
        o[1] = e02 + o13;                                         \
        o[2] = e02 - o13;                                         \
        o[3] = e4 + o28;                                          \
        o[4] = e4 - o28;                                          \
        o[5] = q[3];                                              \
    } while (0)

static void FD_FN(wino4_output_gradient)(const float *dy, long row, long C, long tiles, float *m, long plane,
                                         float *bias_grad) {
    for (long t = 0; t < tiles; t++) {
        const float *d = dy + 4 * t * C;
        float *o = m + t * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            // s = A dy column by column, then dM = s Aᵀ row by row.
            float s[6][4];
            FD_UNROLL for (int j = 0; j < 4; j++) {
                float q[4], u[6];
                FD_UNROLL for (int i = 0; i < 4; i++) q[i] = d[i * row + j * C + c];
                FD_A4(q, u);
                FD_UNROLL for (int r = 0; r < 6; r++) s[r][j] = u[r];
            }
            float total = 0;
            FD_UNROLL for (int r = 0; r < 6; r++) {
                float u[6];
                FD_A4(s[r], u);
                FD_UNROLL for (int k = 0; k < 6; k++) o[(6 * r + k) * plane + c] = u[k];
                // dM[1][1] is the tile's Σdy (row and column 1 of A are all ones).
                if (r == 1) total = u[1];
            }
            bias_grad[c] += total;
        }
    }
}

static void FD_FN(wino4_input)(const float *strip, long stride, long C, long tiles, float *v, long plane) {
    for (long t = 0; t < tiles; t++) {
        const float *d = strip + 4 * t * C;
        float *o = v + t * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            float u[6][6];
            FD_UNROLL for (int i = 0; i < 6; i++) {
                float r[6];
                FD_UNROLL for (int j = 0; j < 6; j++) r[j] = d[i * stride + j * C + c];
                FD_BT4(r, u[i]);
            }
            FD_UNROLL for (int j = 0; j < 6; j++) {
                float col[6], out[6];
                FD_UNROLL for (int i = 0; i < 6; i++) col[i] = u[i][j];
                FD_BT4(col, out);
                FD_UNROLL for (int i = 0; i < 6; i++) o[(6 * i + j) * plane + c] = out[i];
            }
        }
    }
}

// Aᵀ M A + bias of one tile at channel c into out[4][4]: s = Aᵀ M column by column, then
// out = s A row by row.
#define FD_WINO4_TILE(base, plane, c, bias, out)                              \
    do {                                                                      \
        float s[4][6];                                                        \
        FD_UNROLL for (int j = 0; j < 6; j++) {                               \
            float col[6], o[4];                                               \
            FD_UNROLL for (int i = 0; i < 6; i++) col[i] = base[(6 * i + j) * plane + c]; \
            FD_AT4(col, o);                                                   \
            FD_UNROLL for (int i = 0; i < 4; i++) s[i][j] = o[i];             \
        }                                                                     \
        float b = bias[c];                                                    \
        FD_UNROLL for (int i = 0; i < 4; i++) {                               \
            float o[4];                                                       \
            FD_AT4(s[i], o);                                                  \
            FD_UNROLL for (int j = 0; j < 4; j++) out[i][j] = o[j] + b;       \
        }                                                                     \
    } while (0)

static void FD_FN(wino4_output)(const float *m, long plane, long C, long tiles, const float *bias, int epilogue,
                                float *y, long row, float *pooled, long pooled_row) {
    // One loop per epilogue, not one loop with a branch inside: if-converted, the branch not
    // taken becomes masked stores through the other (null) pointer, and on Zen 4 masked-off
    // lanes on an unmapped page cost a microcode assist each (it doubled the pooled layers' time).
    for (long t = 0; t < tiles; t++) {
        const float *base = m + t * C;
        if (epilogue == FD_EPILOGUE_RELU_POOL) {
            float *pt = pooled + 2 * t * C;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float out[4][4];
                FD_WINO4_TILE(base, plane, c, bias, out);
                FD_UNROLL for (int i = 0; i < 2; i++) {
                    FD_UNROLL for (int j = 0; j < 2; j++) {
                        float top = FD_FN(fd_max)(out[2 * i][2 * j], out[2 * i][2 * j + 1]);
                        float bottom = FD_FN(fd_max)(out[2 * i + 1][2 * j], out[2 * i + 1][2 * j + 1]);
                        pt[i * pooled_row + j * C + c] = FD_FN(fd_max)(FD_FN(fd_max)(top, bottom), 0);
                    }
                }
            }
        } else if (epilogue == FD_EPILOGUE_RELU) {
            float *yt = y + 4 * t * C;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float out[4][4];
                FD_WINO4_TILE(base, plane, c, bias, out);
                FD_UNROLL for (int i = 0; i < 4; i++) {
                    FD_UNROLL for (int j = 0; j < 4; j++) yt[i * row + j * C + c] = FD_FN(fd_max)(out[i][j], 0);
                }
            }
        } else {
            float *yt = y + 4 * t * C;
            FD_VECTOR
            for (long c = 0; c < C; c++) {
                float out[4][4];
                FD_WINO4_TILE(base, plane, c, bias, out);
                FD_UNROLL for (int i = 0; i < 4; i++) {
                    FD_UNROLL for (int j = 0; j < 4; j++) yt[i * row + j * C + c] = out[i][j];
                }
            }
        }
    }
}

// ---- Per-channel sums in double (batch-norm statistics and gradient sums). Rows in order, one
// double accumulator per channel, exactly as the scalar Swift loops they replace, so the bits
// are theirs; vectorised across channels (8 doubles per AVX-512 add against 2 per SSE2 add).

static void FD_FN(channel_sum)(const float *x, long rows, long C, double *sum) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) sum[c] += (double)row[c];
    }
}

static void FD_FN(channel_squared_deviation)(const float *x, long rows, long C, const double *mean, double *sq) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            double d = (double)row[c] - mean[c];
            sq[c] += d * d;
        }
    }
}

static void FD_FN(channel_squared_deviation_float_mean)(const float *x, long rows, long C, const float *mean,
                                                         double *sq) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            double d = (double)(row[c] - mean[c]);
            sq[c] += d * d;
        }
    }
}

static void FD_FN(channel_gradient_sums)(const float *g, const float *x, long rows, long C, const float *mean,
                                         double *sum_g, double *sum_gx) {
    for (long r = 0; r < rows; r++) {
        const float *gr = g + r * C, *xr = x + r * C;
        FD_VECTOR
        for (long c = 0; c < C; c++) {
            sum_g[c] += (double)gr[c];
            sum_gx[c] += (double)(gr[c] * (xr[c] - mean[c]));
        }
    }
}

// ---- Direct convolution of single-channel images (the vgg networks' first conv, 5×5 → 32).
// As an im2col GEMM its K is only k·k + 1 = 26: OpenBLAS ran it at a third of peak and the
// patch copies cost as much again. Here eight channels ride in one vector (fd_v8: one AVX
// register, two SSE ones, the same lanes either way) and eight output positions share each
// weight load. Every lane adds its terms in one fixed order with separate multiplies and adds
// (-ffp-contract=off), so every table gives the same bits.

typedef float fd_v8 __attribute__((vector_size(32)));

// Unaligned loads and stores as macros, not functions: passing a 32-byte vector by value
// changes the calling convention without AVX (-Wpsabi in the portable table).
#define FD_LOAD8(v, p) __builtin_memcpy(&(v), (p), sizeof(fd_v8))
#define FD_STORE8(p, v) __builtin_memcpy((p), &(v), sizeof(fd_v8))

/// The image with a zero border of k/2 on every side, rows (width + k − 1) floats apart.
static void FD_FN(pad_single_channel)(const float *image, long height, long width, long k, float *padded) {
    long pad = k / 2, row = width + 2 * pad;
    __builtin_memset(padded, 0, sizeof(float) * (unsigned long)(row * (height + 2 * pad)));
    for (long h = 0; h < height; h++)
        __builtin_memcpy(padded + (h + pad) * row + pad, image + h * width, sizeof(float) * (unsigned long)width);
}

// One output row h at channels c0…c0+7. Inlined with k a constant (5 or 3) so the taps unroll
// and every broadcast is a fixed offset.
static inline __attribute__((always_inline)) void FD_FN(conv_row)(const float *padded, long row, long h, long width,
                                                                  const long k, const float *weight, const float *bias,
                                                                  long C, long c0, float *o) {
    fd_v8 b;
    FD_LOAD8(b, bias + c0);
    long w0 = 0;
    for (; w0 + 8 <= width; w0 += 8) {
        fd_v8 acc[8];
        FD_UNROLL for (int p = 0; p < 8; p++) acc[p] = b;
        // Per kernel row: its k weight vectors stay in registers and each input value is
        // broadcast once, then added to every position it reaches (output p takes input j at
        // tap kx = j − p). Each sum still takes its taps in order (ky, kx). Looping p outside kx
        // instead made the compiler keep all 8 + k − 1 broadcasts live and spill the sums.
        _Pragma("clang loop unroll(disable)")
        for (long ky = 0; ky < k; ky++) {
            const float *xr = padded + (h + ky) * row + w0;
            const float *wr = weight + ky * k * C + c0;
            fd_v8 wv[5];
            FD_UNROLL for (long kx = 0; kx < k; kx++) FD_LOAD8(wv[kx], wr + kx * C);
            FD_UNROLL for (long j = 0; j < 8 + k - 1; j++) {
                float xv = xr[j];
                FD_UNROLL for (long kx = 0; kx < k; kx++) {
                    long p = j - kx;
                    if (p >= 0 && p < 8) acc[p] = acc[p] + xv * wv[kx];
                }
            }
        }
        FD_UNROLL for (int p = 0; p < 8; p++) FD_STORE8(o + (w0 + p) * C + c0, acc[p]);
    }
    for (; w0 < width; w0++) {
        fd_v8 acc = b;
        for (long ky = 0; ky < k; ky++) {
            const float *xr = padded + (h + ky) * row + w0;
            const float *wr = weight + ky * k * C + c0;
            for (long kx = 0; kx < k; kx++) {
                fd_v8 wv;
                FD_LOAD8(wv, wr + kx * C);
                acc = acc + xr[kx] * wv;
            }
        }
        FD_STORE8(o + w0 * C + c0, acc);
    }
}

static void FD_FN(conv_single_channel)(const float *image, long height, long width, long k, const float *weight,
                                       const float *bias, long C, float *padded, float *out) {
    FD_FN(pad_single_channel)(image, height, width, k, padded);
    long row = width + k - 1;
    for (long h = 0; h < height; h++) {
        float *o = out + h * width * C;
        for (long c0 = 0; c0 < C; c0 += 8) {
            if (k == 5) FD_FN(conv_row)(padded, row, h, width, 5, weight, bias, C, c0, o);
            else FD_FN(conv_row)(padded, row, h, width, 3, weight, bias, C, c0, o);
        }
    }
}

// One kernel row ky's k taps at channels c0…c0 + 8·blocks − 1, summed along image row h into
// grad. Two channel blocks give 2k independent sums to hide the adds' latency.
static inline __attribute__((always_inline)) void FD_FN(weight_gradient_row)(const float *xr, const float *d, long width,
                                                                             const long k, const int blocks, long C,
                                                                             long c0, float *gr) {
    fd_v8 acc[2][5];
    for (int j = 0; j < blocks; j++)
        for (long kx = 0; kx < k; kx++) FD_LOAD8(acc[j][kx], gr + kx * C + c0 + 8 * j);
    for (long w = 0; w < width; w++) {
        for (int j = 0; j < blocks; j++) {
            fd_v8 g; FD_LOAD8(g, d + w * C + c0 + 8 * j);
            for (long kx = 0; kx < k; kx++) acc[j][kx] = acc[j][kx] + xr[w + kx] * g;
        }
    }
    for (int j = 0; j < blocks; j++)
        for (long kx = 0; kx < k; kx++) FD_STORE8(gr + kx * C + c0 + 8 * j, acc[j][kx]);
}

static void FD_FN(conv_single_channel_weight_gradient)(const float *image, long height, long width, long k,
                                                       const float *dout, long C, float *padded, float *grad) {
    FD_FN(pad_single_channel)(image, height, width, k, padded);
    long row = width + k - 1;
    float *bias_grad = grad + k * k * C;
    for (long h = 0; h < height; h++) {
        const float *d = dout + h * width * C;
        for (long ky = 0; ky < k; ky++) {
            const float *xr = padded + (h + ky) * row;
            float *gr = grad + ky * k * C;
            long c0 = 0;
            for (; c0 + 16 <= C; c0 += 16) {
                if (k == 5) FD_FN(weight_gradient_row)(xr, d, width, 5, 2, C, c0, gr);
                else FD_FN(weight_gradient_row)(xr, d, width, 3, 2, C, c0, gr);
            }
            for (; c0 < C; c0 += 8) {
                if (k == 5) FD_FN(weight_gradient_row)(xr, d, width, 5, 1, C, c0, gr);
                else FD_FN(weight_gradient_row)(xr, d, width, 3, 1, C, c0, gr);
            }
        }
        for (long c0 = 0; c0 < C; c0 += 8) {
            fd_v8 acc; FD_LOAD8(acc, bias_grad + c0);
            for (long w = 0; w < width; w++) {
                fd_v8 g;
                FD_LOAD8(g, d + w * C + c0);
                acc = acc + g;
            }
            FD_STORE8(bias_grad + c0, acc);
        }
    }
}

const fd_kernels FD_FN(fd_kernels) = {
    .wino2_input = FD_FN(wino2_input),
    .wino2_output = FD_FN(wino2_output),
    .wino2_output_gradient = FD_FN(wino2_output_gradient),
    .wino4_input = FD_FN(wino4_input),
    .wino4_output = FD_FN(wino4_output),
    .wino4_output_gradient = FD_FN(wino4_output_gradient),
    .channel_sum = FD_FN(channel_sum),
    .channel_squared_deviation = FD_FN(channel_squared_deviation),
    .channel_squared_deviation_float_mean = FD_FN(channel_squared_deviation_float_mean),
    .channel_gradient_sums = FD_FN(channel_gradient_sums),
    .conv_single_channel = FD_FN(conv_single_channel),
    .conv_single_channel_weight_gradient = FD_FN(conv_single_channel_weight_gradient),
};
