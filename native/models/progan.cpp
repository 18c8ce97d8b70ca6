// ProGAN — Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
// Stability, and Variation", arXiv 1710.10196 (ICLR 2018).
//
// What the paper brings, each in this file:
//   - progressive growing (§3): G and D start at 4×4 and gain a block per stage up to 32×32
//     (Fashion-MNIST padded 28 → 32 with the background −1); each new block is faded in with
//     α rising linearly from 0 to 1 over `fade_images`, in G, in D and in the real images;
//   - the minibatch standard deviation channel at the end of D (§3);
//   - the equalized learning rate (§4.1): weights N(0, 1), scaled by √(2 / fan_in) at run time;
//   - pixelwise feature normalization in G (§4.2), on z and after every conv;
//   - the loss: WGAN-GP (λ = 10, n_critic = 1, the shared gradient_penalty()) plus the drift
//     term 0.001·E[D(x)²] (appendix A.1); Adam lr 1e-3, β = (0, 0.99).
// Stage and α are functions of the images the critic has seen (a checkpoint scalar), so a
// resumed run continues where it stopped.
#include "models/progan.hpp"

#include <map>

#include "models/average.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "models/parts.hpp"
#include "models/wasserstein.hpp"

namespace ganzoo::models::progan {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {
torch::Tensor cpu_double(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble); }

nn::LeakyReLU lrelu() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); }

nn::Upsample upsample(int64_t factor) {
    const double f = static_cast<double>(factor);
    return nn::Upsample(nn::UpsampleOptions().scale_factor(std::vector<double>{f, f}).mode(torch::kNearest));
}

torch::Tensor upsample2(const torch::Tensor& x) {
    return F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
}
}  // namespace

torch::Tensor pixel_norm(const torch::Tensor& x, double eps) {
    return x * torch::rsqrt(x.pow(2).mean(1, /*keepdim=*/true) + eps);
}

torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const int64_t g = group_size <= 0 || group_size > n || n % group_size != 0 ? n : group_size;
    const int64_t m = n / g;
    const auto y = x.reshape({g, m, c, h, w});                                // [G, M, C, H, W]
    const auto centred = y - y.mean(0, /*keepdim=*/true);
    const auto stddev = torch::sqrt(centred.pow(2).mean(0) + 1e-8);            // [M, C, H, W], biased
    const auto per_group = stddev.mean({1, 2, 3}).view({1, m, 1, 1, 1});       // [1, M, 1, 1, 1]
    return torch::cat({x, per_group.expand({g, m, 1, h, w}).reshape({n, 1, h, w})}, 1);
}

double he_scale(int64_t fan_in, double gain) { return gain / std::sqrt(static_cast<double>(fan_in)); }

std::vector<ExportOp> PixelNormImpl::export_ops() const { return {{{{"op", "pixel_norm"}, {"eps", eps_}}, {}}}; }

EqualizedConv2dImpl::EqualizedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t pad, double gain)
    : scale(he_scale(in * kernel * kernel, gain)), padding(pad) {
    weight = register_parameter("weight", torch::randn({out, in, kernel, kernel}));
    bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor EqualizedConv2dImpl::forward(const torch::Tensor& x) {
    return torch::conv2d(x, weight * scale, bias, /*stride=*/1, padding);
}

std::vector<ExportOp> EqualizedConv2dImpl::export_ops() const {
    return {{{{"op", "conv2d"}, {"stride", {1, 1}}, {"padding", {padding, padding}}},
             {{"weight", cpu_double(weight) * scale}, {"bias", cpu_double(bias)}}}};
}

EqualizedLinearImpl::EqualizedLinearImpl(int64_t in, int64_t out, double gain) : scale(he_scale(in, gain)) {
    weight = register_parameter("weight", torch::randn({out, in}));
    bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor EqualizedLinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, weight * scale, bias); }

std::vector<ExportOp> EqualizedLinearImpl::export_ops() const {
    return {{{{"op", "linear"}}, {{"weight", cpu_double(weight) * scale}, {"bias", cpu_double(bias)}}}};
}

