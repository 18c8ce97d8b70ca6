// The metrics themselves (native/metrics): FD against closed forms and a direct computation,
// FD's response to a known shift, IS at its two extremes, the best one-to-one mapping against
// brute force; the sliced Wasserstein distance (swd.hpp): its pyramid, its normalization, its
// response to blur, its determinism.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "metrics/metrics.hpp"
#include "metrics/swd.hpp"

#include <catch2/catch.hpp>

using namespace ganzoo::metrics;

namespace {

Eigen::MatrixXd gaussian_sample(int64_t n, const Eigen::VectorXd& mean, const Eigen::MatrixXd& mix, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    Eigen::MatrixXd x(n, mean.size());
    for (int64_t i = 0; i < n; ++i) {
        Eigen::VectorXd e(mix.cols());
        for (Eigen::Index j = 0; j < e.size(); ++j) e(j) = normal(rng);
        x.row(i) = (mean + mix * e).transpose();
    }
    return x;
}

Eigen::MatrixXd random_spd(int d, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    Eigen::MatrixXd a(d, d);
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) a(i, j) = normal(rng);
    return a * a.transpose() + 0.1 * Eigen::MatrixXd::Identity(d, d);
}

}  // namespace

TEST_CASE("FD: zero for a set against itself") {
    const Eigen::MatrixXd mix = random_spd(6, 1);
    const Gaussian g = fit_gaussian(gaussian_sample(2000, Eigen::VectorXd::Zero(6), mix, 2));
    CHECK(frechet_distance(g, g) == Approx(0.0).margin(1e-8));
}

TEST_CASE("FD: closed form for diagonal covariances, sum of (sqrt a - sqrt b)^2 plus the mean gap") {
    Gaussian a{Eigen::Vector3d(1, 2, 3), Eigen::Vector3d(1, 4, 9).asDiagonal()};
    Gaussian b{Eigen::Vector3d(0, 2, 5), Eigen::Vector3d(4, 1, 9).asDiagonal()};
    // means: 1 + 0 + 4; covariances: (1-2)^2 + (2-1)^2 + 0
    CHECK(frechet_distance(a, b) == Approx(5.0 + 2.0).epsilon(1e-10));
}

TEST_CASE("FD: matches a direct computation through the eigenvalues of Σ1 Σ2 for non-commuting covariances") {
    for (uint64_t seed : {3, 4, 5}) {
        Gaussian a{Eigen::VectorXd::Random(5), random_spd(5, seed)};
        Gaussian b{Eigen::VectorXd::Random(5), random_spd(5, seed + 10)};
        // tr((Σ1 Σ2)^½) = Σ sqrt(λ_i(Σ1 Σ2)): Σ1 Σ2 is similar to a PSD matrix, its eigenvalues are real, >= 0.
        Eigen::EigenSolver<Eigen::MatrixXd> solver(a.cov * b.cov);
        double cross = 0;
        for (Eigen::Index i = 0; i < 5; ++i) cross += std::sqrt(std::max(0.0, solver.eigenvalues()(i).real()));
        const double direct = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2 * cross;
        CHECK(frechet_distance(a, b) == Approx(direct).epsilon(1e-8));
        CHECK(frechet_distance(a, b) == Approx(frechet_distance(b, a)).epsilon(1e-8));
    }
}

TEST_CASE("FD: grows with a known shift of the features, as the squared shift") {
    const Eigen::MatrixXd mix = random_spd(4, 7);
    const Eigen::MatrixXd x = gaussian_sample(5000, Eigen::VectorXd::Zero(4), mix, 8);
    const Gaussian base = fit_gaussian(x);
    double previous = 0;
    for (double shift : {0.5, 1.0, 2.0}) {
        const Eigen::MatrixXd moved = x.rowwise() + Eigen::RowVectorXd::Constant(4, shift);
        const double fd = frechet_distance(base, fit_gaussian(moved));
        CHECK(fd == Approx(4 * shift * shift).epsilon(1e-6));  // same covariance: only ‖Δμ‖²
        CHECK(fd > previous);
        previous = fd;
    }
    // Spread (a covariance change) counts too.
    const double wider = frechet_distance(base, fit_gaussian(x * 1.5));
    CHECK(wider > 0.1);
}

