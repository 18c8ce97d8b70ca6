// DCGAN — Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep
// Convolutional Generative Adversarial Networks", arXiv 1511.06434.
//
// The paper's recipe, and how it is scaled for 28×28 Fashion-MNIST:
//   - no pooling: strided convolutions in D, fractionally-strided (transposed) ones in G;
//     G starts with a "project and reshape" linear layer, D ends with a linear logit;
//   - batch norm in both nets, except G's output layer and D's input layer;
//   - ReLU in G (tanh at the output), LeakyReLU 0.2 in D;
//   - Adam, lr 2e-4, β1 0.5; weights N(0, 0.02); z ~ N(0, I), 100 dimensions.
// The paper's 64×64 nets have four up/down-sampling stages of 1024→128 channels. A 28×28
// image needs two (7 → 14 → 28), so here G is z → 2W×7×7 → W×14×14 → C×28×28 and D mirrors
// it. W ("width") is 64 on the CPU (an epoch of 60k images takes a few minutes on two
// cores) and 128 on CUDA. Larger square images (a --data folder at 32 or 64 px) get
// more stages: each stage halves the side until it is at most 7 or 8, doubling channels.
//
// Shapes at the defaults (W = 64, 28×28×1):
//   G: z[100] → Linear → [128·7·7] → reshape [128,7,7] → BN → ReLU
//        → ConvT(128→64, k4 s2 p1) [64,14,14] → BN → ReLU → ConvT(64→1, k4 s2 p1) [1,28,28] → tanh
//   D: x[1,28,28] → Conv(1→64, k4 s2 p1) [64,14,14] → LReLU
//        → Conv(64→128, k4 s2 p1) [128,7,7] → BN → LReLU → flatten → Linear → logit
#include "models/conv_nets.hpp"

namespace ganzoo::models {
namespace {

class Dcgan final : public GeneratorCritic {
public:
    json defaults(bool cuda) const override {
        return {{"z_dim", 100}, {"width", cuda ? 128 : 64}, {"lr", 2e-4},
                {"beta1", 0.5}, {"beta2", 0.999},           {"batch", 128}};
    }

    void build(const json& config, const ImageShape& shape, int64_t /*num_classes*/,
               torch::Device device) override {
        z_dim_ = config_value<int64_t>(config, "z_dim");
        const auto width = config_value<int64_t>(config, "width");
        if (z_dim_ < 1 || width < 1) throw std::invalid_argument("dcgan: z_dim and width must be >= 1");
        G_ = make_dcgan_generator(z_dim_, width, shape, "dcgan");
        D_ = make_dcgan_discriminator(width, shape, CriticNorm::Batch, "dcgan");
        init_dcgan_weights(*G_);
        init_dcgan_weights(*D_);
        finish_with_adam(config, device);
    }

    StepStats train_step(const Batch& batch) override {
        const int64_t n = batch.images.size(0);
        const auto ones = torch::ones({n, 1}, batch.images.options());
        const auto zeros = torch::zeros({n, 1}, batch.images.options());
        const auto z = batch_randn(batch, {z_dim_});
        const auto fake = G_->forward(z);

        // D: maximise log D(x) + log(1 − D(G(z))).
        const auto logits_real = D_->forward(batch.images);
        const auto logits_fake = D_->forward(fake.detach());
        const auto loss_d = torch::binary_cross_entropy_with_logits(logits_real, ones) +
                            torch::binary_cross_entropy_with_logits(logits_fake, zeros);
        opt_D_->zero_grad();
        loss_d.backward();
        opt_D_->step();

        // G: the non-saturating loss of the paper, maximise log D(G(z)).
        const auto loss_g = torch::binary_cross_entropy_with_logits(D_->forward(fake), ones);
        opt_G_->zero_grad();
        loss_g.backward();
        opt_G_->step();

        return {{"loss_d", loss_d.item<double>()},
                {"loss_g", loss_g.item<double>()},
                {"d_real", torch::sigmoid(logits_real).mean().item<double>()},
                {"d_fake", torch::sigmoid(logits_fake).mean().item<double>()}};
    }
};

}  // namespace

GANZOO_REGISTER_FAMILY(dcgan, {"dcgan", "DCGAN (Radford et al. 2016)",
                               [] { return std::make_unique<Dcgan>(); }});

}  // namespace ganzoo::models
