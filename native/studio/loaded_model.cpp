#include "loaded_model.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace ganzoo::studio {

std::string domain_title(const ganzoo::Domain& d) { return d.name + " (" + d.class_name + ")"; }

std::vector<const ganzoo::InputInfo*> net_codes(const ganzoo::ModelInfo& info, const std::string& net) {
    std::vector<const ganzoo::InputInfo*> codes;
    for (const ganzoo::InputInfo* in : info.conditions(net))
        if (in->kind == ganzoo::InputKind::Categorical || in->kind == ganzoo::InputKind::Continuous) codes.push_back(in);
    return codes;
}

LoadedModel describe(std::shared_ptr<const ganzoo::Model> model, const std::string& title, const std::string& path) {
    LoadedModel m;
    m.model = std::move(model);
    m.title = title;
    m.path = path;
    const ganzoo::ModelInfo& info = m.info();
    auto height = [](const ganzoo::NetInfo& n) { return n.output_shape.size() == 3 ? n.output_shape[1] : INT64_MAX; };
    std::vector<const ganzoo::NetInfo*> generators;
    for (const ganzoo::NetInfo& n : info.net_info)
        if (n.takes("z")) generators.push_back(&n);
    std::stable_sort(generators.begin(), generators.end(),
                     [&](const ganzoo::NetInfo* a, const ganzoo::NetInfo* b) { return height(*a) < height(*b); });
    for (const ganzoo::NetInfo* n : generators) m.stages.push_back(n->name);
    m.cycle = info.translates();
    if (m.cycle && (info.domains[0].count == 0 || info.domains[1].count == 0))
        throw std::runtime_error("a CycleGAN file needs inputs.image.examples with domains A and B (docs/format.md)");
    if (m.stages.empty() && !m.cycle)
        throw std::runtime_error("no generator in this file (no net takes z, no G_AB/G_BA pair)");
    return m;
}

}  // namespace ganzoo::studio
