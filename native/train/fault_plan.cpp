#include "train/fault_plan.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace ganzoo::train {
namespace {

// A whole number >= minimum, or an error naming the spec.
int64_t count_in(const std::string& text, const std::string& spec, int64_t minimum) {
    size_t used = 0;
    long long value = -1;
    try {
        value = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || value < minimum)
        throw std::invalid_argument("--fault " + spec + ": expected a whole number >= " + std::to_string(minimum) +
                                    ", got '" + text + "'");
    return value;
}

}  // namespace

void FaultPlan::add(const std::string& spec) {
    const auto colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    const std::string rest = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
    if (colon == std::string::npos || rest.empty())
        throw std::invalid_argument("--fault " + spec +
                                    ": expected loss:N, grad:N, die:R:N, hang:R:N, parameters:DIR or allreduce-probe:K");
    if (kind == "loss") {
        nan_loss_step_ = count_in(rest, spec, 1);
    } else if (kind == "grad") {
        nan_gradient_step_ = count_in(rest, spec, 1);
    } else if (kind == "die" || kind == "hang") {
        const auto second = rest.find(':');
        if (second == std::string::npos) throw std::invalid_argument("--fault " + spec + ": expected " + kind + ":RANK:STEP");
        rank_fault_ = kind;
        fault_rank_ = count_in(rest.substr(0, second), spec, 0);
        fault_step_ = count_in(rest.substr(second + 1), spec, 1);
    } else if (kind == "parameters") {
        parameters_dir_ = rest;
    } else if (kind == "allreduce-probe") {
        allreduce_probe_ = count_in(rest, spec, 1);
    } else {
        throw std::invalid_argument("--fault " + spec + ": unknown fault '" + kind +
                                    "' (loss, grad, die, hang, parameters, allreduce-probe)");
    }
}

FaultPlan FaultPlan::parse(const std::vector<std::string>& specs) {
    FaultPlan plan;
    for (const auto& spec : specs) plan.add(spec);
    return plan;
}

void FaultPlan::before_step(int64_t rank, int64_t step) const {
    if (rank_fault_.empty() || rank != fault_rank_ || step != fault_step_) return;
    if (rank_fault_ == "die") ::kill(::getpid(), SIGKILL);
    if (rank_fault_ == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
}

void FaultPlan::poison_batch(models::Batch& batch, int64_t step) const {
    if (step == nan_loss_step_) batch.images[0].fill_(NAN);
}

void FaultPlan::poison_gradients(models::GanFamily& family, int64_t step) const {
    if (step != nan_gradient_step_ || family.networks().empty()) return;
    torch::NoGradGuard no_grad;
    for (auto& p : family.networks().front().second->parameters())
        if (p.grad().defined()) {
            p.grad().view(-1)[0].fill_(NAN);
            return;
        }
}

void FaultPlan::write_parameters(models::GanFamily& family, int64_t rank) const {
    if (parameters_dir_.empty()) return;
    torch::serialize::OutputArchive archive;
    for (const auto& [name, module] : family.networks())
        for (const auto& p : module->named_parameters()) archive.write(name + "." + p.key(), p.value().detach().cpu());
    std::filesystem::create_directories(parameters_dir_);
    archive.save_to(parameters_dir_ + "/rank" + std::to_string(rank) + ".pt");
}

}  // namespace ganzoo::train
