// ganzoo core: conv_transpose2d as one GEMM (Wᵀ · X over the whole batch) + col2im.
#include <algorithm>
#include <cstring>

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

}  // namespace

Tensor conv_transpose2d(const Tensor& x, const ColMatrix& weight_t, const std::vector<float>& bias,
                        int64_t out_channels, const Window2d& w) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t plane_in = h * wd, cols = n * plane_in;
    const int64_t ho = (h - 1) * w.stride_h - 2 * w.pad_h + w.kernel_h + w.output_pad_h;
    const int64_t wo = (wd - 1) * w.stride_w - 2 * w.pad_w + w.kernel_w + w.output_pad_w;
    const int64_t plane_out = ho * wo;

    // X as [C, N*H*W]: NCHW already is for one sample; otherwise gather the channel planes.
    RowMatrix gathered;
    const float* xs = x.data.data();
    if (n > 1) {
        gathered.resize(c, cols);
        for (int64_t b = 0; b < n; ++b)
            for (int64_t ci = 0; ci < c; ++ci)
                std::memcpy(gathered.data() + ci * cols + b * plane_in,
                            x.data.data() + (b * c + ci) * plane_in, sizeof(float) * plane_in);
        xs = gathered.data();
    }
    // col [O*kh*kw, N*H*W]: row (o, ky, kx), column (n, iy, ix).
    RowMatrix col(weight_t.rows(), cols);
    col.noalias() = weight_t * Eigen::Map<const RowMatrix>(xs, c, cols);

    Tensor y = Tensor::zeros({n, out_channels, ho, wo});
    for (int64_t b = 0; b < n; ++b)
        for (int64_t o = 0; o < out_channels; ++o)
            std::fill_n(y.data.data() + (b * out_channels + o) * plane_out, plane_out,
                        bias.empty() ? 0.0f : bias[o]);
    // col2im: scatter-add each (ky, kx) tap into the output positions it reaches.
    for (int64_t o = 0; o < out_channels; ++o)
        for (int64_t ky = 0; ky < w.kernel_h; ++ky) {
            int64_t iy0, iy1;
            contributing_range(h, ho, w.stride_h, w.pad_h, ky, iy0, iy1);
            for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
                int64_t ix0, ix1;
                contributing_range(wd, wo, w.stride_w, w.pad_w, kx, ix0, ix1);
                const int64_t shift = kx - w.pad_w;  // ox = ix*stride + shift
                const float* row = col.data() + ((o * w.kernel_h + ky) * w.kernel_w + kx) * cols;
                for (int64_t b = 0; b < n; ++b) {
                    float* plane = y.data.data() + (b * out_channels + o) * plane_out;
                    const float* src = row + b * plane_in;
                    for (int64_t iy = iy0; iy < iy1; ++iy) {
                        float* dst = plane + (iy * w.stride_h - w.pad_h + ky) * wo;
                        const float* s = src + iy * wd;
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
