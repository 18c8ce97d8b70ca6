// Conditional GAN — Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv 1411.1784.
//
// What the paper changed: both networks see the class label y. G(z | y) draws an image of the
// asked class; D(x | y) judges whether x is a real image *of class y*, so a G that ignores y is
// caught by D (a sneaker labelled "trouser" is fake). The paper feeds y as a one-hot vector
// into an extra input layer of each MLP.
//
// Here, scaled to 28×28 Fashion-MNIST on the DCGAN nets (dcgan.cpp):
//   G: [z (100) ‖ one_hot(y) (10)] → the DCGAN generator (project, reshape, ConvT ladder, tanh);
//   D: [x ‖ one_hot(y) broadcast to 10 constant 28×28 planes] → the DCGAN discriminator → logit.
// Fakes are drawn for the labels of the real batch, so every class is trained as often as the
// dataset shows it. `condition_d` = false leaves D blind to y (an ablation: G then has no
// reason to obey its label, and the class accuracy of its samples falls to chance).
// Export: the graph's prelude is one_hot(label) and concat(z, y); the rest is G's stack.
#include "models/conv_nets.hpp"

namespace ganzoo::models {
namespace {

namespace nn = torch::nn;

class Cgan final : public GeneratorCritic {
public:
    json defaults(bool cuda) const override {
        return {{"z_dim", 100},      {"width", cuda ? 128 : 64}, {"lr", 2e-4},       {"beta1", 0.5},
                {"beta2", 0.999},    {"batch", 128},             {"condition_d", true},
                {"sample_count", 100},  // the run's grids: 10 per class, one row per class
                // Generator averaging: its ablation (docs/members/cgan.md) scored the average
                // above the live G on FD, SWD and class accuracy at the end of 10 epochs.
                {"ema", 0.999}};
    }

    void build(const json& config, const ImageShape& shape, int64_t num_classes, torch::Device device) override {
        if (num_classes < 2)
            throw std::invalid_argument("cgan: needs a labelled dataset (Fashion-MNIST, or --data DIR with one folder per class)");
        z_dim_ = config_value<int64_t>(config, "z_dim");
        const auto width = config_value<int64_t>(config, "width");
        if (z_dim_ < 1 || width < 1) throw std::invalid_argument("cgan: z_dim and width must be >= 1");
        classes_ = num_classes;
        condition_d_ = config_value<bool>(config, "condition_d");
        G_ = make_dcgan_generator(z_dim_ + classes_, width, shape, "cgan");
        ImageShape d_input = shape;
        if (condition_d_) d_input.channels += classes_;
        D_ = make_dcgan_discriminator(width, d_input, CriticNorm::Batch, "cgan");
        init_dcgan_weights(*G_);
        init_dcgan_weights(*D_);
        finish_with_adam(config, device);
    }

    StepStats train_step(const Batch& batch) override {
        if (!batch.labels.defined()) throw std::invalid_argument("cgan: the batch has no labels");
        const int64_t n = batch.images.size(0);
        const auto ones = torch::ones({n, 1}, batch.images.options());
        const auto zeros = torch::zeros({n, 1}, batch.images.options());
        const auto labels = batch.labels.to(batch.images.device());
        const auto fake = G_->forward(generator_input(batch_randn(batch, {z_dim_}), labels));

        // D: real images with their labels are real; G's images with the labels they were asked for are fake.
        const auto logits_real = D_->forward(critic_input(batch.images, labels));
        const auto logits_fake = D_->forward(critic_input(fake.detach(), labels));
        const auto loss_d = torch::binary_cross_entropy_with_logits(logits_real, ones) +
                            torch::binary_cross_entropy_with_logits(logits_fake, zeros);
        opt_D_->zero_grad();
        loss_d.backward();
        opt_D_->step();

        // G: non-saturating, maximise log D(G(z | y) | y).
        const auto loss_g = torch::binary_cross_entropy_with_logits(D_->forward(critic_input(fake, labels)), ones);
        opt_G_->zero_grad();
        loss_g.backward();
        opt_G_->step();

        return {{"loss_d", loss_d.item<double>()},
                {"loss_g", loss_g.item<double>()},
                {"d_real", torch::sigmoid(logits_real).mean().item<double>()},
                {"d_fake", torch::sigmoid(logits_fake).mean().item<double>()}};
    }

    torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) override {
        const auto it = inputs.find("label");
        if (it == inputs.end()) throw std::invalid_argument("cgan: sampling needs a label per sample");
        return eval_forward(G_, generator_input(z.to(device_), it->second.to(device_)));
    }

    GeneratorInputs grid_inputs(int64_t count, int64_t columns) override {
        return {{"label", torch::arange(count, torch::kLong).div(columns, "floor").remainder(classes_)}};
    }
    int64_t grid_columns(int64_t /*count*/) const override { return classes_; }

    ExportSpec export_spec() override {
        ExportNet g{"G", {"z", "label"}, G_};
        g.prelude = json::array({{{"op", "one_hot"}, {"in", {"label"}}, {"out", "y"}, {"classes", classes_}},
                                 {{"op", "concat"}, {"in", {"z", "y"}}, {"out", "zy"}, {"axis", 1}}});
        return {{{"z", {{"dim", z_dim_}, {"distribution", "normal"}}}, {"label", {{"classes", classes_}}}}, {g}, {}};
    }

private:
    torch::Tensor one_hot(const torch::Tensor& labels) const {
        return torch::one_hot(labels.to(torch::kLong), classes_).to(torch::kFloat);
    }
    torch::Tensor generator_input(const torch::Tensor& z, const torch::Tensor& labels) const {
        return torch::cat({z, one_hot(labels).to(z.options())}, 1);
    }
    torch::Tensor critic_input(const torch::Tensor& images, const torch::Tensor& labels) const {
        if (!condition_d_) return images;
        const auto planes = one_hot(labels).to(images.options()).view({images.size(0), classes_, 1, 1});
        return torch::cat({images, planes.expand({-1, -1, images.size(2), images.size(3)})}, 1);
    }

    int64_t classes_ = 0;
    bool condition_d_ = true;
};

}  // namespace

GANZOO_REGISTER_FAMILY(cgan, {"cgan", "Conditional GAN (Mirza & Osindero 2014)",
                              [] { return std::make_unique<Cgan>(); }});

}  // namespace ganzoo::models
