// ganzoo core: conv_transpose2d as a GEMM (Wᵀ · X over the whole batch) + col2im.
//
// The GEMM is our own 128-bit micro-kernel (packed_gemm.hpp) rather than Eigen's: V8 compiles
// Eigen's 12x4 GEBP kernel to code that spills, and this op is ~85% of a DCGAN generator
// (docs/web-bench.md). Wᵀ is packed once, at load (graph.cpp). The columns (n, iy, ix) are
// processed in panels of whole input rows, so that a panel's col block stays in cache between
// the GEMM that writes it and the col2im that scatters it into the output.
#include <algorithm>
#include <cstring>
#include <memory>

#include "ops.hpp"
#include "packed_gemm.hpp"

namespace ganzoo::ops {

using namespace gemm;

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

// Columns per panel (rounded down to whole input rows, at least one row): the panel's col
// block is rows x kPanelCols floats.
constexpr int64_t kPanelCols = 256;

// Uninitialised floats: every buffer below is written before it is read, and zeroing them
// first (std::vector) was a third of a batch-1 call.
std::unique_ptr<float[]> buffer(int64_t n) { return std::unique_ptr<float[]>(new float[static_cast<size_t>(n)]); }

// col2im of one input row for two neighbouring taps kx, kx + 1 at stride 2: they land on
// neighbouring outputs (ox = 2 ix + shift and ox + 1), so the pair is one interleaved vector
// add. Every output gets at most one of the two, so the order of the sums is the scalar
// loop's: bit-identical results.
void scatter_pair_stride2(float* dst, const float* s0, const float* s1, int64_t first0, int64_t last0,
                          int64_t first1, int64_t last1, int64_t shift) {
    const int64_t lo = std::max(first0, first1), hi = std::max(lo, std::min(last0, last1));
    for (int64_t ix = first0; ix < std::min(lo, last0); ++ix) dst[2 * ix + shift] += s0[ix];
    for (int64_t ix = first1; ix < std::min(lo, last1); ++ix) dst[2 * ix + shift + 1] += s1[ix];
    int64_t ix = lo;
    for (; ix + 4 <= hi; ix += 4) {
        const v4f a = load4(s0 + ix), b = load4(s1 + ix);
        float* d = dst + 2 * ix + shift;
        store4(d, load4(d) + __builtin_shufflevector(a, b, 0, 4, 1, 5));
        store4(d + 4, load4(d + 4) + __builtin_shufflevector(a, b, 2, 6, 3, 7));
    }
    for (; ix < hi; ++ix) {
        dst[2 * ix + shift] += s0[ix];
        dst[2 * ix + shift + 1] += s1[ix];
    }
    for (int64_t i = std::max(hi, first0); i < last0; ++i) dst[2 * i + shift] += s0[i];
    for (int64_t i = std::max(hi, first1); i < last1; ++i) dst[2 * i + shift + 1] += s1[i];
}

// dst[ix + shift] += s[ix] for ix in [first, last) (stride 1).
void scatter_stride1(float* dst, const float* s, int64_t first, int64_t last, int64_t shift) {
    int64_t ix = first;
    for (; ix + 4 <= last; ix += 4) store4(dst + ix + shift, load4(dst + ix + shift) + load4(s + ix));
    for (; ix < last; ++ix) dst[ix + shift] += s[ix];
}

}  // namespace

PackedWeight pack_conv_transpose2d_weight(const float* weight, int64_t in_channels, int64_t rows) {
    // Wᵀ [rows, C]: element (i, c) is weight[c * rows + i].
    return {pack_rows(weight, rows, in_channels, 1, rows), rows, in_channels};
}

Tensor conv_transpose2d(const Tensor& x, const PackedWeight& weight_t, const std::vector<float>& bias,
                        int64_t out_channels, const Window2d& w) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t plane_in = h * wd, cols = n * plane_in;
    const int64_t ho = (h - 1) * w.stride_h - 2 * w.pad_h + w.kernel_h + w.output_pad_h;
    const int64_t wo = (wd - 1) * w.stride_w - 2 * w.pad_w + w.kernel_w + w.output_pad_w;
    const int64_t plane_out = ho * wo;
    const int64_t m = weight_t.rows;  // O*kh*kw, row (o, ky, kx)
    const int64_t m_blocks = (m + kMr - 1) / kMr;

    // The output starts as the bias, written once (not zeros, then the bias).
    Tensor y;
    y.shape = {n, out_channels, ho, wo};
    y.data.reserve(static_cast<size_t>(n * out_channels * plane_out));
    for (int64_t b = 0; b < n; ++b)
        for (int64_t o = 0; o < out_channels; ++o)
            y.data.insert(y.data.end(), static_cast<size_t>(plane_out), bias.empty() ? 0.0f : bias[o]);
    if (cols == 0 || m == 0) return y;

    const float* a_packed = weight_t.data.data();  // packed at load
    // A panel is input rows [row0, row0 + rows) over all samples, row r = (b, iy): whole samples
    // when one fits, else runs of panel_rows within a sample. Every sample is cut at the same rows
    // whatever its place in the batch: col2im adds an output value's taps panel by panel, so a cut
    // that moved with the batch would change the order of the sum, and a batch run in slices
    // (ganzoo::ThreadPool) would not give the same floats.
    const int64_t fit = std::max<int64_t>(1, kPanelCols / wd), all_rows = n * h;
    const int64_t panel_rows = fit >= h ? fit - fit % h : fit;
    const int64_t span = fit >= h ? all_rows : h;  // a panel ends at the batch's end, or the sample's
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

    for (int64_t row0 = 0, rows = 0; row0 < all_rows; row0 += rows) {
        rows = std::min(panel_rows, span - row0 % span);
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
            const float* a = a_packed + blk * c * kMr;
            float* dst = col.get() + blk * kMr * ldc;
            static void (*volatile kernel)(int64_t, const float*, const float*, float*, int64_t) noexcept = kernel_4x8;
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
                    int64_t kx = 0;
                    if (w.stride_w == 2)
                        for (; kx + 1 < w.kernel_w; kx += 2) {
                            const float* s = src_rows + kx * ldc + r * wd;
                            scatter_pair_stride2(dst, s, s + ldc, ix_first[kx], ix_last[kx], ix_first[kx + 1],
                                                 ix_last[kx + 1], kx - w.pad_w);
                        }
                    for (; kx < w.kernel_w; ++kx) {
                        const float* s = src_rows + kx * ldc + r * wd;
                        const int64_t ix0 = ix_first[kx], ix1 = ix_last[kx], shift = kx - w.pad_w;
                        if (w.stride_w == 1)
                            scatter_stride1(dst, s, ix0, ix1, shift);
                        else
                            for (int64_t ix = ix0; ix < ix1; ++ix) dst[ix * w.stride_w + shift] += s[ix];
                    }
                }
            }
    }
    return y;
}

}  // namespace ganzoo::ops
