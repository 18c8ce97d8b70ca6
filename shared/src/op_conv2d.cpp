// ganzoo core: conv2d as one GEMM over the whole batch, W [O, C*kh*kw] · im2col, on the
// micro-kernel of packed_gemm.hpp (W packed at load). The columns (n, oy, ox) go in panels of
// kPanelCols: im2col writes a panel straight into the kernel's packed tiles, and the panel's
// result is still in cache when it is written out as NCHW.
#include <algorithm>
#include <memory>

#include "ops.hpp"
#include "packed_gemm.hpp"

namespace ganzoo::ops {

using namespace gemm;

namespace {

constexpr int64_t kPanelCols = 256;

// Uninitialised floats: every buffer below is written before it is read.
std::unique_ptr<float[]> buffer(int64_t n) { return std::unique_ptr<float[]>(new float[static_cast<size_t>(n)]); }

}  // namespace

PackedWeight pack_conv2d_weight(const float* weight, int64_t out_channels, int64_t depth) {
    // W [O, C*kh*kw], row-major.
    return {pack_rows(weight, out_channels, depth, depth, 1), out_channels, depth};
}

Tensor conv2d(const Tensor& x, const PackedWeight& weight, const std::vector<float>& bias, const Window2d& w) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t out_c = weight.rows, depth = weight.cols;  // depth = C*kh*kw, row (c, ky, kx)
    const int64_t ho = (h + 2 * w.pad_h - w.kernel_h) / w.stride_h + 1;
    const int64_t wo = (wd + 2 * w.pad_w - w.kernel_w) / w.stride_w + 1;
    const int64_t plane_in = h * wd, plane_out = ho * wo, cols = n * plane_out;
    Tensor y;
    y.shape = {n, out_c, ho, wo};
    y.data.resize(static_cast<size_t>(n * out_c * plane_out));
    if (cols == 0 || out_c == 0) return y;

    const int64_t m_blocks = (out_c + kMr - 1) / kMr;
    const int64_t tiles_per_panel = (kPanelCols + kNr - 1) / kNr, ldc = tiles_per_panel * kNr;
    auto b_packed = buffer(tiles_per_panel * depth * kNr);
    auto col = buffer(m_blocks * kMr * ldc);  // [O (padded), panel columns]
    // Per column of a tile: the input offset of its window's corner (may lie in the padding)
    // and the corner's (iy, ix).
    int64_t base[kNr], iy0[kNr], ix0[kNr];

    for (int64_t j0 = 0; j0 < cols; j0 += kPanelCols) {
        const int64_t panel_cols = std::min(kPanelCols, cols - j0), tiles = (panel_cols + kNr - 1) / kNr;
        // im2col straight into the packed tiles [depth][kNr]: column (b, oy, ox), row (ci, ky, kx).
        for (int64_t t = 0; t < tiles; ++t) {
            const int64_t width = std::min(kNr, panel_cols - t * kNr);
            for (int64_t jj = 0; jj < kNr; ++jj) {
                const int64_t j = j0 + t * kNr + std::min(jj, width - 1);  // past the end: a copy, unused
                const int64_t b = j / plane_out, p = j % plane_out;
                iy0[jj] = (p / wo) * w.stride_h - w.pad_h;
                ix0[jj] = (p % wo) * w.stride_w - w.pad_w;
                base[jj] = b * c * plane_in + iy0[jj] * wd + ix0[jj];
            }
            float* dst = b_packed.get() + t * depth * kNr;
            for (int64_t ci = 0; ci < c; ++ci)
                for (int64_t ky = 0; ky < w.kernel_h; ++ky)
                    for (int64_t kx = 0; kx < w.kernel_w; ++kx, dst += kNr) {
                        const int64_t offset = ci * plane_in + ky * wd + kx;
                        for (int64_t jj = 0; jj < kNr; ++jj) {
                            const int64_t iy = iy0[jj] + ky, ix = ix0[jj] + kx;
                            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
                            dst[jj] = inside ? x.data[static_cast<size_t>(base[jj] + offset)] : 0.0f;
                        }
                    }
        }
        // col [O, panel columns] = W · cols, one kMr x kNr tile at a time.
        static void (*volatile kernel)(int64_t, const float*, const float*, float*, int64_t) noexcept = kernel_4x8;
        for (int64_t blk = 0; blk < m_blocks; ++blk) {
            const float* a = weight.data.data() + blk * depth * kMr;
            float* dst = col.get() + blk * kMr * ldc;
            for (int64_t t = 0; t < tiles; ++t) kernel(depth, a, b_packed.get() + t * depth * kNr, dst + t * kNr, ldc);
        }
        // To NCHW, plus the bias: runs of columns within one sample are contiguous.
        for (int64_t o = 0; o < out_c; ++o) {
            const float shift = bias.empty() ? 0.0f : bias[o];
            const float* src = col.get() + o * ldc;
            for (int64_t j = j0; j < j0 + panel_cols;) {
                const int64_t b = j / plane_out, p = j % plane_out;
                const int64_t run = std::min(plane_out - p, j0 + panel_cols - j);
                float* out = y.data.data() + (b * out_c + o) * plane_out + p;
                const float* s = src + (j - j0);
                int64_t i = 0;
                for (; i + 4 <= run; i += 4) store4(out + i, load4(s + i) + splat(shift));
                for (; i < run; ++i) out[i] = s[i] + shift;
                j += run;
            }
        }
    }
    return y;
}

}  // namespace ganzoo::ops
