#include "metrics/metrics.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ganzoo::metrics {
namespace {

// The symmetric square root of a symmetric positive semi-definite matrix.
Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& m) {
    const Eigen::MatrixXd symmetric = 0.5 * (m + m.transpose());
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(symmetric);
    if (solver.info() != Eigen::Success) throw std::runtime_error("FD: the eigen-decomposition did not converge");
    const Eigen::VectorXd roots = solver.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return solver.eigenvectors() * roots.asDiagonal() * solver.eigenvectors().transpose();
}

}  // namespace

Gaussian fit_gaussian(const Eigen::MatrixXd& features) {
    if (features.rows() < 2) throw std::invalid_argument("FD: needs at least 2 samples");
    Gaussian g;
    g.mean = features.colwise().mean().transpose();
    const Eigen::MatrixXd centered = features.rowwise() - g.mean.transpose();
    g.cov = centered.transpose() * centered / static_cast<double>(features.rows() - 1);
    return g;
}

double frechet_distance(const Gaussian& a, const Gaussian& b) {
    if (a.mean.size() != b.mean.size()) throw std::invalid_argument("FD: feature sizes differ");
    const Eigen::MatrixXd root_a = psd_sqrt(a.cov);
    // tr((Σa^½ Σb Σa^½)^½) = tr((Σa Σb)^½), without a non-symmetric square root.
    const double cross = psd_sqrt(root_a * b.cov * root_a).trace();
    const double d = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2.0 * cross;
    return std::max(0.0, d);
}

double inception_score(const Eigen::MatrixXd& p) {
    if (p.rows() < 1) throw std::invalid_argument("IS: no samples");
    const Eigen::RowVectorXd marginal = p.colwise().mean();
    double kl_sum = 0;
    for (Eigen::Index i = 0; i < p.rows(); ++i)
        for (Eigen::Index k = 0; k < p.cols(); ++k)
            if (p(i, k) > 0) kl_sum += p(i, k) * (std::log(p(i, k)) - std::log(marginal(k)));
    return std::exp(kl_sum / static_cast<double>(p.rows()));
}

