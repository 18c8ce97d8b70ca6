// `ganzoo train --live`: the run's newest generator and status, for `ganzoo serve` and
// `ganzoo-studio --follow` to show while it trains.
//
//   RUN/live/latest.safetensors   the generator (the averaged one when the run keeps one), a
//                                 ganzoo file with its golden check like any export, replaced
//                                 atomically (written beside it, then renamed): a reader opens
//                                 either the old file or the new one, whole (not fsynced: a
//                                 power loss may lose the newest, never tear the one a reader has)
//   RUN/live/status.json          state (training | finished | stopped), step, steps, epoch,
//                                 epochs, images_per_s, elapsed_s, eta_s, the newest losses,
//                                 the member's own signal (the Wasserstein estimate, M_global,
//                                 k_t, ...), the snapshot's step and what it cost, and the time
//
// A snapshot is written every `every_steps` steps or `every_seconds` seconds of training,
// whichever comes first, and at the end; the status with every logged row.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ganzoo::train {

struct LiveSettings {
    int64_t every_steps = 0;     // 0: by time only
    double every_seconds = 0.0;  // 0: by steps only; both 0: off
    bool on() const { return every_steps > 0 || every_seconds > 0.0; }
};

// "--live", "--live 30s", "--live 500" (steps), "--live 2m": throws std::runtime_error on anything
// else. An empty text is the default, every 30 seconds.
LiveSettings parse_live(const std::string& text);

// The logged values a member reports about its own game, shown beside the losses.
bool is_member_signal(const std::string& key);

class LiveWriter {
public:
    // `fixed`: what does not change over the run (family, run, steps, epochs, sample_seed).
    LiveWriter(std::string run_dir, LiveSettings settings, nlohmann::json fixed);

    // After a step: whether a snapshot is due at `step` with `elapsed_s` of training.
    bool snapshot_due(int64_t step, double elapsed_s) const;

    // Writes the snapshot `make()` returns, then the status. `progress`: step, epoch,
    // images_per_s, elapsed_s, eta_s and `row`, the step's logged values.
    void snapshot(int64_t step, double elapsed_s, const std::function<std::vector<uint8_t>()>& make,
                  const nlohmann::json& progress);
    // Rewrites the status alone (with every logged row).
    void status(const nlohmann::json& progress, const std::string& state = "training");

    double seconds_spent() const { return spent_s_; }  // writing snapshots and statuses so far
    int64_t last_snapshot_step() const { return last_step_; }  // -1: none yet
    int64_t snapshots() const { return snapshots_; }

private:
    std::string dir_;
    LiveSettings settings_;
    nlohmann::json fixed_;
    nlohmann::json last_snapshot_;
    int64_t last_step_ = -1;
    double last_s_ = 0.0;
    double spent_s_ = 0.0;
    int64_t snapshots_ = 0;
};

}  // namespace ganzoo::train
