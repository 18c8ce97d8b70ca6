#include "metrics/translation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "data/dataset.hpp"

namespace ganzoo::metrics {

using json = nlohmann::json;

bool is_translation_model(const json& doc) {
    return doc.contains("inputs") && doc["inputs"].is_object() && doc["inputs"].contains("image") &&
           doc["inputs"]["image"].is_object() && doc["inputs"]["image"].contains("domains");
}

std::vector<std::string> translation_domains(const json& doc) {
    if (!is_translation_model(doc)) throw std::runtime_error("the model is not an image-to-image model (no inputs.image.domains)");
    const json& d = doc["inputs"]["image"]["domains"];
    if (!d.is_object() || !d.contains("A") || !d.contains("B") || !d["A"].is_string() || !d["B"].is_string())
        throw std::runtime_error("inputs.image.domains must be {\"A\": name, \"B\": name}");
    return {d["A"].get<std::string>(), d["B"].get<std::string>()};
}

Tensor stored_examples(const json& doc, const std::string& side, int64_t channels, int64_t height, int64_t width) {
    const std::string field = "inputs.image.examples." + side;
    const json* e = nullptr;
    if (is_translation_model(doc) && doc["inputs"]["image"].contains("examples") &&
        doc["inputs"]["image"]["examples"].is_object() && doc["inputs"]["image"]["examples"].contains(side))
        e = &doc["inputs"]["image"]["examples"][side];
    if (!e || !e->is_object() || !e->contains("pixels") || !(*e)["pixels"].is_array() || (*e)["pixels"].empty())
        throw std::runtime_error("the model stores no example images (" + field + ".pixels)");
    const json& rows = (*e)["pixels"];
    const int64_t per = channels * height * width;
    Tensor t = Tensor::zeros({static_cast<int64_t>(rows.size()), channels, height, width});
    for (size_t i = 0; i < rows.size(); ++i) {
        if (!rows[i].is_array() || static_cast<int64_t>(rows[i].size()) != per)
            throw std::runtime_error(field + ".pixels[" + std::to_string(i) + "] must hold " + std::to_string(per) +
                                     " values (C·H·W)");
        for (int64_t j = 0; j < per; ++j) {
            const json& v = rows[i][static_cast<size_t>(j)];
            if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 255)
                throw std::runtime_error(field + ".pixels[" + std::to_string(i) + "] must hold integers 0..255");
            t.data[static_cast<size_t>(static_cast<int64_t>(i) * per + j)] = static_cast<float>(v.get<int64_t>()) / 127.5f - 1.0f;
        }
    }
    return t;
}

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

json evaluate_translation(const Model& model, const Classifier& classifier, const TranslationEvalOptions& o) {
    const json doc = json::parse(model.info().metadata_json);
    const auto domains = translation_domains(doc);
    const ModelInfo& cinfo = classifier.model().info();
    const ModelInfo& info = model.info();
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
    return {{"domains", domains},
            {"count_a", a.dim(0)},
            {"count_b", b.dim(0)},
            {"target_fraction_ab", target_fraction(out_fake_b.predicted, target_b)},
            {"target_fraction_ba", target_fraction(out_fake_a.predicted, target_a)},
            {"target_fraction_ab_untranslated", target_fraction(out_a.predicted, target_b)},
            {"target_fraction_ba_untranslated", target_fraction(out_b.predicted, target_a)},
            {"cycle_l1_a", mean_abs_difference(rec_a, a)},
            {"cycle_l1_b", mean_abs_difference(rec_b, b)},
            {"fd_ab", frechet_distance(fit_gaussian(out_fake_b.features), gb)},
            {"fd_ba", frechet_distance(fit_gaussian(out_fake_a.features), ga)},
            {"fd_untranslated", frechet_distance(ga, gb)},
            {"classes", cinfo.class_names},
            {"classifier_test_accuracy", classifier.test_accuracy()}};
}

}  // namespace ganzoo::metrics
