// ganzoo core: ops that move values around: concat, one_hot, upsample_nearest,
// reflection_pad2d (reshape only renames a shape).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ganzoo/error.hpp"
#include "ops.hpp"

namespace ganzoo::ops {

Tensor concat(const std::vector<const Tensor*>& xs, int64_t axis) {
    std::vector<int64_t> shape = xs.front()->shape;
    shape[axis] = 0;
    for (const Tensor* x : xs) shape[axis] += x->dim(axis);
    // outer: product of the dims before axis; each input contributes a contiguous chunk per outer.
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= shape[d];
    Tensor y = Tensor::zeros(shape);
    float* dst = y.data.data();
    for (int64_t o = 0; o < outer; ++o)
        for (const Tensor* x : xs) {
            const int64_t chunk = outer == 0 ? 0 : x->numel() / outer;
            std::memcpy(dst, x->data.data() + o * chunk, sizeof(float) * chunk);
            dst += chunk;
        }
    return y;
}

Tensor upsample_nearest(const Tensor& x, int64_t scale_h, int64_t scale_w) {
    const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t wo = w * scale_w;
    Tensor y = Tensor::zeros({x.dim(0), x.dim(1), h * scale_h, wo});
    const float* src = x.data.data();
    float* dst = y.data.data();
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < h; ++i, src += w) {
            // One widened row, then copied scale_h − 1 times below itself.
            for (int64_t j = 0; j < w; ++j)
                std::fill_n(dst + j * scale_w, scale_w, src[j]);
            for (int64_t r = 1; r < scale_h; ++r) std::memcpy(dst + r * wo, dst, sizeof(float) * wo);
            dst += wo * scale_h;
        }
    return y;
}

Tensor reflection_pad2d(const Tensor& x, int64_t pad_h, int64_t pad_w) {
    const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t ho = h + 2 * pad_h, wo = w + 2 * pad_w;
    Tensor y = Tensor::zeros({x.dim(0), x.dim(1), ho, wo});
    const float* src = x.data.data();
    float* dst = y.data.data();
    for (int64_t p = 0; p < planes; ++p, src += h * w, dst += ho * wo) {
        // The input rows, each widened by its mirrored ends (column -k is column k, column
        // w-1+k is column w-1-k: the edge itself is not repeated).
        for (int64_t i = 0; i < h; ++i) {
            const float* in = src + i * w;
            float* out = dst + (pad_h + i) * wo;
            for (int64_t k = 1; k <= pad_w; ++k) {
                out[pad_w - k] = in[k];
                out[pad_w + w - 1 + k] = in[w - 1 - k];
            }
            std::memcpy(out + pad_w, in, sizeof(float) * w);
        }
        // Then whole padded rows, mirrored the same way.
        for (int64_t k = 1; k <= pad_h; ++k) {
            std::memcpy(dst + (pad_h - k) * wo, dst + (pad_h + k) * wo, sizeof(float) * wo);
            std::memcpy(dst + (pad_h + h - 1 + k) * wo, dst + (pad_h + h - 1 - k) * wo, sizeof(float) * wo);
        }
    }
    return y;
}

Tensor one_hot(const Tensor& x, int64_t classes) {
    const int64_t n = x.dim(0);
    // Class weights in place of indices (a mixture of classes), checked by Model::run.
    if (classes > 1 && x.rank() == 2 && x.dim(1) == classes) return x;
    Tensor y = Tensor::zeros({n, classes});
    for (int64_t i = 0; i < n; ++i) {
        const float v = x.data[i];
        if (!(v >= 0.0f && v < static_cast<float>(classes)) || v != std::floor(v))
            throw Error("class index " + std::to_string(v) + " of sample " + std::to_string(i) +
                        " is not an integer in [0, " + std::to_string(classes) + ")");
        y.data[i * classes + static_cast<int64_t>(v)] = 1.0f;
    }
    return y;
}

}  // namespace ganzoo::ops
