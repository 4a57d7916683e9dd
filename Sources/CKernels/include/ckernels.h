#ifndef CKERNELS_H
#define CKERNELS_H
// The engine's hot element-wise kernels (Winograd transforms and their epilogues, batch-norm
// sums), compiled three times from one source (kernels_body.h): for baseline x86-64 (or any
// other CPU: plain C), for AVX2 + FMA, and for AVX-512. The caller picks one table at run time
// (fd_isa_best, or FERDASH_ISA through the Swift side) and keeps it.
//
// Every kernel is element-wise over channels with no reduction across lanes, and the target is
// built with -ffp-contract=off, so all three tables compute the same bits: only speed differs.
#include <stdint.h>

enum {
    FD_ISA_PORTABLE = 0,
    FD_ISA_AVX2 = 1,     // AVX2 + FMA (Haswell, Zen 1–3)
    FD_ISA_AVX512 = 2,   // AVX-512 F/VL/BW/DQ (Skylake-X, Zen 4)
    FD_ISA_COUNT = 3,
};

/// What a Winograd output transform does with each output tile.
enum {
    FD_EPILOGUE_PLAIN = 0,      // y = conv + bias
    FD_EPILOGUE_RELU = 1,       // y = max(conv + bias, 0)
    FD_EPILOGUE_RELU_POOL = 2,  // 2×2 max-pool, then ReLU (with the winner 0…3 when arg is set)
};

typedef struct {
    /// F(2×2, 3×3) input transform V = Bᵀ d B of one tile row. `strip`: the 4 input rows of the
    /// row with a zero column each side, `stride` floats apart; tile t reads columns 2t…2t+3.
    /// Writes V[ξ] of tile t at v + ξ·plane + t·channels.
    void (*wino2_input)(const float *strip, long stride, long channels, long tiles, float *v, long plane);
    /// F(2×2, 3×3) output transform y = Aᵀ m A + bias of one tile row (tile t's M[ξ] at
    /// m + ξ·plane + t·channels). PLAIN/RELU: writes conv rows y (2p) and y + row (2p + 1);
    /// RELU_POOL: writes the pooled row `pooled` and, when `arg` is not null, the winners.
    void (*wino2_output)(const float *m, long plane, long channels, long tiles, const float *bias, int epilogue,
                         float *y, long row, float *pooled, uint8_t *arg);
    /// The adjoint of wino2_output's PLAIN epilogue: dM = A dy Aᵀ of one tile row from the
    /// output gradient rows dy, dy + row; adds each tile's Σdy into bias_grad.
    void (*wino2_output_gradient)(const float *dy, long row, long channels, long tiles, float *m, long plane,
                                  float *bias_grad);
    /// F(4×4, 3×3) input transform: `strip` holds 6 padded input rows; tile t reads columns 4t…4t+5.
    void (*wino4_input)(const float *strip, long stride, long channels, long tiles, float *v, long plane);
    /// F(4×4, 3×3) output transform of one tile row: PLAIN/RELU write the 4 conv rows y + i·row;
    /// RELU_POOL writes 2 pooled rows, `pooled` and pooled + pooled_row (no winners: inference).
    void (*wino4_output)(const float *m, long plane, long channels, long tiles, const float *bias, int epilogue,
                         float *y, long row, float *pooled, long pooled_row);
    /// The adjoint of wino4_output's PLAIN epilogue: dM = A dy Aᵀ (6×6) of one tile row from the
    /// 4 output gradient rows dy + i·row; adds each tile's Σdy into bias_grad.
    void (*wino4_output_gradient)(const float *dy, long row, long channels, long tiles, float *m, long plane,
                                  float *bias_grad);

    // Per-channel sums over `rows` rows of `channels` values (NHWC), in double, added into the
    // accumulators row by row (the bits of the plain loop).
    /// sum[c] += x
    void (*channel_sum)(const float *x, long rows, long channels, double *sum);
    /// sq[c] += ((double)x − mean[c])²
    void (*channel_squared_deviation)(const float *x, long rows, long channels, const double *mean, double *sq);
    /// sq[c] += (double)(x − mean[c])², the difference taken in float
    void (*channel_squared_deviation_float_mean)(const float *x, long rows, long channels, const float *mean,
                                                 double *sq);
    /// sum_g[c] += g, sum_gx[c] += (double)(g·(x − mean[c]))
    void (*channel_gradient_sums)(const float *g, const float *x, long rows, long channels, const float *mean,
                                  double *sum_g, double *sum_gx);

    // Direct SAME convolution of one single-channel image (height × width) with a k×k kernel
    // (k = 3 or 5) to `channels` outputs, `channels` a multiple of 8. `weight`: [k·k][channels],
    // tap ky·k + kx; `padded`: scratch of (height + k − 1)·(width + k − 1) floats.
    /// out[h][w][c] = bias[c] + Σ taps x·weight, the taps in order (ky, kx)
    void (*conv_single_channel)(const float *image, long height, long width, long k, const float *weight,
                                const float *bias, long channels, float *padded, float *out);
    /// grad[tap][c] += Σ x·dout and grad[k·k][c] += Σ dout (the bias row), over the image's
    /// positions row by row
    void (*conv_single_channel_weight_gradient)(const float *image, long height, long width, long k,
                                                const float *dout, long channels, float *padded, float *grad);
} fd_kernels;

/// Whether this CPU (and OS) can run the given table.
int fd_isa_supported(int isa);
/// The fastest table this CPU can run.
int fd_isa_best(void);
/// "portable", "avx2", "avx512" (NULL for an unknown isa).
const char *fd_isa_name(int isa);
/// The kernel table for `isa` (which must be supported).
const fd_kernels *fd_kernels_for(int isa);

#endif
