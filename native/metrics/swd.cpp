#include "metrics/swd.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace ganzoo::metrics {
namespace {

// cv2's pyramid kernel, per axis: [1 4 6 4 1] / 16.
constexpr float kBinomial[5] = {1.0f / 16, 4.0f / 16, 6.0f / 16, 4.0f / 16, 1.0f / 16};

// scipy.ndimage's 'mirror' edges: d c b | a b c d | c b a (the edge pixel is not repeated).
int64_t mirror(int64_t i, int64_t n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

// One [h, w] plane blurred by the separable binomial kernel times `gain` (gain² overall).
void blur(const float* in, float* out, int64_t h, int64_t w, float gain) {
    std::vector<float> rows(static_cast<size_t>(h * w));
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
            float s = 0;
            for (int64_t j = 0; j < 5; ++j) s += kBinomial[j] * in[y * w + mirror(x + j - 2, w)];
            rows[y * w + x] = gain * s;
        }
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
            float s = 0;
            for (int64_t i = 0; i < 5; ++i) s += kBinomial[i] * rows[mirror(y + i - 2, h) * w + x];
            out[y * w + x] = gain * s;
        }
}

void check_images(const Tensor& t, const char* what) {
    if (t.rank() != 4 || t.dim(0) < 1 || t.dim(1) < 1 || t.dim(2) < 1 || t.dim(3) < 1)
        throw std::invalid_argument(std::string("swd: ") + what + " must be images [n, C, H, W]");
}

uint64_t mix(uint64_t x) {  // splitmix64's finalizer: independent streams from (seed, level, repeat)
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// The columns of `m` sorted in place (each column is one direction's projections).
void sort_columns(Eigen::MatrixXf& m) {
    for (Eigen::Index c = 0; c < m.cols(); ++c) std::sort(m.col(c).data(), m.col(c).data() + m.rows());
}

}  // namespace

std::vector<int64_t> swd_resolutions(int64_t side) {
    if (side < kSwdNeighbourhood)
        throw std::invalid_argument("swd: images of side " + std::to_string(side) + " are smaller than the " +
                                    std::to_string(kSwdNeighbourhood) + "x" + std::to_string(kSwdNeighbourhood) +
                                    " neighbourhood");
    std::vector<int64_t> sides{side};
    while (sides.back() % 2 == 0 && sides.back() / 2 >= kSwdNeighbourhood) sides.push_back(sides.back() / 2);
    return sides;
}

Tensor pyramid_down(const Tensor& images) {
    check_images(images, "pyramid_down's input");
    const int64_t planes = images.dim(0) * images.dim(1), h = images.dim(2), w = images.dim(3);
    if (h % 2 || w % 2) throw std::invalid_argument("swd: pyramid_down needs even sides, got " + std::to_string(h) + "x" + std::to_string(w));
    Tensor out = Tensor::zeros({images.dim(0), images.dim(1), h / 2, w / 2});
    std::vector<float> blurred(static_cast<size_t>(h * w));
    for (int64_t p = 0; p < planes; ++p) {
        blur(&images.data[p * h * w], blurred.data(), h, w, 1.0f);
        float* o = &out.data[p * (h / 2) * (w / 2)];
        for (int64_t y = 0; y < h / 2; ++y)
            for (int64_t x = 0; x < w / 2; ++x) o[y * (w / 2) + x] = blurred[2 * y * w + 2 * x];
    }
    return out;
}

Tensor pyramid_up(const Tensor& images) {
    check_images(images, "pyramid_up's input");
    const int64_t planes = images.dim(0) * images.dim(1), h = images.dim(2), w = images.dim(3);
    Tensor out = Tensor::zeros({images.dim(0), images.dim(1), 2 * h, 2 * w});
    std::vector<float> spread(static_cast<size_t>(4 * h * w));
    for (int64_t p = 0; p < planes; ++p) {
        std::fill(spread.begin(), spread.end(), 0.0f);
        const float* in = &images.data[p * h * w];
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x) spread[2 * y * 2 * w + 2 * x] = in[y * w + x];
        // Three zeros in every 2×2: the kernel ×4 keeps the brightness.
        blur(spread.data(), &out.data[p * 4 * h * w], 2 * h, 2 * w, 2.0f);
    }
    return out;
}

std::vector<Tensor> laplacian_pyramid(const Tensor& images, int levels) {
    check_images(images, "laplacian_pyramid's input");
    if (levels < 1) throw std::invalid_argument("swd: a pyramid needs at least one level");
    std::vector<Tensor> pyramid{images};
    for (int l = 1; l < levels; ++l) {
        pyramid.push_back(pyramid_down(pyramid.back()));
        const Tensor up = pyramid_up(pyramid.back());
        Tensor& finer = pyramid[pyramid.size() - 2];
        for (size_t i = 0; i < finer.data.size(); ++i) finer.data[i] -= up.data[i];
    }
    return pyramid;
}

