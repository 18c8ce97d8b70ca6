// ganzoo core: normalizations that compute their statistics from the value itself (unlike
// batch_norm's stored ones): pixel_norm (ProGAN) and instance_norm (CycleGAN). In place.
// Sums are taken in double: the outputs are then within float rounding of the exact result
// even when the mean is large next to the spread.
#include <algorithm>
#include <cmath>

#include "ops.hpp"

namespace ganzoo::ops {

void pixel_norm(Tensor& x, float eps) {
    const int64_t n = x.dim(0), c = x.dim(1);
    const int64_t plane = n * c == 0 ? 0 : x.numel() / (n * c);  // 1 for [N, F]
    std::vector<double> squares(static_cast<size_t>(plane));
    std::vector<float> inverse(static_cast<size_t>(plane));
    for (int64_t b = 0; b < n; ++b) {
        float* sample = x.data.data() + b * c * plane;
        // Channel by channel, so that every pass walks contiguous memory.
        std::fill(squares.begin(), squares.end(), 0.0);
        for (int64_t ci = 0; ci < c; ++ci) {
            const float* row = sample + ci * plane;
            for (int64_t p = 0; p < plane; ++p) squares[p] += double(row[p]) * row[p];
        }
        for (int64_t p = 0; p < plane; ++p)
            inverse[p] = static_cast<float>(1.0 / std::sqrt(squares[p] / double(c) + double(eps)));
        for (int64_t ci = 0; ci < c; ++ci) {
            float* row = sample + ci * plane;
            for (int64_t p = 0; p < plane; ++p) row[p] *= inverse[p];
        }
    }
}

void instance_norm(Tensor& x, const std::vector<float>& weight, const std::vector<float>& bias, float eps) {
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.dim(2) * x.dim(3);
    for (int64_t b = 0; b < n; ++b)
        for (int64_t ci = 0; ci < c; ++ci) {
            float* p = x.data.data() + (b * c + ci) * plane;
            // Two passes: the mean, then the biased variance around it.
            double sum = 0.0;
            for (int64_t i = 0; i < plane; ++i) sum += p[i];
            const double mean = sum / double(plane);
            double spread = 0.0;
            for (int64_t i = 0; i < plane; ++i) spread += (p[i] - mean) * (p[i] - mean);
            const double inverse = 1.0 / std::sqrt(spread / double(plane) + double(eps));
            const double a = weight.empty() ? inverse : inverse * weight[ci];
            const double shift = bias.empty() ? 0.0 : bias[ci];
            for (int64_t i = 0; i < plane; ++i) p[i] = static_cast<float>((p[i] - mean) * a + shift);
        }
}

}  // namespace ganzoo::ops
