// The project's Fashion-MNIST classifier: what the metrics (FD-FMNIST, the classifier Inception
// Score, cGAN class accuracy, InfoGAN code-to-class accuracy) look at images through.
//
// `ganzoo train-classifier` trains it with LibTorch and exports it into a ganzoo file with two
// nets, run by the inference core like any generator:
//   "features": image [C, H, W] in [-1, 1] → the penultimate features (FD-FMNIST's space);
//   "logits":   features → one logit per class.
// Its test accuracy is in the file's metadata (training.metrics.test_accuracy).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "models/family.hpp"

namespace ganzoo::metrics {

struct ClassifierOptions {
    std::string data = "fashion-mnist";
    std::string output = "web/models/classifier.safetensors";
    int64_t epochs = 6;
    int64_t batch = 128;
    double lr = 2e-3;
    uint64_t seed = 1;
    int threads = 0;  // 0: LibTorch's default
    int64_t limit = 0;  // train on the first `limit` images only (smoke tests); 0: all
    std::string command;  // the command line, stored in the file
};

struct ClassifierResult {
    double test_accuracy = 0;  // on the whole test split
    double wall_s = 0;
    int64_t steps = 0;
};

// The two parts of the network (features then logits), built for `shape` and `classes`.
struct ClassifierNets {
    torch::nn::Sequential features{nullptr}, logits{nullptr};
};
ClassifierNets make_classifier(const models::ImageShape& shape, int64_t classes, int64_t feature_dim = 128);

// Trains on the train split (random horizontal flips), measures the test split after each
// epoch, prints one line per epoch and writes `output` atomically (F16).
ClassifierResult train_classifier(const ClassifierOptions& options);

}  // namespace ganzoo::metrics