Tensor reconstruct_laplacian_pyramid(const std::vector<Tensor>& pyramid) {
    if (pyramid.empty()) throw std::invalid_argument("swd: an empty pyramid");
    Tensor image = pyramid.back();
    for (size_t l = pyramid.size() - 1; l-- > 0;) {
        image = pyramid_up(image);
        if (image.shape != pyramid[l].shape) throw std::invalid_argument("swd: pyramid levels of mismatched sizes");
        for (size_t i = 0; i < image.data.size(); ++i) image.data[i] += pyramid[l].data[i];
    }
    return image;
}

std::vector<Eigen::MatrixXf> swd_descriptors(const Tensor& images, const SwdOptions& o) {
    check_images(images, "the image set");
    if (images.dim(2) != images.dim(3))
        throw std::invalid_argument("swd: square images only, got " + std::to_string(images.dim(2)) + "x" + std::to_string(images.dim(3)));
    if (o.per_image < 1) throw std::invalid_argument("swd: descriptors per image must be >= 1");
    const auto sides = swd_resolutions(images.dim(2));
    const auto pyramid = laplacian_pyramid(images, static_cast<int>(sides.size()));
    const int64_t n = images.dim(0), channels = images.dim(1), k = kSwdNeighbourhood, area = k * k;
    std::vector<Eigen::MatrixXf> levels;
    for (size_t l = 0; l < pyramid.size(); ++l) {
        const Tensor& level = pyramid[l];
        const int64_t side = level.dim(2), span = side - k + 1, positions = span * span;
        const bool all = o.per_image >= positions;
        const int64_t per = all ? positions : o.per_image;
        // The same positions for image i of every set measured with this seed.
        std::mt19937_64 rng(mix(o.seed ^ mix(0x5744ull + l)));
        std::uniform_int_distribution<int64_t> pick(0, positions - 1);
        Eigen::MatrixXf d(n * per, channels * area);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < per; ++j) {
                const int64_t at = all ? j : pick(rng), top = at / span, left = at % span;
                for (int64_t c = 0; c < channels; ++c) {
                    const float* plane = &level.data[(i * channels + c) * side * side];
                    for (int64_t y = 0; y < k; ++y)
                        for (int64_t x = 0; x < k; ++x)
                            d(i * per + j, c * area + y * k + x) = plane[(top + y) * side + left + x];
                }
            }
        // Per channel, over every descriptor of this level and set: mean 0, standard deviation 1
        // (a constant channel is only centred).
        for (int64_t c = 0; c < channels; ++c) {
            auto block = d.middleCols(c * area, area);
            const double mean = block.cast<double>().mean();
            const double var = (block.cast<double>().array() - mean).square().mean();
            const double sd = std::sqrt(var);
            block.array() -= static_cast<float>(mean);
            if (sd > 1e-12) block.array() /= static_cast<float>(sd);
        }
        levels.push_back(std::move(d));
    }
    return levels;
}

std::vector<double> sliced_wasserstein(const Eigen::MatrixXf& reference, const std::vector<const Eigen::MatrixXf*>& others,
                                       int level, const SwdOptions& o) {
    if (o.repeats < 1 || o.directions < 1) throw std::invalid_argument("swd: repeats and directions must be >= 1");
    for (const auto* b : others)
        if (b->rows() != reference.rows() || b->cols() != reference.cols())
            throw std::invalid_argument("swd: descriptor sets of different sizes (" + std::to_string(reference.rows()) +
                                        "x" + std::to_string(reference.cols()) + " vs " + std::to_string(b->rows()) +
                                        "x" + std::to_string(b->cols()) + ")");
    std::vector<double> sums(others.size(), 0.0);
    for (int r = 0; r < o.repeats; ++r) {
        std::mt19937_64 rng(mix(o.seed ^ mix(0xD1ull + static_cast<uint64_t>(level) * 1000 + static_cast<uint64_t>(r))));
        std::normal_distribution<float> normal;
        Eigen::MatrixXf dirs(reference.cols(), o.directions);
        for (Eigen::Index j = 0; j < dirs.cols(); ++j) {
            for (Eigen::Index i = 0; i < dirs.rows(); ++i) dirs(i, j) = normal(rng);
            dirs.col(j).normalize();
        }
        Eigen::MatrixXf ref = reference * dirs;  // [N, directions]
        sort_columns(ref);
        for (size_t b = 0; b < others.size(); ++b) {
            Eigen::MatrixXf proj = *others[b] * dirs;
            sort_columns(proj);
            sums[b] += (ref - proj).cwiseAbs().cast<double>().mean();
        }
    }
    for (double& s : sums) s = 1e3 * s / o.repeats;
    return sums;
}

std::vector<double> sliced_wasserstein_distance(const Tensor& a, const Tensor& b, const SwdOptions& o) {
    if (a.shape != b.shape) throw std::invalid_argument("swd: the two image sets differ in shape");
    const auto da = swd_descriptors(a, o), db = swd_descriptors(b, o);
    std::vector<double> out;
    for (size_t l = 0; l < da.size(); ++l) out.push_back(sliced_wasserstein(da[l], {&db[l]}, static_cast<int>(l), o)[0]);
    return out;
}

}  // namespace ganzoo::metrics
