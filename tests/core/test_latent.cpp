// Portable latents: values fixed by an independent Python implementation of docs/format.md,
// batch-size independence, statistics; lerp/slerp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>

#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"

using namespace ganzoo;
using Catch::Matchers::Contains;

// Expected values computed once by a separate 25-line Python (double) implementation of the
// spec in docs/format.md, printed with %.9g.
TEST_CASE("splitmix64 matches the reference generator") {
    CHECK(splitmix64(0) == 0xe220a8397b1dcdafull);
    CHECK(splitmix64(1) == 0x910a2dec89025cc1ull);
}

TEST_CASE("normal_latents: known values for fixed (seed, index)") {
    struct Case {
        uint64_t seed;
        int64_t index;
        float expected[5];
    };
    const Case cases[] = {
        {7, 0, {-0.719030559f, 0.333336383f, 0.970876813f, 0.663823545f, -0.320040017f}},
        {7, 3, {1.03635311f, -1.03331947f, 0.0929771215f, 0.190381363f, -0.624519169f}},
        {20240601, 12345, {0.400310576f, -0.170954764f, -1.46800292f, -0.149052545f, -0.271160007f}},
        {18446744073709551615ull,
         1099511627776ll,
         {0.389457583f, -1.08144677f, -1.11653018f, -2.0139091f, 0.150386095f}},
    };
    double worst = 0;
    for (const Case& c : cases) {
        const Tensor z = normal_latents(c.seed, c.index, 1, 5);  // odd dim: the last sin is dropped
        REQUIRE(z.shape == std::vector<int64_t>{1, 5});
        for (int j = 0; j < 5; ++j) {
            worst = std::max(worst, std::fabs(double(z.data[j]) - c.expected[j]));
            CHECK(z.data[j] == Approx(c.expected[j]).margin(1e-6));
        }
    }
    std::printf("normal_latents vs Python reference: max |diff| = %.3g\n", worst);
}

TEST_CASE("uniform_latents: known values for fixed (seed, index)") {
    const Tensor a = uniform_latents(7, 0, 1, 4);
    const float ea[] = {0.0776693523f, 0.272267878f, 0.267083079f, 0.732115507f};
    const Tensor b = uniform_latents(123, 9, 1, 4);
    const float eb[] = {0.779575169f, 0.209658667f, 0.929178178f, 0.446105242f};
    for (int j = 0; j < 4; ++j) {
        CHECK(a.data[j] == Approx(ea[j]).margin(1e-7));
        CHECK(b.data[j] == Approx(eb[j]).margin(1e-7));
    }
}

TEST_CASE("latents do not depend on the batch they are drawn in") {
    const Tensor batch = normal_latents(7, 10, 17, 33);
    for (int64_t i = 0; i < 17; ++i) {
        const Tensor alone = normal_latents(7, 10 + i, 1, 33);
        for (int64_t j = 0; j < 33; ++j) REQUIRE(batch.data[i * 33 + j] == alone.data[j]);
    }
    // An odd dim is the prefix of the next even one.
    const Tensor even = normal_latents(3, 0, 2, 6), odd = normal_latents(3, 0, 2, 5);
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 5; ++j) CHECK(odd.data[i * 5 + j] == even.data[i * 6 + j]);
    // Different seeds and streams differ.
    CHECK(normal_latents(1, 0, 1, 4).data != normal_latents(2, 0, 1, 4).data);
    const Tensor u = uniform_latents(7, 10, 17, 33);
    for (int64_t i = 0; i < 17; ++i) CHECK(uniform_latents(7, 10 + i, 1, 33).data[32] == u.data[i * 33 + 32]);
}