std::vector<int64_t> stage_channels(int64_t width, int64_t stages) {
    std::vector<int64_t> channels;
    for (int64_t k = 0; k < stages; ++k) channels.push_back(std::min(4 * width, width << (stages - 1 - k)));
    return channels;
}

Schedule::Point Schedule::at(double images) const {
    if (images < stabilize || stages == 1) return {0, 1.0};
    const double phase = fade + stabilize;
    const double t = images - stabilize;
    const auto k = phase > 0 ? 1 + static_cast<int64_t>(std::floor(t / phase)) : stages;
    if (k >= stages) return {stages - 1, 1.0};
    const double within = t - static_cast<double>(k - 1) * phase;
    return {k, within < fade ? within / fade : 1.0};
}

int64_t Schedule::finished(double images) const {
    const auto p = at(images);
    return p.alpha >= 1.0 ? p.stage + 1 : p.stage;
}

// ---- generator ------------------------------------------------------------------------------

GeneratorImpl::GeneratorImpl(int64_t z_dim, std::vector<int64_t> channels, int64_t image_channels) {
    for (size_t k = 0; k < channels.size(); ++k) {
        const int64_t c = channels[k];
        nn::Sequential block;
        if (k == 0) {
            // The paper's 4×4 conv on a 1×1 input is this linear layer reshaped to C×4×4, with
            // the official code's gain √2/4 ("to match the original Theano implementation").
            block->push_back(PixelNorm());
            block->push_back(EqualizedLinear(z_dim, c * 16, std::sqrt(2.0) / 4));
            block->push_back(nn::Unflatten(nn::UnflattenOptions(1, {c, 4, 4})));
        } else {
            block->push_back(upsample(2));
            block->push_back(EqualizedConv2d(channels[k - 1], c, 3, 1));
        }
        block->push_back(lrelu());
        block->push_back(PixelNorm());
        block->push_back(EqualizedConv2d(c, c, 3, 1));
        block->push_back(lrelu());
        block->push_back(PixelNorm());
        blocks_.push_back(register_module("block" + std::to_string(k), block));
        // toRGB is linear: gain 1, as the official code.
        to_rgb_.push_back(register_module("to_rgb" + std::to_string(k), EqualizedConv2d(c, image_channels, 1, 0, 1.0)));
    }
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z, int64_t stage, double alpha) {
    auto h = blocks_[0]->forward(z);
    for (int64_t k = 1; k < stage; ++k) h = blocks_[k]->forward(h);
    if (stage == 0) return to_rgb_[0]->forward(h);
    const auto fresh = to_rgb_[stage]->forward(blocks_[stage]->forward(h));
    if (alpha >= 1.0) return fresh;
    const auto old = upsample2(to_rgb_[stage - 1]->forward(h));
    return old + alpha * (fresh - old);
}

nn::Sequential GeneratorImpl::stage_net(int64_t stage, int64_t factor) const {
    nn::Sequential net;
    for (int64_t k = 0; k <= stage; ++k)
        for (const auto& module : *blocks_[k]) net->push_back(module);
    net->push_back(to_rgb_[stage]);
    if (factor > 1) net->push_back(upsample(factor));
    return net;
}

// ---- discriminator --------------------------------------------------------------------------

DiscriminatorImpl::DiscriminatorImpl(std::vector<int64_t> channels, int64_t image_channels, int64_t mbstd_group)
    : mbstd_group_(mbstd_group) {
    for (size_t k = 0; k < channels.size(); ++k) {
        const int64_t c = channels[k];
        from_rgb_.push_back(register_module("from_rgb" + std::to_string(k),
                                            nn::Sequential(EqualizedConv2d(image_channels, c, 1, 0), lrelu())));
        nn::Sequential block;
        if (k > 0) {
            block->push_back(EqualizedConv2d(c, c, 3, 1));
            block->push_back(lrelu());
            block->push_back(EqualizedConv2d(c, channels[k - 1], 3, 1));
            block->push_back(lrelu());
            block->push_back(nn::AvgPool2d(nn::AvgPool2dOptions(2)));
            register_module("block" + std::to_string(k), block);
        }
        blocks_.push_back(block);
    }
    const int64_t c = channels[0];
    // The score layer is linear: gain 1, as the official code's Dense1.
    head_ = register_module("head", nn::Sequential(EqualizedConv2d(c + 1, c, 3, 1), lrelu(), EqualizedConv2d(c, c, 4, 0),
                                                   lrelu(), nn::Flatten(), EqualizedLinear(c, 1, 1.0)));
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& x, int64_t stage, double alpha) {
    auto h = from_rgb_[stage]->forward(x);
    if (stage > 0) {
        h = blocks_[stage]->forward(h);
        if (alpha < 1.0) {
            const auto old = from_rgb_[stage - 1]->forward(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2)));
            h = old + alpha * (h - old);
        }
    }
    for (int64_t k = stage - 1; k >= 1; --k) h = blocks_[k]->forward(h);
    return head_->forward(minibatch_stddev(h, mbstd_group_));
}

