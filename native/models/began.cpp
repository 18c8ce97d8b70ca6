// BEGAN — Berthelot, Schumm & Metz, "BEGAN: Boundary Equilibrium Generative Adversarial
// Networks", arXiv 1703.10717.
//
// What the paper does, and where it is here (each mechanism a recipe key):
//   - D is an autoencoder; L(v) = mean |v − D(v)| (L1, η = 1) is its pixel reconstruction
//     loss. D minimises L(x) − k_t·L(G(z)), G minimises L(G(z)); both step at once, from the
//     same forward pass (eq. 4);
//   - equilibrium: k_{t+1} = clip(k_t + λ_k(γ·L(x) − L(G(z))), 0, 1) with diversity ratio
//     γ = 0.5 (`gamma`), λ_k = 0.001 (`lambda_k`), k_0 = 0 (`k0`);
//   - M_global = L(x) + |γ·L(x) − L(G(z))| tracks convergence (logged with k_t per step);
//   - nets (Fig. 1): 3×3 convolutions with ELU, no batch norm, no transposed convolutions:
//     the decoder (also G) upsamples by nearest neighbour, the encoder subsamples with stride 2
//     and widens linearly (n, 2n, 3n); an h-dimensional bottleneck (h = z = 64);
//   - Adam, lr 1e-4, β1 0.5.
// Scaled for 28×28 and two CPU cores: n = 16 filters (the paper's 64 on CUDA; 16 trains ~2.3×
// faster than 32 here), blocks at 7, 14 and 28 px,
// batch 16 as the paper (k_t moves per step: a larger batch slows its control in wall time).
// z_D and z_G are separate draws (eq. 4: D's loss reads G(z_D), G's loss and k's update G(z_G)).
// The learning rate halves whenever M_global stalls (`lr_stall_window` steps per window, 0 = off;
// StallDecay in began.hpp says what "stalls" means here).
// The paper's optional skip connections (§3.5, its architecture): `skip` (off by default), SkipDecoder in G and
// in D's decoder.
// Deviations: z ~ N(0, I) rather than U[−1, 1] (the core's latent stream is normal for every
// member).
// Not in the paper, off by default: `pull_away` > 0 adds EBGAN's pulling-away term on D's
// encodings of the fakes to G's loss (BEGAN's D is EBGAN's autoencoder; the term counters the
// mode dropping that the equilibrium alone leaves, docs/members/began.md).
#include "models/began.hpp"

#include <algorithm>
#include <cmath>

#include "models/conv_nets.hpp"

