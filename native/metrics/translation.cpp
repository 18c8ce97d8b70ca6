#include "metrics/translation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "data/dataset.hpp"

namespace ganzoo::metrics {

Tensor translate_all(const Model& model, const Tensor& images, const std::string& net, int64_t batch) {
    const int64_t n = images.dim(0), per = images.numel() / std::max<int64_t>(1, n);
    Tensor out = Tensor::zeros(images.shape);
    for (int64_t first = 0; first < n; first += batch) {
        const int64_t m = std::min(batch, n - first);
        Tensor part = Tensor::zeros({m, images.dim(1), images.dim(2), images.dim(3)});
        std::copy_n(images.data.begin() + first * per, m * per, part.data.begin());
        const Tensor y = model.translate(part, net);
        if (y.numel() != part.numel())
            throw std::runtime_error("net '" + net + "' does not output images of its input's shape");
        std::copy(y.data.begin(), y.data.end(), out.data.begin() + first * per);
    }
    return out;
}

double target_fraction(const std::vector<int>& predicted, int target) {
    if (predicted.empty()) return 0.0;
    return static_cast<double>(std::count(predicted.begin(), predicted.end(), target)) / static_cast<double>(predicted.size());
}

double mean_abs_difference(const Tensor& a, const Tensor& b) {
    if (a.shape != b.shape) throw std::invalid_argument("mean_abs_difference: shapes differ");
    double sum = 0;
    for (size_t i = 0; i < a.data.size(); ++i) sum += std::fabs(double(a.data[i]) - b.data[i]);
    return a.data.empty() ? 0.0 : sum / static_cast<double>(a.data.size());
}

namespace {

int class_index(const std::vector<std::string>& names, const std::string& name, const std::string& where) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::runtime_error(where + " has no class '" + name + "'");
    return static_cast<int>(it - names.begin());
}

// The test images of class `label`, the first `limit` (0: all).
Tensor class_images(const data::ImageDataset& ds, int64_t label, int64_t limit) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < ds.count && (limit <= 0 || static_cast<int64_t>(rows.size()) < limit); ++i)
        if (ds.labels[static_cast<size_t>(i)] == label) rows.push_back(i);
    const int64_t per = ds.channels * ds.height * ds.width;
    Tensor t = Tensor::zeros({static_cast<int64_t>(rows.size()), ds.channels, ds.height, ds.width});
    for (size_t r = 0; r < rows.size(); ++r)
        for (int64_t j = 0; j < per; ++j)
            t.data[static_cast<size_t>(static_cast<int64_t>(r) * per + j)] = static_cast<float>(ds.image(rows[r])[j]) / 127.5f - 1.0f;
    return t;
}

}  // namespace

TranslationMetrics evaluate_translation(const Model& model, const Classifier& classifier, const TranslationEvalOptions& o) {
    const ModelInfo& cinfo = classifier.model().info();
    const ModelInfo& info = model.info();
    if (!info.translates())
        throw std::runtime_error("the model is not an image-to-image model (no inputs.image.domains and nets G_AB, G_BA)");
    const std::vector<std::string> domains{info.domains[0].class_name, info.domains[1].class_name};
    if (info.channels != cinfo.channels || info.height != cinfo.height || info.width != cinfo.width)
        throw std::runtime_error("eval: the model translates " + std::to_string(info.channels) + "x" +
                                 std::to_string(info.height) + "x" + std::to_string(info.width) +
                                 " images, the classifier reads " + std::to_string(cinfo.channels) + "x" +
                                 std::to_string(cinfo.height) + "x" + std::to_string(cinfo.width));
    const auto test = data::load_dataset(o.data, data::Split::Test);
    if (!test.labeled()) throw std::runtime_error("eval: the test split of '" + o.data + "' has no classes");
    if (test.channels != info.channels || test.height != info.height || test.width != info.width)
        throw std::runtime_error("eval: the test images of '" + o.data + "' are not the model's size");
    const Tensor a = class_images(test, class_index(test.class_names, domains[0], "the test split"), o.limit);
    const Tensor b = class_images(test, class_index(test.class_names, domains[1], "the test split"), o.limit);
    if (a.dim(0) < 2 || b.dim(0) < 2) throw std::runtime_error("eval: the test split needs at least 2 images of each domain");
    const int target_b = class_index(cinfo.class_names, domains[1], "the classifier");
    const int target_a = class_index(cinfo.class_names, domains[0], "the classifier");
    auto progress = [&](const std::string& stage, int64_t done, int64_t total) {
        if (o.progress) o.progress(stage, done, total);
    };

    progress("translate", 0, 4);
    const Tensor fake_b = translate_all(model, a, "G_AB");
    const Tensor fake_a = translate_all(model, b, "G_BA");
    progress("translate", 2, 4);
    const Tensor rec_a = translate_all(model, fake_b, "G_BA");
    const Tensor rec_b = translate_all(model, fake_a, "G_AB");
    progress("translate", 4, 4);
    const auto out_a = classifier.classify(a), out_b = classifier.classify(b);
    const auto out_fake_b = classifier.classify(fake_b), out_fake_a = classifier.classify(fake_a);
    progress("classify", 4, 4);
    const Gaussian ga = fit_gaussian(out_a.features), gb = fit_gaussian(out_b.features);
    TranslationMetrics t;
    t.domain_a = domains[0];
    t.domain_b = domains[1];
    t.count_a = a.dim(0);
    t.count_b = b.dim(0);
    t.target_fraction_ab = target_fraction(out_fake_b.predicted, target_b);
    t.target_fraction_ba = target_fraction(out_fake_a.predicted, target_a);
    t.target_fraction_ab_untranslated = target_fraction(out_a.predicted, target_b);
    t.target_fraction_ba_untranslated = target_fraction(out_b.predicted, target_a);
    t.cycle_l1_a = mean_abs_difference(rec_a, a);
    t.cycle_l1_b = mean_abs_difference(rec_b, b);
    t.fd_ab = frechet_distance(fit_gaussian(out_fake_b.features), gb);
    t.fd_ba = frechet_distance(fit_gaussian(out_fake_a.features), ga);
    t.fd_untranslated = frechet_distance(ga, gb);
    return t;
}

}  // namespace ganzoo::metrics
