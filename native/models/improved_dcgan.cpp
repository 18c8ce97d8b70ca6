// Improved DCGAN — Salimans et al., "Improved Techniques for Training GANs", arXiv 1606.03498.
//
// What the paper changed from DCGAN, each a recipe key (0 / false / "batch" turns it off):
//   - feature matching (§3.1, `feature_matching`): G minimises ‖E f(x) − E f(G(z))‖² on an
//     intermediate layer of D (`feature_layer`; −1 = D's last convolutional features,
//     flattened, which is also the minibatch layer's input) instead of fooling D's output;
//   - minibatch discrimination (§3.2, `minibatch_kernels` B, `minibatch_dims` C): D's head sees,
//     beside each sample's features, how close it is to the other samples of its batch, so a
//     collapsed batch is easy to spot;
//   - historical averaging (§3.3, `history_weight` λ): both nets pay λ‖θ − mean of past θ‖²;
//   - one-sided label smoothing (§3.4, `real_label`): D's real target is 0.9, the fake one 0;
//   - virtual batch normalization (§3.5, `generator_norm` "virtual" | "batch"): G's norms take
//     their statistics from a reference batch of `reference_batch` z's, drawn once from
//     `reference_seed` (the core's portable RNG) and kept in checkpoints, plus the example;
//   - semi-supervised learning (§5, `labels`): D has K class logits, trained on a few labelled
//     images, with the paper's code's weight norm (`d_weight_norm`) and Gaussian noise
//     (`d_input_noise`, `d_noise`) in D as options.
// Scaled for 28×28 Fashion-MNIST like our DCGAN: G is z → 2W×7×7 → W×14×14 → 1×28×28 with VBN
// where DCGAN has batch norm; D is DCGAN's without batch norm (its statistics would make the
// features, and so feature matching, depend on the batch; the paper's D uses weight norm),
// then the minibatch layer and a linear logit. Adam lr 3e-4, β1 0.5, batch 100 (the paper's
// CIFAR-10 code). W is 64 on the CPU, 128 on CUDA.
//
// Shapes at the defaults (W = 64, R = 64 reference rows, B = 100 kernels of C = 5):
//   G: [R+N, 100] → Linear → reshape [128,7,7] → VBN → ReLU → ConvT k4 s2 p1 [64,14,14] → VBN
//        → ReLU → ConvT [1,28,28] → tanh; the first R rows are dropped.
//   D: x → Conv(1→64) [64,14,14] → LReLU → Conv(64→128) [128,7,7] → LReLU → flatten f [6272]
//        → minibatch [6272 + 100] → Linear → logit
#include "models/improved_dcgan.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ganzoo/latent.hpp"
#include "models/average.hpp"
#include "models/conv_nets.hpp"
#include "models/parts.hpp"

