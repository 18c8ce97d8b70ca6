#include "metrics/evaluate.hpp"

#include "metrics/swd.hpp"
#include "metrics/translation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>

namespace ganzoo::metrics {
namespace {

using json = nlohmann::json;

constexpr int64_t kBatch = 250;

bool takes(const json& doc, const std::string& input) {
    const auto& inputs = doc.at("nets").at("G").at("inputs");
    return std::find(inputs.begin(), inputs.end(), input) != inputs.end();
}

// Per-sample values of G's other inputs for samples first..first+n-1: a class label (cGAN)
// and the categorical code cycle through their values; continuous codes are drawn from their
// prior, U[lo, hi], by a generator seeded with (seed, sample index) so any batch split agrees.
struct Conditioning {
    std::vector<int64_t> labels;                      // cGAN
    std::map<std::string, std::vector<float>> codes;  // InfoGAN
    std::vector<int> category;                        // the label or category code per sample
    int64_t category_count = 0;                       // its number of values
};

Conditioning conditioning(const ModelInfo& info, const json& doc, uint64_t seed, int64_t first, int64_t n) {
    Conditioning c;
    if (info.num_classes > 0 && takes(doc, "label"))
        for (int64_t i = first; i < first + n; ++i) {
            c.labels.push_back(i % info.num_classes);
            c.category.push_back(static_cast<int>(i % info.num_classes));
            c.category_count = info.num_classes;
        }
    for (const auto& [name, decl] : doc.at("inputs").items()) {
        if (name == "z" || name == "label" || !takes(doc, name)) continue;
        int64_t size = 1;
        for (const auto& d : decl.value("shape", json::array({decl.value("dim", 1)}))) size *= d.get<int64_t>();
        std::vector<float>& values = c.codes[name];
        if (decl.contains("categories")) {
            const auto k = decl["categories"].get<int64_t>();
            for (int64_t i = first; i < first + n; ++i) {
                values.push_back(static_cast<float>(i % k));
                if (c.labels.empty()) c.category.push_back(static_cast<int>(i % k));
            }
            if (c.labels.empty()) c.category_count = k;
        } else {
            const double lo = decl.contains("range") ? decl["range"][0].get<double>() : -1.0;
            const double hi = decl.contains("range") ? decl["range"][1].get<double>() : 1.0;
            for (int64_t i = first; i < first + n; ++i) {
                std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i));
                std::uniform_real_distribution<double> u(lo, hi);
                for (int64_t j = 0; j < size; ++j) values.push_back(static_cast<float>(u(rng)));
            }
        }
    }
    return c;
}

Eigen::MatrixXd confusion_matrix(const std::vector<int>& rows, const std::vector<int>& cols, int64_t k) {
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(k, k);
    for (size_t i = 0; i < rows.size(); ++i) m(rows[i], cols[i]) += 1;
    return m;
}

// The model's images are centre-cropped to the classifier's size (ProGAN draws 32×32: 28×28 with
// 2 px of padding each side). The margin per side, or -1 when the model's side is smaller or
// exceeds the classifier's by an odd number of pixels (no centre to crop around).
int64_t crop_margin(int64_t model_side, int64_t classifier_side) {
    const int64_t extra = model_side - classifier_side;
    return extra >= 0 && extra % 2 == 0 ? extra / 2 : -1;
}

// images [n, C, H, W] → [n, C, H − 2·my, W − 2·mx], the centre.
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

// `n` images of a set from image `first` on.
Tensor first_images(const Tensor& images, int64_t n, int64_t first = 0) {
    const int64_t per = images.numel() / images.dim(0);
    Tensor out = Tensor::zeros({n, images.dim(1), images.dim(2), images.dim(3)});
    std::copy_n(images.data.begin() + first * per, n * per, out.data.begin());
    return out;
}

