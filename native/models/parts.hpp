// What the members share beyond GanFamily's interface: a checkpoint's parts (each module and
// optimizer as a sub-archive under its name, counters as 0-d double tensors) and the recipe's
// Adam. GeneratorCritic (family.cpp), ProGAN and CycleGAN write and read their checkpoints with
// these, so that the layout of a checkpoint is decided in one place.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "models/family.hpp"

namespace ganzoo::models {

// parts: (name, pointer to a module or an optimizer), e.g. {{"G", G_.get()}, {"D", D_.get()}}.
template <class T>
using NamedParts = std::vector<std::pair<std::string, T*>>;

template <class T>
void write_parts(torch::serialize::OutputArchive& archive, const NamedParts<T>& parts) {
    for (const auto& [name, part] : parts) {
        torch::serialize::OutputArchive sub;
        part->save(sub);
        archive.write(name, sub);
    }
}

template <class T>
void read_parts(torch::serialize::InputArchive& archive, const NamedParts<T>& parts) {
    for (const auto& [name, part] : parts) {
        torch::serialize::InputArchive sub;
        archive.read(name, sub);
        part->load(sub);
    }
}

inline void write_number(torch::serialize::OutputArchive& archive, const std::string& name, double value) {
    archive.write(name, torch::tensor(value, torch::TensorOptions().dtype(torch::kDouble)));
}

inline double read_number(torch::serialize::InputArchive& archive, const std::string& name) {
    torch::Tensor t;
    archive.read(name, t);
    return t.item<double>();
}

// Adam with the recipe's `lr`, `beta1` and `beta2`.
inline torch::optim::AdamOptions recipe_adam(const json& config) {
    return torch::optim::AdamOptions(config_value<double>(config, "lr"))
        .betas({config_value<double>(config, "beta1"), config_value<double>(config, "beta2")});
}

}  // namespace ganzoo::models
