// ganzoo trainer: the run directory as the loop writes it: config.json, log.csv,
// checkpoints/latest.pt, samples/epoch_NNN.png, report.html and summary.json (README, "A run
// directory holds"). Only the writer (rank 0 of a data-parallel run) writes; on the other ranks
// every write does nothing, so the loop makes the same calls on every rank.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "models/average.hpp"
#include "models/family.hpp"
#include "train/files.hpp"

namespace ganzoo::train {

using json = nlohmann::json;

// What a checkpoint holds besides the model: the steps trained and the training time so far.
struct Checkpoint {
    int64_t step = 0;
    double wall_s = 0.0;
};

class StepLog;

class RunDirectory {
public:
    RunDirectory(std::string path, bool writer);
    ~RunDirectory();
    RunDirectory(const RunDirectory&) = delete;
    RunDirectory& operator=(const RunDirectory&) = delete;

    const std::string& path() const { return path_; }
    std::string checkpoints() const { return path_ + "/checkpoints"; }

    // A directory that already holds a run is refused unless resuming.
    void refuse_overwrite(bool resume) const;
    // The writer creates the folders, takes the run's lock (train.lock: one process trains here
    // at a time), removes temporaries a failed write left and checks again under the lock.
    void open(bool resume);

    void write_config(const json& config);
    // log.csv: a header from the first step's stats, then one row per step; resuming at
    // `resume_step` drops the rows after it.
    void open_log(int64_t resume_step);
    // critic_per_g > 0: a member that counts critic steps; log.csv's first column is then
    // critic_step and its last generator_step (GanFamily::critic_steps_per_generator_step).
    void log_step(int64_t step, int64_t epoch, const models::StepStats& stats, double images_per_s, double elapsed_s,
                  int64_t critic_per_g = 0);
    void flush_log();

    // Networks, optimizers, the generator average (when on) and `state`, checksummed and
    // written atomically; the log is flushed first.
    void save_checkpoint(models::GanFamily& family, const std::string& family_name, const models::GeneratorAverage* average,
                         const Checkpoint& state);
    // Every rank reads it. A checkpoint without an average (written before averaging was on)
    // starts the average at the loaded G.
    Checkpoint load_checkpoint(models::GanFamily& family, const std::string& family_name, models::GeneratorAverage* average,
                               torch::Device device) const;

    // The end of an epoch: samples/epoch_NNN.png (the averaged generator's when averaging is on)
    // and report.html.
    void write_epoch(models::GanFamily& family, models::GeneratorAverage* average, const json& options, int64_t epoch,
                     const std::string& family_name);
    void write_summary(const json& summary);

private:
    std::string path_;
    bool writer_;
    std::optional<RunLock> lock_;
    std::unique_ptr<StepLog> log_;
};

}  // namespace ganzoo::train
