#include "metrics/evaluate.hpp"

#include "metrics/swd.hpp"
#include "metrics/translation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>

namespace ganzoo::metrics {
namespace {

using json = nlohmann::json;

constexpr int64_t kBatch = 250;

// The half of an evaluation that does not depend on the model (EvalOptions::floor_cache).
struct FloorStatistics {
    Gaussian test;                   // the test split's classifier features
    double inception_score_test = 0;
    double fd_floor = 0;             // `count` train images against the test split
    std::vector<double> swd_floor;   // per level; empty: not computed
    int64_t train_count = 0;         // the train images the floor used
};

// The cached statistics when the file holds them for exactly `key`; nothing when it is missing,
// unreadable or for another key (it is then recomputed and rewritten).
std::optional<FloorStatistics> read_floor_cache(const std::string& path, const json& key) {
    try {
        std::ifstream in(path);
        if (!in) return std::nullopt;
        const json j = json::parse(in);
        if (j.at("key") != key) return std::nullopt;
        FloorStatistics s;
        const auto mean = j.at("test_mean").get<std::vector<double>>();
        const auto cov = j.at("test_cov").get<std::vector<double>>();
        const auto d = static_cast<Eigen::Index>(mean.size());
        if (d == 0 || cov.size() != mean.size() * mean.size()) return std::nullopt;
        s.test.mean = Eigen::Map<const Eigen::VectorXd>(mean.data(), d);
        s.test.cov = Eigen::Map<const Eigen::MatrixXd>(cov.data(), d, d);
        s.inception_score_test = j.at("inception_score_test").get<double>();
        s.fd_floor = j.at("fd_floor").get<double>();
        s.swd_floor = j.at("swd_floor").get<std::vector<double>>();
        s.train_count = j.at("train_count").get<int64_t>();
        return s;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void write_floor_cache(const std::string& path, const json& key, const FloorStatistics& s) {
    const auto d = static_cast<size_t>(s.test.mean.size());
    const json j = {{"about", "ganzoo eval's reference statistics for one classifier and one set of options "
                              "(safe to delete: recomputed when missing)"},
                    {"key", key},
                    {"test_mean", std::vector<double>(s.test.mean.data(), s.test.mean.data() + d)},
                    {"test_cov", std::vector<double>(s.test.cov.data(), s.test.cov.data() + d * d)},
                    {"inception_score_test", s.inception_score_test},
                    {"fd_floor", s.fd_floor},
                    {"swd_floor", s.swd_floor},
                    {"train_count", s.train_count}};
    try {
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        const std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp);
            out << j.dump() << "\n";
            if (!out) throw std::runtime_error("write failed");
        }
        std::filesystem::rename(tmp, path);
    } catch (const std::exception&) {
        // A cache that cannot be written costs the next evaluation its time, nothing else.
    }
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

Conditioning conditioning(const ModelInfo& info, uint64_t seed, int64_t first, int64_t n) {
    Conditioning c;
    const std::vector<const InputInfo*> inputs = info.conditions("G");
    for (const InputInfo* in : inputs)
        if (in->kind == InputKind::Label)
            for (int64_t i = first; i < first + n; ++i) {
                c.labels.push_back(i % info.num_classes);
                c.category.push_back(static_cast<int>(i % info.num_classes));
                c.category_count = info.num_classes;
            }
    for (const InputInfo* in : inputs) {
        if (in->kind == InputKind::Label) continue;
        std::vector<float>& values = c.codes[in->name];
        if (in->kind == InputKind::Categorical) {
            const int64_t k = in->categories;
            for (int64_t i = first; i < first + n; ++i) {
                values.push_back(static_cast<float>(i % k));
                if (c.labels.empty()) c.category.push_back(static_cast<int>(i % k));
            }
            if (c.labels.empty()) c.category_count = k;
        } else {
            for (int64_t i = first; i < first + n; ++i) {
                std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i));
                std::uniform_real_distribution<double> u(in->lo, in->hi);
                for (int64_t j = 0; j < in->size; ++j) values.push_back(static_cast<float>(u(rng)));
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
// codes' means follow their input's order. Sets mi_categorical, mi_categorical_max,
// mi_continuous and q_continuous_mse (per code).
void q_information(const ModelInfo& info, const std::vector<float>& q_out, int64_t q_width,
                   const std::vector<int>& categories, int64_t k,
                   const std::map<std::string, std::vector<float>>& continuous_codes, EvalResult& out) {
    const InputInfo* image = info.input("image");
    if (!image || image->q_outputs.empty() || categories.empty()) return;
    auto column = [&](const char* name) -> const InputInfo::Columns* {
        for (const auto& c : image->q_outputs)
            if (c.name == name) return &c;
        return nullptr;
    };
    const auto n = static_cast<int64_t>(categories.size());
    if (const auto* logits_columns = column("logits")) {
        const int64_t from = logits_columns->from;
        std::vector<float> logits;
        for (int64_t i = 0; i < n; ++i)
            logits.insert(logits.end(), q_out.begin() + i * q_width + from, q_out.begin() + i * q_width + from + k);
        out.mi_categorical = categorical_mi_bound(logits, categories, k);
        out.mi_categorical_max = std::log(static_cast<double>(k));
    }
    const auto* mean_columns = column("mean");
    if (mean_columns && continuous_codes.size() == 1) {
        const auto& [name, codes] = *continuous_codes.begin();
        const InputInfo& decl = *info.input(name);
        const int64_t from = mean_columns->from, dims = mean_columns->to - from;
        if (static_cast<int64_t>(codes.size()) != n * dims) return;
        std::vector<double> mi, mse;
        for (int64_t j = 0; j < dims; ++j) {
            std::vector<double> means, values;
            for (int64_t i = 0; i < n; ++i) {
                means.push_back(q_out[static_cast<size_t>(i * q_width + from + j)]);
                values.push_back(codes[static_cast<size_t>(i * dims + j)]);
            }
            mi.push_back(continuous_mi_bound(means, values, decl.lo, decl.hi));
            double e = 0;
            for (int64_t i = 0; i < n; ++i) e += (means[i] - values[i]) * (means[i] - values[i]);
            mse.push_back(e / static_cast<double>(n));
        }
        out.mi_continuous = mi;
        out.q_continuous_mse = mse;
    }
}

}  // namespace

Tensor dataset_images(const data::ImageDataset& ds, int64_t limit) {
    const int64_t n = limit > 0 ? std::min(limit, ds.count) : ds.count;
    Tensor t = Tensor::zeros({n, ds.channels, ds.height, ds.width});
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(ds.pixels[i]) / 127.5f - 1.0f;
    return t;
}

EvalResult evaluate(const Model& generator, const Classifier& classifier, const EvalOptions& o) {
    const ModelInfo& info = generator.info();
    EvalResult result;
    result.model_name = info.name;
    result.family = info.family;
    result.classes = classifier.model().info().class_names;
    result.classifier_test_accuracy = classifier.test_accuracy();
    // Image-to-image models (CycleGAN) have their own metrics (translation.hpp).
    if (info.translates()) {
        TranslationEvalOptions t;
        t.data = o.data;
        t.progress = o.progress;
        result.translation = evaluate_translation(generator, classifier, t);
        return result;
    }
    if (!info.net("G")) throw std::runtime_error("eval: the model has no generator net 'G'");
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

    // The reference: the whole test split; the floor: `count` train images against it. Both
    // from the cache when it holds them for this classifier and these options.
    const auto test_set = data::load_dataset(o.data, data::Split::Test);
    const Tensor test_images = dataset_images(test_set);
    const json cache_key = {{"version", 1},         {"classifier", o.classifier_id}, {"data", o.data},
                            {"count", o.count},     {"seed", o.seed},                {"swd_images", o.swd_images},
                            {"swd_per_image", o.swd_per_image}, {"test_count", test_images.dim(0)}};
    std::optional<FloorStatistics> reference = o.floor_cache.empty() ? std::nullopt : read_floor_cache(o.floor_cache, cache_key);
    result.floor_cached = reference.has_value();
    Tensor train_images;
    if (!reference) {
        FloorStatistics computed;
        const auto test = classify(test_images, "test");
        computed.test = fit_gaussian(test.features);
        computed.inception_score_test = inception_score(test.probabilities);
        const auto train_set = data::load_dataset(o.data, data::Split::Train);
        train_images = dataset_images(train_set, o.count);
        computed.train_count = train_images.dim(0);
        const auto floor = classify(train_images, "floor");
        computed.fd_floor = frechet_distance(fit_gaussian(floor.features), computed.test);
        reference = std::move(computed);
    }
    const Gaussian& test_gaussian = reference->test;

    // The generated set.
    const int64_t n = o.count;
    Tensor images = Tensor::zeros({n, info.channels, info.height, info.width});
    std::vector<int> categories;
    int64_t category_count = 0;
    std::vector<float> q_out;
    std::map<std::string, std::vector<float>> continuous_codes;  // InfoGAN's, row-major per sample
    int64_t q_width = 0;
    const bool has_q = info.net("Q") != nullptr;
    const int64_t per = info.channels * info.height * info.width;
    for (int64_t first = 0; first < n; first += kBatch) {
        const int64_t m = std::min(kBatch, n - first);
        GenerateRequest r;
        r.seed = o.seed;
        r.first_index = first;
        r.count = m;
        Conditioning c = conditioning(info, o.seed, first, m);
        r.labels = c.labels;
        r.codes = c.codes;
        categories.insert(categories.end(), c.category.begin(), c.category.end());
        for (const auto& [name, values] : c.codes)
            if (info.input(name)->kind != InputKind::Categorical)
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
    result.count = n;
    result.seed = o.seed;
    result.fd_fmnist = frechet_distance(fit_gaussian(generated.features), test_gaussian);
    result.fd_floor = reference->fd_floor;
    result.inception_score = inception_score(generated.probabilities);
    result.inception_score_test = reference->inception_score_test;
    result.class_histogram = histogram;

    // SWD (swd.hpp): the first swd_images generated (cropped) and train images, each against as
    // many test images; the test descriptors are projected once for both.
    if (o.swd_images > 0) {
        const int64_t swd_n = std::min({o.swd_images, n, test_images.dim(0), reference->train_count});
        if (swd_n < 2) throw std::invalid_argument("eval: SWD needs at least 2 images");
        SwdOptions so;
        so.seed = o.seed;
        so.per_image = o.swd_per_image;
        const auto test_descriptors = swd_descriptors(first_images(test_images, swd_n), so);
        const auto drawn = swd_descriptors(first_images(cropped, swd_n), so);
        // The floor's train descriptors only when the cache did not hold its distances (each set's
        // distance to the reference is computed on its own: leaving one out changes no other).
        const bool floor_known = reference->swd_floor.size() == test_descriptors.size();
        if (!floor_known && train_images.data.empty())
            train_images = dataset_images(data::load_dataset(o.data, data::Split::Train), o.count);
        const auto real = floor_known ? std::vector<Eigen::MatrixXf>{} : swd_descriptors(first_images(train_images, swd_n), so);
        SwdMetrics swd;
        double sum = 0, floor_sum = 0;
        for (size_t l = 0; l < test_descriptors.size(); ++l) {
            const auto d = floor_known ? sliced_wasserstein(test_descriptors[l], {&drawn[l]}, static_cast<int>(l), so)
                                       : sliced_wasserstein(test_descriptors[l], {&drawn[l], &real[l]}, static_cast<int>(l), so);
            const double floor_level = floor_known ? reference->swd_floor[l] : d[1];
            swd.levels.push_back(d[0]);
            swd.floor_levels.push_back(floor_level);
            sum += d[0];
            floor_sum += floor_level;
            progress("swd", static_cast<int64_t>(l) + 1, static_cast<int64_t>(test_descriptors.size()));
        }
        if (!floor_known) reference->swd_floor = swd.floor_levels;
        const auto levels_count = static_cast<double>(test_descriptors.size());
        swd.average = sum / levels_count;
        swd.floor_average = floor_sum / levels_count;
        swd.resolutions = swd_resolutions(cropped.dim(2));
        swd.images = swd_n;
        swd.descriptors_per_image = so.per_image;
        swd.directions = so.repeats * so.directions;
        result.swd = swd;
    }
    if (!result.floor_cached && !o.floor_cache.empty()) write_floor_cache(o.floor_cache, cache_key, *reference);

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
        result.class_accuracy = static_cast<double>(hits) / n;
        for (int64_t c = 0; c < k; ++c)
            result.class_accuracy_per_class.push_back(asked[c] ? static_cast<double>(right[c]) / asked[c] : 0.0);
    }
    // InfoGAN: how well the categorical code matches the classes (best one-to-one mapping),
    // and how well Q reads the code back from G's images.
    if (info.num_classes == 0 && !categories.empty()) {
        const int64_t code_k = category_count;
        if (code_k == k) {
            std::vector<int> mapping;
            result.code_class_accuracy =
                best_mapping_accuracy(confusion_matrix(categories, generated.predicted, k), &mapping);
            for (int64_t c = 0; c < k; ++c) result.code_to_class[std::to_string(c)] = cinfo.class_names[mapping[c]];
        }
        if (has_q && q_width >= code_k) {
            int64_t hits = 0;
            for (int64_t i = 0; i < n; ++i) {
                const float* row = &q_out[static_cast<size_t>(i * q_width)];
                hits += (std::max_element(row, row + code_k) - row) == categories[i];
            }
            result.q_accuracy = static_cast<double>(hits) / n;
            q_information(info, q_out, q_width, categories, code_k, continuous_codes, result);
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
                result.q_cluster_accuracy = best_mapping_accuracy(confusion_matrix(clusters, labels, k), &mapping);
                for (int64_t c = 0; c < k; ++c) result.q_cluster_to_class[std::to_string(c)] = cinfo.class_names[mapping[c]];
            }
        }
    }
    // Improved DCGAN, semi-supervised (§5): D's K class logits and the baseline trained on the
    // same labelled images alone, both on the real test set.
    if (info.net("D_classes") && info.net("C_baseline") &&
        test_set.labels.size() == static_cast<size_t>(test_images.dim(0))) {
        const int64_t total = test_images.dim(0);
        for (const auto& [net, accuracy] : {std::pair{"D_classes", &result.ssl_d_accuracy},
                                            std::pair{"C_baseline", &result.ssl_baseline_accuracy}}) {
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
            *accuracy = static_cast<double>(hits) / static_cast<double>(total);
        }
        const InputInfo* image = info.input("image");
        result.ssl_labels = image ? image->labelled : 0;
    }
    return result;
}

json to_json(const EvalResult& r) {
    json out = json::object();
    if (const auto& t = r.translation) {
        out["domains"] = std::vector<std::string>{t->domain_a, t->domain_b};
        out["count_a"] = t->count_a;
        out["count_b"] = t->count_b;
        out["target_fraction_ab"] = t->target_fraction_ab;
        out["target_fraction_ba"] = t->target_fraction_ba;
        out["target_fraction_ab_untranslated"] = t->target_fraction_ab_untranslated;
        out["target_fraction_ba_untranslated"] = t->target_fraction_ba_untranslated;
        out["cycle_l1_a"] = t->cycle_l1_a;
        out["cycle_l1_b"] = t->cycle_l1_b;
        out["fd_ab"] = t->fd_ab;
        out["fd_ba"] = t->fd_ba;
        out["fd_untranslated"] = t->fd_untranslated;
        out["classes"] = r.classes;
        out["classifier_test_accuracy"] = r.classifier_test_accuracy;
        return out;
    }
    out["count"] = r.count;
    out["seed"] = r.seed;
    out["fd_fmnist"] = r.fd_fmnist;
    out["fd_floor"] = r.fd_floor;
    out["inception_score"] = r.inception_score;
    out["inception_score_test"] = r.inception_score_test;
    out["class_histogram"] = r.class_histogram;
    out["classes"] = r.classes;
    out["classifier_test_accuracy"] = r.classifier_test_accuracy;
    if (const auto& s = r.swd) {
        out["swd"] = s->levels;
        out["swd_average"] = s->average;
        out["swd_floor"] = s->floor_levels;
        out["swd_floor_average"] = s->floor_average;
        out["swd_resolutions"] = s->resolutions;
        out["swd_images"] = s->images;
        out["swd_descriptors_per_image"] = s->descriptors_per_image;
        out["swd_directions"] = s->directions;
    }
    if (r.class_accuracy) {
        out["class_accuracy"] = *r.class_accuracy;
        out["class_accuracy_per_class"] = r.class_accuracy_per_class;
    }
    if (r.code_class_accuracy) {
        out["code_class_accuracy"] = *r.code_class_accuracy;
        out["code_to_class"] = r.code_to_class;
    }
    if (r.q_accuracy) out["q_accuracy"] = *r.q_accuracy;
    if (r.mi_categorical) out["mi_categorical"] = *r.mi_categorical;
    if (r.mi_categorical_max) out["mi_categorical_max"] = *r.mi_categorical_max;
    if (r.mi_continuous) out["mi_continuous"] = *r.mi_continuous;
    if (r.q_continuous_mse) out["q_continuous_mse"] = *r.q_continuous_mse;
    if (r.q_cluster_accuracy) {
        out["q_cluster_accuracy"] = *r.q_cluster_accuracy;
        out["q_cluster_to_class"] = r.q_cluster_to_class;
    }
    if (r.ssl_d_accuracy) {
        out["ssl_d_accuracy"] = *r.ssl_d_accuracy;
        out["ssl_baseline_accuracy"] = r.ssl_baseline_accuracy.value_or(0.0);
        out["ssl_labels"] = r.ssl_labels;
    }
    return out;
}

namespace {

// printf into a string.
template <typename... Args>
void appendf(std::string& out, const char* format, Args... args) {
    char buffer[512];
    const int n = std::snprintf(buffer, sizeof buffer, format, args...);
    if (n < 0) return;
    if (static_cast<size_t>(n) < sizeof buffer) {
        out.append(buffer, static_cast<size_t>(n));
        return;
    }
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), format, args...);
    out.append(big.data(), static_cast<size_t>(n));
}

}  // namespace

std::string eval_text(const EvalResult& r, const std::function<std::string(const std::string&)>& printable) {
    std::string out;
    const std::string name = printable(r.model_name), family = printable(r.family);
    if (const auto& t = r.translation) {
        appendf(out, "%s (%s), test split: %lld %s, %lld %s\n", name.c_str(), family.c_str(), (long long)t->count_a,
                printable(t->domain_a).c_str(), (long long)t->count_b, printable(t->domain_b).c_str());
        appendf(out, "  classified as the target class: A->B %.2f%%, B->A %.2f%%   (untranslated: %.2f%%, %.2f%%)\n",
                100 * t->target_fraction_ab, 100 * t->target_fraction_ba, 100 * t->target_fraction_ab_untranslated,
                100 * t->target_fraction_ba_untranslated);
        appendf(out, "  cycle L1 |x - G_BA(G_AB(x))| on [-1, 1]: A %.4f, B %.4f\n", t->cycle_l1_a, t->cycle_l1_b);
        appendf(out, "  FD-FMNIST G_AB(test A) vs test B: %.3f, G_BA(test B) vs test A: %.3f   (test A vs test B: %.3f)\n",
                t->fd_ab, t->fd_ba, t->fd_untranslated);
        return out;
    }
    appendf(out, "%s (%s), %lld samples of seed %llu\n", name.c_str(), family.c_str(), (long long)r.count,
            (unsigned long long)r.seed);
    appendf(out, "  FD-FMNIST (classifier features, not Inception): %.3f   (floor, %lld train images vs test: %.3f)\n",
            r.fd_fmnist, (long long)r.count, r.fd_floor);
    appendf(out, "  classifier Inception Score: %.3f   (test images: %.3f)\n", r.inception_score, r.inception_score_test);
    out += "  class histogram:";
    for (size_t k = 0; k < r.class_histogram.size(); ++k)
        appendf(out, " %s %.1f%%", printable(r.classes[k]).c_str(), 100.0 * static_cast<double>(r.class_histogram[k]) / r.count);
    out += "\n";
    if (r.class_accuracy) {
        appendf(out, "  class accuracy (the classifier agrees with the asked label): %.2f%% (", 100.0 * *r.class_accuracy);
        for (size_t c = 0; c < r.class_accuracy_per_class.size(); ++c)
            appendf(out, "%s%s %.1f%%", c ? ", " : "", printable(r.classes[c]).c_str(), 100.0 * r.class_accuracy_per_class[c]);
        out += ")\n";
    }
    auto mapping = [&](const std::map<std::string, std::string>& to_class) {
        bool first = true;
        for (const auto& [code, klass] : to_class) {
            appendf(out, "%s%s\u2192%s", first ? "" : ", ", code.c_str(), klass.c_str());
            first = false;
        }
        out += ")\n";
    };
    if (r.code_class_accuracy) {
        appendf(out, "  categorical code vs classes, best one-to-one mapping: %.2f%% (", 100.0 * *r.code_class_accuracy);
        mapping(r.code_to_class);
    }
    if (r.q_accuracy) appendf(out, "  Q recovers the categorical code from G's images: %.2f%%\n", 100.0 * *r.q_accuracy);
    if (r.mi_categorical)
        appendf(out, "  mutual information, lower bound H(c) - E[-log Q(c|x)]: categorical %.3f nats (of log K = %.3f)\n",
                *r.mi_categorical, r.mi_categorical_max.value_or(0.0));
    if (r.mi_continuous) {
        out += "  mutual information, lower bound, continuous codes (<= 0: Q reads nothing):";
        for (size_t j = 0; j < r.mi_continuous->size(); ++j)
            appendf(out, " c%zu %.3f nats (MSE %.4f)", j, (*r.mi_continuous)[j],
                    r.q_continuous_mse && j < r.q_continuous_mse->size() ? (*r.q_continuous_mse)[j] : 0.0);
        out += "\n";
    }
    if (r.ssl_d_accuracy)
        appendf(out,
                "  semi-supervised, %lld labels: D's test accuracy %.2f%%, a classifier of D's architecture on the same labels alone %.2f%%\n",
                static_cast<long long>(r.ssl_labels), 100.0 * *r.ssl_d_accuracy, 100.0 * r.ssl_baseline_accuracy.value_or(0.0));
    if (r.q_cluster_accuracy) {
        appendf(out, "  Q's categorical head clustering the real test images, best one-to-one mapping: %.2f%% (",
                100.0 * *r.q_cluster_accuracy);
        mapping(r.q_cluster_to_class);
    }
    if (const auto& s = r.swd) {
        auto row = [&](const char* label, const std::vector<double>& levels, double average) {
            appendf(out, "    %-42s", label);
            for (double d : levels) appendf(out, " %8.2f", d);
            appendf(out, "   average %.2f\n", average);
        };
        out += "  SWD x10^3 per level (finest -> coarsest:";
        for (int64_t side : s->resolutions) appendf(out, " %lld", (long long)side);
        appendf(out, " px), %lld images, %lld descriptors/image/level, %lld directions:\n", (long long)s->images,
                (long long)s->descriptors_per_image, (long long)s->directions);
        row("generated vs test", s->levels, s->average);
        row("floor (train vs test)", s->floor_levels, s->floor_average);
    }
    appendf(out, "  (classifier test accuracy %.2f%%)\n", 100.0 * r.classifier_test_accuracy);
    return out;
}

}  // namespace ganzoo::metrics
