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
#include "models/family.hpp"

namespace ganzoo::train {
namespace {

// How many ×2 stages take the image side down to its base (≤ 8): 28 → 7 is 2, 32 → 4 is 3.
int64_t count_stages(int64_t side) {
    int64_t stages = 0;
    while (side % 2 == 0 && side > 8) {
        side /= 2;
        ++stages;
    }
    return stages;
}

struct DcganShapes {
    int64_t stages, base_h, base_w, top_channels;
};

DcganShapes dcgan_shapes(const ImageShape& shape, int64_t width) {
    const int64_t stages = count_stages(std::min(shape.height, shape.width));
    if (stages < 1)
        throw std::invalid_argument("dcgan: image side " + std::to_string(shape.height) +
                                    " must be even and > 8");
    const int64_t scale = int64_t{1} << stages;
    if (shape.height % scale != 0 || shape.width % scale != 0)
        throw std::invalid_argument("dcgan: image " + std::to_string(shape.height) + "x" +
                                    std::to_string(shape.width) + " is not divisible by " +
                                    std::to_string(scale));
    return {stages, shape.height / scale, shape.width / scale, width << (stages - 1)};
}

torch::nn::Sequential make_generator(int64_t z_dim, int64_t width, const ImageShape& shape) {
    namespace nn = torch::nn;
    const DcganShapes s = dcgan_shapes(shape, width);
    nn::Sequential g;
    // Project and reshape; no bias, the batch norm that follows has one.
    g->push_back(nn::Linear(nn::LinearOptions(z_dim, s.top_channels * s.base_h * s.base_w).bias(false)));
    g->push_back(nn::Unflatten(nn::UnflattenOptions(1, {s.top_channels, s.base_h, s.base_w})));
    g->push_back(nn::BatchNorm2d(s.top_channels));
    g->push_back(nn::ReLU());
    int64_t channels = s.top_channels;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        g->push_back(nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(channels, channels / 2, 4).stride(2).padding(1).bias(false)));
        g->push_back(nn::BatchNorm2d(channels / 2));
        g->push_back(nn::ReLU());
        channels /= 2;
    }
    // Output layer: no batch norm (the paper), tanh to [-1, 1].
    g->push_back(nn::ConvTranspose2d(
        nn::ConvTranspose2dOptions(channels, shape.channels, 4).stride(2).padding(1)));
    g->push_back(nn::Tanh());
    return g;
}

torch::nn::Sequential make_discriminator(int64_t width, const ImageShape& shape) {
    namespace nn = torch::nn;
    const DcganShapes s = dcgan_shapes(shape, width);
    nn::Sequential d;
    // Input layer: no batch norm (the paper).
    d->push_back(nn::Conv2d(nn::Conv2dOptions(shape.channels, width, 4).stride(2).padding(1)));
    d->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
    int64_t channels = width;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        d->push_back(nn::Conv2d(
            nn::Conv2dOptions(channels, channels * 2, 4).stride(2).padding(1).bias(false)));
        d->push_back(nn::BatchNorm2d(channels * 2));
        d->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
        channels *= 2;
    }
    d->push_back(nn::Flatten());
    d->push_back(nn::Linear(channels * s.base_h * s.base_w, 1));  // a logit: the loss has the sigmoid
    return d;
}

class Dcgan final : public GanFamily {
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
        G_ = make_generator(z_dim_, width, shape);
        D_ = make_discriminator(width, shape);
        init_dcgan_weights(*G_);
        init_dcgan_weights(*D_);
        G_->to(device);
        D_->to(device);
        const auto adam = torch::optim::AdamOptions(config_value<double>(config, "lr"))
                              .betas({config_value<double>(config, "beta1"),
                                      config_value<double>(config, "beta2")});
        opt_G_ = std::make_unique<torch::optim::Adam>(G_->parameters(), adam);
        opt_D_ = std::make_unique<torch::optim::Adam>(D_->parameters(), adam);
        device_ = device;
    }

    StepStats train_step(const Batch& batch) override {
        const int64_t n = batch.images.size(0);
        const auto ones = torch::ones({n, 1}, batch.images.options());
        const auto zeros = torch::zeros({n, 1}, batch.images.options());
        const auto z = torch::randn({n, z_dim_}, batch.images.options());
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

    torch::Tensor sample(const torch::Tensor& z, const torch::Tensor& /*labels*/) override {
        torch::NoGradGuard no_grad;
        G_->eval();
        auto images = G_->forward(z.to(device_));
        G_->train();
        return images;
    }

    int64_t z_dim() const override { return z_dim_; }

    void save(torch::serialize::OutputArchive& archive) override {
        torch::serialize::OutputArchive g, d, og, od;
        G_->save(g);
        D_->save(d);
        opt_G_->save(og);
        opt_D_->save(od);
        archive.write("G", g);
        archive.write("D", d);
        archive.write("opt_G", og);
        archive.write("opt_D", od);
    }

    void load(torch::serialize::InputArchive& archive) override {
        torch::serialize::InputArchive g, d, og, od;
        archive.read("G", g);
        archive.read("D", d);
        archive.read("opt_G", og);
        archive.read("opt_D", od);
        G_->load(g);
        D_->load(d);
        opt_G_->load(og);
        opt_D_->load(od);
    }

    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() override {
        return {{"G", G_.ptr()}, {"D", D_.ptr()}};
    }

    ExportSpec export_spec() override {
        return {{{"z", {{"dim", z_dim_}, {"distribution", "normal"}}}}, {{"G", {"z"}, G_}}};
    }

private:
    int64_t z_dim_ = 0;
    torch::Device device_ = torch::kCPU;
    torch::nn::Sequential G_{nullptr}, D_{nullptr};
    std::unique_ptr<torch::optim::Adam> opt_G_, opt_D_;
};

}  // namespace

GANZOO_REGISTER_FAMILY(dcgan, {"dcgan", "DCGAN (Radford et al. 2016)",
                               [] { return std::make_unique<Dcgan>(); }});

}  // namespace ganzoo::train