TEST_CASE("IS: one repeated image scores 1; a balanced, confident set of K classes scores K") {
    Eigen::MatrixXd same(100, 10);
    for (int i = 0; i < 100; ++i) same.row(i) << 0.5, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.04, 0.03, 0.03;
    CHECK(inception_score(same) == Approx(1.0).epsilon(1e-12));
    Eigen::MatrixXd balanced = Eigen::MatrixXd::Zero(1000, 10);
    for (int i = 0; i < 1000; ++i) balanced(i, i % 10) = 1.0;
    CHECK(inception_score(balanced) == Approx(10.0).epsilon(1e-12));
    // Less confident: between the two.
    const Eigen::MatrixXd blurred = 0.5 * balanced + 0.5 * Eigen::MatrixXd::Constant(1000, 10, 0.1);
    const double is = inception_score(blurred);
    CHECK(is > 1.5);
    CHECK(is < 9.0);
}

TEST_CASE("Best mapping: finds a permuted diagonal, and agrees with brute force") {
    Eigen::MatrixXd permuted = Eigen::MatrixXd::Zero(4, 4);
    const std::vector<int> truth{2, 0, 3, 1};
    for (int i = 0; i < 4; ++i) permuted(i, truth[i]) = 25;
    std::vector<int> mapping;
    CHECK(best_mapping_accuracy(permuted, &mapping) == Approx(1.0));
    CHECK(mapping == truth);

    std::mt19937_64 rng(9);
    std::uniform_int_distribution<int> count(0, 50);
    for (int trial = 0; trial < 20; ++trial) {
        Eigen::MatrixXd m(6, 6);
        for (int i = 0; i < 6; ++i)
            for (int j = 0; j < 6; ++j) m(i, j) = count(rng);
        std::vector<int> p(6);
        std::iota(p.begin(), p.end(), 0);
        double best = 0;
        do {
            double s = 0;
            for (int i = 0; i < 6; ++i) s += m(i, p[i]);
            best = std::max(best, s);
        } while (std::next_permutation(p.begin(), p.end()));
        CHECK(best_mapping_accuracy(m) == Approx(best / m.sum()).epsilon(1e-12));
    }
}

namespace {

// A synthetic image set with sharp detail: each image a few random axis-aligned rectangles of
// random brightness on a dark ground, plus a little pixel noise, in [-1, 1].
ganzoo::Tensor rectangles(int64_t n, int64_t side, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> coord(0, side - 1), count(2, 4);
    std::uniform_real_distribution<float> level(-0.5f, 1.0f), noise(-0.05f, 0.05f);
    ganzoo::Tensor t = ganzoo::Tensor::zeros({n, 1, side, side});
    for (int64_t i = 0; i < n; ++i) {
        float* img = &t.data[i * side * side];
        std::fill(img, img + side * side, -1.0f);
        for (int64_t r = count(rng); r > 0; --r) {
            int64_t y0 = coord(rng), y1 = coord(rng), x0 = coord(rng), x1 = coord(rng);
            if (y0 > y1) std::swap(y0, y1);
            if (x0 > x1) std::swap(x0, x1);
            const float v = level(rng);
            for (int64_t y = y0; y <= y1; ++y)
                for (int64_t x = x0; x <= x1; ++x) img[y * side + x] = v;
        }
        for (int64_t p = 0; p < side * side; ++p) img[p] = std::clamp(img[p] + noise(rng), -1.0f, 1.0f);
    }
    return t;
}

// A 3×3 box blur of every image (edges clamped).
ganzoo::Tensor box_blur(const ganzoo::Tensor& t) {
    ganzoo::Tensor out = t;
    const int64_t side = t.dim(2);
    for (int64_t i = 0; i < t.dim(0) * t.dim(1); ++i)
        for (int64_t y = 0; y < side; ++y)
            for (int64_t x = 0; x < side; ++x) {
                float s = 0;
                for (int64_t dy = -1; dy <= 1; ++dy)
                    for (int64_t dx = -1; dx <= 1; ++dx)
                        s += t.data[i * side * side + std::clamp<int64_t>(y + dy, 0, side - 1) * side +
                                    std::clamp<int64_t>(x + dx, 0, side - 1)];
                out.data[i * side * side + y * side + x] = s / 9;
            }
    return out;
}

double max_abs_diff(const ganzoo::Tensor& a, const ganzoo::Tensor& b) {
    REQUIRE(a.shape == b.shape);
    double m = 0;
    for (size_t i = 0; i < a.data.size(); ++i) m = std::max(m, std::abs(double(a.data[i]) - b.data[i]));
    return m;
}

}  // namespace

