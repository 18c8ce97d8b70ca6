#include "models/wasserstein.hpp"

#include <cmath>

namespace ganzoo::models {

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake, torch::Tensor eps) {
    if (!eps.defined()) {
        std::vector<int64_t> per_sample(real.dim(), 1);
        per_sample[0] = real.size(0);
        eps = torch::rand(per_sample, real.options());
    }
    const auto mixed = (eps * real + (1 - eps) * fake.detach()).requires_grad_(true);
    const auto scores = critic(mixed);
    const auto grad = torch::autograd::grad({scores.sum()}, {mixed}, /*grad_outputs=*/{},
                                            /*retain_graph=*/true, /*create_graph=*/true)[0];
    // The tiny constant keeps the norm's derivative finite where a gradient is exactly zero.
    const auto norm = torch::sqrt(grad.flatten(1).pow(2).sum(1) + 1e-12);
    return (norm - 1).pow(2).mean();
}

void clip_parameters(torch::nn::Module& critic, double c) {
    torch::NoGradGuard no_grad;
    for (auto& p : critic.parameters()) p.clamp_(-c, c);
}

json Wgan::defaults(bool cuda) const {
    json d = recipe_;
    if (cuda) d["width"] = d.at("width").get<int64_t>() * 2;
    return d;
}

void Wgan::build(const json& config, const ImageShape& shape, int64_t /*num_classes*/,
                      torch::Device device) {
    z_dim_ = config_value<int64_t>(config, "z_dim");
    const auto width = config_value<int64_t>(config, "width");
    n_critic_ = config_value<int64_t>(config, "n_critic");
    clip_ = config_value<double>(config, "clip");
    gp_lambda_ = config_value<double>(config, "gp_lambda");
    const auto norm = critic_norm_from(config_value<std::string>(config, "critic_norm"));
    const auto generator_norm = config.value("generator_norm", std::string("batch"));
    if (generator_norm != "batch" && generator_norm != "none")
        throw std::invalid_argument("config: 'generator_norm' must be \"batch\" or \"none\", got \"" + generator_norm + "\"");
    if (z_dim_ < 1 || width < 1) throw std::invalid_argument(name_ + ": z_dim and width must be >= 1");
    if (n_critic_ < 1 || n_critic_ > 1000) throw std::invalid_argument(name_ + ": n_critic must be in [1, 1000]");
    if (!(clip_ >= 0) || !(gp_lambda_ >= 0)) throw std::invalid_argument(name_ + ": clip and gp_lambda must be >= 0");
    if (gp_lambda_ > 0 && norm == CriticNorm::Batch)
        throw std::invalid_argument(name_ + ": the gradient penalty is per sample, batch norm in the critic breaks "
                                            "it (Gulrajani et al. §4): set critic_norm to \"layer\" or \"none\"");
    G_ = make_dcgan_generator(z_dim_, width, shape, name_, generator_norm == "batch");
    D_ = make_dcgan_discriminator(width, shape, norm, name_);
    init_dcgan_weights(*G_);
    init_dcgan_weights(*D_);
    G_->to(device);
    D_->to(device);
    const auto lr = config_value<double>(config, "lr");
    const auto optimizer = config_value<std::string>(config, "optimizer");
    auto make = [&](std::vector<torch::Tensor> params) -> std::unique_ptr<torch::optim::Optimizer> {
        if (optimizer == "rmsprop") return std::make_unique<torch::optim::RMSprop>(params, torch::optim::RMSpropOptions(lr));
        if (optimizer == "adam")
            return std::make_unique<torch::optim::Adam>(
                params, torch::optim::AdamOptions(lr).betas(
                            {config_value<double>(config, "beta1"), config_value<double>(config, "beta2")}));
        throw std::invalid_argument("config: 'optimizer' must be \"rmsprop\" or \"adam\", got \"" + optimizer + "\"");
    };
    opt_G_ = make(G_->parameters());
    opt_D_ = make(D_->parameters());
    device_ = device;
    critic_steps_ = 0;
}

StepStats Wgan::train_step(const Batch& batch) {
    const auto& real = batch.images;
    torch::Tensor fake;
    {
        torch::NoGradGuard no_grad;
        fake = G_->forward(batch_randn(batch, {z_dim_}));
    }

    // Critic: maximise E[D(x)] − E[D(G(z))] (minimise its negative), plus λ·penalty.
    const auto score_fake = D_->forward(fake).mean();
    const auto wasserstein = D_->forward(real).mean() - score_fake;
    auto loss_d = -wasserstein;
    torch::Tensor penalty;
    if (gp_lambda_ > 0) {
        std::vector<int64_t> per_sample(real.dim() - 1, 1);  // ε: one per sample, [B, 1, 1, 1]
        penalty = gradient_penalty([&](const torch::Tensor& x) { return D_->forward(x); }, real, fake,
                                   batch_rand(batch, per_sample));
        loss_d = loss_d + gp_lambda_ * penalty;
    }
    opt_D_->zero_grad();
    loss_d.backward();
    opt_D_->step();
    if (clip_ > 0) clip_parameters(*D_, clip_);
    critic_steps_ += 1;

    // Generator, every n_critic critic steps: maximise E[D(G(z))].
    if (std::fmod(critic_steps_, static_cast<double>(n_critic_)) == 0) {
        const auto loss_g = -D_->forward(G_->forward(batch_randn(batch, {z_dim_}))).mean();
        opt_G_->zero_grad();
        loss_g.backward();
        opt_G_->step();
    }
    return {{"wasserstein", wasserstein.item<double>()},
            {"loss_d", loss_d.item<double>()},
            {"gradient_penalty", penalty.defined() ? penalty.item<double>() : 0.0},
            // G's objective −E[D(G(z))] on this step's fakes: defined on every step, not only
            // on the generator's.
            {"loss_g", -score_fake.item<double>()}};
}

}  // namespace ganzoo::models
