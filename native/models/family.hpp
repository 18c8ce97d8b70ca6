// ganzoo trainer: the interface every GAN family member implements, and the registry.
//
// Adding a member = one new file in native/models/ that defines a GanFamily subclass
// (networks, losses, training step) and registers it with GANZOO_REGISTER_FAMILY.
// The loop, logging, checkpoints, export and CLI are shared (native/train, native/export).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ganzoo::models {

using json = nlohmann::json;

// Where a process's batch sits in the step's global batch under data-parallel training
// (native/dist): rank r holds rows [offset, offset + B) of a global batch of `global_size`.
// Members draw their noise through batch_randn/batch_rand, which draw the global batch's noise
// from the step's seeded stream and keep this rank's rows: so N ranks with batch B consume
// exactly the random numbers of one process with batch N·B, and their averaged gradients are
// that process's gradients.
struct BatchShard {
    int64_t offset = 0;
    int64_t global_size = 0;  // 0: not sharded, the batch is the whole step
    // Averages per-rank scalars (each a mean over an equal shard, so the result is the global
    // batch's mean); unset in a single process, where it is the identity.
    std::function<std::vector<double>(std::vector<double>)> average;
};

// One batch on the training device; images scaled to [-1, 1].
struct Batch {
    torch::Tensor images;  // [B, C, H, W] float
    torch::Tensor labels;  // [B] int64; undefined when the dataset is unlabeled
    BatchShard shard;
};

// Noise for a batch's rows: [B, row_shape...] with the batch's dtype and device, drawn for the
// whole global batch and sliced to this rank's rows (see BatchShard).
torch::Tensor batch_randn(const Batch& batch, std::vector<int64_t> row_shape);  // N(0, 1)
torch::Tensor batch_rand(const Batch& batch, std::vector<int64_t> row_shape);   // U[0, 1)
// Scalars that feed a member's own state (BEGAN's k), averaged over the ranks.
std::vector<double> average_over_ranks(const Batch& batch, std::vector<double> values);

// Named scalars from one step, in a fixed order (they become log.csv columns).
using StepStats = std::vector<std::pair<std::string, double>>;

// G's inputs besides z, by the graph input names of the export: "label" → int64 [N] class ids
// (Conditional GAN); InfoGAN's codes "c_cat" → float [N, 1] category ids and "c_cont" → float
// [N, 2] in [-1, 1]. Empty for unconditional members.
using GeneratorInputs = std::map<std::string, torch::Tensor>;

// Networks by name, as GanFamily::networks() lists them.
using NamedNetworks = std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>>;

class GeneratorAverage;  // models/average.hpp

struct ImageShape {
    int64_t channels = 1, height = 28, width = 28;
};

// A network to export: a Sequential of modules the exporter knows (see exporter/exporter.cpp).
struct ExportNet {
    std::string name;                 // "G"
    std::vector<std::string> inputs;  // graph inputs, e.g. {"z"}
    torch::nn::Sequential net;
    // Graph ops without weights that run before `net`, whose first module reads the last one's
    // output: how conditioning enters, e.g. [{"op": "one_hot", "in": ["label"], "out": "y",
    // "classes": 10}, {"op": "concat", "in": ["z", "y"], "axis": 1}].
    json prelude = json::array();
};

// A module the exporter writes as a per-channel affine map y = x·scale + shift (a batch_norm
// op, folded into the layer before it when it can be): e.g. Improved DCGAN's virtual batch
// norm, frozen to its reference batch's statistics so that one sample alone is deterministic.
class ExportsAsChannelAffine {
public:
    virtual ~ExportsAsChannelAffine() = default;
    // {scale [C], shift [C]} of the inference-time map.
    virtual std::pair<torch::Tensor, torch::Tensor> channel_affine() const = 0;
};

// One op of a module that writes its own ops (ExportsAsOps): the op's JSON (docs/format.md)
// without tensor names, and its tensors by role ("weight", "bias", ...), which the exporter
// names and stores.
struct ExportOp {
    json op;
    std::map<std::string, torch::Tensor> tensors;
};

// A module the exporter asks for its ops, for what no LibTorch layer maps to one op: a layer
// whose weight is rescaled at run time (ProGAN's equalized learning rate: export the rescaled
// weight), a weightless op (pixel norm), a block with a skip connection (a residual block:
// conv … then {"op": "add", "in": ["$in", "$h"]}). In `in` and `out`, names starting with '$'
// are local to the module: "$in" is the module's input (the output of the op before it), the
// others are renamed apart for each module. The module's output is its last op's.
class ExportsAsOps {
public:
    virtual ~ExportsAsOps() = default;
    virtual std::vector<ExportOp> export_ops() const = 0;
};