TEST_CASE("SWD: pyramid sizes halve down to the neighbourhood; 28 px gives 28, 14, 7") {
    CHECK(swd_resolutions(28) == std::vector<int64_t>{28, 14, 7});
    CHECK(swd_resolutions(32) == std::vector<int64_t>{32, 16, 8});
    CHECK(swd_resolutions(7) == std::vector<int64_t>{7});
    CHECK_THROWS(swd_resolutions(6));
}

TEST_CASE("SWD: the Laplacian pyramid reconstructs the image; a constant image has empty band-pass levels") {
    for (int64_t side : {28, 32}) {
        const ganzoo::Tensor x = rectangles(3, side, 11);
        const int levels = static_cast<int>(swd_resolutions(side).size());
        const auto pyramid = laplacian_pyramid(x, levels);
        REQUIRE(pyramid.size() == size_t(levels));
        CHECK(pyramid.back().dim(2) == swd_resolutions(side).back());
        const double diff = max_abs_diff(reconstruct_laplacian_pyramid(pyramid), x);
        INFO("side " << side << ": max |reconstructed - original| " << diff);
        CHECK(diff < 1e-5);
        // The band-pass levels carry detail, not the image itself.
        CHECK(max_abs_diff(pyramid[0], ganzoo::Tensor::zeros(x.shape)) > 0.1);
    }
    // A constant image: blur and its ×4 upsampling keep the constant, so every band-pass level is 0.
    ganzoo::Tensor c = ganzoo::Tensor::zeros({2, 1, 28, 28});
    std::fill(c.data.begin(), c.data.end(), 0.3f);
    const auto flat = laplacian_pyramid(c, 3);
    CHECK(max_abs_diff(flat[0], ganzoo::Tensor::zeros(flat[0].shape)) < 1e-6);
    CHECK(max_abs_diff(flat[1], ganzoo::Tensor::zeros(flat[1].shape)) < 1e-6);
    for (float v : flat[2].data) CHECK(v == Approx(0.3f).margin(1e-6));
    // cv2.pyrDown's kernel on an impulse: the centre weight (6/16)² lands on the half-size pixel,
    // 2 rows away weighs 1/16 · 6/16; at the edge the mirror reaches the impulse twice.
    ganzoo::Tensor impulse = ganzoo::Tensor::zeros({1, 1, 12, 12});
    impulse.data[6 * 12 + 6] = 1.0f;
    const ganzoo::Tensor down = pyramid_down(impulse);
    CHECK(down.data[3 * 6 + 3] == Approx(36.0 / 256).epsilon(1e-6));
    CHECK(down.data[2 * 6 + 3] == Approx(6.0 / 256).epsilon(1e-6));
    CHECK(down.data[3 * 6 + 2] == Approx(6.0 / 256).epsilon(1e-6));
    ganzoo::Tensor edge = ganzoo::Tensor::zeros({1, 1, 8, 8});
    edge.data[2 * 8 + 2] = 1.0f;
    CHECK(pyramid_down(edge).data[0 * 4 + 1] == Approx(12.0 / 256).epsilon(1e-6));  // rows −2 and 2 are both row 2
}

TEST_CASE("SWD: a set against itself is 0 at every level; an independent sample of the same distribution is close") {
    const ganzoo::Tensor a = rectangles(256, 28, 1), b = rectangles(256, 28, 2);
    const auto self = sliced_wasserstein_distance(a, a);
    REQUIRE(self.size() == 3);
    for (double d : self) CHECK(d == Approx(0.0).margin(1e-9));
    const auto other = sliced_wasserstein_distance(a, b);
    for (size_t l = 0; l < other.size(); ++l) {
        INFO("level " << l << ": SWD x1e3 of two samples " << other[l]);
        CHECK(other[l] > 0);
    }
}

TEST_CASE("SWD: a blurred copy scores worse at the finest level than an independent sample") {
    const ganzoo::Tensor a = rectangles(512, 28, 3), b = rectangles(512, 28, 4);
    const auto same = sliced_wasserstein_distance(a, b);
    const auto blurred = sliced_wasserstein_distance(a, box_blur(b));
    INFO("finest level: independent sample " << same[0] << ", blurred sample " << blurred[0]);
    CHECK(blurred[0] > 2 * same[0]);
}

