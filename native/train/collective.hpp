// ganzoo trainer: what the loop asks of the other processes of a data-parallel run
// (docs/distributed.md). In one process there are none, and every call does nothing: the loop
// is written once, for both. In a process group every call is a collective: each rank makes the
// same calls in the same order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dist/data_parallel.hpp"
#include "models/family.hpp"

namespace ganzoo::train {

using json = nlohmann::json;

// One step's communication: the wall time of its gradient all-reduces and the bytes they moved.
struct StepTraffic {
    double seconds = 0;
    int64_t bytes = 0;
};

class Collective {
public:
    virtual ~Collective() = default;
    virtual int64_t rank() const { return 0; }
    virtual int64_t world_size() const { return 1; }

    // Makes every optimizer of `family` average its gradients over the ranks and records the
    // group in config["distributed"]; one process drops that record (a distributed run resumed
    // by one process). Throws when the member cannot train data-parallel.
    virtual void join(models::GanFamily& /*family*/, const std::string& /*name*/, json& config, int64_t /*global_batch*/) {
        config.erase("distributed");
    }
    // Rank 0's weights and buffers on every rank.
    virtual void share_networks(models::GanFamily& /*family*/) {}
    // Batch-norm running estimates (each rank normalises its own shard, as DDP without
    // SyncBatchNorm) averaged over the ranks, before rank 0 samples or saves.
    virtual void average_buffers(models::GanFamily& /*family*/) {}
    // Where this rank's `batch` rows sit in the step's global batch.
    virtual models::BatchShard shard(int64_t /*batch*/) const { return {}; }

    // After a step: the logged figures become the global batch's (a NaN on any rank reaches
    // all, and an "allreduce_ms" column is added) and a stop asked of any rank reaches all.
    virtual StepTraffic agree(models::StepStats& /*stats*/, bool /*interrupted*/) { return {}; }
    // Whether to stop before the next step. One process stops at a signal as soon as it sees
    // it; a group only on the flag agree() shared, so that no rank enters a collective the
    // others skip.
    virtual bool stop(bool interrupted) const { return interrupted; }
    virtual void barrier() {}

    // What the banner adds: " (2 ranks x 64, gloo)"; nothing in one process.
    virtual std::string describe(int64_t /*batch*/) const { return ""; }
    // Times `repetitions` all-reduces of every parameter's size after a barrier (FaultPlan's
    // allreduce-probe), for the summary.
    virtual void probe(models::GanFamily& /*family*/, int64_t /*repetitions*/) {}
    // The group's figures in summary.json (world size, backend, all-reduce time per step, ...).
    virtual void summarise(json& /*summary*/, double /*allreduce_ms_per_step*/, int64_t /*bytes_per_step*/) const {}
    virtual std::string backend() const { return ""; }
    // On an error: a process group whose peers are gone can block in its destructor, so it is
    // left to the process's exit (ganzoo's main exits with _Exit once a group was created).
    virtual void abandon() {}
};

// One process (Collective itself) or a process group joined with `options`.
std::unique_ptr<Collective> make_collective(const dist::Options& options, torch::Device device);

}  // namespace ganzoo::train