double best_mapping_accuracy(const Eigen::MatrixXd& confusion, std::vector<int>* mapping) {
    // The Hungarian method (potentials u, v; O(K³)) on cost = −confusion, rows = categories.
    const auto n = static_cast<int>(confusion.rows());
    if (n == 0 || confusion.cols() != n) throw std::invalid_argument("best mapping: confusion must be square");
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> u(n + 1, 0), v(n + 1, 0), minv(n + 1);
    std::vector<int> p(n + 1, 0), way(n + 1, 0);
    for (int i = 1; i <= n; ++i) {
        p[0] = i;
        int j0 = 0;
        std::fill(minv.begin(), minv.end(), inf);
        std::vector<bool> used(n + 1, false);
        do {
            used[j0] = true;
            const int i0 = p[j0];
            double delta = inf;
            int j1 = 0;
            for (int j = 1; j <= n; ++j) {
                if (used[j]) continue;
                const double cur = -confusion(i0 - 1, j - 1) - u[i0] - v[j];
                if (cur < minv[j]) minv[j] = cur, way[j] = j0;
                if (minv[j] < delta) delta = minv[j], j1 = j;
            }
            for (int j = 0; j <= n; ++j) {
                if (used[j])
                    u[p[j]] += delta, v[j] -= delta;
                else
                    minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            const int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    std::vector<int> assignment(n);
    double matched = 0;
    for (int j = 1; j <= n; ++j) {
        assignment[p[j] - 1] = j - 1;
        matched += confusion(p[j] - 1, j - 1);
    }
    if (mapping) *mapping = assignment;
    const double total = confusion.sum();
    return total > 0 ? matched / total : 0.0;
}

Classifier::Classifier(Model model) : model_(std::move(model)) {
    const auto& info = model_.info();
    auto has = [&](const char* net) { return std::find(info.nets.begin(), info.nets.end(), net) != info.nets.end(); };
    if (info.family != "classifier" || !has("features") || !has("logits"))
        throw std::runtime_error("not a ganzoo classifier (family '" + info.family +
                                 "'; expected 'classifier' with nets 'features' and 'logits'); make one with "
                                 "`ganzoo train-classifier`");
    classes_ = static_cast<int64_t>(info.class_names.size());
    if (classes_ < 2) throw std::runtime_error("classifier: its file names fewer than 2 classes");
    for (const auto& m : info.training.metrics)
        if (m.name == "test_accuracy" && m.number) test_accuracy_ = *m.number;
}

Classifier::Output Classifier::classify(const Tensor& images, int64_t batch) const {
    const auto& info = model_.info();
    if (images.rank() != 4 || images.dim(1) != info.channels || images.dim(2) != info.height ||
        images.dim(3) != info.width)
        throw std::invalid_argument("classifier: images must be [n, " + std::to_string(info.channels) + ", " +
                                    std::to_string(info.height) + ", " + std::to_string(info.width) + "]");
    const int64_t n = images.dim(0), per = info.channels * info.height * info.width;
    Output out;
    for (int64_t first = 0; first < n; first += batch) {
        const int64_t m = std::min(batch, n - first);
        Tensor part = Tensor::zeros({m, info.channels, info.height, info.width});
        std::copy_n(images.data.begin() + first * per, m * per, part.data.begin());
        const Tensor features = model_.run("features", {{"image", part}});
        const Tensor logits = model_.run("logits", {{"features", features}});
        const int64_t d = features.dim(1), k = logits.dim(1);
        if (first == 0) {
            out.features.resize(n, d);
            out.probabilities.resize(n, k);
        }
        for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < d; ++j) out.features(first + i, j) = features.data[i * d + j];
            const float* l = &logits.data[i * k];
            const double top = *std::max_element(l, l + k);
            double sum = 0;
            for (int64_t j = 0; j < k; ++j) sum += (out.probabilities(first + i, j) = std::exp(l[j] - top));
            out.probabilities.row(first + i) /= sum;
            out.predicted.push_back(static_cast<int>(std::max_element(l, l + k) - l));
        }
    }
    return out;
}

double categorical_mi_bound(const std::vector<float>& logits, const std::vector<int>& codes, int64_t k) {
    const auto n = static_cast<int64_t>(codes.size());
    if (n == 0 || k < 1 || static_cast<int64_t>(logits.size()) != n * k)
        throw std::invalid_argument("categorical_mi_bound: expected " + std::to_string(n) + " x " + std::to_string(k) + " logits");
    double nll = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* row = &logits[static_cast<size_t>(i * k)];
        const double top = *std::max_element(row, row + k);
        double sum = 0;
        for (int64_t j = 0; j < k; ++j) sum += std::exp(row[j] - top);
        nll += top + std::log(sum) - row[codes[static_cast<size_t>(i)]];  // −log softmax at the code
    }
    return std::log(static_cast<double>(k)) - nll / static_cast<double>(n);
}

double continuous_mi_bound(const std::vector<double>& means, const std::vector<double>& codes, double lo, double hi) {
    if (means.empty() || means.size() != codes.size() || !(hi > lo))
        throw std::invalid_argument("continuous_mi_bound: expected as many means as codes, and lo < hi");
    double mse = 0;
    for (size_t i = 0; i < codes.size(); ++i) mse += (codes[i] - means[i]) * (codes[i] - means[i]);
    mse = std::max(mse / static_cast<double>(codes.size()), 1e-12);
    // E[−log N(c; μ, mse)] = ½ log(2π mse) + ½.
    return std::log(hi - lo) - 0.5 * std::log(2 * M_PI * mse) - 0.5;
}

int64_t crop_margin(int64_t model_side, int64_t classifier_side) {
    const int64_t extra = model_side - classifier_side;
    return extra >= 0 && extra % 2 == 0 ? extra / 2 : -1;
}

Tensor centre_crop(const Tensor& images, int64_t my, int64_t mx) {
    if (my == 0 && mx == 0) return images;
    const int64_t n = images.dim(0), c = images.dim(1), h = images.dim(2), w = images.dim(3);
    const int64_t oh = h - 2 * my, ow = w - 2 * mx;
    Tensor out = Tensor::zeros({n, c, oh, ow});
    for (int64_t p = 0; p < n * c; ++p)
        for (int64_t y = 0; y < oh; ++y)
            std::copy_n(&images.data[(p * h + y + my) * w + mx], ow, &out.data[(p * oh + y) * ow]);
    return out;
}

}  // namespace ganzoo::metrics