TEST_CASE("SWD: a shift or a scale of the whole set is removed by the per-channel normalization") {
    const ganzoo::Tensor a = rectangles(256, 28, 5);
    ganzoo::Tensor moved = a, scaled = a, squared = a;
    for (float& v : moved.data) v += 0.7f;
    for (float& v : scaled.data) v *= 2.5f;
    for (float& v : squared.data) v = v * v;  // not affine: must show
    for (double d : sliced_wasserstein_distance(a, moved)) CHECK(d == Approx(0.0).margin(1e-2));
    for (double d : sliced_wasserstein_distance(a, scaled)) CHECK(d == Approx(0.0).margin(1e-2));
    const auto changed = sliced_wasserstein_distance(a, squared);
    CHECK(changed[0] > 1.0);
}

TEST_CASE("SWD: deterministic for a seed and a projection count; another seed or count moves it a little") {
    const ganzoo::Tensor a = rectangles(128, 28, 6), b = rectangles(128, 28, 7);
    SwdOptions o;
    const auto first = sliced_wasserstein_distance(a, b, o), again = sliced_wasserstein_distance(a, b, o);
    CHECK(first == again);
    SwdOptions seed2 = o;
    seed2.seed = 2;
    SwdOptions fewer = o;
    fewer.directions = 32;
    const auto other_seed = sliced_wasserstein_distance(a, b, seed2), other_count = sliced_wasserstein_distance(a, b, fewer);
    CHECK(other_seed != first);
    CHECK(other_count != first);
    for (size_t l = 0; l < first.size(); ++l) {
        CHECK(other_seed[l] == Approx(first[l]).epsilon(0.5));
        CHECK(other_count[l] == Approx(first[l]).epsilon(0.5));
    }
    // The repeat count counts, and the seed picks the directions too (same descriptors, other seed).
    SwdOptions once = o;
    once.repeats = 1;
    CHECK(sliced_wasserstein_distance(a, b, once) != first);
    const auto da = swd_descriptors(a, o), db = swd_descriptors(b, o);
    const double d1 = sliced_wasserstein(da[0], {&db[0]}, 0, o)[0], d2 = sliced_wasserstein(da[0], {&db[0]}, 0, seed2)[0];
    CHECK(d1 == first[0]);
    CHECK(d2 != d1);
    // Sizes that cannot be compared are refused.
    CHECK_THROWS(sliced_wasserstein_distance(a, rectangles(64, 28, 8), o));
}

TEST_CASE("InfoGAN's mutual-information bound: 0 for a Q that reads nothing, log K for a perfect one; "
          "the continuous bound rises as Q's error falls") {
    const int64_t k = 10, n = 1000;
    std::vector<int> codes;
    std::vector<float> blind, perfect;
    for (int64_t i = 0; i < n; ++i) {
        codes.push_back(static_cast<int>(i % k));
        for (int64_t j = 0; j < k; ++j) {
            blind.push_back(0.0f);
            perfect.push_back(j == i % k ? 40.0f : 0.0f);
        }
    }
    CHECK(ganzoo::metrics::categorical_mi_bound(blind, codes, k) == Approx(0.0).margin(1e-12));
    CHECK(ganzoo::metrics::categorical_mi_bound(perfect, codes, k) == Approx(std::log(10.0)).margin(1e-9));
    // Half right, half spread evenly: between the two.
    std::vector<float> half(blind);
    for (int64_t i = 0; i < n; i += 2) half[static_cast<size_t>(i * k + i % k)] = 40.0f;
    const double mid = ganzoo::metrics::categorical_mi_bound(half, codes, k);
    CHECK(mid > 0.5 * std::log(10.0) - 0.01);
    CHECK(mid < std::log(10.0));

    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-1, 1);
    std::normal_distribution<double> noise(0, 1);
    std::vector<double> c, zero, close, closer;
    for (int64_t i = 0; i < n; ++i) {
        c.push_back(u(rng));
        zero.push_back(0.0);
        close.push_back(c.back() + 0.1 * noise(rng));
        closer.push_back(c.back() + 0.01 * noise(rng));
    }
    // Q = 0 on U[−1, 1]: log 2 − ½ log(2πe/3), up to the sample's variance.
    CHECK(ganzoo::metrics::continuous_mi_bound(zero, c, -1, 1) == Approx(std::log(2.0) - 0.5 * std::log(2 * M_PI * std::exp(1.0) / 3)).margin(0.03));
    const double b1 = ganzoo::metrics::continuous_mi_bound(close, c, -1, 1), b2 = ganzoo::metrics::continuous_mi_bound(closer, c, -1, 1);
    CHECK(b1 == Approx(std::log(2.0) - 0.5 * std::log(2 * M_PI * std::exp(1.0) * 0.01)).margin(0.05));
    CHECK(b2 > b1 + 2.0);
}