namespace ganzoo::models {

// ---- virtual batch normalization -------------------------------------------------------------

VirtualBatchNormImpl::VirtualBatchNormImpl(int64_t channels_, int64_t reference_rows_, double eps_)
    : channels(channels_), reference_rows(reference_rows_), eps(eps_) {
    reset();
}

void VirtualBatchNormImpl::reset() {
    if (channels < 1 || reference_rows < 1)
        throw std::invalid_argument("VirtualBatchNorm: channels and reference_rows must be >= 1");
    weight = register_parameter("weight", torch::ones({channels}));
    bias = register_parameter("bias", torch::zeros({channels}));
    reference_mean = register_buffer("reference_mean", torch::zeros({channels}));
    reference_var = register_buffer("reference_var", torch::ones({channels}));
}

void VirtualBatchNormImpl::pretty_print(std::ostream& stream) const {
    stream << "VirtualBatchNorm(" << channels << ", reference_rows=" << reference_rows << ")";
}

namespace {
// [C] → [1, C, 1, ...] for an input of `dims` dimensions.
torch::Tensor per_channel(const torch::Tensor& v, int64_t dims) {
    std::vector<int64_t> shape(dims, 1);
    shape[1] = v.size(0);
    return v.view(shape);
}
// [N, C] → [N, C, 1, ...].
torch::Tensor per_row_channel(const torch::Tensor& v, int64_t dims) {
    std::vector<int64_t> shape(dims, 1);
    shape[0] = v.size(0);
    shape[1] = v.size(1);
    return v.view(shape);
}
}  // namespace

torch::Tensor VirtualBatchNormImpl::forward(const torch::Tensor& x) {
    if (x.dim() < 2 || x.size(1) != channels)
        throw std::invalid_argument("VirtualBatchNorm: expected [N, " + std::to_string(channels) + ", ...], got " +
                                    std::to_string(x.dim()) + " dims");
    const int64_t dims = x.dim();
    const auto affine = [&](const torch::Tensor& v, const torch::Tensor& mean, const torch::Tensor& var,
                            bool rows) {
        const auto to = [&](const torch::Tensor& s) { return rows ? per_row_channel(s, dims) : per_channel(s, dims); };
        return (v - to(mean)) * to(torch::rsqrt(var + eps)) * per_channel(weight, dims) + per_channel(bias, dims);
    };
    if (!is_training()) return affine(x, reference_mean, reference_var, false);

    if (x.size(0) < reference_rows)
        throw std::invalid_argument("VirtualBatchNorm: a training batch must start with the " +
                                    std::to_string(reference_rows) + " reference rows, got " +
                                    std::to_string(x.size(0)) + " rows");
    std::vector<int64_t> batch_dims{0}, sample_dims;
    for (int64_t d = 2; d < dims; ++d) {
        batch_dims.push_back(d);
        sample_dims.push_back(d);
    }
    const auto reference = x.narrow(0, 0, reference_rows);
    const auto ref_mean = reference.mean(batch_dims);
    const auto ref_square = reference.pow(2).mean(batch_dims);
    const auto ref_var = (ref_square - ref_mean.pow(2)).clamp_min(0);
    {
        torch::NoGradGuard no_grad;
        reference_mean.copy_(ref_mean);
        reference_var.copy_(ref_var);
    }
    const auto ref_out = affine(reference, ref_mean, ref_var, false);
    const int64_t others = x.size(0) - reference_rows;
    if (others == 0) return ref_out;

    // Each other row: the reference statistics with the row itself mixed in at 1/(R+1).
    const auto rest = x.narrow(0, reference_rows, others);
    const auto row_mean = sample_dims.empty() ? rest : rest.mean(sample_dims);  // [M, C]
    const auto row_square = sample_dims.empty() ? rest.pow(2) : rest.pow(2).mean(sample_dims);
    const double w = 1.0 / static_cast<double>(reference_rows + 1);
    const auto mean = (1 - w) * ref_mean.unsqueeze(0) + w * row_mean;
    const auto square = (1 - w) * ref_square.unsqueeze(0) + w * row_square;
    const auto var = (square - mean.pow(2)).clamp_min(0);
    return torch::cat({ref_out, affine(rest, mean, var, true)}, 0);
}

std::pair<torch::Tensor, torch::Tensor> VirtualBatchNormImpl::channel_affine() const {
    torch::NoGradGuard no_grad;
    const auto scale = weight * torch::rsqrt(reference_var + eps);
    return {scale.detach().clone(), (bias - reference_mean * scale).detach().clone()};
}

// ---- minibatch discrimination ----------------------------------------------------------------

MinibatchDiscriminationImpl::MinibatchDiscriminationImpl(int64_t in_features_, int64_t kernels_, int64_t kernel_dims_)
    : in_features(in_features_), kernels(kernels_), kernel_dims(kernel_dims_) {
    reset();
}

void MinibatchDiscriminationImpl::reset() {
    if (in_features < 1 || kernels < 1 || kernel_dims < 1)
        throw std::invalid_argument("MinibatchDiscrimination: in_features, kernels and kernel_dims must be >= 1");
    // N(0, 0.05) as the paper's code: distances of a few units at DCGAN-init feature scales.
    T = register_parameter("T", torch::randn({in_features, kernels * kernel_dims}) * 0.05);
}

WeightNormLayerImpl::WeightNormLayerImpl(int64_t in_, int64_t out_, int64_t kernel_, int64_t stride_, int64_t padding_,
                                         double v_std_)
    : in(in_), out(out_), kernel(kernel_), stride(stride_), padding(padding_), v_std(v_std_) {
    reset();
}

void WeightNormLayerImpl::reset() {
    if (in < 1 || out < 1 || kernel < 0 || stride < 1 || padding < 0)
        throw std::invalid_argument("WeightNormLayer: in, out and stride must be >= 1, kernel and padding >= 0");
    if (!(v_std > 0)) throw std::invalid_argument("WeightNormLayer: v_std must be > 0");
    const auto init = kernel > 0 ? torch::randn({out, in, kernel, kernel}) * v_std : torch::randn({out, in}) * v_std;
    const auto norm = init.flatten(1).norm(2, 1);  // before v's registration makes init require grad
    v = register_parameter("v", init);
    g = register_parameter("g", norm);
    bias = register_parameter("bias", torch::zeros({out}));
}

void WeightNormLayerImpl::pretty_print(std::ostream& stream) const {
    stream << "WeightNormLayer(" << in << ", " << out;
    if (kernel > 0) stream << ", kernel=" << kernel << ", stride=" << stride << ", padding=" << padding;
    stream << ")";
}

torch::Tensor WeightNormLayerImpl::weight() const {
    std::vector<int64_t> shape(static_cast<size_t>(v.dim()), 1);
    shape[0] = out;
    return v * (g / v.flatten(1).norm(2, 1)).view(shape);
}

torch::Tensor WeightNormLayerImpl::forward(const torch::Tensor& x) {
    return kernel > 0 ? torch::conv2d(x, weight(), bias, stride, padding) : torch::linear(x, weight(), bias);
}

std::vector<ExportOp> WeightNormLayerImpl::export_ops() const {
    torch::NoGradGuard no_grad;
    const auto w = weight().detach().to(torch::kCPU, torch::kDouble), b = bias.detach().to(torch::kCPU, torch::kDouble);
    if (kernel == 0) return {{{{"op", "linear"}}, {{"weight", w}, {"bias", b}}}};
    return {{{{"op", "conv2d"}, {"stride", {stride, stride}}, {"padding", {padding, padding}}}, {{"weight", w}, {"bias", b}}}};
}

void MinibatchDiscriminationImpl::pretty_print(std::ostream& stream) const {
    stream << "MinibatchDiscrimination(" << in_features << ", kernels=" << kernels << ", dims=" << kernel_dims << ")";
}

torch::Tensor MinibatchDiscriminationImpl::similarity(const torch::Tensor& x) {
    const int64_t n = x.size(0);
    const auto m = x.flatten(1).matmul(T).view({n, kernels, kernel_dims});     // [N, B, C]
    const auto l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(3);           // [N, N, B]
    // exp(0) = 1 on the diagonal (a row against itself) is taken out.
    const auto others = torch::exp(-l1).sum(1) - 1;                            // [N, B]
    return n > 1 ? others / static_cast<double>(n - 1) : others * 0;
}

torch::Tensor MinibatchDiscriminationImpl::forward(const torch::Tensor& x) {
    return torch::cat({x.flatten(1), similarity(x)}, 1);
}

// ---- historical averaging --------------------------------------------------------------------

HistoricalAverage::HistoricalAverage(std::vector<torch::Tensor> parameters) : parameters_(std::move(parameters)) {
    for (const auto& p : parameters_) means_.push_back(p.detach().clone());
    count_ = 1;  // θ[0], the initial value
}

torch::Tensor HistoricalAverage::penalty() const {
    if (parameters_.empty()) return torch::zeros({});
    auto total = torch::zeros({}, parameters_.front().options().requires_grad(false));
    for (size_t k = 0; k < parameters_.size(); ++k) total = total + (parameters_[k] - means_[k]).pow(2).sum();
    return total;
}

void HistoricalAverage::update() {
    torch::NoGradGuard no_grad;
    count_ += 1;
    for (size_t k = 0; k < parameters_.size(); ++k)
        means_[k].add_((parameters_[k].detach() - means_[k]) / count_);
}

void HistoricalAverage::save(torch::serialize::OutputArchive& archive, const std::string& prefix) const {
    archive.write(prefix + ".count", torch::tensor(count_, torch::TensorOptions().dtype(torch::kDouble)));
    for (size_t k = 0; k < means_.size(); ++k) archive.write(prefix + ".mean." + std::to_string(k), means_[k]);
}

void HistoricalAverage::load(torch::serialize::InputArchive& archive, const std::string& prefix) {
    torch::Tensor count;
    archive.read(prefix + ".count", count);
    count_ = count.item<double>();
    torch::NoGradGuard no_grad;
    for (size_t k = 0; k < means_.size(); ++k) {
        torch::Tensor mean;
        archive.read(prefix + ".mean." + std::to_string(k), mean);
        if (!mean.sizes().equals(means_[k].sizes()))
            throw std::runtime_error("checkpoint: " + prefix + ".mean." + std::to_string(k) + " has the wrong shape");
        means_[k].copy_(mean);
    }
}

// ---- losses ----------------------------------------------------------------------------------

torch::Tensor smoothed_discriminator_loss(const torch::Tensor& logits_real, const torch::Tensor& logits_fake,
                                          double real_label) {
    return torch::binary_cross_entropy_with_logits(logits_real, torch::full_like(logits_real, real_label)) +
           torch::binary_cross_entropy_with_logits(logits_fake, torch::zeros_like(logits_fake));
}

torch::Tensor feature_matching_loss(const torch::Tensor& real_features, const torch::Tensor& fake_features) {
    return (real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)).pow(2).sum();
}

