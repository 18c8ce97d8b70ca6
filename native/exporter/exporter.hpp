// ganzoo trainer: LibTorch networks → the ganzoo weight file (docs/format.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ganzoo/safetensors.hpp"
#include "models/average.hpp"
#include "models/family.hpp"

namespace ganzoo::exporter {

using json = nlohmann::json;
using models::ExportSpec;
using models::GanFamily;
using models::GeneratorAverage;

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

// How a run's generator is exported (`ganzoo export`, and `ganzoo train --live`'s snapshots).
struct RunExportOptions {
    DType dtype = DType::F16;
    std::string name;    // empty: <family>-<dataset>
    bool raw = false;    // the live generator even when the run keeps an average
    std::string device;  // the device the run trained on, when known better than its options say
};

// The ganzoo file of a run's generator after `step` steps (wall_s of training): the options and
// the training record come from the run's config.json (`config`), the averaged generator is
// exported when `average` is given and not `raw` (its batch-norm statistics re-estimated as for
// the run's grids). Returns the file's bytes.
std::vector<uint8_t> export_run(GanFamily& family, GeneratorAverage* average, const json& config, int64_t step,
                                double wall_s, const RunExportOptions& how);

}  // namespace ganzoo::exporter
