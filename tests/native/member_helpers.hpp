// What the member tests share: a network by its name, a network's parameters as one flat copy,
// a logged step statistic by its name, a batch of random images in [-1, 1], weights moved away
// from their init, and the largest difference between LibTorch's output and the inference core's.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "ganzoo/tensor.hpp"
#include "models/family.hpp"

// LibTorch pulls in glog, whose CHECK macro would shadow Catch's: Catch comes last.
#undef CHECK
#include <catch2/catch.hpp>

namespace ganzoo::models::testing {

inline std::shared_ptr<torch::nn::Module> network(GanFamily& family, const std::string& name) {
    for (auto& [n, module] : family.networks())
        if (n == name) return module;
    FAIL("no network " << name);
    return nullptr;
}

inline torch::Tensor flat_parameters(torch::nn::Module& module) {
    std::vector<torch::Tensor> parts;
    for (const auto& p : module.parameters()) parts.push_back(p.detach().flatten().clone());
    return torch::cat(parts);
}

inline double stat(const StepStats& stats, const std::string& name) {
    for (const auto& [n, v] : stats)
        if (n == name) return v;
    FAIL("no stat " << name);
    return 0;
}

inline Batch random_batch(int64_t n = 8) {
    Batch b;
    b.images = torch::rand({n, 1, 28, 28}) * 2 - 1;
    return b;
}

// Weights large enough that the exported nets' outputs span tanh's range (DCGAN's N(0, 0.02) init
// gives outputs near 0, where any error looks small), and random batch-norm affine maps and
// running statistics, so that the exporter's folding is really exercised (a fresh batch norm is
// the identity in eval mode): for a parity check that means something.
inline void randomize_weights(GanFamily& family) {
    torch::NoGradGuard no_grad;
    auto randomize = [](auto& bn) {
        if (bn.weight.defined()) bn.weight.uniform_(0.5, 1.5);
        if (bn.bias.defined()) bn.bias.normal_(0.0, 0.3);
        if (bn.running_mean.defined()) bn.running_mean.normal_(0.0, 0.3);
        if (bn.running_var.defined()) bn.running_var.uniform_(0.3, 2.0);
    };
    for (const auto& net : family.export_spec().nets) {
        for (auto& p : net.net->named_parameters())
            if (p.key().find("weight") != std::string::npos && p.value().dim() > 1)
                p.value().normal_(0.0, 1.5 / std::sqrt(double(p.value().numel() / p.value().size(0))));
        for (auto& module : net.net->modules()) {
            if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module)) randomize(*bn);
            if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(module)) randomize(*bn);
        }
    }
}

// max |expected - actual| over all elements; the two must hold as many.
inline double max_abs_diff(const torch::Tensor& expected, const ganzoo::Tensor& actual) {
    const auto e = expected.to(torch::kFloat).contiguous();
    REQUIRE(static_cast<size_t>(e.numel()) == actual.data.size());
    double worst = 0;
    for (int64_t i = 0; i < e.numel(); ++i) worst = std::max(worst, std::abs(double(e.data_ptr<float>()[i]) - actual.data[i]));
    return worst;
}

}  // namespace ganzoo::models::testing