// ---- the networks ----------------------------------------------------------------------------

namespace {

namespace nn = torch::nn;

// DCGAN's generator (conv_nets.cpp) with virtual batch norm, or batch norm, after the
// projection and each inner transposed convolution.
nn::Sequential make_generator(int64_t z_dim, int64_t width, const ImageShape& shape, bool virtual_norm,
                              int64_t reference_rows) {
    const LadderShapes s = ladder_shapes(shape, width, "improved-dcgan");
    const auto norm = [&](int64_t channels) -> nn::AnyModule {
        if (virtual_norm) return nn::AnyModule(VirtualBatchNorm(channels, reference_rows));
        return nn::AnyModule(nn::BatchNorm2d(channels));
    };
    nn::Sequential g;
    g->push_back(nn::Linear(nn::LinearOptions(z_dim, s.top_channels * s.base_h * s.base_w).bias(false)));
    g->push_back(nn::Unflatten(nn::UnflattenOptions(1, {s.top_channels, s.base_h, s.base_w})));
    g->push_back(norm(s.top_channels));
    g->push_back(nn::ReLU());
    int64_t channels = s.top_channels;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        g->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(channels, channels / 2, 4).stride(2).padding(1).bias(false)));
        g->push_back(norm(channels / 2));
        g->push_back(nn::ReLU());
        channels /= 2;
    }
    g->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(channels, shape.channels, 4).stride(2).padding(1)));
    g->push_back(nn::Tanh());
    return g;
}

// D's options beyond its width.
struct DiscriminatorOptions {
    int64_t kernels = 0, kernel_dims = 1, outputs = 1;
    bool weight_norm = false, mlp = false;
    double input_noise = 0, layer_noise = 0;  // σ of the Gaussian noise on the input, after each layer
    double v_std = 0.02;                      // σ of the weight-normalised layers' initial v
    bool hidden_g = true;                     // whether the hidden weight-normalised layers' g train
};

