// ganzoo core: the backward of the GEMM ops, each the forward kernel of its transpose on the
// same weight: linear's dx = dy · W is a linear, conv2d's dx a conv_transpose2d, and
// conv_transpose2d's dx a conv2d. The forward's packed weight is packed again for the transposed
// product on every call: O(weights), against the GEMM's O(batch · weights · pixels), and it keeps
// the loaded nets (and the wasm sampling path) free of a second copy.
#include "backward.hpp"
#include "packed_gemm.hpp"

namespace ganzoo::ops {

using namespace gemm;

namespace {

// The repacked weight, in a buffer kept between calls (one per thread): an op's transposed
// weight is used once, right away, and allocating it afresh on every call of a reverse pass
// (hundreds in a projection) cost as much as the product at batch 1.
PackedWeight& scratch_weight() {
    thread_local PackedWeight w;
    return w;
}

// A (m x k_size) as pack_rows lays it out, element (i, k) = at(i, k), zero rows past m.
template <class At>
const PackedWeight& repack_rows(int64_t m, int64_t k_size, At at) {
    PackedWeight& w = scratch_weight();
    const int64_t blocks = (m + kMr - 1) / kMr;
    w.data.resize(static_cast<size_t>(blocks * kMr * k_size));
    w.rows = m;
    w.cols = k_size;
    float* dst = w.data.data();
    for (int64_t blk = 0; blk < blocks; ++blk)
        for (int64_t k = 0; k < k_size; ++k, dst += kMr)
            for (int64_t i = 0; i < kMr; ++i) dst[i] = blk * kMr + i < m ? at(blk * kMr + i, k) : 0.0f;
    return w;
}

}  // namespace

Tensor linear_backward(const Tensor& dy, const PackedWeight& weight) {
    // weight: Wᵀ [in, out] as linear's cols operand, tiles of kNr outputs o, each [in][kNr];
    // dy · W takes W [out, in] as its cols operand, tiles of kNr inputs i, each [out][kNr]. Each
    // kNr x kNr block of one is a contiguous block of the other, transposed: copied block by
    // block, both sides stay in cache (row by row, this copy took a third of a DCGAN's pass).
    const int64_t in = weight.rows, out = weight.cols;
    const int64_t out_tiles = (out + kNr - 1) / kNr, in_tiles = (in + kNr - 1) / kNr;
    PackedWeight& w = scratch_weight();
    w.data.resize(static_cast<size_t>(in_tiles * kNr * out));
    w.rows = out;
    w.cols = in;
    const float* src = weight.data.data();
    float* dst = w.data.data();
    for (int64_t s = 0; s < in_tiles; ++s)
        for (int64_t t = 0; t < out_tiles; ++t)
            for (int64_t jj = 0; jj < kNr && t * kNr + jj < out; ++jj) {
                const int64_t o = t * kNr + jj;
                float* d = dst + (s * out + o) * kNr;
                for (int64_t ii = 0; ii < kNr; ++ii) {
                    const int64_t i = s * kNr + ii;
                    d[ii] = i < in ? src[(t * in + i) * kNr + jj] : 0.0f;
                }
            }
    return linear(dy, w, {});
}

Tensor conv2d_backward(const Tensor& dy, const PackedWeight& weight, const Window2d& window, int64_t h, int64_t w) {
    // weight: W [O, C*kh*kw] as conv2d's rows operand. PyTorch's [O, C, kh, kw] is also the
    // layout of a conv_transpose2d from O to C channels (the adjoint, with the same window),
    // which multiplies by Wᵀ [C*kh*kw, O].
    const int64_t out_c = weight.rows, depth = weight.cols;
    const int64_t in_c = depth / (window.kernel_h * window.kernel_w);
    const float* wd = weight.data.data();  // W (o, i) at (o / kMr) depth kMr + i kMr + o % kMr
    const PackedWeight& packed = repack_rows(depth, out_c, [&](int64_t i, int64_t o) {
        return wd[(o / kMr) * depth * kMr + i * kMr + o % kMr];
    });
    // The transpose of the forward's size: (Ho - 1) s - 2 p + k, short of h by the rows the
    // forward's last window did not reach; output padding gives them back (as zeros).
    Window2d t = window;
    t.output_pad_h = h - ((dy.dim(2) - 1) * window.stride_h - 2 * window.pad_h + window.kernel_h);
    t.output_pad_w = w - ((dy.dim(3) - 1) * window.stride_w - 2 * window.pad_w + window.kernel_w);
    return conv_transpose2d(dy, packed, {}, in_c, t);
}

Tensor conv_transpose2d_backward(const Tensor& dy, const PackedWeight& weight_t, const Window2d& window) {
    // weight_t: Wᵀ [O*kh*kw, C] as the rows operand; W [C, O*kh*kw] (PyTorch's [C, O, kh, kw])
    // is the weight of a conv2d from O to C channels: the adjoint, with the same stride and
    // padding (the forward's output padding only added rows that conv2d's windows skip).
    const int64_t rows = weight_t.rows, in_c = weight_t.cols;
    const float* wt = weight_t.data.data();  // Wᵀ (i, c) at (i / kMr) C kMr + c kMr + i % kMr
    const PackedWeight& packed = repack_rows(in_c, rows, [&](int64_t c, int64_t i) {
        return wt[(i / kMr) * in_c * kMr + c * kMr + i % kMr];
    });
    Window2d t = window;
    t.output_pad_h = t.output_pad_w = 0;
    return conv2d(dy, packed, {}, t);
}

}  // namespace ganzoo::ops
