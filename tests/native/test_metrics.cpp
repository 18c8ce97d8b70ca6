// The metrics themselves (native/metrics): FD against closed forms and a direct computation,
// FD's response to a known shift, IS at its two extremes, the best one-to-one mapping against
// brute force.
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "metrics/metrics.hpp"

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
