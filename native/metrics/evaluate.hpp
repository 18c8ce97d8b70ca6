// `ganzoo eval`: a generator file's metrics against Fashion-MNIST's test split, through the
// inference core and the project's classifier (no LibTorch).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

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
    // Called as work advances: stage ("test", "floor", "generate", "classify", "swd"), done, total.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// Images of a dataset as a float tensor [n, C, H, W] in [-1, 1] (the first `limit`; 0: all).
Tensor dataset_images(const data::ImageDataset& ds, int64_t limit = 0);

// {"fd_fmnist", "fd_floor", "inception_score", "inception_score_test", "class_histogram",
//  "count", "classifier_test_accuracy", "swd" + "swd_floor" (×10³ per level, finest first) +
//  "swd_average" + "swd_floor_average" + "swd_resolutions", and per family: "class_accuracy" (cgan),
//  "code_class_accuracy" + "code_to_class" + "q_accuracy" (infogan)}.
nlohmann::json evaluate(const Model& generator, const Classifier& classifier, const EvalOptions& options);

}  // namespace ganzoo::metrics