// A weight-normalised layer of D: v ~ N(0, v_std); a hidden layer's g frozen unless hidden_g
// (the paper's semi-supervised code trains only the output layer's).
WeightNormLayer wn_layer(const DiscriminatorOptions& o, bool hidden, int64_t in, int64_t out, int64_t kernel = 0,
                         int64_t stride = 1, int64_t padding = 0) {
    WeightNormLayer layer(in, out, kernel, stride, padding, o.v_std);
    if (hidden && !o.hidden_g) layer->g.set_requires_grad(false);
    return layer;
}

// The paper's semi-supervised MNIST discriminator (its code, mnist_feature_matching.py): the
// flattened image through dense layers of 1000, 500, 250, 250 and 250 ReLU units, then the
// logits; features for feature matching: the last hidden layer's 250. Returns D and the index
// of that layer's ReLU.
std::pair<nn::Sequential, int64_t> make_mlp_discriminator(const ImageShape& shape, const DiscriminatorOptions& o) {
    nn::Sequential d;
    d->push_back(nn::Flatten());
    if (o.input_noise > 0) d->push_back(GaussianNoise(o.input_noise));
    auto dense = [&](int64_t in, int64_t out, bool hidden) {
        if (o.weight_norm) d->push_back(wn_layer(o, hidden, in, out));
        else d->push_back(nn::Linear(in, out));
    };
    int64_t in = shape.channels * shape.height * shape.width, features_index = 0;
    for (const int64_t units : {1000, 500, 250, 250, 250}) {
        dense(in, units, /*hidden=*/true);
        d->push_back(nn::ReLU());
        features_index = static_cast<int64_t>(d->size()) - 1;
        if (o.layer_noise > 0) d->push_back(GaussianNoise(o.layer_noise));
        in = units;
    }
    if (o.kernels > 0) d->push_back(MinibatchDiscrimination(in, o.kernels, o.kernel_dims));
    dense(in + o.kernels, o.outputs, /*hidden=*/false);
    return {d, features_index};
}

// D: (Gaussian noise on the input,) strided convolutions with LeakyReLU (each followed by Gaussian
// noise) and no normalization (weight-normalized layers with weight_norm), flatten (the default
// feature layer), the minibatch layer (when kernels > 0), a linear logit. Returns D and the index
// of its flatten module.
std::pair<nn::Sequential, int64_t> make_discriminator(int64_t width, const ImageShape& shape, const DiscriminatorOptions& o) {
    if (o.mlp) return make_mlp_discriminator(shape, o);
    const LadderShapes s = ladder_shapes(shape, width, "improved-dcgan");
    nn::Sequential d;
    const int64_t kernels = o.kernels, kernel_dims = o.kernel_dims, outputs = o.outputs;
    const bool weight_norm = o.weight_norm;
    if (o.input_noise > 0) d->push_back(GaussianNoise(o.input_noise));
    auto conv = [&](int64_t in, int64_t out) {
        if (weight_norm) d->push_back(wn_layer(o, /*hidden=*/true, in, out, 4, 2, 1));
        else d->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 4).stride(2).padding(1)));
        d->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
        if (o.layer_noise > 0) d->push_back(GaussianNoise(o.layer_noise));
    };
    conv(shape.channels, width);
    int64_t channels = width;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        conv(channels, channels * 2);
        channels *= 2;
    }
    const int64_t flatten_index = static_cast<int64_t>(d->size());
    d->push_back(nn::Flatten());
    const int64_t features = channels * s.base_h * s.base_w;
    if (kernels > 0) d->push_back(MinibatchDiscrimination(features, kernels, kernel_dims));
    if (weight_norm) d->push_back(wn_layer(o, /*hidden=*/false, features + kernels, outputs));
    else d->push_back(nn::Linear(features + kernels, outputs));
    return {d, flatten_index};
}

}  // namespace

// ---- Gaussian noise ----------------------------------------------------------------------------

GaussianNoiseImpl::GaussianNoiseImpl(double sigma_) : sigma(sigma_) {
    if (!(sigma > 0)) throw std::invalid_argument("GaussianNoise: sigma must be > 0");
}

void GaussianNoiseImpl::pretty_print(std::ostream& stream) const { stream << "GaussianNoise(sigma=" << sigma << ")"; }

torch::Tensor GaussianNoiseImpl::forward(const torch::Tensor& x) {
    return is_training() ? x + sigma * torch::randn_like(x) : x;
}

// ---- the member ------------------------------------------------------------------------------

json ImprovedDcgan::defaults(bool cuda) const {
    return {{"z_dim", 100},
            {"width", cuda ? 128 : 64},
            {"batch", 100},
            {"lr", 3e-4},
            {"beta1", 0.5},
            {"beta2", 0.999},
            {"feature_matching", true},
            {"feature_layer", -1},
            {"minibatch_kernels", 100},
            {"minibatch_dims", 5},
            {"history_weight", 1e-3},
            {"real_label", 0.9},
            {"generator_norm", "virtual"},
            {"reference_batch", 64},
            {"reference_seed", 1606},
            {"labels", 0},
            {"labels_seed", 100},
            {"labelled_batch", 100},
            {"baseline_steps", 1000},
            {"d_weight_norm", false},
            {"d_weight_norm_init", "data"},
            {"d_weight_norm_v_std", 0.02},
            {"d_weight_norm_train_g", "all"},
            {"unsupervised_weight", 1.0},
            {"d_average", 0.0},
            {"d_input_noise", 0.0},
            {"d_noise", 0.0},
            {"d_network", "conv"}};
}

