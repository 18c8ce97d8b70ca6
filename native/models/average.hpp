// Generator averaging: an exponential moving average (EMA) of the generators' weights, kept beside
// the live ones. ProGAN's paper evaluates and ships only the average (Karras et al. 2018, §A.1,
// β = 0.999); Yazıcı et al. 2019 ("The Unusual Effectiveness of Averaging in GAN Training") show
// it helps every GAN family at no training cost. One mechanism for every member, driven by two
// recipe keys (docs/members/*.md give each member's default and its ablation):
//   ema        the decay β; 0 = off
//   ema_start  the step before which the average simply follows G (0: from the first step)
//
// Batch norm: the averaged weights need their own running statistics. They are re-estimated on
// generated batches whenever the average is used (sample grids, export), not averaged or copied
// from the live G: on a 2-epoch DCGAN (docs/averaging.md), the live G's statistics with averaged
// weights gave FD 43.5 against 15.3 re-estimated, and averaged statistics are the statistics of
// no network that exists.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/family.hpp"

namespace ganzoo::models {

struct AverageSettings {
    double decay = 0.0;  // β; 0 = off
    int64_t start = 0;   // through this step the average is G itself
    bool enabled() const { return decay > 0.0; }
};

// `ema` and `ema_start` of a resolved config (absent: off). Throws std::invalid_argument naming the
// key when a value is out of range: ema in [0, 1), ema_start >= 0.
AverageSettings average_settings(const json& config);

// The decay used after `step` finished steps (1, 2, ...): 0 through step `start` (the average
// copies G), then min(β, (1 + t) / (10 + t)) with t = step − start, the warm-up of TensorFlow's
// ExponentialMovingAverage(num_updates), so that the average forgets G's random start quickly.
double average_decay(const AverageSettings& settings, int64_t step);

// How many generated images re-estimate the averaged generator's batch-norm statistics:
// kRefreshBatches batches of kRefreshRows.
inline constexpr int64_t kRefreshBatches = 16, kRefreshRows = 256;

// Re-estimates the running statistics of every batch-norm layer in `networks` from generated
// batches: the statistics are reset and accumulated as a plain average over the batches
// (momentum unset), drawing z from the portable latents of `seed` and the member's other inputs
// from GanFamily::prior_inputs, so that the global random stream is untouched. Returns how
// many layers it re-estimated (0: no batch norm, nothing run).
int64_t reestimate_batch_norm(GanFamily& family, const NamedNetworks& networks, uint64_t seed,
                              int64_t batches = kRefreshBatches, int64_t rows = kRefreshRows);

class GeneratorAverage;
// The run's average when its config turns averaging on (`ema` > 0), attached to the family
// (GanFamily::attach_average); null when off.
std::unique_ptr<GeneratorAverage> make_average(GanFamily& family, const json& config);

class GeneratorAverage {
public:
    // Starts the average at the generators' current weights (GanFamily::generators()).
    GeneratorAverage(GanFamily& family, AverageSettings settings);

    const AverageSettings& settings() const { return settings_; }

    // After finished step `step`: avg ← β·avg + (1 − β)·G for every parameter, with
    // β = average_decay(settings, step).
    void update(int64_t step);
    // avg ← G (a checkpoint from before averaging was on).
    void reset();

    // One generator's averaged parameters by name (empty: the network is not averaged).
    std::vector<std::pair<std::string, torch::Tensor>> parameters(const std::string& network) const;

    void save(torch::serialize::OutputArchive& archive) const;
    // Throws std::runtime_error naming the tensor whose shape does not match.
    void load(torch::serialize::InputArchive& archive);

    // While the returned object lives, the generators hold the averaged weights, with their
    // batch-norm statistics re-estimated (seed: see reestimate_batch_norm); the live weights and
    // statistics come back when it is destroyed.
    class Applied {
    public:
        ~Applied();
        Applied(const Applied&) = delete;
        Applied& operator=(const Applied&) = delete;

    private:
        friend class GeneratorAverage;
        Applied() = default;
        std::vector<std::pair<torch::Tensor, torch::Tensor>> saved_;  // (live tensor, its value)
    };
    std::unique_ptr<Applied> apply(uint64_t seed);

private:
    struct Net {
        std::string name;
        std::shared_ptr<torch::nn::Module> module;
        std::vector<std::pair<std::string, torch::Tensor>> average;  // parameter name → average
    };
    GanFamily& family_;
    AverageSettings settings_;
    std::vector<Net> nets_;
};

}  // namespace ganzoo::models
