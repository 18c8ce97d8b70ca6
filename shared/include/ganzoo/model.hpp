// ganzoo core: load an exported ganzoo-graph safetensors file and run it.
//
//   auto model = ganzoo::Model::load(bytes.data(), bytes.size());
//   ganzoo::GenerateRequest req; req.seed = 7; req.count = 64;
//   ganzoo::Tensor images = model.generate(req);   // [64, C, H, W] in info().range
//
// What a model takes, and what it holds, is its ModelInfo: typed, read once by the core from the
// file's "ganzoo" document (docs/format.md). Every front end (the CLI, the studio, the wasm
// bindings and through them the web page and widget) reads that, never the document itself.
//
// What the core does not do: training, gradients with respect to weights, file or network I/O,
// GPUs. It does give gradients with respect to a net's inputs (run_backward, generate_backward):
// what projection (finding the z whose image matches a given one) needs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ganzoo/limits.hpp"
#include "ganzoo/tensor.hpp"

namespace ganzoo {

// What an input of a net is (docs/format.md, "inputs").
enum class InputKind {
    Latent,       // z: drawn from the portable latents of the request's seed
    Label,        // label: a class of dataset.classes, one per sample
    Categorical,  // a code declared with "categories": K, one whole number 0..K-1 per sample
    Continuous,   // any other vector: a code declared with "range", or a plain input (features)
    Image,        // a per-sample [C, H, W] input (CycleGAN's, Q's, the classifier's "image")
};
const char* input_kind_name(InputKind kind);  // "latent", "label", "categorical", "continuous", "image"

struct InputInfo {
    std::string name;
    InputKind kind = InputKind::Continuous;
    std::vector<int64_t> shape;  // per sample
    int64_t size = 1;            // values per sample: the product of shape
    int64_t categories = 0;      // Label: the classes; Categorical: K; otherwise 0
    bool has_range = false;      // Continuous: declared with "range" [lo, hi] (the UIs' slider range)
    double lo = -1.0, hi = 1.0;
    // One sample's values when a request may leave the input out: a code's neutral value, 0
    // (category 0 for a categorical code, as the members' LibTorch sample() feeds it). Empty when
    // it must be given: a label and an image have no neutral value (generate() refuses a request
    // without them, naming the values it takes; plan_grid() gives a label one row per class, and
    // a categorical code left out one row per value). z is drawn from the seed instead.
    std::vector<float> default_values;
    std::string distribution;  // as declared: "normal" (z), "uniform" (InfoGAN's c_cont), or empty
    int64_t labelled = 0;      // an image input of a semi-supervised model: its labelled images
    struct Columns {
        std::string name;      // InfoGAN's image input: Q's output columns, "logits" and "mean"
        int64_t from = 0, to = 0;
    };
    std::vector<Columns> q_outputs;
};

struct NetInfo {
    std::string name;
    std::vector<std::string> inputs;    // input names, in the graph's order
    std::vector<int64_t> output_shape;  // per sample, e.g. [1, 28, 28]
    bool takes(const std::string& input) const;
};

// An image-to-image model's domain (CycleGAN): inputs.image.domains and .examples.
struct Domain {
    std::string name;        // "A" or "B"
    std::string class_name;  // e.g. "Sneaker"
    std::string split;       // where the examples come from: "test", "train", or empty
    int64_t count = 0;       // stored held-out examples
    std::vector<uint8_t> pixels;  // count x C*H*W bytes, CHW; value v is v/127.5 - 1 in [-1, 1]
};

// The training record the exporter writes ("training"): what the UIs show on a model card. Read
// leniently, field by field: a field of another type is left out, never an error.
struct TrainingRecord {
    bool present = false;
    std::string command, device, commit, generator;
    std::optional<double> epochs, wall_time_s, ema;
    std::optional<int64_t> steps, batch;
    struct Metric {
        std::string name;
        std::optional<double> number;  // a number (integer when `integer`)
        bool integer = false;
        std::string text;              // a string as it is; anything else as compact JSON
    };
    std::vector<Metric> metrics;  // "metrics", in name order
};

struct ModelInfo {
    int version = 0;
    std::string family;                   // "dcgan", ...
    std::string name;
    std::string dataset;                  // "fashion-mnist", or a folder name
    std::vector<std::string> class_names;
    int64_t channels = 0, height = 0, width = 0;
    float range_lo = -1.0f, range_hi = 1.0f;
    int64_t z_dim = 0;                    // 0 when the model takes no z
    int64_t num_classes = 0;              // > 0 when the model takes a `label` input
    std::vector<std::string> nets;        // graph names, in name order, e.g. {"G"}
    std::vector<NetInfo> net_info;        // the same nets with their inputs and output shapes
    std::vector<InputInfo> inputs;        // every declared input, in name order
    std::vector<Domain> domains;          // image-to-image models: A then B; else empty
    TrainingRecord training;
    // The whole "ganzoo" document as stored: for tools that check or show the file itself (ganzoo
    // info, through document_summary(); the exporter's tests). Front ends read the fields above.
    std::string metadata_json;