torch::Tensor choose_labelled(const torch::Tensor& labels, int64_t classes, int64_t per_class, uint64_t seed) {
    auto generator = at::detail::createCPUGenerator(seed);
    const auto cpu = labels.to(torch::kCPU);
    std::vector<torch::Tensor> chosen;
    for (int64_t c = 0; c < classes; ++c) {
        const auto rows = cpu.eq(c).nonzero().view({-1});
        if (rows.size(0) < per_class)
            throw std::invalid_argument("improved-dcgan: --labels needs " + std::to_string(per_class) + " images of class " +
                                        std::to_string(c) + ", the training set has " + std::to_string(rows.size(0)));
        chosen.push_back(rows.index_select(0, torch::randperm(rows.size(0), generator, torch::kLong).narrow(0, 0, per_class)));
    }
    return torch::cat(chosen);
}

void ImprovedDcgan::build(const json& config, const ImageShape& shape, int64_t num_classes, torch::Device device) {
    z_dim_ = config_value<int64_t>(config, "z_dim");
    const auto width = config_value<int64_t>(config, "width");
    const auto kernels = config_value<int64_t>(config, "minibatch_kernels");
    const auto kernel_dims = config_value<int64_t>(config, "minibatch_dims");
    const auto reference_rows = config_value<int64_t>(config, "reference_batch");
    const auto norm = config_value<std::string>(config, "generator_norm");
    feature_matching_ = config_value<bool>(config, "feature_matching");
    history_weight_ = config_value<double>(config, "history_weight");
    real_label_ = config_value<double>(config, "real_label");
    if (z_dim_ < 1 || width < 1) throw std::invalid_argument("improved-dcgan: z_dim and width must be >= 1");
    if (kernels < 0 || kernel_dims < 1)
        throw std::invalid_argument("improved-dcgan: minibatch_kernels must be >= 0 (0 = off) and minibatch_dims >= 1");
    if (norm != "virtual" && norm != "batch")
        throw std::invalid_argument("config: 'generator_norm' must be \"virtual\" or \"batch\", got \"" + norm + "\"");
    virtual_batch_norm_ = norm == "virtual";
    if (virtual_batch_norm_ && reference_rows < 1)
        throw std::invalid_argument("improved-dcgan: reference_batch must be >= 1 with virtual batch norm");
    if (!(history_weight_ >= 0)) throw std::invalid_argument("improved-dcgan: history_weight must be >= 0 (0 = off)");
    if (!(real_label_ > 0 && real_label_ <= 1))
        throw std::invalid_argument("improved-dcgan: real_label must be in (0, 1] (1 = no smoothing)");

    // Absent from runs that predate it: unsupervised, as they trained.
    labels_ = config.value("labels", int64_t{0});
    classes_ = num_classes;
    shape_ = shape;
    if (labels_ < 0) throw std::invalid_argument("improved-dcgan: labels must be >= 0 (0: unsupervised)");
    if (labels_ > 0) {
        if (num_classes < 2 || labels_ % num_classes != 0)
            throw std::invalid_argument("improved-dcgan: --labels " + std::to_string(labels_) + " must be a multiple of the " +
                                        std::to_string(num_classes) + " classes (the same number of each)");
        if (kernels > 0)
            throw std::invalid_argument("improved-dcgan: semi-supervised training (--labels) needs minibatch_kernels=0: the "
                                        "paper's semi-supervised models use feature matching without minibatch discrimination");
        labels_seed_ = config_value<uint64_t>(config, "labels_seed");
        labelled_batch_ = config_value<int64_t>(config, "labelled_batch");
        baseline_steps_ = config_value<int64_t>(config, "baseline_steps");
        if (labelled_batch_ < 1 || baseline_steps_ < 0)
            throw std::invalid_argument("improved-dcgan: labelled_batch must be >= 1 and baseline_steps >= 0");
    }
    G_ = make_generator(z_dim_, width, shape, virtual_batch_norm_, reference_rows);
    // Absent from runs that predate it: plain layers, as they trained.
    DiscriminatorOptions d_options;
    d_options.kernels = kernels;
    d_options.kernel_dims = kernel_dims;
    d_options.outputs = labels_ > 0 ? num_classes : 1;
    d_options.weight_norm = config.value("d_weight_norm", false);
    d_options.input_noise = config.value("d_input_noise", 0.0);
    d_options.layer_noise = config.value("d_noise", 0.0);
    if (!(d_options.input_noise >= 0) || !(d_options.layer_noise >= 0))
        throw std::invalid_argument("improved-dcgan: d_input_noise and d_noise must be >= 0 (0 = off)");
    // Absent from runs that predate them: DCGAN's convolutional D, and g = ‖v‖ at the start.
    const auto network = config.value("d_network", std::string("conv"));
    if (network != "conv" && network != "mlp")
        throw std::invalid_argument("config: 'd_network' must be \"conv\" or \"mlp\", got \"" + network + "\"");
    d_options.mlp = network == "mlp";
    const auto wn_init = config.value("d_weight_norm_init", std::string("plain"));
    if (wn_init != "data" && wn_init != "data_noise" && wn_init != "plain")
        throw std::invalid_argument("config: 'd_weight_norm_init' must be \"data\", \"data_noise\" or \"plain\", got \"" +
                                    wn_init + "\"");
    data_init_ = d_options.weight_norm && wn_init != "plain";
    data_init_noise_ = wn_init == "data_noise";
    // Absent from runs that predate them: v ~ N(0, 0.02), every g trained, the unsupervised terms at 1.
    d_options.v_std = config.value("d_weight_norm_v_std", 0.02);
    if (!(d_options.v_std > 0)) throw std::invalid_argument("improved-dcgan: d_weight_norm_v_std must be > 0");
    const auto train_g = config.value("d_weight_norm_train_g", std::string("all"));
    if (train_g != "all" && train_g != "output")
        throw std::invalid_argument("config: 'd_weight_norm_train_g' must be \"all\" or \"output\", got \"" + train_g + "\"");
    d_options.hidden_g = train_g == "all";
    unsupervised_weight_ = config.value("unsupervised_weight", 1.0);
    if (!(unsupervised_weight_ >= 0)) throw std::invalid_argument("improved-dcgan: unsupervised_weight must be >= 0");
    d_average_decay_ = config.value("d_average", 0.0);
    if (!(d_average_decay_ >= 0 && d_average_decay_ < 1))
        throw std::invalid_argument("improved-dcgan: d_average must be in [0, 1) (0 = off)");
    if (d_average_decay_ > 0 && labels_ == 0)
        throw std::invalid_argument("improved-dcgan: d_average averages the semi-supervised classifier: it needs --labels");
    auto [D, flatten_index] = make_discriminator(width, shape, d_options);
    D_ = D;
    const auto layer = config_value<int64_t>(config, "feature_layer");
    const int64_t head = static_cast<int64_t>(D_->size()) - 1 - (kernels > 0 ? 1 : 0);  // first head module
    if (layer < -1 || layer >= head)
        throw std::invalid_argument("improved-dcgan: feature_layer must be -1 (D's flattened last convolution) or a D "
                                    "module index in [0, " + std::to_string(head - 1) + "]");
    feature_layer_ = layer < 0 ? flatten_index : layer;
    init_dcgan_weights(*G_);
    init_dcgan_weights(*D_);
    finish_with_adam(config, device);
    baseline_trained_ = 0;
    data_initialised_ = 0;
    if (labels_ > 0) {
        DiscriminatorOptions c_options = d_options;  // D's architecture, noise included, without the minibatch layer
        c_options.kernels = 0;
        c_options.kernel_dims = 1;
        C_ = make_discriminator(width, shape, c_options).first;
        init_dcgan_weights(*C_);
        C_->to(device);
    } else {
        C_ = nullptr;
    }
    d_average_steps_ = 0;
    D_average_ = nullptr;
    if (d_average_decay_ > 0) {
        D_average_ = torch::nn::Sequential(std::dynamic_pointer_cast<torch::nn::SequentialImpl>(D_->clone()));
        for (auto& p : D_average_->parameters()) p.set_requires_grad(false);
        D_average_->eval();
    }
    if (virtual_batch_norm_) {
        const auto seed = config_value<uint64_t>(config, "reference_seed");
        const Tensor z = normal_latents(seed, 0, reference_rows, z_dim_);
        reference_z_ = torch::from_blob(const_cast<float*>(z.data.data()), {reference_rows, z_dim_}, torch::kFloat)
                           .clone()
                           .to(device);
    } else {
        reference_z_ = torch::zeros({0, z_dim_}, torch::TensorOptions().device(device));
    }
    history_G_ = HistoricalAverage(G_->parameters());
    history_D_ = HistoricalAverage(D_->parameters());
}