torch::Tensor real_images_at(const torch::Tensor& full, int64_t stage, double alpha) {
    const int64_t factor = full.size(2) / resolution(stage);
    auto x = factor > 1 ? F::avg_pool2d(full, F::AvgPool2dFuncOptions(factor)) : full;
    if (stage == 0 || alpha >= 1.0) return x;
    const auto old = upsample2(F::avg_pool2d(x, F::AvgPool2dFuncOptions(2)));
    return old + alpha * (x - old);
}

// ---- the member -----------------------------------------------------------------------------

json Progan::defaults(bool cuda) const {
    // CPU: widths and phases sized so one run with --threads 1 takes under an hour on this
    // loaded 2-core machine (docs/members/progan.md, "The recipe and why"): width 8 (32, 32, 16,
    // 8 channels), 25,600 images per phase, 3 epochs of 59,968 ≥ the 7 phases' 179,200.
    // CUDA: width 32 and phases ×4.
    json d = {{"z_dim", 128},
              {"width", 8},
              {"stages", 4},
              {"batch", 64},
              {"fade_images", 25600},
              {"stabilize_images", 25600},
              {"epochs", 3},
              {"lr", 1e-3},
              {"beta1", 0.0},
              {"beta2", 0.99},
              {"gp_lambda", 10.0},
              {"drift", 0.001},
              {"mbstd_group", 4},
              {"ema", 0.999}};
    if (cuda) {
        d["width"] = 32;
        d["fade_images"] = 102400;
        d["stabilize_images"] = 102400;
        d["epochs"] = 12;
    }
    return d;
}

void Progan::build(const json& config, const ImageShape& shape, int64_t /*num_classes*/, torch::Device device) {
    z_dim_ = config_value<int64_t>(config, "z_dim");
    const auto width = config_value<int64_t>(config, "width");
    const auto stages = config_value<int64_t>(config, "stages");
    schedule_.fade = config_value<double>(config, "fade_images");
    schedule_.stabilize = config_value<double>(config, "stabilize_images");
    gp_lambda_ = config_value<double>(config, "gp_lambda");
    drift_ = config_value<double>(config, "drift");
    // Absent from a run that predates the key: the whole batch, as it then trained.
    const auto mbstd_group = config.value("mbstd_group", int64_t{0});
    if (mbstd_group < 0) throw std::invalid_argument("progan: mbstd_group must be >= 0 (0: the whole batch)");
    if (z_dim_ < 1) throw std::invalid_argument("progan: z_dim must be >= 1");
    if (stages < 1 || stages > 8) throw std::invalid_argument("progan: stages must be in [1, 8] (4x4 up to 512x512)");
    if (width < 1 || width > 1024) throw std::invalid_argument("progan: width must be in [1, 1024]");
    const auto channels = stage_channels(width, stages);
    if (!(schedule_.fade >= 0) || !(schedule_.stabilize >= 0))
        throw std::invalid_argument("progan: fade_images and stabilize_images must be >= 0");
    if (!(gp_lambda_ >= 0) || !(drift_ >= 0)) throw std::invalid_argument("progan: gp_lambda and drift must be >= 0");
    schedule_.stages = stages;
    full_ = resolution(schedule_.stages - 1);
    if (shape.height > full_ || shape.width > full_ || (full_ - shape.height) % 2 || (full_ - shape.width) % 2)
        throw std::invalid_argument("progan: " + std::to_string(stages) + " stages grow to " +
                                    std::to_string(full_) + "x" + std::to_string(full_) + ", which cannot centre " +
                                    std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                                    " images (set 'stages')");
    pad_h_ = (full_ - shape.height) / 2;
    pad_w_ = (full_ - shape.width) / 2;
    channels_ = shape.channels;
    width_ = width;
    G_ = Generator(z_dim_, channels, channels_);
    D_ = Discriminator(channels, channels_, mbstd_group);
    snapshots_.assign(static_cast<size_t>(stages - 1), Generator{nullptr});
    G_->to(device);
    D_->to(device);
    const auto adam = recipe_adam(config);
    // One optimizer over every stage's parameters: a layer not used yet has no gradient, so
    // Adam leaves it (and its moments) alone until its stage begins.
    opt_G_ = std::make_unique<torch::optim::Adam>(G_->parameters(), adam);
    opt_D_ = std::make_unique<torch::optim::Adam>(D_->parameters(), adam);
    device_ = device;
    images_seen_ = 0;
}

