// The model card's text (the "Model card" window, and the state the tests read): what the file
// says about itself, and its measured metrics as a table of names and rounded values, never the
// raw numbers (8.940413595584033 is "FD-FMNIST 8.94", 0.9025 as an accuracy "90.3 %"), and a
// notice when the member is below the project's baseline.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loaded_model.hpp"

namespace ganzoo::studio {

struct CardRow {
    std::string name, value;  // as shown: "FD-FMNIST", "8.94"
    std::string detail;       // on hover: the metric's key and its value in full
};

struct Card {
    std::vector<CardRow> about;     // family, name, dataset, nets
    std::vector<CardRow> training;  // the file's training record: command, epochs, steps, ...
    std::vector<CardRow> file_metrics, manifest_metrics;
    bool has_training = false;
    std::string notice;  // below the baseline: by how much, and the member's page; else empty
};

// The card of `m`, with the metrics of its manifest entry (`manifest`: the entry, or null) and
// the notice from the manifest's `baseline` (or null).
Card model_card(const LoadedModel& m, const nlohmann::json& manifest, const nlohmann::json& baseline = nullptr);

// The project's quality bar, as the page and the widget apply it (web/baseline.js): a member whose
// fd_fmnist or swd_average (the manifest entry's metrics) is higher than the baseline's (the
// manifest's top-level "baseline", the 2-epoch DCGAN's) is below it. The notice names the worse
// metrics against the bar and the member's page, docs/members/FAMILY.md; "" when neither is worse
// or the numbers are missing (CycleGAN has neither).
std::string baseline_notice(const nlohmann::json& entry, const nlohmann::json& baseline);

// A metrics object as rows: the known metrics first, named and rounded (3 significant digits; an
// accuracy or a fraction of 0..1 as a percentage with one decimal; a short list as "a / b / c"),
// then any other number or short list by its key. What describes the measurement rather than
// the model (seeds, counts, class lists, histograms, notes) is left out.
std::vector<CardRow> metric_rows(const nlohmann::json& metrics);

// A number to 3 significant digits, without an exponent for 0.001 <= |v| < 10^15: 8.94, 19.0,
// 125, 0.0704, 6958.
std::string round_sig(double v);

}  // namespace ganzoo::studio
