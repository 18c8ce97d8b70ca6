// ganzoo core: the backward of the per-element and per-channel ops, in place on dy, through
// Eigen arrays as their forwards. At a kink (relu, leaky_relu and elu at 0) the slope is the
// left one, as PyTorch's (x > 0 picks the right).
#include <Eigen/Core>

#include "backward.hpp"

namespace ganzoo::ops {

namespace {

Eigen::Map<Eigen::ArrayXf> as_array(Tensor& x) {
    return Eigen::Map<Eigen::ArrayXf>(x.data.data(), static_cast<Eigen::Index>(x.data.size()));
}

Eigen::Map<const Eigen::ArrayXf> as_array(const Tensor& x) {
    return Eigen::Map<const Eigen::ArrayXf>(x.data.data(), static_cast<Eigen::Index>(x.data.size()));
}

}  // namespace

void batch_norm_backward(Tensor& dy, const std::vector<float>& scale) {
    const int64_t n = dy.dim(0), c = dy.dim(1);
    const int64_t plane = c == 0 ? 0 : dy.numel() / (n * c);  // 1 for [N, C]
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ci = 0; ci < c; ++ci) Eigen::Map<Eigen::ArrayXf>(dy.data.data() + (b * c + ci) * plane, plane) *= scale[ci];
}

void relu_backward(Tensor& dy, const Tensor& y) {
    auto g = as_array(dy);
    g = (as_array(y) > 0.0f).select(g, 0.0f);  // y > 0 exactly where x > 0
}

void leaky_relu_backward(Tensor& dy, const Tensor& x, float slope) {
    auto g = as_array(dy);
    g = (as_array(x) > 0.0f).select(g, slope * g);
}

void elu_backward(Tensor& dy, const Tensor& x, float alpha) {
    auto g = as_array(dy);
    const auto a = as_array(x);
    g = (a > 0.0f).select(g, g * alpha * a.min(0.0f).exp());
}

void tanh_backward(Tensor& dy, const Tensor& y) {
    auto g = as_array(dy);
    const auto t = as_array(y);
    g *= 1.0f - t * t;
}

void sigmoid_backward(Tensor& dy, const Tensor& y) {
    auto g = as_array(dy);
    const auto s = as_array(y);
    g *= s * (1.0f - s);
}

void scale_backward(Tensor& dy, float factor) {
    as_array(dy) *= factor;
}

}  // namespace ganzoo::ops