void ImprovedDcgan::set_training_data(const torch::Tensor& pixels, const torch::Tensor& labels) {
    if (labels_ == 0) return;
    if (!labels.defined()) throw std::invalid_argument("improved-dcgan: --labels needs a labelled dataset");
    const auto rows = choose_labelled(labels, classes_, labels_ / classes_, labels_seed_).to(pixels.device());
    labelled_images_ = pixels.index_select(0, rows).to(torch::kFloat).div(127.5).sub(1.0);
    labelled_labels_ = labels.index_select(0, rows);
}

torch::Tensor ImprovedDcgan::gan_logit(const torch::Tensor& d_out) const {
    return labels_ > 0 ? torch::logsumexp(d_out, 1, /*keepdim=*/true) : d_out;
}

void weight_norm_data_init(nn::Sequential& net, const torch::Tensor& x, bool with_noise) {
    torch::NoGradGuard no_grad;
    const bool was_training = net->is_training();
    net->train(with_noise);  // eval mode: no noise, the statistics of the clean forward
    torch::Tensor h = x;
    for (auto& module : *net) {
        if (auto wn = std::dynamic_pointer_cast<WeightNormLayerImpl>(module.ptr())) {
            wn->g.fill_(1);
            wn->bias.zero_();
            const auto t = wn->forward(h);  // (v/‖v‖)·h per unit
            const std::vector<int64_t> dims = t.dim() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0};
            const auto mean = t.mean(dims), stddev = t.std(dims).clamp_min(1e-6);
            wn->g.copy_(1 / stddev);
            wn->bias.copy_(-mean / stddev);
        }
        h = module.forward(h);
    }
    net->train(was_training);
}

