// ganzoo core: the backward of pixel_norm and instance_norm, from the forward's input (the
// statistics are computed again, in double, as the forward does).
#include <cmath>

#include "backward.hpp"

namespace ganzoo::ops {

void pixel_norm_backward(Tensor& dy, const Tensor& x, float eps) {
    // y_c = x_c r, r = (Σ_k x_k² / C + eps)^(-1/2): dx_c = r dy_c - x_c r³ / C · Σ_k x_k dy_k.
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t plane = n * c == 0 ? 0 : x.numel() / (n * c);  // 1 for [N, F]
    std::vector<double> squares(static_cast<size_t>(plane)), dots(static_cast<size_t>(plane));
    for (int64_t b = 0; b < n; ++b) {
        const float* xs = x.data.data() + b * c * plane;
        float* gs = dy.data.data() + b * c * plane;
        std::fill(squares.begin(), squares.end(), 0.0);
        std::fill(dots.begin(), dots.end(), 0.0);
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t p = 0; p < plane; ++p) {
                const double v = xs[ci * plane + p];
                squares[p] += v * v;
                dots[p] += v * gs[ci * plane + p];
            }
        for (int64_t p = 0; p < plane; ++p) {
            const double r = 1.0 / std::sqrt(squares[p] / double(c) + double(eps));
            squares[p] = r;                             // now r
            dots[p] *= r * r * r / double(c);           // now r³ / C · Σ x dy
        }
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t p = 0; p < plane; ++p) {
                const int64_t i = ci * plane + p;
                gs[i] = static_cast<float>(squares[p] * gs[i] - dots[p] * xs[i]);
            }
    }
}

void instance_norm_backward(Tensor& dy, const Tensor& x, const std::vector<float>& weight, float eps) {
    // x̂ = (x - μ) r, r = (σ² + eps)^(-1/2), y = x̂ γ + β; with g = dy γ:
    // dx = r (g - mean(g) - x̂ mean(g x̂)), μ and σ² (biased) over the plane.
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ci = 0; ci < c; ++ci) {
            const float* p = x.data.data() + (b * c + ci) * plane;
            float* g = dy.data.data() + (b * c + ci) * plane;
            double sum = 0.0;
            for (int64_t i = 0; i < plane; ++i) sum += p[i];
            const double mean = sum / double(plane);
            double spread = 0.0;
            for (int64_t i = 0; i < plane; ++i) spread += (p[i] - mean) * (p[i] - mean);
            const double r = 1.0 / std::sqrt(spread / double(plane) + double(eps));
            const double gamma = weight.empty() ? 1.0 : weight[ci];
            double g_sum = 0.0, gx_sum = 0.0;
            for (int64_t i = 0; i < plane; ++i) {
                g_sum += g[i];
                gx_sum += g[i] * (p[i] - mean) * r;
            }
            const double g_mean = g_sum / double(plane), gx_mean = gx_sum / double(plane);
            for (int64_t i = 0; i < plane; ++i)
                g[i] = static_cast<float>(gamma * r * (g[i] - g_mean - (p[i] - mean) * r * gx_mean));
        }
}

}  // namespace ganzoo::ops
