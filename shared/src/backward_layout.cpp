// ganzoo core: the backward of the ops that move values around: each value of dx gathers the
// gradients of the output positions it was copied to (reshape only renames a shape; one_hot's
// class weights pass through, graph_backward.cpp).
#include <algorithm>
#include <cstring>

#include "backward.hpp"

namespace ganzoo::ops {

std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<std::vector<int64_t>>& input_shapes,
                                    int64_t axis) {
    // As the forward: per outer index, each input's contiguous chunk in turn.
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= dy.dim(static_cast<size_t>(d));
    std::vector<Tensor> dxs;
    for (const auto& shape : input_shapes) dxs.push_back(Tensor::zeros(shape));
    const float* src = dy.data.data();
    for (int64_t o = 0; o < outer; ++o)
        for (Tensor& dx : dxs) {
            const int64_t chunk = dx.numel() / outer;
            std::memcpy(dx.data.data() + o * chunk, src, sizeof(float) * chunk);
            src += chunk;
        }
    return dxs;
}

Tensor upsample_nearest_backward(const Tensor& dy, int64_t scale_h, int64_t scale_w) {
    const int64_t planes = dy.dim(0) * dy.dim(1), h = dy.dim(2) / scale_h, w = dy.dim(3) / scale_w;
    const int64_t wo = w * scale_w;
    Tensor dx = Tensor::zeros({dy.dim(0), dy.dim(1), h, w});
    const float* src = dy.data.data();
    float* dst = dx.data.data();
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < h; ++i, dst += w)
            // The scale_h output rows of input row i, each folded by scale_w.
            for (int64_t r = 0; r < scale_h; ++r, src += wo)
                for (int64_t j = 0; j < w; ++j)
                    for (int64_t k = 0; k < scale_w; ++k) dst[j] += src[j * scale_w + k];
    return dx;
}

Tensor reflection_pad2d_backward(const Tensor& dy, int64_t pad_h, int64_t pad_w) {
    const int64_t planes = dy.dim(0) * dy.dim(1), ho = dy.dim(2), wo = dy.dim(3);
    const int64_t h = ho - 2 * pad_h, w = wo - 2 * pad_w;
    Tensor dx = Tensor::zeros({dy.dim(0), dy.dim(1), h, w});
    // Output index o (padded) copies input index reflect(o - pad): -k is k, n-1+k is n-1-k.
    auto reflect = [](int64_t i, int64_t n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; };
    std::vector<int64_t> column(static_cast<size_t>(wo));
    for (int64_t ox = 0; ox < wo; ++ox) column[ox] = reflect(ox - pad_w, w);
    const float* src = dy.data.data();
    float* dst = dx.data.data();
    for (int64_t p = 0; p < planes; ++p, dst += h * w)
        for (int64_t oy = 0; oy < ho; ++oy, src += wo) {
            float* row = dst + reflect(oy - pad_h, h) * w;
            for (int64_t ox = 0; ox < wo; ++ox) row[column[ox]] += src[ox];
        }
    return dx;
}

}  // namespace ganzoo::ops