namespace ganzoo::models {

double began_k_update(double k, double lambda_k, double gamma, double loss_real, double loss_fake) {
    return std::clamp(k + lambda_k * (gamma * loss_real - loss_fake), 0.0, 1.0);
}

double began_convergence(double gamma, double loss_real, double loss_fake) {
    return loss_real + std::abs(gamma * loss_real - loss_fake);
}

double StallDecay::update(double m_global) {
    if (window <= 0) return lr;
    sum += m_global;
    count += 1;
    if (count < static_cast<double>(window)) return lr;
    const double mean = sum / count;
    sum = count = 0;
    if (best > 0 && mean > best * (1 - min_gain)) lr = std::max(floor, lr * factor);  // stalled
    if (best == 0 || mean < best) best = mean;
    return lr;
}

torch::Tensor pulling_away(const torch::Tensor& s) {
    const int64_t n = s.size(0);
    if (n < 2) return torch::zeros({}, s.options());
    const auto unit = s.flatten(1) / s.flatten(1).norm(2, 1, /*keepdim=*/true).clamp_min(1e-12);
    const auto off_diagonal = 1 - torch::eye(n, s.options());
    return (unit.matmul(unit.t()).pow(2) * off_diagonal).sum() / static_cast<double>(n * (n - 1));
}

// ---- the decoder with skip connections ---------------------------------------------------------

SkipDecoderImpl::SkipDecoderImpl(int64_t h_dim_, int64_t n_, int64_t channels_, int64_t base_h_, int64_t base_w_,
                                 int64_t stages_)
    : h_dim(h_dim_), n(n_), channels(channels_), base_h(base_h_), base_w(base_w_), stages(stages_) {
    reset();
}

void SkipDecoderImpl::reset() {
    namespace nn = torch::nn;
    fc = register_module("fc", nn::Linear(h_dim, n * base_h * base_w));
    convs.clear();
    for (int64_t stage = 0; stage <= stages; ++stage) {
        const int64_t in = stage == 0 ? n : 2 * n;  // later blocks: the features and h0, upsampled
        convs.push_back(register_module("conv" + std::to_string(2 * stage), nn::Conv2d(nn::Conv2dOptions(in, n, 3).padding(1))));
        convs.push_back(register_module("conv" + std::to_string(2 * stage + 1), nn::Conv2d(nn::Conv2dOptions(n, n, 3).padding(1))));
    }
    convs.push_back(register_module("out", nn::Conv2d(nn::Conv2dOptions(n, channels, 3).padding(1))));
}

void SkipDecoderImpl::pretty_print(std::ostream& stream) const {
    stream << "SkipDecoder(h=" << h_dim << ", n=" << n << ", " << base_h << "x" << base_w << ", stages=" << stages << ")";
}

torch::Tensor SkipDecoderImpl::forward(const torch::Tensor& h) {
    const auto h0 = fc->forward(h).view({-1, n, base_h, base_w});
    auto x = h0;
    for (int64_t stage = 0; stage <= stages; ++stage) {
        if (stage > 0) {
            const double scale = static_cast<double>(int64_t{1} << stage);
            namespace F = torch::nn::functional;
            const auto up = [](const torch::Tensor& t, double f) {
                return F::interpolate(t, F::InterpolateFuncOptions().scale_factor(std::vector<double>{f, f}).mode(torch::kNearest));
            };
            x = torch::cat({up(x, 2.0), up(h0, scale)}, 1);
        }
        x = torch::elu(convs[2 * stage]->forward(x));
        x = torch::elu(convs[2 * stage + 1]->forward(x));
    }
    return convs.back()->forward(x);
}

std::vector<ExportOp> SkipDecoderImpl::export_ops() const {
    const auto cpu = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble); };
    const auto conv = [&](const torch::nn::Conv2d& c) {
        return ExportOp{{{"op", "conv2d"}, {"stride", {1, 1}}, {"padding", {1, 1}}}, {{"weight", cpu(c->weight)}, {"bias", cpu(c->bias)}}};
    };
    std::vector<ExportOp> ops;
    ops.push_back({{{"op", "linear"}}, {{"weight", cpu(fc->weight)}, {"bias", cpu(fc->bias)}}});
    ops.push_back({{{"op", "reshape"}, {"shape", {n, base_h, base_w}}, {"out", "$h0"}}, {}});
    for (int64_t stage = 0; stage <= stages; ++stage) {
        if (stage > 0) {
            const int64_t scale = int64_t{1} << stage;
            const std::string x = "$x" + std::to_string(stage), skip = "$h0_" + std::to_string(stage);
            ops.push_back({{{"op", "upsample_nearest"}, {"scale", {2, 2}}, {"out", x}}, {}});
            ops.push_back({{{"op", "upsample_nearest"}, {"scale", {scale, scale}}, {"in", {"$h0"}}, {"out", skip}}, {}});
            ops.push_back({{{"op", "concat"}, {"axis", 1}, {"in", {x, skip}}}, {}});
        }
        for (int k = 0; k < 2; ++k) {
            ops.push_back(conv(convs[static_cast<size_t>(2 * stage + k)]));
            ops.push_back({{{"op", "elu"}, {"alpha", 1.0}}, {}});
        }
    }
    ops.push_back(conv(convs.back()));
    return ops;
}

namespace {

namespace nn = torch::nn;

void conv_elu(nn::Sequential& net, int64_t in, int64_t out, int64_t stride = 1) {
    net->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1)));
    net->push_back(nn::ELU());
}

