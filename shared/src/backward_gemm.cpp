// ganzoo core: the backward of the GEMM ops, each the forward kernel of its transpose on the
// same weight: linear's dx = dy · W is a linear, conv2d's dx a conv_transpose2d, and
// conv_transpose2d's dx a conv2d. The forward's packed weight is unpacked and packed again for
// the transposed product on every call: O(weights), against the GEMM's O(batch · weights · pixels),
// and it keeps the loaded nets (and the wasm sampling path) free of a second copy.
#include "backward.hpp"
#include "packed_gemm.hpp"

namespace ganzoo::ops {

using namespace gemm;

Tensor linear_backward(const Tensor& dy, const PackedWeight& weight) {
    // weight: Wᵀ [in, out] as linear's cols operand; W [out, in] is the cols operand of dy · W.
    const int64_t in = weight.rows, out = weight.cols;
    const std::vector<float> w = unpack_cols(weight.data, in, out);  // Wᵀ, row-major = W column-major
    const PackedWeight w_packed{pack_cols(w.data(), out, in, 1, out), out, in};
    return linear(dy, w_packed, {});
}

Tensor conv2d_backward(const Tensor& dy, const PackedWeight& weight, const Window2d& window, int64_t h, int64_t w) {
    // weight: W [O, C*kh*kw] as conv2d's rows operand. PyTorch's [O, C, kh, kw] is also the
    // layout of a conv_transpose2d from O to C channels: the adjoint, with the same window.
    const int64_t out_c = weight.rows, depth = weight.cols;
    const int64_t in_c = depth / (window.kernel_h * window.kernel_w);
    const std::vector<float> wt = unpack_rows(weight.data, out_c, depth);
    const PackedWeight packed = pack_conv_transpose2d_weight(wt.data(), out_c, depth);
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
    const std::vector<float> wt = unpack_rows(weight_t.data, rows, in_c);  // Wᵀ row-major
    std::vector<float> w(wt.size());
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t c = 0; c < in_c; ++c) w[static_cast<size_t>(c * rows + i)] = wt[static_cast<size_t>(i * in_c + c)];
    const PackedWeight packed = pack_conv2d_weight(w.data(), in_c, rows);
    Window2d t = window;
    t.output_pad_h = t.output_pad_w = 0;
    return conv2d(dy, packed, {}, t);
}

}  // namespace ganzoo::ops