    const InputInfo* input(const std::string& name) const;  // nullptr when not declared
    const NetInfo* net(const std::string& name) const;      // nullptr when not in the file
    // The net generate() runs when the request names none: "G", else the first (CycleGAN's G_AB).
    std::string default_net() const;
    // The inputs of `net` other than z (labels, codes, images), in the net's order.
    std::vector<const InputInfo*> conditions(const std::string& net) const;
    // An image-to-image model: domains A and B declared, nets G_AB and G_BA each on "image" alone.
    bool translates() const;
    const Domain* domain(const std::string& name) const;  // "A" or "B"
};

// "a class 0..9 (T-shirt/top, Trouser, ...)", "a category 0..9", "2 values in [-1, 1]",
// "[1, 28, 28] values": what an input takes, for messages and UIs.
std::string describe_values(const InputInfo& input, const ModelInfo& info);

// A domain's stored examples as images [count, C, H, W] in [-1, 1] (docs/format.md: v/127.5 - 1).
Tensor example_images(const ModelInfo& info, const Domain& domain);

// The document of `info` for a terminal (ganzoo info): the fields the format defines in full (but
// nets and check), anything else cut to a few levels and items, as 2-space indented ASCII JSON.
std::string document_summary(const ModelInfo& info);

struct GenerateRequest {
    uint64_t seed = 0;
    int64_t first_index = 0;   // sample indices first_index .. first_index+count-1
    int64_t count = 1;
    std::optional<Tensor> z;   // explicit latents [count, z_dim]; replaces the seed's
    std::vector<int64_t> labels;  // conditional models: one label for all, or one per sample
    // Or a mixture of classes instead of `labels` (an interpolation between classes): weights over
    // the info.num_classes classes, non-negative and summing to 1, one set for all samples or one
    // per sample, row-major. Taken by nets whose label only feeds one_hot ops (the weights stand
    // in for the one-hot vector); a single 1 is the same as that class's label.
    std::vector<float> label_weights;
    // The truncation trick (Brock et al. 2019; Karras et al. 2019's psi): every latent z, drawn from
    // the seed or given, is scaled by `truncation` toward the mean of its prior (0), trading
    // diversity for typical samples. 1 = off; 0..2 accepted. Codes and labels are set by the
    // request, not drawn, so they are not truncated.
    float truncation = 1.0f;
    // The net's other inputs by name (InfoGAN's codes "c_cat", "c_cont", an image): one sample's
    // values, used for every sample, or all count samples' values, row-major. A categorical input
    // (declared with "categories": K) takes whole numbers 0..K-1. An input left out takes its
    // default (InputInfo::default_values); one without a default is refused (find_missing_input).
    std::map<std::string, std::vector<float>> codes;
    // The net to run; empty: ModelInfo::default_net().
    std::string net;
};

// The first input of the request's net that the request leaves out and that has no default (a
// label, an image), or nullopt. generate() refuses such a request with
// `message` ("net 'G' needs input 'label': a class 0..9 (T-shirt/top, ...), one for all samples
// or one per sample"); a front end may check first to name its own control for it.
struct MissingInput {
    const InputInfo* input = nullptr;
    std::string message;
};
std::optional<MissingInput> find_missing_input(const ModelInfo& info, const GenerateRequest& request);

struct CheckResult {
    bool passed = false;
    double max_abs_diff = 0.0;   // over the stored values
    double mean_diff = 0.0;      // |mean - expected mean|
    double l2_rel_diff = 0.0;    // |l2 - expected l2| / max(1, expected l2)
    double tolerance = 0.0;
    std::string message;         // one line
};

// What Model::run_backward returns: run()'s output and, for each input of the net that takes a
// gradient, dL/d(input) with the input's shape, where L is the caller's scalar loss and the
// caller gave dL/d(output). Every input takes one but a label or code given as class indices
// (one that only feeds one_hot ops): that is discrete. A label given as class weights takes one.
struct RunGradients {
    Tensor output;
    std::map<std::string, Tensor> inputs;
};

// What Model::generate_backward returns: generate()'s output and dL/d(each input the request sets
// or defaults), one row per sample even where the request gave one row for all (sum the rows for
// the gradient of that shared row).
struct GenerateGradients {
    Tensor output;  // as generate(req) returns it
    // dL/dz [count, z_dim] with respect to the request's z (given, or drawn from the seed) before
    // truncation: truncation's scaling is part of the path (dL/dz = truncation · dL/d(scaled z)).
    // Empty when the net takes no z.
    Tensor z;
    // dL/d(label_weights) [count, K] when the request gave label weights (the plain gradient: a
    // projection that keeps the weights a mixture projects it itself). Empty otherwise.
    Tensor label_weights;
    // By input name: each continuous code (InfoGAN's "c_cont") and image input (CycleGAN's
    // "image") of the net, given or at its default, with the input's shape [count, ...].
    // Categorical codes, discrete, take none.
    std::map<std::string, Tensor> codes;
};

class Model {
public:
    // Parses and validates everything (container, graph JSON, every op's tensors and
    // shapes, limits) before allocating activations. Throws ganzoo::Error.
    static Model load(const uint8_t* bytes, size_t size, const LoadLimits& limits = {});