void ImprovedDcgan::data_init(const torch::Tensor& real) {
    weight_norm_data_init(D_, real, data_init_noise_);
    if (labels_ > 0) weight_norm_data_init(C_, labelled_images_, data_init_noise_);
    data_initialised_ = 1;
}

void ImprovedDcgan::train_baseline() {
    // D's architecture on the labelled images alone, Adam with the recipe's rate, minibatches of
    // labelled_batch drawn by its own generator: the supervised-only reference of §5.
    auto generator = at::detail::createCPUGenerator(labels_seed_ + 1);
    const auto& d = static_cast<torch::optim::AdamOptions&>(opt_D_->param_groups()[0].options());
    torch::optim::Adam opt(C_->parameters(), torch::optim::AdamOptions(d.lr()).betas(d.betas()));
    const int64_t n = labelled_images_.size(0), b = std::min(labelled_batch_, n);
    C_->train();
    for (int64_t step = 0; step < baseline_steps_; ++step) {
        const auto idx = torch::randint(n, {b}, generator, torch::kLong).to(labelled_images_.device());
        const auto loss = torch::nn::functional::cross_entropy(C_->forward(labelled_images_.index_select(0, idx)),
                                                               labelled_labels_.index_select(0, idx));
        opt.zero_grad();
        loss.backward();
        opt.step();
    }
    for (auto& p : C_->parameters()) p.set_requires_grad(false);
    baseline_trained_ = 1;
}

void ImprovedDcgan::update_discriminator_average() {
    if (!D_average_) return;
    torch::NoGradGuard no_grad;
    d_average_steps_ += 1;
    const double decay = average_decay({d_average_decay_, 1}, static_cast<int64_t>(d_average_steps_));
    const auto live = D_->parameters();
    auto average = D_average_->parameters();
    for (size_t i = 0; i < live.size(); ++i) average[i].mul_(decay).add_(live[i], 1 - decay);
}

torch::Tensor ImprovedDcgan::generate_for_training(const torch::Tensor& z) {
    if (!virtual_batch_norm_) return G_->forward(z);
    const int64_t r = reference_z_.size(0);
    return G_->forward(torch::cat({reference_z_.to(z.dtype()), z}, 0)).narrow(0, r, z.size(0));
}

std::pair<torch::Tensor, torch::Tensor> ImprovedDcgan::discriminate(const torch::Tensor& x) {
    torch::Tensor h = x, features;
    int64_t index = 0;
    for (auto& module : *D_) {  // nothing but Tensor → Tensor modules in D
        h = module.forward(h);
        if (index++ == feature_layer_) features = h.flatten(1);
    }
    return {h, features};
}

torch::Tensor ImprovedDcgan::features(const torch::Tensor& x) {
    torch::Tensor h = x;
    int64_t index = 0;
    for (auto& module : *D_) {
        h = module.forward(h);
        if (index++ == feature_layer_) break;
    }
    return h.flatten(1);
}

torch::Tensor ImprovedDcgan::generator_loss(const torch::Tensor& real, const torch::Tensor& fake) {
    if (!feature_matching_) {
        const auto logits = gan_logit(discriminate(fake).first);
        return torch::binary_cross_entropy_with_logits(logits, torch::ones_like(logits));
    }
    torch::Tensor real_features;
    {
        torch::NoGradGuard no_grad;  // the target: G cannot move it
        real_features = features(real);
    }
    return feature_matching_loss(real_features, features(fake));
}

torch::Tensor ImprovedDcgan::discriminator_loss(const torch::Tensor& logits_real, const torch::Tensor& logits_fake) const {
    return smoothed_discriminator_loss(logits_real, logits_fake, real_label_);
}

