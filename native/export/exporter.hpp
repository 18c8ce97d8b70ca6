// ganzoo trainer: LibTorch networks → the ganzoo weight file (docs/format.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ganzoo/safetensors.hpp"
#include "models/family.hpp"

namespace ganzoo::train {

struct ExportOptions {
    DType dtype = DType::F16;
    std::string family;        // "dcgan"
    std::string name;          // "dcgan-fashion-mnist"
    json dataset;              // {"name", "classes", "image": [C,H,W], "range": [lo, hi]}
    json training;             // {"command", "epochs", "steps", "device", "wall_time_s", "commit", "metrics"}
    uint64_t check_seed = 20240601;
    int64_t check_count = 4;
    int64_t check_values = 64;  // how many leading output values the golden case stores
};

// Translates every net of family.export_spec() into ops, folds batch norm into the layer
// before it, runs LibTorch (eval mode) on the portable latents of check_seed for the
// golden case, and returns the whole safetensors file.
std::vector<uint8_t> export_model(GanFamily& family, const ExportOptions& options);

// The same for any networks (the project's classifier): `check` is the golden case to store
// (the format of docs/format.md: net, seed, count, values, mean, l2, tolerance, ...), or null
// for none.
std::vector<uint8_t> export_graphs(const ExportSpec& spec, const ExportOptions& options, const json& check);

}  // namespace ganzoo::train