// A module that acts only while training and is the identity at inference (Gaussian noise on a
// discriminator's activations): the exporter leaves it out.
class TrainingOnly {
public:
    virtual ~TrainingOnly() = default;
};

struct ExportSpec {
    json inputs;                  // the file's "inputs" document, e.g. {"z": {"dim": 100, ...}}
    std::vector<ExportNet> nets;  // the first one is what Model::generate runs by default
    // G's per-sample output [C, H, W] when it differs from the training images' (ProGAN pads
    // 28 → 32); empty: the dataset's. The file's dataset.image.
    std::vector<int64_t> image;
};

class GanFamily {
public:
    virtual ~GanFamily() = default;

    // The recipe: every hyperparameter with its default. `cuda` selects the GPU recipe.
    virtual json defaults(bool cuda) const = 0;

    // For a member whose training step is a critic step (WGAN, WGAN-GP, ProGAN): critic steps per
    // generator step, from the built config (n_critic). 0: a step trains D and G once each. The
    // console, log.csv and the report then count "critic steps" and show generator steps too.
    virtual int64_t critic_steps_per_generator_step() const { return 0; }

    // The training classes this member learns from, by index into the dataset's classes
    // (CycleGAN's two domains), from the resolved config; empty: every image. The trainer keeps
    // only those images, labels unchanged. Throws std::invalid_argument naming the bad value.
    virtual std::vector<int64_t> training_classes(const json& /*config*/,
                                                  const std::vector<std::string>& /*class_names*/) const {
        return {};
    }

    // Builds networks and optimizers from the resolved config (defaults + user overrides).
    virtual void build(const json& config, const ImageShape& shape, int64_t num_classes,
                       torch::Device device) = 0;

    // The training set, after build() and before a checkpoint is loaded, for a member that keeps
    // some of it aside (Improved DCGAN's labelled images in semi-supervised mode): pixels uint8
    // [N, C, H, W] and labels int64 [N] (undefined when the data has none), on the device.
    virtual void set_training_data(const torch::Tensor& /*pixels*/, const torch::Tensor& /*labels*/) {}

    // One optimisation step of both networks on `batch`.
    virtual StepStats train_step(const Batch& batch) = 0;

    // Generator output in eval mode for latents z [N, z_dim] and the member's other inputs
    // (see GeneratorInputs; empty for unconditional members), on the training device.
    virtual torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) = 0;

    // The other inputs of `count` samples laid out in a grid `columns` wide: the run's
    // fixed-seed grids and the export's golden case use them (a conditional member gives one
    // row per class). Unconditional members: none.
    virtual GeneratorInputs grid_inputs(int64_t /*count*/, int64_t /*columns*/) { return {}; }
    // Columns of the run's sample grids: square by default, one per class value when a member
    // lays its grid out by class.
    virtual int64_t grid_columns(int64_t count) const {
        return static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(count))));
    }
    // The other inputs of `count` samples drawn as training draws them (a class or code for each
    // row), from their own generator seeded with `seed` (the global stream is left alone): what
    // the averaged generator's batch-norm statistics are re-estimated on. By default the grid's
    // inputs, which cover every class evenly.
    virtual GeneratorInputs prior_inputs(int64_t count, uint64_t /*seed*/) {
        return grid_inputs(count, grid_columns(count));
    }

    virtual int64_t z_dim() const = 0;

    // Networks and optimizer state, for checkpoints.
    virtual void save(torch::serialize::OutputArchive& archive) = 0;
    virtual void load(torch::serialize::InputArchive& archive) = 0;

    virtual ExportSpec export_spec() = 0;

    // The networks a step trains, by name ({"G", G}, {"D", D}): after every step whose losses
    // are finite, the trainer checks these networks' gradients for NaN/Inf (one device sync
    // per network) and stops with the step and the network named. A member that returns
    // nothing gets only the loss check.
    virtual std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() { return {}; }

    // The networks generator averaging keeps an average of (models/average.hpp): by default those
    // of networks() whose name starts with "G" (G; CycleGAN's G_AB and G_BA).
    virtual NamedNetworks generators();

    // The run's generator average, when averaging is on (the trainer attaches it; null: off). A
    // member that copies G during training (ProGAN's stage copies) copies the average instead.
    void attach_average(const GeneratorAverage* average) { average_ = average; }
    const GeneratorAverage* average() const { return average_; }

    // Data-parallel training (native/dist): replaces each optimizer by wrap(optimizer), whose
    // step first averages the gradients over the ranks. A member whose every optimizer is
    // reachable this way, whose noise comes from batch_randn/batch_rand and whose own state is
    // updated from average_over_ranks returns true; the default refuses.
    using OptimizerWrap =
        std::function<std::unique_ptr<torch::optim::Optimizer>(std::unique_ptr<torch::optim::Optimizer>)>;
    virtual bool wrap_optimizers(const OptimizerWrap& /*wrap*/) { return false; }

