// ganzoo core: linear, y = x Wᵀ + b as one GEMM over the batch, on the micro-kernels of
// packed_gemm.hpp: rows of X (samples) x column tiles of Wᵀ (outputs, packed at load).
//
// Batch 1 (and the last N mod 4 samples) take the one-row kernel over four tiles at a time:
// padding a single sample to a 4-row tile would do 4x the work.
#include <algorithm>

#include "ops.hpp"
#include "packed_gemm.hpp"

namespace ganzoo::ops {

using namespace gemm;

PackedWeight pack_linear_weight(const float* weight, int64_t out, int64_t in) {
    // Wᵀ [in, out]: element (k, o) is weight[o * in + k].
    return {pack_cols(weight, in, out, 1, in), in, out};
}

Tensor linear(const Tensor& x, const PackedWeight& weight, const std::vector<float>& bias) {
    const int64_t n = x.dim(0), in = weight.rows, out = weight.cols;
    const int64_t tiles = (out + kNr - 1) / kNr, full_tiles = out / kNr;
    Tensor y;
    y.shape = {n, out};
    y.data.resize(static_cast<size_t>(n * out));
    if (n == 0 || out == 0) return y;
    const float* xs = x.data.data();
    const float* b = weight.data.data();
    float* ys = y.data.data();

    // The samples in blocks of kMr, packed ([in][kMr] per block).
    const int64_t blocks = n / kMr;
    const std::vector<float> a = pack_rows(xs, blocks * kMr, in, in, 1);

    static void (*volatile kernel4)(int64_t, const float*, const float*, float*, int64_t) noexcept = kernel_4x8;
    static void (*volatile kernel1)(int64_t, const float*, const float*, float*) noexcept = kernel_1x8;
    static void (*volatile kernel1x4)(int64_t, const float*, const float*, float*) noexcept = kernel_1x32;
    // The bias is added after the sum (as Eigen did), while the tile is in L1.
    auto add_bias = [&](float* c, int64_t j0, int64_t width) {
        if (bias.empty()) return;
        const float* bj = bias.data() + j0;
        int64_t j = 0;
        for (; j + 4 <= width; j += 4) store4(c + j, load4(c + j) + load4(bj + j));
        for (; j < width; ++j) c[j] += bj[j];
    };
    float edge[kMr * kNr];  // a tile that would run past `out`
    for (int64_t t = 0; t < tiles; ++t) {
        const float* bt = b + t * in * kNr;
        const int64_t j0 = t * kNr, width = std::min(kNr, out - j0);
        for (int64_t blk = 0; blk < blocks; ++blk) {
            float* c = ys + blk * kMr * out + j0;
            if (t < full_tiles) {
                kernel4(in, a.data() + blk * in * kMr, bt, c, out);
            } else {
                kernel4(in, a.data() + blk * in * kMr, bt, edge, kNr);
                for (int64_t i = 0; i < kMr; ++i) std::copy(edge + i * kNr, edge + i * kNr + width, c + i * out);
            }
            for (int64_t i = 0; i < kMr; ++i) add_bias(c + i * out, j0, width);
        }
    }
    // The last n mod kMr samples, one row at a time: four tiles per call while whole.
    for (int64_t r = blocks * kMr; r < n; ++r) {
        const float* xr = xs + r * in;
        float* yr = ys + r * out;
        int64_t t = 0;
        for (; t + 4 <= full_tiles; t += 4) kernel1x4(in, xr, b + t * in * kNr, yr + t * kNr);
        for (; t < full_tiles; ++t) kernel1(in, xr, b + t * in * kNr, yr + t * kNr);
        if (t < tiles) {
            kernel1(in, xr, b + t * in * kNr, edge);
            std::copy(edge, edge + (out - t * kNr), yr + t * kNr);
        }
        add_bias(yr, 0, out);
    }
    return y;
}

}  // namespace ganzoo::ops
