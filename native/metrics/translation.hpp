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
#include <string>
#include <vector>

#include "metrics/evaluate.hpp"
#include "metrics/metrics.hpp"

namespace ganzoo::metrics {

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

// The domains A and B are the model's (ModelInfo::domains); the untranslated target fractions are
// test A itself classified as B, and the other way.
TranslationMetrics evaluate_translation(const Model& model, const Classifier& classifier,
                                        const TranslationEvalOptions& options);

}  // namespace ganzoo::metrics
