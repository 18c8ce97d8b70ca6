// ganzoo core: per-element and per-channel ops, in place, vectorized through Eigen arrays.
#include <Eigen/Core>

#include "ops.hpp"

namespace ganzoo::ops {

namespace {

Eigen::Map<Eigen::ArrayXf> as_array(Tensor& x) {
    return Eigen::Map<Eigen::ArrayXf>(x.data.data(), static_cast<Eigen::Index>(x.data.size()));
}

}  // namespace

void batch_norm(Tensor& x, const std::vector<float>& scale, const std::vector<float>& shift) {
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t plane = c == 0 ? 0 : x.numel() / (n * c);  // 1 for [N, C]
    if (plane == 1) {
        // [N, C]: columns of a column-major [C, N] matrix.
        Eigen::Map<Eigen::ArrayXXf> a(x.data.data(), c, n);
        a = (a.colwise() * Eigen::Map<const Eigen::ArrayXf>(scale.data(), c)).colwise() +
            Eigen::Map<const Eigen::ArrayXf>(shift.data(), c);
        return;
    }
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ci = 0; ci < c; ++ci) {
            Eigen::Map<Eigen::ArrayXf> p(x.data.data() + (b * c + ci) * plane, plane);
            p = p * scale[ci] + shift[ci];
        }
}

void relu(Tensor& x) {
    auto a = as_array(x);
    a = a.max(0.0f);
}

void leaky_relu(Tensor& x, float slope) {
    auto a = as_array(x);
    a = a.max(0.0f) + slope * a.min(0.0f);  // exact: one of the two terms is zero
}

void elu(Tensor& x, float alpha) {
    auto a = as_array(x);
    a = (a > 0.0f).select(a, alpha * a.min(0.0f).expm1());
}

void tanh(Tensor& x) {
    auto a = as_array(x);
    a = a.tanh();
}

void sigmoid(Tensor& x) {
    auto a = as_array(x);
    a = a.logistic();
}

void scale(Tensor& x, float factor) {
    auto a = as_array(x);
    a *= factor;
}

void add(Tensor& x, const Tensor& y) {
    auto a = as_array(x);
    a += Eigen::Map<const Eigen::ArrayXf>(y.data.data(), static_cast<Eigen::Index>(y.data.size()));
}

}  // namespace ganzoo::ops
