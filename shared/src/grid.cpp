// ganzoo core: plan_grid (ganzoo/grid.hpp), the one layout of every front end's grid.
#include "ganzoo/grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"

namespace ganzoo {

GridPlan plan_grid(const ModelInfo& info, const GridRequest& g, const LoadLimits& limits) {
    GridPlan plan;
    GenerateRequest& r = plan.request;
    r.net = g.net.empty() ? info.default_net() : g.net;
    const NetInfo* net = info.net(r.net);
    if (!net) throw Error("grid: the model has no net '" + r.net + "'");
    r.seed = g.seed;
    r.first_index = g.first_index;
    r.count = g.count;
    r.codes = g.codes;
    r.truncation = g.truncation;
    const std::vector<const InputInfo*> conditions = info.conditions(r.net);
    const InputInfo* label = nullptr;
    for (const InputInfo* c : conditions)
        if (c->kind == InputKind::Label) label = c;
    if (g.label && !label) throw Error("grid: net '" + r.net + "' takes no label, but one was given");
    if (g.label) r.labels = {*g.label};

    // The row variable: the class, or the first categorical code the request leaves out.
    const InputInfo* row = nullptr;
    if (label && !g.label) {
        row = label;
    } else {
        for (const InputInfo* c : conditions)
            if (!row && c->kind == InputKind::Categorical && !g.codes.count(c->name)) row = c;
    }
    // The sweep: NAME or NAME:INDEX of a continuous code.
    const InputInfo* swept = nullptr;
    if (!g.sweep.empty()) {
        const auto colon = g.sweep.find(':');
        const std::string name = g.sweep.substr(0, colon);
        for (const InputInfo* c : conditions)
            if (c->name == name && c->kind == InputKind::Continuous) swept = c;
        if (!swept) throw Error("sweep " + g.sweep + ": the model has no continuous code '" + name + "'");
        if (colon != std::string::npos) {
            char* end = nullptr;
            plan.sweep_index = std::strtoll(g.sweep.c_str() + colon + 1, &end, 10);
            if (colon + 1 == g.sweep.size() || *end != '\0' || plan.sweep_index < 0 || plan.sweep_index >= swept->size)
                throw Error("sweep " + g.sweep + ": index must be 0.." + std::to_string(swept->size - 1));
        }
        if (g.codes.count(name) && swept->size == 1) throw Error("sweep " + name + ": it is also fixed as a code");
        plan.sweep_input = name;
    }
    // Inputs with a default that the request leaves out take it.
    for (const InputInfo* c : conditions)
        if (!r.codes.count(c->name) && c != row && c->kind != InputKind::Label && !c->default_values.empty())
            r.codes[c->name] = c->default_values;

    if (!row && !swept) {  // plain: consecutive samples of the seed, square
        plan.columns = g.columns > 0 ? g.columns : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(g.count))));
        plan.rows = (g.count + plan.columns - 1) / plan.columns;
        for (int64_t i = 0; i < g.count; ++i) plan.latent_index.push_back(g.first_index + i);
        return plan;
    }

    plan.columns = g.columns > 0 ? g.columns : 10;
    plan.rows = row ? row->categories : std::max<int64_t>(1, g.count / plan.columns);
    plan.row_input = row ? row->name : "z";
    const int64_t n = plan.rows * plan.columns;
    if (n > limits.max_batch)
        throw Error("grid of " + std::to_string(n) + " samples: at most " + std::to_string(limits.max_batch) +
                    " (fewer columns)");
    r.count = n;
    // Latents: per column, or (in a sweep) per row when the rows are latents, else one for all.
    const int64_t dim = info.z_dim;
    if (net->takes("z")) r.z = Tensor::zeros({n, dim});
    for (int64_t i = 0; i < n; ++i) {
        const int64_t index = g.first_index + (swept ? (row ? 0 : i / plan.columns) : i % plan.columns);
        plan.latent_index.push_back(index);
        if (!r.z) continue;
        const Tensor one = normal_latents(g.seed, index, 1, dim);
        std::copy(one.data.begin(), one.data.end(), r.z->data.begin() + i * dim);
    }
    // Every code gets per-sample values: the row variable, the sweep, the fixed or default rest.
    for (const InputInfo* c : conditions) {
        if (c->kind == InputKind::Label) continue;
        const auto given = r.codes.find(c->name);
        if (c != row && given == r.codes.end()) continue;  // no default: generate() names it
        std::vector<float> one = c == row ? std::vector<float>(1, 0.0f) : given->second;
        std::vector<float> all;
        for (int64_t i = 0; i < n; ++i) {
            std::vector<float> v = one;
            if (c == row) v[0] = static_cast<float>(i / plan.columns);
            if (c == swept && static_cast<int64_t>(v.size()) == c->size)
                v[static_cast<size_t>(plan.sweep_index)] = static_cast<float>(
                    c->lo + (c->hi - c->lo) * (plan.columns > 1 ? double(i % plan.columns) / double(plan.columns - 1) : 0.5));
            all.insert(all.end(), v.begin(), v.end());
        }
        r.codes[c->name] = std::move(all);
    }
    if (row && row == label) {
        r.labels.clear();
        for (int64_t i = 0; i < n; ++i) r.labels.push_back(i / plan.columns);
    } else if (g.label) {
        r.labels = {*g.label};
    }
    plan.description = row ? "one row per " + std::string(row == label ? "class" : "value of " + row->name)
                           : "one row per latent";
    if (swept) plan.description += ", columns sweep " + swept->name + "[" + std::to_string(plan.sweep_index) + "]";
    return plan;
}

}  // namespace ganzoo