torch::Tensor Progan::pad(const torch::Tensor& images) const {
    if (pad_h_ == 0 && pad_w_ == 0) return images;
    return F::pad(images, F::PadFuncOptions({pad_w_, pad_w_, pad_h_, pad_h_}).value(-1.0));
}

Generator Progan::stage_generator(int64_t k) const {
    if (k >= 0 && k < static_cast<int64_t>(snapshots_.size()) && snapshots_[k]) return snapshots_[k];
    return G_;
}

Generator Progan::copy_generator() const {
    // A new Generator draws its initial weights from the CPU generator: put the state back, so
    // that taking a copy leaves the run's random stream, and so the run, unchanged.
    // (No lock held while building: drawing the weights takes the generator's own mutex.)
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    torch::Tensor state;
    {
        std::lock_guard<std::mutex> lock(cpu.mutex());
        state = cpu.get_state();
    }
    Generator copy(z_dim_, stage_channels(width_, schedule_.stages), channels_);
    {
        std::lock_guard<std::mutex> lock(cpu.mutex());
        cpu.set_state(state);
    }
    copy->to(device_);
    torch::NoGradGuard no_grad;
    // With generator averaging on, a stage's copy is the average's (as the paper shows every
    // resolution from Gs); otherwise the live G's.
    std::map<std::string, torch::Tensor> source;
    if (average())
        for (const auto& [name, tensor] : average()->parameters("G")) source[name] = tensor;
    else
        for (const auto& p : G_->named_parameters()) source[p.key()] = p.value();
    for (auto& p : copy->named_parameters()) {
        p.value().copy_(source.at(p.key()));
        p.value().set_requires_grad(false);
    }
    return copy;
}

void Progan::take_snapshots(int64_t stage) {
    for (int64_t k = 0; k < stage && k < static_cast<int64_t>(snapshots_.size()); ++k)
        if (!snapshots_[k]) snapshots_[k] = copy_generator();
}

