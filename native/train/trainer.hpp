// ganzoo trainer: the loop every family member shares.
//
// A run directory holds config.json (every resolved option), log.csv (one row per step),
// samples/epoch_NNN.png (the same 64 portable latents every epoch), checkpoints/latest.pt
// (written atomically: networks, optimizers, step, accumulated time), report.html (curves
// and grids, rewritten every epoch) and, at the end, summary.json. Randomness is derived from (seed, step) and (seed, epoch), so a resumed
// run on the CPU continues exactly as the uninterrupted one would.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "data/dataset.hpp"
#include "dist/data_parallel.hpp"
#include "models/average.hpp"
#include "models/family.hpp"
#include "train/live.hpp"
#include "train/fault_plan.hpp"

namespace ganzoo::train {

using json = nlohmann::json;

struct TrainRequest {
    std::string family;    // "dcgan"
    json overrides;        // options given by the user (loop options and the recipe's)
    std::string out;       // run directory; empty = runs/<family>-<timestamp>
    bool resume = false;   // continue from out/checkpoints/latest.pt
    std::string command;   // the command line, recorded in config.json
    // Data-parallel training (docs/distributed.md): this process is rank dist.rank of
    // dist.world_size, each with `batch` images of a global batch of batch × world_size; only
    // rank 0 writes the run directory. The default is one process.
    dist::Options dist;
    // Faults to inject and figures to record, for tests and benchmarks (train/fault_plan.hpp).
    FaultPlan faults;
    // Live snapshots for `ganzoo serve` and the studio (train/live.hpp); off by default.
    LiveSettings live;
};

// Thrown by run_training when SIGINT or SIGTERM stopped the run cleanly: the checkpoint is
// written and the notice printed. The CLI exits 128 + `signal` (130 for Ctrl-C), as a shell
// reports a process that the signal ended, with no error line.
struct Interrupted : std::runtime_error {
    explicit Interrupted(int signal_number)
        : std::runtime_error("interrupted by signal " + std::to_string(signal_number)), signal(signal_number) {}
    int signal;
};

struct TrainSummary {
    std::string run_dir;
    int64_t steps = 0;
    double wall_s = 0.0;
    double images_per_s = 0.0;   // over the steps after the first 5 (warm-up)
    std::string blas;
    std::string device;
    int64_t rank = 0, world_size = 1;
    std::string backend;                  // "gloo" or "nccl" when world_size > 1
    double allreduce_ms_per_step = 0.0;   // gradient all-reduce wall time per step (after warm-up)
    int64_t gradient_bytes_per_step = 0;  // gradient bytes each rank all-reduces per step
};

// Loop options with their defaults; the family's recipe adds its own.
json loop_defaults();
// Every command that trained a run (config.json): the first, then each --resume's.
json run_commands(const json& config);

// Trains; throws std::exception with a one-line message on bad options or data.
TrainSummary run_training(const TrainRequest& request);

// What `request` would train with, without training or writing anything (train --print-config):
// {"family", "command", "options"} with every key, the member's defaults under the request's
// overrides; for --resume, the run's config.json with the lengths the request changes.
json resolved_config(const TrainRequest& request);

// Builds the family described by a run directory's config.json and loads its newest
// checkpoint (on the CPU unless `device` says otherwise). Returns the config too.
// With averaging on (the recipe's `ema`), `average` holds the generator average, attached to
// the family: export and sampling use average->apply(average_refresh_seed(options)).
struct LoadedRun {
    json config;
    std::unique_ptr<models::GanFamily> family;
    std::unique_ptr<models::GeneratorAverage> average;  // null: averaging is off
    int64_t step = 0;      // steps trained so far
    double wall_s = 0.0;   // training time so far
};
LoadedRun load_run(const std::string& run_dir, torch::Device device = torch::kCPU);

// Helpers shared with the CLI and tests.
torch::Device resolve_device(const std::string& name);  // auto | cpu | cuda | cuda:N
std::string loaded_blas();                               // e.g. "openblas-pthread"
std::string source_commit();                             // git describe of the source tree, or "unknown"
uint64_t step_seed(uint64_t seed, int64_t step);         // what torch::manual_seed gets before a step
// The seed of the generated batches that re-estimate the averaged generator's batch-norm
// statistics (models/average.hpp): the same for the run's grids and its export.
uint64_t average_refresh_seed(const json& options);
// Dataset pixels (uint8 NCHW) → float in [-1, 1].
torch::Tensor images_to_float(const torch::Tensor& pixels);

}  // namespace ganzoo::train