private:
    const GeneratorAverage* average_ = nullptr;
};

// The common shape of most members: a generator G fed z, a discriminator or critic D, one
// optimizer each. Subclasses build the four in build() and write train_step(); sampling (G in
// eval mode), checkpoints (G, D, opt_G, opt_D and the member's own scalars), the networks the
// non-finite guard checks and the export of G come from here. Conditional members override
// sample() and export_spec().
class GeneratorCritic : public GanFamily {
public:
    torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) override;
    int64_t z_dim() const override { return z_dim_; }
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    ExportSpec export_spec() override;
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() override;
    bool wrap_optimizers(const OptimizerWrap& wrap) override;

protected:
    // The end of most members' build(): G and D to the device, and an Adam optimizer for each
    // with the recipe's `lr`, `beta1` and `beta2`.
    void finish_with_adam(const json& config, torch::Device device);

    // State beyond the networks and optimizers that a resumed run needs (step counters, BEGAN's
    // k), by name; saved as doubles.
    virtual std::vector<std::pair<std::string, double*>> checkpoint_scalars() { return {}; }

    int64_t z_dim_ = 0;
    torch::Device device_ = torch::kCPU;
    torch::nn::Sequential G_{nullptr}, D_{nullptr};
    std::unique_ptr<torch::optim::Optimizer> opt_G_, opt_D_;
};

struct FamilyInfo {
    std::string name;     // "dcgan"
    std::string title;    // "DCGAN (Radford et al. 2016)"
    std::function<std::unique_ptr<GanFamily>()> make;
};

// Registration happens at static-initialisation time (GANZOO_REGISTER_FAMILY); the model
// sources are an OBJECT library so the linker keeps every registration.
bool register_family(FamilyInfo info);
const std::vector<FamilyInfo>& families();
// Throws std::invalid_argument listing the known names when `name` is unknown.
std::unique_ptr<GanFamily> make_family(const std::string& name);

#define GANZOO_REGISTER_FAMILY(ident, ...) \
    static const bool ganzoo_registered_##ident = ::ganzoo::models::register_family(__VA_ARGS__)

// Shared helpers for members.
// Generator output in eval mode (batch-norm running statistics), back in train mode after.
// While a BatchNormRefresh lives (on this thread), batch-norm layers run in training mode
// instead: they normalise by the batch and update their running statistics.
torch::Tensor eval_forward(torch::nn::Sequential& net, const torch::Tensor& input);
class BatchNormRefresh {
public:
    BatchNormRefresh();
    ~BatchNormRefresh();
    BatchNormRefresh(const BatchNormRefresh&) = delete;
    BatchNormRefresh& operator=(const BatchNormRefresh&) = delete;
    static bool active();

private:
    bool previous_;
};
// Calls visit(layer) for every BatchNorm1d/2d/3d module of `module` (itself included).
void for_each_batch_norm(torch::nn::Module& module, const std::function<void(torch::nn::Module&)>& visit);
// DCGAN-style init: conv/linear weights N(0, 0.02), batch-norm weight N(1, 0.02), biases 0.
void init_dcgan_weights(torch::nn::Module& module);
// Reads config[key] or throws a one-line error naming the key.
template <typename T>
T config_value(const json& config, const std::string& key) {
    if (!config.contains(key)) throw std::invalid_argument("config: missing '" + key + "'");
    try {
        return config.at(key).get<T>();
    } catch (const json::exception&) {
        throw std::invalid_argument("config: '" + key + "' has the wrong type: " +
                                    config.at(key).dump());
    }
}

}  // namespace ganzoo::models
