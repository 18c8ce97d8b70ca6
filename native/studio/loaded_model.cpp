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

namespace {

// The nets fed by z whose other inputs the studio has controls for (a class, codes): not an image.
std::vector<const ganzoo::NetInfo*> generators(const ganzoo::ModelInfo& info) {
    std::vector<const ganzoo::NetInfo*> nets;
    for (const ganzoo::NetInfo& n : info.net_info) {
        if (!n.takes("z")) continue;
        bool drivable = true;
        for (const ganzoo::InputInfo* in : info.conditions(n.name))
            drivable = drivable && in->kind != ganzoo::InputKind::Image;
        if (drivable) nets.push_back(&n);
    }
    return nets;
}

}  // namespace

std::string nothing_to_draw(const ganzoo::ModelInfo& info) {
    if (info.translates()) {
        if (info.domains[0].count == 0 || info.domains[1].count == 0)
            return "a CycleGAN file needs inputs.image.examples with domains A and B (docs/format.md)";
        return "";
    }
    if (generators(info).empty()) return "no generator in this file (no net takes z, no G_AB/G_BA pair)";
    return "";
}

LoadedModel describe(std::shared_ptr<const ganzoo::Model> model, const std::string& title, const std::string& path) {
    LoadedModel m;
    m.model = std::move(model);
    m.title = title;
    m.path = path;
    const ganzoo::ModelInfo& info = m.info();
    if (const std::string why = nothing_to_draw(info); !why.empty()) throw std::runtime_error(why);
    auto height = [](const ganzoo::NetInfo& n) { return n.output_shape.size() == 3 ? n.output_shape[1] : INT64_MAX; };
    std::vector<const ganzoo::NetInfo*> stages = generators(info);
    std::stable_sort(stages.begin(), stages.end(),
                     [&](const ganzoo::NetInfo* a, const ganzoo::NetInfo* b) { return height(*a) < height(*b); });
    for (const ganzoo::NetInfo* n : stages) m.stages.push_back(n->name);
    m.cycle = info.translates();
    return m;
}

}  // namespace ganzoo::studio