StepStats Progan::train_step(const Batch& batch) {
    const auto [stage, alpha] = point();
    // Stage k ends where stage k + 1's fade-in begins: keep G as it is now for every stage
    // that just ended (a batch that crosses more than one boundary ends them all here). A run
    // resumed from a checkpoint older than the copies takes them late, from the live G.
    take_snapshots(stage);
    const auto real = real_images_at(pad(batch.images), stage, alpha);
    torch::Tensor fake;
    {
        torch::NoGradGuard no_grad;
        fake = G_->forward(batch_randn(batch, {z_dim_}), stage, alpha);
    }
    auto critic = [&, s = stage, a = alpha](const torch::Tensor& x) { return D_->forward(x, s, a); };

    // Critic: −(E[D(x)] − E[D(G(z))]) + λ·GP + ε_drift·E[D(x)²].
    const auto score_real = critic(real);
    const auto score_fake = critic(fake);
    const auto wasserstein = score_real.mean() - score_fake.mean();
    const auto drift = score_real.pow(2).mean();
    const auto penalty = gradient_penalty(critic, real, fake, batch_rand(batch, {1, 1, 1}));
    const auto loss_d = -wasserstein + gp_lambda_ * penalty + drift_ * drift;
    opt_D_->zero_grad();
    loss_d.backward();
    opt_D_->step();

    // Generator (n_critic = 1): maximise E[D(G(z))].
    const auto loss_g = -critic(G_->forward(batch_randn(batch, {z_dim_}), stage, alpha)).mean();
    opt_G_->zero_grad();
    loss_g.backward();
    opt_G_->step();

    const int64_t rows = batch.images.size(0);
    images_seen_ += static_cast<double>(batch.shard.global_size > 0 ? batch.shard.global_size : rows);
    return {{"resolution", static_cast<double>(resolution(stage))},
            {"alpha", alpha},
            {"wasserstein", wasserstein.item<double>()},
            {"loss_d", loss_d.item<double>()},
            {"gradient_penalty", penalty.item<double>()},
            {"drift", drift.item<double>()},
            {"loss_g", loss_g.item<double>()}};
}

// What "G" is: the last stage whose fade-in is over, at α = 1, enlarged by nearest upsampling
// to the full resolution (the exported "G" runs the same network).
torch::Tensor Progan::sample(const torch::Tensor& z, const GeneratorInputs& /*inputs*/) {
    torch::NoGradGuard no_grad;
    const int64_t stage = schedule_.finished(images_seen_) - 1;
    auto out = stage_generator(stage)->forward(z.to(device_), stage, 1.0);
    const int64_t factor = full_ / resolution(stage);
    if (factor > 1)
        out = F::interpolate(out, F::InterpolateFuncOptions()
                                      .scale_factor(std::vector<double>{double(factor), double(factor)})
                                      .mode(torch::kNearest));
    return out;
}

ExportSpec Progan::export_spec() {
    ExportSpec spec;
    spec.inputs = {{"z", {{"dim", z_dim_}, {"distribution", "normal"}}}};
    const int64_t finished = schedule_.finished(images_seen_);
    const int64_t last = finished - 1;
    spec.nets.push_back({"G", {"z"}, stage_generator(last)->stage_net(last, full_ / resolution(last))});
    for (int64_t k = 0; k < finished && resolution(k) < full_; ++k) {
        const auto r = std::to_string(resolution(k));
        spec.nets.push_back({"G_" + r + "x" + r, {"z"}, stage_generator(k)->stage_net(k)});
    }
    spec.image = {channels_, full_, full_};
    return spec;
}

void Progan::save(torch::serialize::OutputArchive& archive) {
    write_parts<nn::Module>(archive, {{"G", G_.get()}, {"D", D_.get()}});
    write_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
    write_number(archive, "images_seen", images_seen_);
    for (size_t k = 0; k < snapshots_.size(); ++k)
        if (snapshots_[k]) write_parts<nn::Module>(archive, {{"G_stage" + std::to_string(k), snapshots_[k].get()}});
}

void Progan::load(torch::serialize::InputArchive& archive) {
    read_parts<nn::Module>(archive, {{"G", G_.get()}, {"D", D_.get()}});
    read_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
    images_seen_ = read_number(archive, "images_seen");
    for (size_t k = 0; k < snapshots_.size(); ++k) {
        snapshots_[k] = nullptr;
        torch::serialize::InputArchive part;
        if (!archive.try_read("G_stage" + std::to_string(k), part)) continue;  // not taken yet, or an older run
        snapshots_[k] = copy_generator();  // the right shapes, then the stored weights
        snapshots_[k]->load(part);
    }
}

std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> Progan::networks() {
    return {{"G", G_.ptr()}, {"D", D_.ptr()}};
}

bool Progan::wrap_optimizers(const OptimizerWrap& wrap) {
    opt_G_ = wrap(std::move(opt_G_));
    opt_D_ = wrap(std::move(opt_D_));
    return true;
}

GANZOO_REGISTER_FAMILY(progan, {"progan", "ProGAN (Karras et al. 2018)", [] { return std::make_unique<Progan>(); }});

}  // namespace ganzoo::models::progan