// h → Linear → [n, base] → (conv ELU conv ELU, upsample ×2)… → conv ELU conv ELU → conv → image.
void append_decoder(nn::Sequential& net, int64_t h_dim, int64_t n, const ImageShape& shape, const LadderShapes& s) {
    net->push_back(nn::Linear(h_dim, n * s.base_h * s.base_w));
    net->push_back(nn::Unflatten(nn::UnflattenOptions(1, {n, s.base_h, s.base_w})));
    for (int64_t stage = 0; stage <= s.stages; ++stage) {
        conv_elu(net, n, n);
        conv_elu(net, n, n);
        if (stage < s.stages)
            net->push_back(nn::Upsample(
                nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest)));
    }
    net->push_back(nn::Conv2d(nn::Conv2dOptions(n, shape.channels, 3).padding(1)));
}

// image → conv ELU → (conv ELU conv ELU, stride-2 conv to +n channels)… → conv ELU conv ELU → Linear → h.
void append_encoder(nn::Sequential& net, int64_t h_dim, int64_t n, const ImageShape& shape, const LadderShapes& s) {
    conv_elu(net, shape.channels, n);
    int64_t channels = n;
    for (int64_t stage = 0; stage <= s.stages; ++stage) {
        conv_elu(net, channels, channels);
        conv_elu(net, channels, channels);
        if (stage < s.stages) {
            conv_elu(net, channels, channels + n, 2);
            channels += n;
        }
    }
    net->push_back(nn::Flatten());
    net->push_back(nn::Linear(channels * s.base_h * s.base_w, h_dim));
}

// The autoencoder's modules [begin, end) applied in turn (D's encoder is its first modules).
torch::Tensor run_modules(nn::Sequential& net, size_t begin, size_t end, torch::Tensor x) {
    auto it = net->begin() + static_cast<std::ptrdiff_t>(begin);
    for (size_t i = begin; i < end; ++i, ++it) x = it->forward(x);
    return x;
}

void set_gradients(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads) {
    for (size_t i = 0; i < params.size(); ++i) params[i].mutable_grad() = grads[i];
}

class Began final : public GeneratorCritic {
public:
    json defaults(bool cuda) const override {
        return {{"z_dim", 64}, {"width", cuda ? 64 : 16}, {"batch", 16},     {"lr", 1e-4},     {"beta1", 0.5},
                {"beta2", 0.999}, {"gamma", 0.5},          {"lambda_k", 1e-3}, {"k0", 0.0},
                {"pull_away", 0.0}, {"lr_stall_window", 3000}, {"skip", false}};
    }

    void build(const json& config, const ImageShape& shape, int64_t /*num_classes*/,
               torch::Device device) override {
        z_dim_ = config_value<int64_t>(config, "z_dim");
        const auto n = config_value<int64_t>(config, "width");
        gamma_ = config_value<double>(config, "gamma");
        lambda_k_ = config_value<double>(config, "lambda_k");
        k_ = config_value<double>(config, "k0");
        pull_away_ = config_value<double>(config, "pull_away");
        if (z_dim_ < 1 || n < 1) throw std::invalid_argument("began: z_dim and width must be >= 1");
        if (!(gamma_ >= 0 && gamma_ <= 1)) throw std::invalid_argument("began: gamma must be in [0, 1]");
        if (!(lambda_k_ >= 0)) throw std::invalid_argument("began: lambda_k must be >= 0");
        if (!(k_ >= 0 && k_ <= 1)) throw std::invalid_argument("began: k0 must be in [0, 1]");
        if (!(pull_away_ >= 0)) throw std::invalid_argument("began: pull_away must be >= 0");
        decay_ = StallDecay{};
        // Absent from runs that predate it: off, as they trained.
        decay_.window = config.value("lr_stall_window", int64_t{0});
        decay_.lr = config_value<double>(config, "lr");
        if (decay_.window < 0) throw std::invalid_argument("began: lr_stall_window must be >= 0 (0: no decay)");
        const LadderShapes s = ladder_shapes(shape, n, "began");
        // Absent from runs that predate it: the plain decoder, as they trained.
        const bool skip = config.value("skip", false);
        const auto decoder = [&](nn::Sequential& net) {
            if (skip) net->push_back(SkipDecoder(z_dim_, n, shape.channels, s.base_h, s.base_w, s.stages));
            else append_decoder(net, z_dim_, n, shape, s);
        };
        G_ = nn::Sequential();
        decoder(G_);  // G has the decoder's architecture (h = z)
        D_ = nn::Sequential();
        append_encoder(D_, z_dim_, n, shape, s);
        encoder_size_ = D_->size();
        decoder(D_);
        finish_with_adam(config, device);
    }