StepStats ImprovedDcgan::train_step(const Batch& batch) {
    const auto& real = batch.images;
    if (data_init_ && data_initialised_ == 0) data_init(real);
    if (labels_ > 0 && baseline_trained_ == 0) train_baseline();
    const auto fake = generate_for_training(batch_randn(batch, {z_dim_}));

    // D: one-sided smoothed cross-entropy (+ λ · historical-average penalty); semi-supervised,
    // on the logit logsumexp_k l_k, plus the cross-entropy of the K classes on labelled images.
    const auto logits_real = gan_logit(discriminate(real).first);
    const auto logits_fake = gan_logit(discriminate(fake.detach()).first);
    torch::Tensor loss_supervised, accuracy;
    if (labels_ > 0) {
        const auto idx = torch::randint(labelled_images_.size(0), {labelled_batch_},
                                        torch::TensorOptions().dtype(torch::kLong).device(real.device()));
        const auto class_logits = discriminate(labelled_images_.index_select(0, idx)).first;
        const auto target = labelled_labels_.index_select(0, idx);
        loss_supervised = torch::nn::functional::cross_entropy(class_logits, target);
        accuracy = class_logits.argmax(1).eq(target).to(torch::kFloat).mean();
    }
    const auto loss_unsupervised = discriminator_loss(logits_real, logits_fake);
    const auto loss_d = labels_ > 0 ? loss_supervised + unsupervised_weight_ * loss_unsupervised : loss_unsupervised;
    const auto history_d = history_D_.penalty();
    opt_D_->zero_grad();
    (history_weight_ > 0 ? loss_d + history_weight_ * history_d : loss_d).backward();
    opt_D_->step();
    history_D_.update();
    update_discriminator_average();

    // G: feature matching against the updated D (+ λ · its own historical-average penalty).
    const auto loss_g = generator_loss(real, fake);
    const auto history_g = history_G_.penalty();
    opt_G_->zero_grad();
    (history_weight_ > 0 ? loss_g + history_weight_ * history_g : loss_g).backward();
    opt_G_->step();
    history_G_.update();

    StepStats stats = {{"loss_d", loss_d.item<double>()},
                       {"loss_g", loss_g.item<double>()},
                       {"d_real", torch::sigmoid(logits_real).mean().item<double>()},
                       {"d_fake", torch::sigmoid(logits_fake).mean().item<double>()},
                       {"history_d", history_d.item<double>()},
                       {"history_g", history_g.item<double>()}};
    if (labels_ > 0) {
        stats.push_back({"loss_supervised", loss_supervised.item<double>()});
        stats.push_back({"loss_unsupervised", loss_unsupervised.item<double>()});
        stats.push_back({"labelled_accuracy", accuracy.item<double>()});
    }
    return stats;
}

void ImprovedDcgan::refresh_reference_statistics() {
    if (!virtual_batch_norm_) return;
    torch::NoGradGuard no_grad;
    const bool was_training = G_->is_training();
    G_->train();
    G_->forward(reference_z_);
    G_->train(was_training);
}

torch::Tensor ImprovedDcgan::sample(const torch::Tensor& z, const GeneratorInputs& /*inputs*/) {
    refresh_reference_statistics();
    return eval_forward(G_, z.to(device_));
}

ExportSpec ImprovedDcgan::export_spec() {
    refresh_reference_statistics();  // the exported affine = the current weights' reference statistics
    ExportSpec spec = GeneratorCritic::export_spec();
    if (labels_ > 0) {
        // D's K class logits, and the baseline trained on the same labelled images alone: what
        // `ganzoo eval` scores on the test set.
        spec.inputs["image"] = {{"shape", {shape_.channels, shape_.height, shape_.width}}, {"labelled", labels_}};
        spec.nets.push_back({"D_classes", {"image"}, D_average_ ? D_average_ : D_});
        spec.nets.push_back({"C_baseline", {"image"}, C_});
    }
    return spec;
}

void ImprovedDcgan::save(torch::serialize::OutputArchive& archive) {
    GeneratorCritic::save(archive);
    if (labels_ > 0) {
        write_parts<torch::nn::Module>(archive, {{"C_baseline", C_.get()}});
        write_number(archive, "baseline_trained", baseline_trained_);
    }
    if (data_init_) write_number(archive, "data_initialised", data_initialised_);
    if (D_average_) {
        write_parts<torch::nn::Module>(archive, {{"D_average", D_average_.get()}});
        write_number(archive, "d_average_steps", d_average_steps_);
    }
    archive.write("reference_z", reference_z_);
    history_G_.save(archive, "history_G");
    history_D_.save(archive, "history_D");
}

void ImprovedDcgan::load(torch::serialize::InputArchive& archive) {
    GeneratorCritic::load(archive);
    if (labels_ > 0) {
        read_parts<torch::nn::Module>(archive, {{"C_baseline", C_.get()}});
        baseline_trained_ = read_number(archive, "baseline_trained");
        if (baseline_trained_ != 0)
            for (auto& p : C_->parameters()) p.set_requires_grad(false);
    }
    if (data_init_) data_initialised_ = read_number(archive, "data_initialised");
    if (D_average_) {
        read_parts<torch::nn::Module>(archive, {{"D_average", D_average_.get()}});
        d_average_steps_ = read_number(archive, "d_average_steps");
    }
    torch::Tensor z;
    archive.read("reference_z", z);
    if (!z.sizes().equals(reference_z_.sizes()))
        throw std::runtime_error("checkpoint: reference_z has shape " + std::to_string(z.size(0)) + "x" +
                                 std::to_string(z.dim() > 1 ? z.size(1) : 0) + ", the config wants " +
                                 std::to_string(reference_z_.size(0)) + "x" + std::to_string(z_dim_));
    reference_z_ = z.to(device_);
    history_G_.load(archive, "history_G");
    history_D_.load(archive, "history_D");
}

GANZOO_REGISTER_FAMILY(improved_dcgan, {"improved-dcgan", "Improved DCGAN (Salimans et al. 2016)",
                                        [] { return std::make_unique<ImprovedDcgan>(); }});

}  // namespace ganzoo::models
