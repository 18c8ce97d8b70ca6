// What the member tests share: a network by its name, a network's parameters as one flat copy,
// a logged step statistic by its name, a batch of random images in [-1, 1], and the largest
// difference between LibTorch's output and the inference core's.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "ganzoo/tensor.hpp"
#include "models/family.hpp"

// LibTorch pulls in glog, whose CHECK macro would shadow Catch's: Catch comes last.
#undef CHECK
#include <catch2/catch.hpp>

namespace ganzoo::train::testing {

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

// max |expected - actual| over all elements; the two must hold as many.
inline double max_abs_diff(const torch::Tensor& expected, const ganzoo::Tensor& actual) {
    const auto e = expected.to(torch::kFloat).contiguous();
    REQUIRE(static_cast<size_t>(e.numel()) == actual.data.size());
    double worst = 0;
    for (int64_t i = 0; i < e.numel(); ++i) worst = std::max(worst, std::abs(double(e.data_ptr<float>()[i]) - actual.data[i]));
    return worst;
}

}  // namespace ganzoo::train::testing
