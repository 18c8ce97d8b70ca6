// ganzoo core: conv2d as im2col over the whole batch + one GEMM.
#include <algorithm>
#include <cstring>

#include "ops.hpp"

namespace ganzoo::ops {

namespace {

// First and one-past-last output position o with 0 <= o*stride - pad + k < size.
inline void valid_range(int64_t size, int64_t out_size, int64_t stride, int64_t pad, int64_t k,
                        int64_t& first, int64_t& last) {
    const int64_t lo = pad - k;  // o*stride >= lo
    first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    const int64_t hi = size + pad - k;  // o*stride < hi
    last = hi <= 0 ? 0 : (hi + stride - 1) / stride;
    first = std::min(first, out_size);
    last = std::clamp(last, first, out_size);
}

}  // namespace

Tensor conv2d(const Tensor& x, const RowMatrix& weight, const std::vector<float>& bias, const Window2d& w) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t out_c = weight.rows();
    const int64_t ho = (h + 2 * w.pad_h - w.kernel_h) / w.stride_h + 1;
    const int64_t wo = (wd + 2 * w.pad_w - w.kernel_w) / w.stride_w + 1;
    const int64_t plane_out = ho * wo, cols = n * plane_out;

    // cols [C*kh*kw, N*Ho*Wo]: row (c, ky, kx), column (n, oy, ox).
    RowMatrix col(c * w.kernel_h * w.kernel_w, cols);
    for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t ky = 0; ky < w.kernel_h; ++ky)
            for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
                float* row = col.data() + ((ci * w.kernel_h + ky) * w.kernel_w + kx) * cols;
                int64_t ox0, ox1;
                valid_range(wd, wo, w.stride_w, w.pad_w, kx, ox0, ox1);
                for (int64_t b = 0; b < n; ++b) {
                    const float* plane = x.data.data() + (b * c + ci) * h * wd;
                    for (int64_t oy = 0; oy < ho; ++oy) {
                        float* dst = row + b * plane_out + oy * wo;
                        const int64_t iy = oy * w.stride_h - w.pad_h + ky;
                        if (iy < 0 || iy >= h) {
                            std::fill(dst, dst + wo, 0.0f);
                            continue;
                        }
                        const float* src = plane + iy * wd;
                        const int64_t shift = kx - w.pad_w;  // ix = ox*stride + shift
                        std::fill(dst, dst + ox0, 0.0f);
                        if (w.stride_w == 1)
                            std::memcpy(dst + ox0, src + ox0 + shift, sizeof(float) * (ox1 - ox0));
                        else
                            for (int64_t ox = ox0; ox < ox1; ++ox) dst[ox] = src[ox * w.stride_w + shift];
                        std::fill(dst + ox1, dst + wo, 0.0f);
                    }
                }
            }

    Tensor y = Tensor::zeros({n, out_c, ho, wo});
    if (n == 1) {
        // [O, Ho*Wo] is already NCHW for one sample.
        Eigen::Map<RowMatrix> out(y.data.data(), out_c, plane_out);
        out.noalias() = weight * col;
        if (!bias.empty()) out.colwise() += Eigen::Map<const Eigen::VectorXf>(bias.data(), out_c);
        return y;
    }
    RowMatrix out(out_c, cols);  // [O, N*Ho*Wo] -> NCHW below
    out.noalias() = weight * col;
    for (int64_t b = 0; b < n; ++b)
        for (int64_t o = 0; o < out_c; ++o) {
            const float* src = out.data() + o * cols + b * plane_out;
            float* dst = y.data.data() + (b * out_c + o) * plane_out;
            const float shift = bias.empty() ? 0.0f : bias[o];
            for (int64_t p = 0; p < plane_out; ++p) dst[p] = src[p] + shift;
        }
    return y;
}

}  // namespace ganzoo::ops
