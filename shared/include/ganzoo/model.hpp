// ganzoo core: load an exported ganzoo-graph safetensors file and run it.
//
//   auto model = ganzoo::Model::load(bytes.data(), bytes.size());
//   ganzoo::GenerateRequest req; req.seed = 7; req.count = 64;
//   ganzoo::Tensor images = model.generate(req);   // [64, C, H, W] in info().range
//
// What the core does not do: training, autograd, file or network I/O, GPUs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ganzoo/limits.hpp"
#include "ganzoo/tensor.hpp"

namespace ganzoo {

struct ModelInfo {
    int version = 0;
    std::string family;                   // "dcgan", ...
    std::string name;
    std::string dataset;                  // "fashion-mnist", or a folder name
    std::vector<std::string> class_names;
    int64_t channels = 0, height = 0, width = 0;
    float range_lo = -1.0f, range_hi = 1.0f;
    int64_t z_dim = 0;                    // 0 when the model takes no z
    int64_t num_classes = 0;              // > 0 when the model takes a `label` input
    std::vector<std::string> nets;        // graph names, e.g. {"G"}
    std::string metadata_json;            // the whole "ganzoo" metadata document
};

struct GenerateRequest {
    uint64_t seed = 0;
    int64_t first_index = 0;   // sample indices first_index .. first_index+count-1
    int64_t count = 1;
    std::optional<Tensor> z;   // explicit latents [count, z_dim]; replaces the seed's
    std::vector<int64_t> labels;  // conditional models: one label for all, or one per sample
    // The net's other inputs by name (InfoGAN's codes "c_cat", "c_cont"): one sample's values,
    // used for every sample, or all count samples' values, row-major. A categorical input
    // (declared with "categories": K) takes whole numbers 0..K-1.
    std::map<std::string, std::vector<float>> codes;
    // The net to run; empty: "G", or the file's first net when it has none (CycleGAN's "G_AB").
    std::string net;
};

struct CheckResult {
    bool passed = false;
    double max_abs_diff = 0.0;   // over the stored values
    double mean_diff = 0.0;      // |mean - expected mean|
    double l2_rel_diff = 0.0;    // |l2 - expected l2| / max(1, expected l2)
    double tolerance = 0.0;
    std::string message;         // one line
};

class Model {
public:
    // Parses and validates everything (container, graph JSON, every op's tensors and
    // shapes, limits) before allocating activations. Throws ganzoo::Error.
    static Model load(const uint8_t* bytes, size_t size, const LoadLimits& limits = {});

    const ModelInfo& info() const;

    // Runs one graph on named inputs (each [N, ...]); returns its output.
    Tensor run(const std::string& net, const std::map<std::string, Tensor>& inputs) const;

    // Latents from the portable RNG (or req.z), labels if conditional, then runs req.net.
    Tensor generate(const GenerateRequest& req) const;

    // Image-to-image nets (CycleGAN's "G_AB", "G_BA"): runs `net`, whose one input is "image",
    // on images [N, C, H, W] in info().range; returns [N, C, H, W].
    Tensor translate(const Tensor& images, const std::string& net) const;

    // Re-runs the golden case stored by the exporter ("check" in the metadata). Passed when
    // max_abs_diff, mean_diff and l2_rel_diff are all <= tolerance (docs/format.md). Never
    // throws for a failing check: passed=false and a message (also "no check stored").
    CheckResult verify() const;

    Model(Model&&) noexcept;
    Model& operator=(Model&&) noexcept;
    ~Model();

private:
    struct Impl;
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ganzoo
