// ganzoo core (private): what a Model holds, shared by model.cpp (load, run, generate, verify)
// and model_backward.cpp (the gradients), which check their inputs the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ganzoo/error.hpp"
#include "ganzoo/model.hpp"
#include "graph.hpp"

namespace ganzoo {

namespace detail {

// The golden case written by the exporter ("check").
struct CheckCase {
    std::string net = "G";
    uint64_t seed = 0;
    int64_t first_index = 0, count = 1;
    std::vector<int64_t> labels;
    std::map<std::string, std::vector<float>> codes;
    std::vector<double> values;
    double mean = 0, l2 = 0, tolerance = 0;
};

}  // namespace detail

struct Model::Impl {
    ModelInfo info;
    LoadLimits limits;
    graph::InputShapes inputs;
    std::map<std::string, graph::Net> nets;
    std::optional<detail::CheckCase> check;

    const graph::Net& net(const std::string& name, const char* caller) const {
        const auto it = nets.find(name);
        if (it == nets.end()) {
            std::string known;
            for (const auto& n : nets) known += (known.empty() ? "" : ", ") + n.first;
            throw Error(std::string(caller) + ": model has no net '" + name + "' (nets: " + known + ")");
        }
        return it->second;
    }

    // run()'s checks: the named inputs of `net` in its order, each of the shape it takes (a
    // label as class weights where the net allows them), one batch within the limits. Errors
    // start with `context` ("run: net 'G'").
    std::vector<Tensor> ordered_inputs(const graph::Net& net, const std::string& context,
                                       const std::map<std::string, Tensor>& inputs) const;

    // generate()'s request checked and made into the named inputs of net `net_name`: z given or
    // drawn, then truncated; labels or class weights; codes given or at their defaults. Errors
    // start with "generate: ".
    std::map<std::string, Tensor> request_inputs(const GenerateRequest& req, const std::string& net_name) const;

    // run_backward() and generate_backward() (model_backward.cpp): errors start with `caller`.
    RunGradients backward(const std::string& net_name, const std::map<std::string, Tensor>& inputs,
                          const OutputGradient& output_gradient, const char* caller) const;
};

}  // namespace ganzoo
