// Naive, obviously-correct loops for every op (double accumulation), used as the reference the
// core's batched GEMM kernels are compared with. Shapes are written out in each signature.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "ganzoo/tensor.hpp"

namespace ganzoo::reference {

// x [N, in], w [out, in], b [out] or empty -> [N, out]
inline Tensor linear(const Tensor& x, const std::vector<float>& w, const std::vector<float>& b, int64_t out) {
    const int64_t n = x.dim(0), in = x.dim(1);
    Tensor y = Tensor::zeros({n, out});
    for (int64_t s = 0; s < n; ++s)
        for (int64_t o = 0; o < out; ++o) {
            double acc = b.empty() ? 0.0 : b[o];
            for (int64_t i = 0; i < in; ++i) acc += double(x.data[s * in + i]) * w[o * in + i];
            y.data[s * out + o] = static_cast<float>(acc);
        }
    return y;
}

struct Window {
    int64_t kh, kw, sh = 1, sw = 1, ph = 0, pw = 0, oph = 0, opw = 0;
};

// x [N, C, H, W], w [O, C, kh, kw] -> [N, O, Ho, Wo]: out = sum x[iy = oy*s - p + ky] * w
inline Tensor conv2d(const Tensor& x, const std::vector<float>& w, const std::vector<float>& b, int64_t out,
                     const Window& k) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t ho = (h + 2 * k.ph - k.kh) / k.sh + 1, wo = (wd + 2 * k.pw - k.kw) / k.sw + 1;
    Tensor y = Tensor::zeros({n, out, ho, wo});
    for (int64_t s = 0; s < n; ++s)
        for (int64_t o = 0; o < out; ++o)
            for (int64_t oy = 0; oy < ho; ++oy)
                for (int64_t ox = 0; ox < wo; ++ox) {
                    double acc = b.empty() ? 0.0 : b[o];
                    for (int64_t ci = 0; ci < c; ++ci)
                        for (int64_t ky = 0; ky < k.kh; ++ky)
                            for (int64_t kx = 0; kx < k.kw; ++kx) {
                                const int64_t iy = oy * k.sh - k.ph + ky, ix = ox * k.sw - k.pw + kx;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                acc += double(x.data[((s * c + ci) * h + iy) * wd + ix]) *
                                       w[((o * c + ci) * k.kh + ky) * k.kw + kx];
                            }
                    y.data[((s * out + o) * ho + oy) * wo + ox] = static_cast<float>(acc);
                }
    return y;
}

// x [N, C, H, W], w [C, O, kh, kw] -> [N, O, Ho, Wo], Ho = (H-1)s - 2p + k + op: every input
// pixel scatters x * w into out[iy*s - p + ky][ix*s - p + kx] (PyTorch's definition).
inline Tensor conv_transpose2d(const Tensor& x, const std::vector<float>& w, const std::vector<float>& b,
                               int64_t out, const Window& k) {
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
    const int64_t ho = (h - 1) * k.sh - 2 * k.ph + k.kh + k.oph,
                  wo = (wd - 1) * k.sw - 2 * k.pw + k.kw + k.opw;
    std::vector<double> acc(static_cast<size_t>(n * out * ho * wo), 0.0);
    for (int64_t s = 0; s < n; ++s)
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t iy = 0; iy < h; ++iy)
                for (int64_t ix = 0; ix < wd; ++ix)
                    for (int64_t o = 0; o < out; ++o)
                        for (int64_t ky = 0; ky < k.kh; ++ky)
                            for (int64_t kx = 0; kx < k.kw; ++kx) {
                                const int64_t oy = iy * k.sh - k.ph + ky, ox = ix * k.sw - k.pw + kx;
                                if (oy < 0 || oy >= ho || ox < 0 || ox >= wo) continue;
                                acc[((s * out + o) * ho + oy) * wo + ox] +=
                                    double(x.data[((s * c + ci) * h + iy) * wd + ix]) *
                                    w[((ci * out + o) * k.kh + ky) * k.kw + kx];
                            }
    Tensor y = Tensor::zeros({n, out, ho, wo});
    for (size_t i = 0; i < acc.size(); ++i) {
        const int64_t o = static_cast<int64_t>(i) / (ho * wo) % out;
        y.data[i] = static_cast<float>(acc[i] + (b.empty() ? 0.0 : b[o]));
    }
    return y;
}