    const ModelInfo& info() const;

    // Runs one graph on named inputs (each [N, ...]); returns its output.
    Tensor run(const std::string& net, const std::map<std::string, Tensor>& inputs) const;

    // Latents from the portable RNG (or req.z), labels and codes (or their defaults), then runs
    // req.net.
    Tensor generate(const GenerateRequest& req) const;

    // Gradients with respect to the inputs (a reverse pass through the net, with the weights as
    // constants): runs `net` as run() does, on the same inputs checked the same way, and returns
    // its output with dL/d(input) for the caller's scalar loss L, given output_gradient =
    // dL/d(output) of the output's shape ([N, ...], e.g. 2 (G(z) - target) for a squared error).
    // Costs about two runs, and keeps the activations the reverse pass reads. Throws
    // ganzoo::Error ("run_backward: net 'G' ...") as run() does, and for a gradient of another shape.
    RunGradients run_backward(const std::string& net, const std::map<std::string, Tensor>& inputs,
                              const Tensor& output_gradient) const;
    // The same with dL/d(output) computed from the output, once the forward has it: what a loss
    // of the output needs without a run() of its own first.
    using OutputGradient = std::function<Tensor(const Tensor& output)>;
    RunGradients run_backward(const std::string& net, const std::map<std::string, Tensor>& inputs,
                              const OutputGradient& output_gradient) const;

    // The same for generate(): the request's net (default_net() when it names none) run on the
    // inputs generate() makes of it (z from the seed or given, truncated; labels or label weights;
    // codes given or at their defaults), and the gradients with respect to the request's float
    // inputs (GenerateGradients). Refuses what generate() refuses, with its message
    // ("generate_backward: ..."), and a gradient not of the output's shape. One step of a
    // projection of `target` onto z ([1, z_dim]), for L = |G(z) - target|²:
    //   req.z = z;
    //   const GenerateGradients g = model.generate_backward(req, [&](const Tensor& y) {
    //       Tensor dy = y;
    //       for (size_t i = 0; i < y.data.size(); ++i) dy.data[i] = 2 * (y.data[i] - target.data[i]);
    //       return dy;
    //   });
    //   for (size_t i = 0; i < z.data.size(); ++i) z.data[i] -= step * g.z.data[i];
    GenerateGradients generate_backward(const GenerateRequest& req, const Tensor& output_gradient) const;
    GenerateGradients generate_backward(const GenerateRequest& req, const OutputGradient& output_gradient) const;

    // Image-to-image nets (CycleGAN's "G_AB", "G_BA"): runs `net`, whose one input is "image",
    // on images [N, C, H, W] in info().range; returns [N, C, H, W].
    Tensor translate(const Tensor& images, const std::string& net) const;

    // Re-runs the golden case stored by the exporter ("check" in the metadata). Passed when
    // max_abs_diff, mean_diff and l2_rel_diff are all <= tolerance (docs/format.md). Never
    // throws for a failing check: passed=false and a message (also "no check stored").
    CheckResult verify() const;

    Model(Model&&) noexcept;
    Model& operator=(Model&&) noexcept;
    ~Model();

private:
    struct Impl;
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace ganzoo
