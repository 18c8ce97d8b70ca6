// ganzoo trainer: what a test or a benchmark asks of a run besides training, passed in
// explicitly (TrainRequest::faults; `ganzoo train --fault SPEC`, repeatable, hidden from the
// help): faults injected at a chosen step, and figures recorded for a comparison. An empty plan
// changes nothing, and nothing is read from the environment.
//
//   loss:N             step N's batch gets a NaN pixel, so the step's losses turn NaN
//   grad:N             after step N's update, one gradient of the first network turns NaN
//                      (its losses stay finite)
//   die:R:N            rank R kills itself (SIGKILL, as a crash would) at the start of step N
//   hang:R:N           rank R stops answering (sleeps an hour) at the start of step N
//   parameters:DIR     at the end every rank writes its parameters to DIR/rank<R>.pt, an archive
//                      keyed "G.0.weight", ... (the data-parallel equivalence test compares them)
//   allreduce-probe:K  at the end of a data-parallel run, K back-to-back all-reduces of every
//                      parameter's size after a barrier, timed into summary.json
//                      (scripts/bench-dist.sh: the transfer alone, without waiting for a slower rank)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/family.hpp"

namespace ganzoo::train {

class FaultPlan {
public:
    // Adds one SPEC above; throws std::invalid_argument with one line naming it when malformed.
    void add(const std::string& spec);
    static FaultPlan parse(const std::vector<std::string>& specs);

    // At the start of step `step` (1-based) on `rank`: dies or hangs when planned.
    void before_step(int64_t rank, int64_t step) const;
    // Step `step`'s batch, before the member's train_step.
    void poison_batch(models::Batch& batch, int64_t step) const;
    // After step `step`'s train_step, before the non-finite check.
    void poison_gradients(models::GanFamily& family, int64_t step) const;
    // At the end of training, on every rank.
    void write_parameters(models::GanFamily& family, int64_t rank) const;
    int64_t allreduce_probe() const { return allreduce_probe_; }  // 0: none

private:
    int64_t nan_loss_step_ = 0, nan_gradient_step_ = 0;
    std::string rank_fault_;  // "die" or "hang"; empty: none
    int64_t fault_rank_ = -1, fault_step_ = -1;
    std::string parameters_dir_;
    int64_t allreduce_probe_ = 0;
};

}  // namespace ganzoo::train
