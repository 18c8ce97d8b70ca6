// `ganzoo eval` and `ganzoo translate` for image-to-image models (CycleGAN): the nets "G_AB" and
// "G_BA" on the test split's images of the two domains, through the inference core and the
// project's classifier (no LibTorch).
//
//   target fraction A→B: the share of G_AB(test A) the classifier assigns to B's class (and B→A);
//   cycle L1 A: mean |x − G_BA(G_AB(x))| over the pixels of test A, in the [-1, 1] range (and B);
//   FD A→B: FD-FMNIST of G_AB(test A) against test B (and B→A), next to the untranslated
//     distance FD(test A, test B) that a generator copying its input would score.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metrics/metrics.hpp"

namespace ganzoo::metrics {

// Whether the model document describes an image-to-image model: inputs.image.domains.
bool is_translation_model(const nlohmann::json& doc);

// The domains' class names {A, B} from inputs.image.domains; throws std::runtime_error when absent.
std::vector<std::string> translation_domains(const nlohmann::json& doc);

// The held-out examples stored in the file (inputs.image.examples.A or .B) as [n, C, H, W] in
// [-1, 1]; throws std::runtime_error naming the field when missing or malformed.
Tensor stored_examples(const nlohmann::json& doc, const std::string& side, int64_t channels, int64_t height,
                       int64_t width);

// Runs `net` over images [n, C, H, W] in batches of `batch`.
Tensor translate_all(const Model& model, const Tensor& images, const std::string& net, int64_t batch = 250);

// The share of `predicted` equal to `target` (0 for none).
double target_fraction(const std::vector<int>& predicted, int target);
// mean |a − b| over all values (same shapes).
double mean_abs_difference(const Tensor& a, const Tensor& b);

struct TranslationEvalOptions {
    std::string data = "fashion-mnist";  // the test split's images of the two domains
    int64_t limit = 0;                   // the first `limit` images of each domain; 0: all
    std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// {"domains": [A, B], "count_a", "count_b", "target_fraction_ab", "target_fraction_ba",
//  "target_fraction_ab_untranslated", "target_fraction_ba_untranslated" (test A itself classified
//  as B, and the other way), "cycle_l1_a", "cycle_l1_b", "fd_ab", "fd_ba", "fd_untranslated",
//  "classes", "classifier_test_accuracy"}.
nlohmann::json evaluate_translation(const Model& model, const Classifier& classifier,
                                    const TranslationEvalOptions& options);

}  // namespace ganzoo::metrics