    // Eq. 4: both networks step from the same forward pass; then k moves toward equilibrium.
    StepStats train_step(const Batch& batch) override {
        const auto& real = batch.images;
        set_learning_rate(decay_.lr);
        // Eq. 4: D's loss on G(z_D), G's on G(z_G), two draws.
        const auto z_d = batch_randn(batch, {z_dim_});
        const auto z_g = batch_randn(batch, {z_dim_});
        const auto loss_real = reconstruction_loss(real).first;
        const auto loss_fake_d = reconstruction_loss(G_->forward(z_d)).first;  // L(G(z_D))
        const auto [loss_fake, code_fake] = reconstruction_loss(G_->forward(z_g));  // L(G(z_G)): G's loss
        const auto loss_d = loss_real - k_ * loss_fake_d;
        const auto pull = pull_away_ > 0 ? pulling_away(code_fake) : torch::Tensor();
        const auto loss_g = pull_away_ > 0 ? loss_fake + pull_away_ * pull : loss_fake;
        const auto d_params = D_->parameters(), g_params = G_->parameters();
        const auto d_grads = torch::autograd::grad({loss_d}, d_params, {}, /*retain_graph=*/true);
        const auto g_grads = torch::autograd::grad({loss_g}, g_params);
        set_gradients(d_params, d_grads);
        set_gradients(g_params, g_grads);
        opt_D_->step();
        opt_G_->step();

        // k is the member's own state: every rank must move it by the global batch's losses.
        const auto losses =
            average_over_ranks(batch, {loss_real.item<double>(), loss_fake.item<double>(), loss_fake_d.item<double>()});
        const double l_real = losses[0], l_fake = losses[1];
        k_ = began_k_update(k_, lambda_k_, gamma_, l_real, l_fake);
        const double m_global = began_convergence(gamma_, l_real, l_fake);
        const double lr = decay_.lr;
        decay_.update(m_global);
        StepStats stats = {{"loss_d", loss_d.item<double>()},
                           {"loss_g", l_fake},  // L(G(z_G)), the paper's; G's loss adds the term below
                           {"loss_real", l_real},
                           {"loss_fake_d", losses[2]},  // L(G(z_D)), in D's loss
                           {"k_t", k_},
                           {"m_global", m_global},
                           {"lr", lr}};
        if (pull_away_ > 0) stats.push_back({"pull_away", pull.item<double>()});
        return stats;
    }

private:
    std::vector<std::pair<std::string, double*>> checkpoint_scalars() override {
        return {{"k", &k_}, {"lr", &decay_.lr}, {"stall_best", &decay_.best}, {"stall_sum", &decay_.sum},
                {"stall_count", &decay_.count}};
    }

    void set_learning_rate(double lr) {
        for (auto* opt : {opt_G_.get(), opt_D_.get()})
            for (auto& group : opt->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }

    // Mean absolute pixel error of the autoencoder D, the paper's L(v) with η = 1, and D's
    // encoding of v (its bottleneck h).
    std::pair<torch::Tensor, torch::Tensor> reconstruction_loss(const torch::Tensor& v) {
        const auto code = run_modules(D_, 0, encoder_size_, v);
        const auto reconstruction = run_modules(D_, encoder_size_, D_->size(), code);
        return {(reconstruction - v).abs().mean(), code};
    }

    double gamma_ = 0.5, lambda_k_ = 1e-3, k_ = 0, pull_away_ = 0;
    StallDecay decay_;
    size_t encoder_size_ = 0;
};

}  // namespace

GANZOO_REGISTER_FAMILY(began, {"began", "BEGAN (Berthelot et al. 2017)", [] { return std::make_unique<Began>(); }});

}  // namespace ganzoo::models