// [N, C, ...]: x * scale[c] + shift[c]
inline Tensor batch_norm(Tensor x, const std::vector<float>& scale, const std::vector<float>& shift) {
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / (n * c);
    for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t ch = i / plane % c;
        x.data[i] = x.data[i] * scale[ch] + shift[ch];
    }
    return x;
}

// [N, C, H, W] or [N, F]: x / sqrt(mean over c of x[n, c, p]² + eps)
inline Tensor pixel_norm(Tensor x, double eps) {
    const int64_t n = x.dim(0), c = x.dim(1), plane = x.numel() / (n * c);
    for (int64_t s = 0; s < n; ++s)
        for (int64_t p = 0; p < plane; ++p) {
            double squares = 0;
            for (int64_t ch = 0; ch < c; ++ch) squares += std::pow(double(x.data[(s * c + ch) * plane + p]), 2);
            const double norm = std::sqrt(squares / double(c) + eps);
            for (int64_t ch = 0; ch < c; ++ch) {
                float& v = x.data[(s * c + ch) * plane + p];
                v = static_cast<float>(v / norm);
            }
        }
    return x;
}

// [N, C, H, W]: (x - mean) / sqrt(biased var + eps) * weight[c] + bias[c] per (sample, channel);
// weight, bias empty: no affine.
inline Tensor instance_norm(Tensor x, const std::vector<float>& weight, const std::vector<float>& bias,
                            double eps) {
    const int64_t c = x.dim(1), plane = x.dim(2) * x.dim(3);
    for (int64_t q = 0; q < x.dim(0) * c; ++q) {
        const int64_t ch = q % c;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < plane; ++i) mean += x.data[q * plane + i];
        mean /= double(plane);
        for (int64_t i = 0; i < plane; ++i) var += std::pow(x.data[q * plane + i] - mean, 2);
        var /= double(plane);
        for (int64_t i = 0; i < plane; ++i) {
            double y = (x.data[q * plane + i] - mean) / std::sqrt(var + eps);
            if (!weight.empty()) y = y * weight[ch] + bias[ch];
            x.data[q * plane + i] = static_cast<float>(y);
        }
    }
    return x;
}

// [N, C, H, W] -> [N, C, H + 2ph, W + 2pw]: out[i][j] = x[r(i - ph, H)][r(j - pw, W)],
// r(k, d) = |k| folded back from the far edge: d - 1 - |d - 1 - |k||.
inline Tensor reflection_pad2d(const Tensor& x, int64_t ph, int64_t pw) {
    const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t ho = h + 2 * ph, wo = w + 2 * pw;
    auto reflect = [](int64_t k, int64_t d) {
        k = k < 0 ? -k : k;
        return d - 1 - std::abs(d - 1 - k);
    };
    Tensor y = Tensor::zeros({x.dim(0), x.dim(1), ho, wo});
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t i = 0; i < ho; ++i)
            for (int64_t j = 0; j < wo; ++j)
                y.data[(p * ho + i) * wo + j] = x.data[(p * h + reflect(i - ph, h)) * w + reflect(j - pw, w)];
    return y;
}

template <typename F>
Tensor map(Tensor x, F f) {
    for (float& v : x.data) v = static_cast<float>(f(double(v)));
    return x;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
    if (a.shape != b.shape || a.data.size() != b.data.size()) return INFINITY;
    double d = 0;
    for (size_t i = 0; i < a.data.size(); ++i) d = std::max(d, std::fabs(double(a.data[i]) - b.data[i]));
    return d;
}

// Prints the difference (llm.c style) and returns it, for REQUIRE(report(...) < tol).
inline double report(const char* what, const Tensor& got, const Tensor& expected) {
    const double d = max_abs_diff(got, expected);
    std::printf("%-48s max |diff| = %.3g\n", what, d);
    return d;
}

}  // namespace ganzoo::reference
