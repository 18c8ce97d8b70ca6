// What WGAN, WGAN-GP (and ProGAN's loss) share: a critic trained n_critic times per generator
// step on the Wasserstein-1 estimate E[D(x)] − E[D(G(z))], kept (roughly) 1-Lipschitz by weight
// clipping (Arjovsky et al. 2017) or by a gradient penalty (Gulrajani et al. 2017).
#pragma once

#include <functional>

#include "models/conv_nets.hpp"

namespace ganzoo::models {

// Gulrajani et al., eq. 3 without λ: E[(‖∇ₓ̂ D(x̂)‖₂ − 1)²] over x̂ = ε·real + (1 − ε)·fake,
// ε ~ U[0, 1] per sample. Built with create_graph so that its gradient reaches the critic's
// parameters (a double backward). `fake` is detached here. `eps` ([B, 1, 1, 1]) is drawn here
// when not given (the trainer gives it from the global batch's stream: batch_rand).
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake,
                               torch::Tensor eps = {});

// Clamps every critic parameter to [−c, c] (WGAN's Algorithm 1, line 7).
void clip_parameters(torch::nn::Module& critic, double c);

// The recipe keys of a critic GAN (see Wgan::defaults):
//   z_dim, width, batch, n_critic, optimizer ("rmsprop" | "adam"), lr, beta1, beta2,
//   clip (0 = off), gp_lambda (0 = off), critic_norm ("batch" | "layer" | "none"),
//   generator_norm ("batch" | "none"; runs from before it existed read as "batch").
// WGAN and WGAN-GP are this class with different defaults (wgan.cpp, wgan_gp.cpp): every
// mechanism is a key, so either can be switched on, off or combined from the command line.
class Wgan : public GeneratorCritic {
public:
    // `name` prefixes errors ("wgan"); `recipe` is the member's full defaults on the CPU;
    // on CUDA `width` doubles.
    Wgan(std::string name, json recipe) : name_(std::move(name)), recipe_(std::move(recipe)) {}

    json defaults(bool cuda) const override;
    void build(const json& config, const ImageShape& shape, int64_t num_classes, torch::Device device) override;

    // One critic step on `batch`; every n_critic-th call is also a generator step (the critic
    // sees a fresh real batch each time, as in Algorithm 1). Logged per step: the critic's
    // Wasserstein estimate, its loss, the penalty, and the generator's objective.
    StepStats train_step(const Batch& batch) override;
    int64_t critic_steps_per_generator_step() const override { return n_critic_; }

private:
    std::vector<std::pair<std::string, double*>> checkpoint_scalars() override {
        return {{"critic_steps", &critic_steps_}};
    }

    std::string name_;
    json recipe_;
    int64_t n_critic_ = 5;
    double clip_ = 0, gp_lambda_ = 0;
    double critic_steps_ = 0;  // a double: it lives in the checkpoint's scalars
};

}  // namespace ganzoo::models