// InfoGAN: the mutual-information lower bound of each code (metrics.hpp) from Q's outputs on the
// generated images `q_out` [n, q_width] and the codes that drew them. Q's columns are declared in
// the file (inputs.image.q_outputs: "logits" [from, to), "mean" [from, to)); the continuous
// codes' means follow their input's order. {"mi_categorical", "mi_categorical_max",
// "mi_continuous": [per code], "mi_continuous_max", "q_continuous_mse": [per code]}.
json q_information(const json& doc, const std::vector<float>& q_out, int64_t q_width, const std::vector<int>& categories,
                   int64_t k, const std::map<std::string, std::vector<float>>& continuous_codes) {
    json out = json::object();
    const auto& image = doc.at("inputs").value("image", json::object());
    if (!image.contains("q_outputs") || categories.empty()) return out;
    const auto& columns = image.at("q_outputs");
    const auto n = static_cast<int64_t>(categories.size());
    if (columns.contains("logits")) {
        const int64_t from = columns["logits"][0].get<int64_t>();
        std::vector<float> logits;
        for (int64_t i = 0; i < n; ++i)
            logits.insert(logits.end(), q_out.begin() + i * q_width + from, q_out.begin() + i * q_width + from + k);
        out["mi_categorical"] = categorical_mi_bound(logits, categories, k);
        out["mi_categorical_max"] = std::log(static_cast<double>(k));
    }
    if (columns.contains("mean") && continuous_codes.size() == 1) {
        const auto& [name, codes] = *continuous_codes.begin();
        const auto& decl = doc.at("inputs").at(name);
        const int64_t from = columns["mean"][0].get<int64_t>(), dims = columns["mean"][1].get<int64_t>() - from;
        if (static_cast<int64_t>(codes.size()) != n * dims) return out;
        const double lo = decl.contains("range") ? decl["range"][0].get<double>() : -1.0;
        const double hi = decl.contains("range") ? decl["range"][1].get<double>() : 1.0;
        json mi = json::array(), mse = json::array();
        for (int64_t j = 0; j < dims; ++j) {
            std::vector<double> means, values;
            for (int64_t i = 0; i < n; ++i) {
                means.push_back(q_out[static_cast<size_t>(i * q_width + from + j)]);
                values.push_back(codes[static_cast<size_t>(i * dims + j)]);
            }
            mi.push_back(continuous_mi_bound(means, values, lo, hi));
            double e = 0;
            for (int64_t i = 0; i < n; ++i) e += (means[i] - values[i]) * (means[i] - values[i]);
            mse.push_back(e / static_cast<double>(n));
        }
        out["mi_continuous"] = mi;
        out["q_continuous_mse"] = mse;
    }
    return out;
}

}  // namespace

Tensor dataset_images(const data::ImageDataset& ds, int64_t limit) {
    const int64_t n = limit > 0 ? std::min(limit, ds.count) : ds.count;
    Tensor t = Tensor::zeros({n, ds.channels, ds.height, ds.width});
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(ds.pixels[i]) / 127.5f - 1.0f;
    return t;
}

