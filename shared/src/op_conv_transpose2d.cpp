// ganzoo core: conv_transpose2d as a GEMM (Wᵀ · X over the whole batch) + col2im.
//
// The GEMM is our own 128-bit micro-kernel (GCC/Clang vector extensions: SSE natively, SIMD128
// under em++) rather than Eigen's: V8 compiles Eigen's 12x4 GEBP kernel to code that spills,
// and this op is ~85% of a DCGAN generator (docs/web-bench.md). The columns (n, iy, ix) are
// processed in panels of whole input rows, so that a panel's col block stays in cache between
// the GEMM that writes it and the col2im that scatters it into the output.
#include <algorithm>
#include <cstring>
#include <memory>

#include "ops.hpp"

namespace ganzoo::ops {

namespace {

// Input positions i with 0 <= i*stride - pad + k < out_size, as [first, last).
inline void contributing_range(int64_t in_size, int64_t out_size, int64_t stride, int64_t pad, int64_t k,
                               int64_t& first, int64_t& last) {
    const int64_t lo = pad - k;
    first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    const int64_t hi = out_size + pad - k;
    last = hi <= 0 ? 0 : (hi + stride - 1) / stride;
    first = std::min(first, in_size);
    last = std::clamp(last, first, in_size);
}

// Four floats; unaligned loads and stores are fine on every target we build for.
typedef float v4f __attribute__((vector_size(16), aligned(4)));

inline v4f load4(const float* p) { return *reinterpret_cast<const v4f*>(p); }
inline void store4(float* p, v4f v) { *reinterpret_cast<v4f*>(p) = v; }
inline v4f splat(float s) { return v4f{s, s, s, s}; }  // not v4f{} + s: 0 + -0 is +0

// Micro-kernel tile: kMr rows of Wᵀ (broadcast) x kNr columns of X (kNv vectors). 8 vector
// accumulators: V8 keeps SIMD128 values in 16 registers, and 4x2 ran faster under it than
// 2x4, 6x2, 4x3, 3x3 or 8x1 (Eigen's 12x4 spills).
constexpr int64_t kMr = 4;
constexpr int64_t kNv = 2;
constexpr int64_t kNr = 4 * kNv;
// Columns per panel (rounded down to whole input rows, at least one row): the panel's col
// block is rows x kPanelCols floats.
constexpr int64_t kPanelCols = 256;

// c[kMr x kNr] (row stride ldc) = a[K][kMr] · b[K][kNr], both packed, summed over k in order.
// Not inlined: V8 tiers a wasm function up only between calls, so a small kernel called per
// tile reaches optimized code during the first GEMM.
__attribute__((noinline)) void micro_kernel(int64_t k_size, const float* a, const float* b, float* c,
                                            int64_t ldc) noexcept {
    static_assert(kMr == 4 && kNv == 2, "the accumulators below are written out for a 4x2 tile");
    // Named accumulators rather than an array: GCC then keeps them in place across iterations.
    v4f c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
    // One k per iteration: unrolled by two, this loop ran 1.5x slower in Chromium 156 (though
    // 10% faster under node 20's older V8), see docs/web-bench.md.
    for (int64_t k = 0; k < k_size; ++k, a += kMr, b += kNr) {
        const v4f b0 = load4(b), b1 = load4(b + 4);
        const v4f a0 = splat(a[0]), a1 = splat(a[1]), a2 = splat(a[2]), a3 = splat(a[3]);
        c00 += a0 * b0;
        c01 += a0 * b1;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c30 += a3 * b0;
        c31 += a3 * b1;
    }
    store4(c, c00);
    store4(c + 4, c01);
    store4(c + ldc, c10);
    store4(c + ldc + 4, c11);
    store4(c + 2 * ldc, c20);
    store4(c + 2 * ldc + 4, c21);
    store4(c + 3 * ldc, c30);
    store4(c + 3 * ldc + 4, c31);
}

// Uninitialised floats: every buffer below is written before it is read, and zeroing them
// first (std::vector) was a third of a batch-1 call.
std::unique_ptr<float[]> buffer(int64_t n) { return std::unique_ptr<float[]>(new float[static_cast<size_t>(n)]); }

// Wᵀ [M, K] (column-major) as ceil(M / kMr) blocks of [K][kMr], zero rows past M.
std::unique_ptr<float[]> pack_weights(const ColMatrix& wt) {
    const int64_t m = wt.rows(), k_size = wt.cols(), blocks = (m + kMr - 1) / kMr;
    auto packed = buffer(blocks * k_size * kMr);
    int64_t blk = 0;
    // Four blocks at a time: each 64-byte piece of a column of Wᵀ is read once.
    for (; (blk + 4) * kMr <= m; blk += 4) {
        const float* src = wt.data() + blk * kMr;
        float* dst = packed.get() + blk * k_size * kMr;
        for (int64_t k = 0; k < k_size; ++k, src += m, dst += kMr) {
            store4(dst, load4(src));
            store4(dst + k_size * kMr, load4(src + 4));
            store4(dst + 2 * k_size * kMr, load4(src + 8));
            store4(dst + 3 * k_size * kMr, load4(src + 12));
        }
    }
    for (; blk < blocks; ++blk) {
        const int64_t rows = std::min(kMr, m - blk * kMr);
        float* dst = packed.get() + blk * k_size * kMr;
        const float* src = wt.data() + blk * kMr;
        for (int64_t k = 0; k < k_size; ++k, src += m, dst += kMr)
            for (int64_t i = 0; i < kMr; ++i) dst[i] = i < rows ? src[i] : 0.0f;
    }
    return packed;
}

}  // namespace

Tensor conv_transpose2d(const Tensor& x, const ColMatrix& weight_t, const std::vector<float>& bias,
                        int64_t out_channels, const Window2d& w) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t plane_in = h * wd, cols = n * plane_in;
    const int64_t ho = (h - 1) * w.stride_h - 2 * w.pad_h + w.kernel_h + w.output_pad_h;
    const int64_t wo = (wd - 1) * w.stride_w - 2 * w.pad_w + w.kernel_w + w.output_pad_w;
    const int64_t plane_out = ho * wo;
    const int64_t m = weight_t.rows();  // O*kh*kw, row (o, ky, kx)
    const int64_t m_blocks = (m + kMr - 1) / kMr;

