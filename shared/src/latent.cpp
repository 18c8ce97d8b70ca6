// ganzoo core: portable latents (docs/format.md, "Portable latents") and interpolation.
#include "ganzoo/latent.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ganzoo/error.hpp"

namespace ganzoo {

uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

namespace {

constexpr uint64_t kNormalStream = 0;
constexpr uint64_t kUniformStream = 1;
constexpr double kTwoPi = 6.283185307179586;  // the double nearest 2*pi
constexpr double kTwoPow53 = 1.0 / 9007199254740992.0;

uint64_t sample_key(uint64_t seed, uint64_t index, uint64_t stream) {
    return splitmix64(seed ^ splitmix64(index ^ splitmix64(stream)));
}

Tensor latent_tensor(const char* what, int64_t first_index, int64_t count, int64_t dim) {
    if (first_index < 0 || count < 0 || dim < 0)
        throw Error(std::string(what) + ": first_index, count and dim must be >= 0 (got " +
                    std::to_string(first_index) + ", " + std::to_string(count) + ", " + std::to_string(dim) +
                    ")");
    if (dim != 0 && count > std::numeric_limits<int32_t>::max() / dim)
        throw Error(std::string(what) + ": " + std::to_string(count) + " x " + std::to_string(dim) +
                    " values is too many");
    return Tensor::zeros({count, dim});
}

}  // namespace

Tensor normal_latents(uint64_t seed, int64_t first_index, int64_t count, int64_t dim) {
    Tensor z = latent_tensor("normal_latents", first_index, count, dim);
    for (int64_t i = 0; i < count; ++i) {
        const uint64_t key = sample_key(seed, static_cast<uint64_t>(first_index + i), kNormalStream);
        float* row = z.data.data() + i * dim;
        for (int64_t j = 0; j < dim; j += 2) {
            const uint64_t k2 = static_cast<uint64_t>(j);  // = 2k for pair k
            const uint64_t a = splitmix64(key + k2), b = splitmix64(key + k2 + 1);
            const double u1 = static_cast<double>((a >> 11) + 1) * kTwoPow53;  // (0, 1]
            const double u2 = static_cast<double>(b >> 11) * kTwoPow53;        // [0, 1)
            const double r = std::sqrt(-2.0 * std::log(u1));
            row[j] = static_cast<float>(r * std::cos(kTwoPi * u2));
            if (j + 1 < dim) row[j + 1] = static_cast<float>(r * std::sin(kTwoPi * u2));
        }
    }
    return z;
}

Tensor uniform_latents(uint64_t seed, int64_t first_index, int64_t count, int64_t dim) {
    Tensor u = latent_tensor("uniform_latents", first_index, count, dim);
    for (int64_t i = 0; i < count; ++i) {
        const uint64_t key = sample_key(seed, static_cast<uint64_t>(first_index + i), kUniformStream);
        for (int64_t j = 0; j < dim; ++j)
            u.data[static_cast<size_t>(i * dim + j)] = static_cast<float>(
                static_cast<double>(splitmix64(key + static_cast<uint64_t>(j)) >> 11) * kTwoPow53);
    }
    return u;
}

InterpolationMode parse_interpolation_mode(const std::string& name) {
    if (name == "lerp") return InterpolationMode::Lerp;
    if (name == "slerp") return InterpolationMode::Slerp;
    throw Error("interpolation mode '" + name + "' is unknown (lerp or slerp)");
}

namespace {

int64_t latent_dim(const Tensor& t, const char* which) {
    const bool vector = t.rank() == 1 || (t.rank() == 2 && t.dim(0) == 1);
    if (!vector || static_cast<int64_t>(t.data.size()) != t.numel())
        throw Error(std::string("interpolate: latent '") + which + "' must have shape [dim] or [1, dim]");
    return t.shape.back();
}

}  // namespace

Tensor interpolate(const Tensor& a, const Tensor& b, int64_t steps, InterpolationMode mode) {
    const int64_t dim = latent_dim(a, "a");
    if (latent_dim(b, "b") != dim)
        throw Error("interpolate: latents have different sizes (" + std::to_string(dim) + " and " +
                    std::to_string(b.shape.back()) + ")");
    if (steps < 2 || steps > std::numeric_limits<int32_t>::max() / std::max<int64_t>(dim, 1))
        throw Error("interpolate: steps must be >= 2 (got " + std::to_string(steps) + ")");

    // Slerp weights from the angle between a and b; lerp when they are (anti)parallel or zero.
    double dot = 0, aa = 0, bb = 0;
    for (int64_t j = 0; j < dim; ++j) {
        dot += double(a.data[j]) * b.data[j];
        aa += double(a.data[j]) * a.data[j];
        bb += double(b.data[j]) * b.data[j];
    }
    double theta = 0, sin_theta = 0;
    if (aa > 0 && bb > 0) {
        theta = std::acos(std::clamp(dot / std::sqrt(aa * bb), -1.0, 1.0));
        sin_theta = std::sin(theta);
    }
    const bool use_slerp = mode == InterpolationMode::Slerp && sin_theta >= 1e-6;

    Tensor out = Tensor::zeros({steps, dim});
    for (int64_t i = 0; i < steps; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(steps - 1);
        double wa = 1.0 - t, wb = t;
        if (use_slerp) {
            wa = std::sin((1.0 - t) * theta) / sin_theta;
            wb = std::sin(t * theta) / sin_theta;
        }
        for (int64_t j = 0; j < dim; ++j)
            out.data[static_cast<size_t>(i * dim + j)] = static_cast<float>(wa * a.data[j] + wb * b.data[j]);
    }
    return out;
}

}  // namespace ganzoo