json evaluate(const Model& generator, const Classifier& classifier, const EvalOptions& o) {
    const ModelInfo& info = generator.info();
    const json doc = json::parse(info.metadata_json);
    // Image-to-image models (CycleGAN) have their own metrics (translation.hpp).
    if (is_translation_model(doc)) {
        TranslationEvalOptions t;
        t.data = o.data;
        t.progress = o.progress;
        return evaluate_translation(generator, classifier, t);
    }
    if (!doc.at("nets").contains("G")) throw std::runtime_error("eval: the model has no generator net 'G'");
    const ModelInfo& cinfo = classifier.model().info();
    const int64_t crop_y = crop_margin(info.height, cinfo.height), crop_x = crop_margin(info.width, cinfo.width);
    if (info.channels != cinfo.channels || crop_y < 0 || crop_x < 0)
        throw std::runtime_error("eval: the model draws " + std::to_string(info.channels) + "x" +
                                 std::to_string(info.height) + "x" + std::to_string(info.width) +
                                 " images, the classifier reads " + std::to_string(cinfo.channels) + "x" +
                                 std::to_string(cinfo.height) + "x" + std::to_string(cinfo.width) +
                                 " (larger images are centre-cropped only by an even margin)");
    if (o.count < 2) throw std::invalid_argument("eval: count must be >= 2");
    auto progress = [&](const std::string& stage, int64_t done, int64_t total) {
        if (o.progress) o.progress(stage, done, total);
    };
    auto classify = [&](const Tensor& images, const std::string& stage) {
        Classifier::Output all;
        const int64_t n = images.dim(0), per = images.data.size() / n;
        all.features.resize(n, 0);
        for (int64_t first = 0; first < n; first += kBatch) {
            const int64_t m = std::min(kBatch, n - first);
            Tensor part = Tensor::zeros({m, images.dim(1), images.dim(2), images.dim(3)});
            std::copy_n(images.data.begin() + first * per, m * per, part.data.begin());
            auto out = classifier.classify(part, kBatch);
            if (first == 0) {
                all.features.resize(n, out.features.cols());
                all.probabilities.resize(n, out.probabilities.cols());
            }
            all.features.middleRows(first, m) = out.features;
            all.probabilities.middleRows(first, m) = out.probabilities;
            all.predicted.insert(all.predicted.end(), out.predicted.begin(), out.predicted.end());
            progress(stage, first + m, n);
        }
        return all;
    };

    // The reference: the whole test split; the floor: `count` train images against it.
    const auto test_set = data::load_dataset(o.data, data::Split::Test);
    const Tensor test_images = dataset_images(test_set);
    const auto test = classify(test_images, "test");
    const Gaussian test_gaussian = fit_gaussian(test.features);
    const auto train_set = data::load_dataset(o.data, data::Split::Train);
    const Tensor train_images = dataset_images(train_set, o.count);
    const auto floor = classify(train_images, "floor");

    // The generated set.
    const int64_t n = o.count;
    Tensor images = Tensor::zeros({n, info.channels, info.height, info.width});
    std::vector<int> categories;
    int64_t category_count = 0;
    std::vector<float> q_out;
    std::map<std::string, std::vector<float>> continuous_codes;  // InfoGAN's, row-major per sample
    int64_t q_width = 0;
    const bool has_q = doc.at("nets").contains("Q");
    const int64_t per = info.channels * info.height * info.width;
    for (int64_t first = 0; first < n; first += kBatch) {
        const int64_t m = std::min(kBatch, n - first);
        GenerateRequest r;
        r.seed = o.seed;
        r.first_index = first;
        r.count = m;
        Conditioning c = conditioning(info, doc, o.seed, first, m);
        r.labels = c.labels;
        r.codes = c.codes;
        categories.insert(categories.end(), c.category.begin(), c.category.end());
        for (const auto& [name, values] : c.codes)
            if (!doc.at("inputs").at(name).contains("categories"))
                continuous_codes[name].insert(continuous_codes[name].end(), values.begin(), values.end());
        category_count = c.category_count;
        const Tensor part = generator.generate(r);
        std::copy(part.data.begin(), part.data.end(), images.data.begin() + first * per);
        if (has_q) {
            const Tensor q = generator.run("Q", {{"image", part}});
            q_width = q.dim(1);
            q_out.insert(q_out.end(), q.data.begin(), q.data.end());
        }
        progress("generate", first + m, n);
    }
    const Tensor cropped = centre_crop(images, crop_y, crop_x);
    const auto generated = classify(cropped, "classify");

    const int64_t k = classifier.classes();
    std::vector<int64_t> histogram(static_cast<size_t>(k), 0);
    for (int c : generated.predicted) ++histogram[static_cast<size_t>(c)];
    json result = {{"count", n},
                   {"seed", o.seed},
                   {"fd_fmnist", frechet_distance(fit_gaussian(generated.features), test_gaussian)},
                   {"fd_floor", frechet_distance(fit_gaussian(floor.features), test_gaussian)},
                   {"inception_score", inception_score(generated.probabilities)},
                   {"inception_score_test", inception_score(test.probabilities)},
                   {"class_histogram", histogram},
                   {"classes", cinfo.class_names},
                   {"classifier_test_accuracy", classifier.test_accuracy()}};

    // SWD (swd.hpp): the first swd_images generated (cropped) and train images, each against as
    // many test images; the test descriptors are projected once for both.
    if (o.swd_images > 0) {
        const int64_t swd_n = std::min({o.swd_images, n, test_images.dim(0), train_images.dim(0)});
        if (swd_n < 2) throw std::invalid_argument("eval: SWD needs at least 2 images");
        SwdOptions so;
        so.seed = o.seed;
        so.per_image = o.swd_per_image;
        const auto reference = swd_descriptors(first_images(test_images, swd_n), so);
        const auto drawn = swd_descriptors(first_images(cropped, swd_n), so);
        const auto real = swd_descriptors(first_images(train_images, swd_n), so);
        json levels = json::array(), floor_levels = json::array();
        double sum = 0, floor_sum = 0;
        for (size_t l = 0; l < reference.size(); ++l) {
            const auto d = sliced_wasserstein(reference[l], {&drawn[l], &real[l]}, static_cast<int>(l), so);
            levels.push_back(d[0]);
            floor_levels.push_back(d[1]);
            sum += d[0];
            floor_sum += d[1];
            progress("swd", static_cast<int64_t>(l) + 1, static_cast<int64_t>(reference.size()));
        }
        const auto levels_count = static_cast<double>(reference.size());
        result["swd"] = levels;
        result["swd_average"] = sum / levels_count;
        result["swd_floor"] = floor_levels;
        result["swd_floor_average"] = floor_sum / levels_count;
        result["swd_resolutions"] = swd_resolutions(cropped.dim(2));
        result["swd_images"] = swd_n;
        result["swd_descriptors_per_image"] = so.per_image;
        result["swd_directions"] = so.repeats * so.directions;
    }

    // cGAN: does the class asked for come out?
    if (info.num_classes > 0 && !categories.empty()) {
        int64_t hits = 0;
        std::vector<int64_t> asked(static_cast<size_t>(k), 0), right(static_cast<size_t>(k), 0);
        for (int64_t i = 0; i < n; ++i) {
            const bool hit = generated.predicted[i] == categories[i];
            hits += hit;
            ++asked[static_cast<size_t>(categories[i])];
            right[static_cast<size_t>(categories[i])] += hit;
        }
        result["class_accuracy"] = static_cast<double>(hits) / n;
        json per_class = json::array();
        for (int64_t c = 0; c < k; ++c)
            per_class.push_back(asked[c] ? static_cast<double>(right[c]) / asked[c] : 0.0);
        result["class_accuracy_per_class"] = per_class;
    }
    // InfoGAN: how well the categorical code matches the classes (best one-to-one mapping),
    // and how well Q reads the code back from G's images.
    if (info.num_classes == 0 && !categories.empty()) {
        const int64_t code_k = category_count;
        if (code_k == k) {
            std::vector<int> mapping;
            result["code_class_accuracy"] =
                best_mapping_accuracy(confusion_matrix(categories, generated.predicted, k), &mapping);
            json named = json::object();
            for (int64_t c = 0; c < k; ++c) named[std::to_string(c)] = cinfo.class_names[mapping[c]];
            result["code_to_class"] = named;
        }
        if (has_q && q_width >= code_k) {
            int64_t hits = 0;
            for (int64_t i = 0; i < n; ++i) {
                const float* row = &q_out[static_cast<size_t>(i * q_width)];
                hits += (std::max_element(row, row + code_k) - row) == categories[i];
            }
            result["q_accuracy"] = static_cast<double>(hits) / n;
            json mi = q_information(doc, q_out, q_width, categories, code_k, continuous_codes);
            for (auto& [key, value] : mi.items()) result[key] = value;
            // ClusterGAN's comparison (Mukherjee et al. 2019): Q's categorical head as a
            // clustering of the real test images, scored against their labels under the best
            // one-to-one mapping.
            if (code_k == k && test_set.labels.size() == static_cast<size_t>(test_images.dim(0))) {
                std::vector<int> clusters, labels;
                const int64_t total = test_images.dim(0);
                for (int64_t first = 0; first < total; first += kBatch) {
                    const Tensor part = first_images(test_images, std::min(kBatch, total - first), first);
                    const Tensor q = generator.run("Q", {{"image", part}});
                    for (int64_t i = 0; i < q.dim(0); ++i) {
                        const float* row = &q.data[static_cast<size_t>(i * q.dim(1))];
                        clusters.push_back(static_cast<int>(std::max_element(row, row + code_k) - row));
                        labels.push_back(static_cast<int>(test_set.labels[static_cast<size_t>(first + i)]));
                    }
                    progress("cluster", first + q.dim(0), total);
                }
                std::vector<int> mapping;
                result["q_cluster_accuracy"] = best_mapping_accuracy(confusion_matrix(clusters, labels, k), &mapping);
                json named = json::object();
                for (int64_t c = 0; c < k; ++c) named[std::to_string(c)] = cinfo.class_names[mapping[c]];
                result["q_cluster_to_class"] = named;
            }
        }
    }
    // Improved DCGAN, semi-supervised (§5): D's K class logits and the baseline trained on the
    // same labelled images alone, both on the real test set.
    if (doc.at("nets").contains("D_classes") && doc.at("nets").contains("C_baseline") &&
        test_set.labels.size() == static_cast<size_t>(test_images.dim(0))) {
        const int64_t total = test_images.dim(0);
        for (const auto& [net, key] : {std::pair{"D_classes", "ssl_d_accuracy"}, std::pair{"C_baseline", "ssl_baseline_accuracy"}}) {
            int64_t hits = 0;
            for (int64_t first = 0; first < total; first += kBatch) {
                const Tensor part = first_images(test_images, std::min(kBatch, total - first), first);
                const Tensor logits = generator.run(net, {{"image", part}});
                for (int64_t i = 0; i < logits.dim(0); ++i) {
                    const float* row = &logits.data[static_cast<size_t>(i * logits.dim(1))];
                    hits += (std::max_element(row, row + logits.dim(1)) - row) == test_set.labels[static_cast<size_t>(first + i)];
                }
                progress(net, first + logits.dim(0), total);
            }
            result[key] = static_cast<double>(hits) / static_cast<double>(total);
        }
        result["ssl_labels"] = doc.at("inputs").at("image").value("labelled", int64_t{0});
    }
    return result;
}

}  // namespace ganzoo::metrics