    // The output starts as the bias, written once (not zeros, then the bias).
    Tensor y;
    y.shape = {n, out_channels, ho, wo};
    y.data.reserve(static_cast<size_t>(n * out_channels * plane_out));
    for (int64_t b = 0; b < n; ++b)
        for (int64_t o = 0; o < out_channels; ++o)
            y.data.insert(y.data.end(), static_cast<size_t>(plane_out), bias.empty() ? 0.0f : bias[o]);
    if (cols == 0 || m == 0) return y;

    const auto a_packed = pack_weights(weight_t);
    // A panel is input rows [row0, row0 + panel_rows) over all samples, row r = (b, iy).
    const int64_t panel_rows = std::max<int64_t>(1, kPanelCols / wd);
    const int64_t max_panel_cols = panel_rows * wd;
    const int64_t max_tiles = (max_panel_cols + kNr - 1) / kNr;
    const int64_t ldc = max_tiles * kNr;
    auto b_packed = buffer(max_tiles * c * kNr);
    auto col = buffer(m_blocks * kMr * ldc);  // [M (padded), ldc]

    // Per kx: the input columns ix whose tap lands inside the output (ox = ix*stride - pad + kx).
    std::vector<int64_t> ix_first(static_cast<size_t>(w.kernel_w)), ix_last(static_cast<size_t>(w.kernel_w));
    for (int64_t kx = 0; kx < w.kernel_w; ++kx)
        contributing_range(wd, wo, w.stride_w, w.pad_w, kx, ix_first[kx], ix_last[kx]);
    // Per panel row: its sample and input row.
    std::vector<int64_t> row_sample(static_cast<size_t>(panel_rows)), row_iy(static_cast<size_t>(panel_rows));

    const int64_t all_rows = n * h;
    for (int64_t row0 = 0; row0 < all_rows; row0 += panel_rows) {
        const int64_t rows = std::min(panel_rows, all_rows - row0);
        const int64_t panel_cols = rows * wd, tiles = (panel_cols + kNr - 1) / kNr;
        const int64_t col0 = row0 * wd;  // first column (n, iy, ix) flattened

        // Pack X's panel columns into tiles of [C][kNr] (zeros past the panel's end).
        for (int64_t t = 0; t < tiles; ++t) {
            float* dst = b_packed.get() + t * c * kNr;
            const int64_t j0 = col0 + t * kNr, b0 = j0 / plane_in, p0 = j0 % plane_in;
            if (t * kNr + kNr <= panel_cols && p0 + kNr <= plane_in) {
                // Within one sample: kNr contiguous floats of each channel plane.
                const float* src = x.data.data() + b0 * c * plane_in + p0;
                for (int64_t ci = 0; ci < c; ++ci, src += plane_in, dst += kNr)
                    for (int64_t v = 0; v < kNr; v += 4) store4(dst + v, load4(src + v));
                continue;
            }
            for (int64_t jj = 0; jj < kNr; ++jj) {
                const int64_t j = j0 + jj, b = j / plane_in, p = j % plane_in;
                const bool inside = t * kNr + jj < panel_cols;
                for (int64_t ci = 0; ci < c; ++ci)
                    dst[ci * kNr + jj] = inside ? x.data[static_cast<size_t>((b * c + ci) * plane_in + p)] : 0.0f;
            }
        }

        // col [M, panel columns] = Wᵀ · X_panel, one kMr x kNr tile at a time.
        for (int64_t blk = 0; blk < m_blocks; ++blk) {
            const float* a = a_packed.get() + blk * c * kMr;
            float* dst = col.get() + blk * kMr * ldc;
            static void (*volatile kernel)(int64_t, const float*, const float*, float*, int64_t) noexcept = micro_kernel;
            for (int64_t t = 0; t < tiles; ++t) kernel(c, a, b_packed.get() + t * c * kNr, dst + t * kNr, ldc);
        }

        // col2im: scatter-add each (o, ky, kx) row into the output positions it reaches, one
        // output row at a time (it stays in L1 across the kx taps).
        for (int64_t r = 0; r < rows; ++r) {
            row_sample[r] = (row0 + r) / h;
            row_iy[r] = (row0 + r) % h;
        }
        for (int64_t o = 0; o < out_channels; ++o)
            for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
                const float* src_rows = col.get() + (o * w.kernel_h + ky) * w.kernel_w * ldc;
                for (int64_t r = 0; r < rows; ++r) {
                    const int64_t oy = row_iy[r] * w.stride_h - w.pad_h + ky;
                    if (oy < 0 || oy >= ho) continue;
                    float* dst = y.data.data() + ((row_sample[r] * out_channels + o) * ho + oy) * wo;
                    for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
                        const float* s = src_rows + kx * ldc + r * wd;
                        const int64_t ix0 = ix_first[kx], ix1 = ix_last[kx], shift = kx - w.pad_w;
                        if (w.stride_w == 1)
                            for (int64_t ix = ix0; ix < ix1; ++ix) dst[ix + shift] += s[ix];
                        else
                            for (int64_t ix = ix0; ix < ix1; ++ix) dst[ix * w.stride_w + shift] += s[ix];
                    }
                }
            }
    }
    return y;
}

}  // namespace ganzoo::ops
