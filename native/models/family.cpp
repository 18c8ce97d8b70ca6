#include "models/family.hpp"

#include <stdexcept>

namespace ganzoo::train {

namespace {
std::vector<FamilyInfo>& registry() {
    static std::vector<FamilyInfo> list;
    return list;
}
}  // namespace

bool register_family(FamilyInfo info) {
    registry().push_back(std::move(info));
    return true;
}

const std::vector<FamilyInfo>& families() { return registry(); }

std::unique_ptr<GanFamily> make_family(const std::string& name) {
    std::string known;
    for (const auto& info : registry()) {
        if (info.name == name) return info.make();
        known += (known.empty() ? "" : ", ") + info.name;
    }
    throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
}

void init_dcgan_weights(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& m : module.modules(/*include_self=*/true)) {
        const std::string kind = m->name();
        const bool is_norm = kind.find("BatchNorm") != std::string::npos;
        const bool is_weighted = kind.find("Conv") != std::string::npos ||
                                 kind.find("Linear") != std::string::npos;
        if (!is_norm && !is_weighted) continue;
        for (auto& p : m->named_parameters(/*recurse=*/false)) {
            if (p.key() == "weight") {
                if (is_norm)
                    p.value().normal_(1.0, 0.02);
                else
                    p.value().normal_(0.0, 0.02);
            } else if (p.key() == "bias") {
                p.value().zero_();
            }
        }
    }
}

}  // namespace ganzoo::train