TEST_CASE("normal latents have mean 0 and variance 1; uniform ones cover [0, 1)") {
    const Tensor z = normal_latents(99, 0, 20000, 16);
    double sum = 0, squares = 0;
    for (float v : z.data) {
        sum += v;
        squares += double(v) * v;
    }
    const double n = static_cast<double>(z.data.size()), mean = sum / n, var = squares / n - mean * mean;
    std::printf("normal_latents over %.0f values: mean %.4f, variance %.4f\n", n, mean, var);
    CHECK(std::fabs(mean) < 0.01);
    CHECK(std::fabs(var - 1.0) < 0.02);

    const Tensor u = uniform_latents(99, 0, 20000, 16);
    double usum = 0;
    float lo = 1, hi = 0;
    for (float v : u.data) {
        usum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(lo >= 0.0f);
    CHECK(hi <= 1.0f);  // float rounding may reach 1.0 only from values within 2^-25 of it
    CHECK(std::fabs(usum / n - 0.5) < 0.01);
}

TEST_CASE("latent arguments are checked") {
    CHECK_THROWS_AS(normal_latents(0, -1, 1, 4), Error);
    CHECK_THROWS_AS(normal_latents(0, 0, -1, 4), Error);
    CHECK(normal_latents(0, 0, 0, 4).data.empty());
}

namespace {

double norm(const float* v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(v[i]) * v[i];
    return std::sqrt(s);
}

}  // namespace

TEST_CASE("interpolate: endpoints are exact, lerp shrinks, slerp keeps the norm") {
    const Tensor a({4}, {1, 0, 0, 0}), b({1, 4}, {0, 1, 0, 0});
    for (InterpolationMode mode : {InterpolationMode::Lerp, InterpolationMode::Slerp}) {
        const Tensor path = interpolate(a, b, 5, mode);
        REQUIRE(path.shape == std::vector<int64_t>{5, 4});
        for (int j = 0; j < 4; ++j) {
            CHECK(path.data[j] == a.data[j]);
            CHECK(path.data[4 * 4 + j] == b.data[j]);
        }
    }
    const Tensor lerp = interpolate(a, b, 3, InterpolationMode::Lerp);
    CHECK(norm(lerp.data.data() + 4, 4) == Approx(std::sqrt(0.5)));
    const Tensor slerp = interpolate(a, b, 7, InterpolationMode::Slerp);
    for (int i = 0; i < 7; ++i) CHECK(norm(slerp.data.data() + 4 * i, 4) == Approx(1.0).epsilon(1e-6));
    CHECK(slerp.data[3 * 4 + 0] == Approx(std::cos(M_PI / 4)));  // halfway along the quarter circle

    // Gaussian latents: slerp keeps the norm between two norms, lerp dips in the middle.
    const Tensor z = normal_latents(5, 0, 2, 128);
    const Tensor za({128}, {z.data.begin(), z.data.begin() + 128}),
        zb({128}, {z.data.begin() + 128, z.data.end()});
    const Tensor s = interpolate(za, zb, 3, InterpolationMode::Slerp),
                 l = interpolate(za, zb, 3, InterpolationMode::Lerp);
    const double na = norm(za.data.data(), 128), nb = norm(zb.data.data(), 128);
    std::printf("slerp/lerp midpoint norms: %.3f / %.3f (endpoints %.3f, %.3f)\n",
                norm(s.data.data() + 128, 128), norm(l.data.data() + 128, 128), na, nb);
    CHECK(norm(s.data.data() + 128, 128) > 0.95 * std::min(na, nb));
    CHECK(norm(l.data.data() + 128, 128) < 0.8 * std::min(na, nb));
}

TEST_CASE("interpolate: parallel latents fall back to lerp; bad arguments are refused") {
    const Tensor a({3}, {1, 2, 3}), b({3}, {2, 4, 6});
    const Tensor s = interpolate(a, b, 3, InterpolationMode::Slerp);
    CHECK(s.data[3] == Approx(1.5f));
    CHECK(s.data[5] == Approx(4.5f));
    CHECK_THROWS_WITH(interpolate(a, b, 1, InterpolationMode::Lerp), Contains("steps"));
    CHECK_THROWS_WITH(interpolate(a, Tensor({2}, {1, 2}), 3, InterpolationMode::Lerp),
                      Contains("different sizes"));
    CHECK(parse_interpolation_mode("slerp") == InterpolationMode::Slerp);
    CHECK(parse_interpolation_mode("lerp") == InterpolationMode::Lerp);
    CHECK_THROWS_WITH(parse_interpolation_mode("cubic"), Contains("'cubic'"));
}
