// ganzoo core: the layout of a grid of samples, planned once for every front end (the CLI's
// `sample`, the studio, the web page and the widget), so that the same request draws the same
// cells everywhere.
//
//   A plain grid: samples first .. first+count-1 of the seed, `columns` wide (default: square).
//   Rows: when the net takes a label that the request leaves out, one row per class; else when it
//   takes a categorical code left out, one row per value of the first such code (in the net's order).
//   Each column holds one latent (sample first+column of the seed), the same in every row, so a
//   column shows one "style" in every class. Default: 10 columns.
//   A sweep: a continuous code's value (one of its dimensions) runs along the columns from its
//   range's low end to its high end; the rows are then the classes or code values, or else
//   count/columns latents (sample first+row).
//   Every other input takes the request's value or its default (InputInfo::default_values).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ganzoo/model.hpp"

namespace ganzoo {

struct GridRequest {
    std::string net;               // empty: ModelInfo::default_net()
    uint64_t seed = 0;
    int64_t first_index = 0;
    int64_t count = 64;            // a plain grid's samples; a sweep over latents: rows x columns
    int64_t columns = 0;           // 0: square for a plain grid, 10 with rows
    std::optional<int64_t> label;  // one class for every cell; none: one row per class
    std::map<std::string, std::vector<float>> codes;  // codes fixed for every cell: one sample's values
    std::string sweep;             // "NAME" or "NAME:INDEX": a continuous code swept along the columns
    float truncation = 1.0f;       // GenerateRequest::truncation, for every cell
};

struct GridPlan {
    // What to generate: count = rows x columns; z explicit (per column, or per row in a sweep over
    // latents) except in a plain grid (seed, first_index); labels and codes one per sample.
    GenerateRequest request;
    int64_t columns = 0, rows = 0;
    std::vector<int64_t> latent_index;  // cell i's z is sample latent_index[i] of the seed
    std::string row_input;    // "label", a categorical code, "z" (a sweep's latent rows); empty: plain
    std::string sweep_input;  // the swept code, or empty
    int64_t sweep_index = 0;  // and its swept dimension
    std::string description;  // "one row per class, columns sweep c_cont[1]"; empty for a plain grid
};

// Throws ganzoo::Error for a request the model cannot take: a label for a net without one, a sweep
// of something other than a continuous code, a grid of more than LoadLimits::max_batch samples.
GridPlan plan_grid(const ModelInfo& info, const GridRequest& request, const LoadLimits& limits = {});

}  // namespace ganzoo
