// `ganzoo eval`: a generator file's metrics against Fashion-MNIST's test split, through the
// inference core and the project's classifier (no LibTorch). The result is typed (EvalResult);
// to_json writes it as `ganzoo eval --json` and RUN/metrics.jsonl hold it, eval_text as the table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "metrics/metrics.hpp"

namespace ganzoo::metrics {

struct EvalOptions {
    int64_t count = 10000;           // generated images, and real images for the floor
    uint64_t seed = 1;               // latents: sample i of this seed; codes from it too
    std::string data = "fashion-mnist";
    // SWD (swd.hpp): images per set (at most count and the test split; 0: no SWD), descriptors per image per level.
    int64_t swd_images = 4096;
    int64_t swd_per_image = 8;
    // The reference statistics (the test split's feature Gaussian and IS, the floor's FD and SWD:
    // the train-vs-test half of the work, the same for every model) are kept in this file,
    // keyed by `classifier_id` (a hash of the classifier's bytes) and the options above, and
    // read back instead of recomputed when they match. Empty: always computed.
    std::string floor_cache;
    std::string classifier_id;
    // Called as work advances: stage ("test", "floor", "generate", "classify", "swd"), done, total.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// An image-to-image model's metrics (translation.hpp says what each one is).
struct TranslationMetrics {
    std::string domain_a, domain_b;  // their class names
    int64_t count_a = 0, count_b = 0;
    double target_fraction_ab = 0, target_fraction_ba = 0;
    double target_fraction_ab_untranslated = 0, target_fraction_ba_untranslated = 0;
    double cycle_l1_a = 0, cycle_l1_b = 0;
    double fd_ab = 0, fd_ba = 0, fd_untranslated = 0;
};

// The sliced Wasserstein distance (swd.hpp), x10^3 per level, finest first.
struct SwdMetrics {
    std::vector<double> levels, floor_levels;  // generated vs test; train vs test (the floor)
    double average = 0, floor_average = 0;
    std::vector<int64_t> resolutions;
    int64_t images = 0, descriptors_per_image = 0, directions = 0;
};

struct EvalResult {
    std::string model_name, family;    // the evaluated file's
    std::vector<std::string> classes;  // the classifier's
    double classifier_test_accuracy = 0;
    std::optional<TranslationMetrics> translation;  // image-to-image models: these alone
    // Generators.
    int64_t count = 0;
    uint64_t seed = 0;
    double fd_fmnist = 0, fd_floor = 0, inception_score = 0, inception_score_test = 0;
    bool floor_cached = false;  // the reference statistics came from EvalOptions::floor_cache
    std::vector<int64_t> class_histogram;
    std::optional<SwdMetrics> swd;
    // cGAN: the classifier agrees with the asked label.
    std::optional<double> class_accuracy;
    std::vector<double> class_accuracy_per_class;
    // InfoGAN: the categorical code against the classes (best one-to-one mapping, code -> class),
    // Q reading the code back, the mutual-information lower bounds, Q clustering the test images.
    std::optional<double> code_class_accuracy;
    std::map<std::string, std::string> code_to_class;
    std::optional<double> q_accuracy;
    std::optional<double> mi_categorical, mi_categorical_max;
    std::optional<std::vector<double>> mi_continuous, q_continuous_mse;
    std::optional<double> q_cluster_accuracy;
    std::map<std::string, std::string> q_cluster_to_class;
    // Improved DCGAN, semi-supervised: D's test accuracy beside a baseline on the same labels.
    std::optional<double> ssl_d_accuracy, ssl_baseline_accuracy;
    int64_t ssl_labels = 0;
};

// Images of a dataset as a float tensor [n, C, H, W] in [-1, 1] (the first `limit`; 0: all).
Tensor dataset_images(const data::ImageDataset& ds, int64_t limit = 0);

// A generator's metrics: FD-FMNIST, IS, the class histogram, SWD and the member's own; an
// image-to-image model's translation metrics (translation.hpp).
EvalResult evaluate(const Model& generator, const Classifier& classifier, const EvalOptions& options);

// The result as one JSON object: {"fd_fmnist", "fd_floor", "inception_score",
// "inception_score_test", "class_histogram", "classes", "count", "seed",
// "classifier_test_accuracy", "swd" + "swd_floor" + "swd_average" + "swd_floor_average" +
// "swd_resolutions" + "swd_images" + "swd_descriptors_per_image" + "swd_directions", and per
// member: "class_accuracy" + "class_accuracy_per_class" (cgan), "code_class_accuracy" +
// "code_to_class" + "q_accuracy" + "mi_categorical" + "mi_categorical_max" + "mi_continuous" +
// "q_continuous_mse" + "q_cluster_accuracy" + "q_cluster_to_class" (infogan), "ssl_d_accuracy" +
// "ssl_baseline_accuracy" + "ssl_labels" (improved-dcgan --labels)}; for an image-to-image model
// {"domains", "count_a", "count_b", "target_fraction_ab", ... (translation.hpp), "classes",
// "classifier_test_accuracy"}.
nlohmann::json to_json(const EvalResult& result);

// The result as the table `ganzoo eval` prints (terminal-safe: names are escaped by `printable`).
std::string eval_text(const EvalResult& result, const std::function<std::string(const std::string&)>& printable);

}  // namespace ganzoo::metrics
