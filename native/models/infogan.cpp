// InfoGAN — Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable
// Representation Learning by Information Maximizing Generative Adversarial Nets", arXiv 1606.03657.
//
// What the paper changed: G's input is split into incompressible noise z and a latent code c,
// and the objective adds λ·I(c; G(z, c)), the mutual information between the code and the image,
// so that c must stay readable from the image. I is bounded below through an auxiliary
// distribution Q(c | x), a head on D's trunk (almost free): minimising the cross-entropy of Q's
// guess against the drawn code maximises the bound. Nothing tells the code what to mean; on
// (Fashion-)MNIST a 10-way categorical code tends to take the classes.
//
// The paper's MNIST recipe, which fits 28×28 Fashion-MNIST as it is:
//   latent: z (62) ~ N(0, I), c_cat ~ Cat(10), c_cont (2) ~ U[−1, 1];
//   G: [z ‖ one_hot(c_cat) ‖ c_cont] → FC 1024 BN ReLU → FC 7·7·128 BN ReLU
//        → ConvT 64 (4×4, s2) BN ReLU → ConvT 1 (4×4, s2) → tanh (the paper's sigmoid, on [−1, 1]);
//   D trunk: Conv 64 (4×4, s2) LReLU 0.1 → Conv 128 (4×4, s2) BN LReLU → FC 1024 BN LReLU;
//   D head: FC → logit;   Q head: FC 128 BN LReLU → FC → 10 logits, 2 means (+ 2 log σ);
//   the two FC 1024 layers hold 13M of the nets' 14M weights: on the CPU the recipe leaves
//   G's out (g_hidden = 0: the latent is projected straight to 7·7·128, as in DCGAN) and
//   narrows D's to d_hidden = 128, which exports G + Q in 3 MB (F16) instead of 27 MB (over the
//   repository's 8 MB per file). It trains 1.7× faster, not the 4× once assumed: 500 against
//   297 images/s at batch 128 on one quiet thread (docs/members/infogan.md); the CUDA recipe
//   keeps the paper's 1024s;
//   λ = 1 on the categorical term; the continuous codes' Gaussian log-likelihood has a fixed
//   σ = 1 (the authors' code) and weight `lambda_cont` = 0.1 ("a smaller λ" in the paper), or
//   a σ learned by Q with `learn_std`;
//   Adam β1 0.5, lr 2e-4 for D and Q, 1e-3 for G; batch 128.
// Both D's and G's steps add λ·L_I (as the authors' code): D's step trains the trunk and Q to
// read the code from G's images, G's step trains G to write it legibly.
// Export: G (inputs z, c_cat, c_cont; the prelude makes one_hot(c_cat) and the concatenation)
// and Q (input image; D's trunk + Q's head, output [logits ‖ means (‖ log σ)]), so that
// `ganzoo eval` can measure how well the code is recovered through the core alone.
#include "models/infogan.hpp"

#include <cmath>

#include "models/family.hpp"

namespace ganzoo::models {

namespace infogan {

InfoLoss info_loss(const torch::Tensor& logits, const torch::Tensor& category, const torch::Tensor& mean,
                   const torch::Tensor& log_std, const torch::Tensor& continuous) {
    InfoLoss loss;
    loss.categorical = torch::nn::functional::cross_entropy(logits, category);
    const auto nll = log_std + (continuous - mean).pow(2) / (2.0 * torch::exp(2.0 * log_std)) +
                     0.5 * std::log(2.0 * M_PI);
    loss.continuous = nll.sum(1).mean();
    return loss;
}

}  // namespace infogan

namespace {

namespace nn = torch::nn;

nn::LeakyReLU leaky() { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.1)); }

class Infogan final : public GeneratorCritic {
public:
    json defaults(bool cuda) const override {
        return {{"z_dim", 62},          {"categories", 10},   {"continuous", 2},  {"lambda", 1.0},
                {"lambda_cont", 0.1},   {"learn_std", false}, {"lr", 2e-4},       {"lr_g", 1e-3},
                {"beta1", 0.5},         {"beta2", 0.999},     {"batch", 128},     {"sample_count", 100},
                {"g_hidden", cuda ? 1024 : 0}, {"d_hidden", cuda ? 1024 : 128},
                {"z_std", 1.0}, {"ema", 0.999}};  // ema: the average won at both z_std (docs/averaging.md)
    }

    void build(const json& config, const ImageShape& shape, int64_t /*num_classes*/, torch::Device device) override {
        z_dim_ = config_value<int64_t>(config, "z_dim");
        categories_ = config_value<int64_t>(config, "categories");
        continuous_ = config_value<int64_t>(config, "continuous");
        lambda_ = config_value<double>(config, "lambda");
        lambda_cont_ = config_value<double>(config, "lambda_cont");
        learn_std_ = config_value<bool>(config, "learn_std");
        z_std_ = config_value<double>(config, "z_std");
        if (!(z_std_ > 0.0 && z_std_ <= 10.0)) throw std::invalid_argument("infogan: z_std must be in (0, 10]");
        if (z_dim_ < 1 || categories_ < 1 || continuous_ < 0 || lambda_ < 0 || lambda_cont_ < 0)
            throw std::invalid_argument("infogan: z_dim and categories must be >= 1, continuous and the lambdas >= 0");
        if (shape.height % 4 != 0 || shape.width % 4 != 0 || shape.height < 8 || shape.width < 8)
            throw std::invalid_argument("infogan: image sides must be multiples of 4 (the nets halve them twice)");
        const int64_t h = shape.height / 4, w = shape.width / 4;
        image_ = shape;

        const auto g_hidden = config_value<int64_t>(config, "g_hidden");
        const auto d_hidden = config_value<int64_t>(config, "d_hidden");
        if (g_hidden < 0 || d_hidden < 1) throw std::invalid_argument("infogan: g_hidden must be >= 0, d_hidden >= 1");
        const int64_t latent = z_dim_ + categories_ + continuous_;
        G_ = nn::Sequential();
        if (g_hidden > 0) {
            G_->push_back(nn::Linear(nn::LinearOptions(latent, g_hidden).bias(false)));
            G_->push_back(nn::BatchNorm1d(g_hidden));
            G_->push_back(nn::ReLU());
        }
        G_->push_back(nn::Linear(nn::LinearOptions(g_hidden > 0 ? g_hidden : latent, 128 * h * w).bias(false)));
        G_->push_back(nn::Unflatten(nn::UnflattenOptions(1, {128, h, w})));
        G_->push_back(nn::BatchNorm2d(128));
        G_->push_back(nn::ReLU());
        G_->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(128, 64, 4).stride(2).padding(1).bias(false)));
        G_->push_back(nn::BatchNorm2d(64));
        G_->push_back(nn::ReLU());
        G_->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(64, shape.channels, 4).stride(2).padding(1)));
        G_->push_back(nn::Tanh());
        trunk_ = nn::Sequential(nn::Conv2d(nn::Conv2dOptions(shape.channels, 64, 4).stride(2).padding(1)), leaky(),
                                nn::Conv2d(nn::Conv2dOptions(64, 128, 4).stride(2).padding(1).bias(false)),
                                nn::BatchNorm2d(128), leaky(), nn::Flatten(),
                                nn::Linear(nn::LinearOptions(128 * h * w, d_hidden).bias(false)), nn::BatchNorm1d(d_hidden),
                                leaky());
        head_ = nn::Sequential(nn::Linear(d_hidden, 1));
        q_head_ = nn::Sequential(nn::Linear(nn::LinearOptions(d_hidden, 128).bias(false)), nn::BatchNorm1d(128), leaky(),
                                 nn::Linear(128, categories_ + continuous_ * (learn_std_ ? 2 : 1)));
        D_ = trunk_;  // the shared checkpoint saves G and D (the trunk); the heads are saved below
        for (auto* net : {&G_, &trunk_, &head_, &q_head_}) {
            init_dcgan_weights(**net);
            (*net)->to(device);
        }
        const double beta1 = config_value<double>(config, "beta1"), beta2 = config_value<double>(config, "beta2");
        opt_G_ = std::make_unique<torch::optim::Adam>(
            G_->parameters(), torch::optim::AdamOptions(config_value<double>(config, "lr_g")).betas({beta1, beta2}));
        std::vector<torch::Tensor> d_and_q = trunk_->parameters();
        for (const auto& head : {head_, q_head_})
            for (const auto& p : head->parameters()) d_and_q.push_back(p);
        opt_D_ = std::make_unique<torch::optim::Adam>(
            d_and_q, torch::optim::AdamOptions(config_value<double>(config, "lr")).betas({beta1, beta2}));
        device_ = device;
    }

    StepStats train_step(const Batch& batch) override {
        const int64_t n = batch.images.size(0);
        const auto ones = torch::ones({n, 1}, batch.images.options());
        const auto zeros = torch::zeros({n, 1}, batch.images.options());
        const auto category =
            (batch_rand(batch, {}) * static_cast<double>(categories_)).floor().clamp_max(categories_ - 1).to(torch::kLong);
        const auto continuous = batch_rand(batch, {continuous_}) * 2.0 - 1.0;
        const auto fake = G_->forward(generator_input(batch_randn(batch, {z_dim_}), category, continuous));

        // D and Q: the GAN loss, plus reading the code back from G's images.
        const auto logits_real = head_->forward(trunk_->forward(batch.images));
        const auto features_fake = trunk_->forward(fake.detach());
        const auto logits_fake = head_->forward(features_fake);
        const auto info_d = info(q_head_->forward(features_fake), category, continuous);
        const auto loss_d = torch::binary_cross_entropy_with_logits(logits_real, ones) +
                            torch::binary_cross_entropy_with_logits(logits_fake, zeros);
        opt_D_->zero_grad();
        (loss_d + weighted(info_d)).backward();
        opt_D_->step();

        // G: fool D, and write the code so that Q reads it.
        const auto features = trunk_->forward(fake);
        const auto q = q_head_->forward(features);
        const auto info_g = info(q, category, continuous);
        const auto loss_g = torch::binary_cross_entropy_with_logits(head_->forward(features), ones);
        opt_G_->zero_grad();
        (loss_g + weighted(info_g)).backward();
        opt_G_->step();

        const auto q_acc = q.slice(1, 0, categories_).argmax(1).eq(category).to(torch::kFloat).mean();
        return {{"loss_d", loss_d.item<double>()},
                {"loss_g", loss_g.item<double>()},
                {"d_real", torch::sigmoid(logits_real).mean().item<double>()},
                {"d_fake", torch::sigmoid(logits_fake).mean().item<double>()},
                {"info_cat", info_g.categorical.item<double>()},
                {"info_cont", info_g.continuous.item<double>()},
                {"q_acc", q_acc.item<double>()}};
    }

    torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) override {
        const int64_t n = z.size(0);
        const auto category = code(inputs, "c_cat", {n, 1}).view({n}).to(torch::kLong);
        const auto continuous = code(inputs, "c_cont", {n, continuous_});
        return eval_forward(G_, generator_input(z.to(device_), category.to(device_), continuous.to(device_)));
    }

    // Rows: the categorical code's values in turn; continuous codes at 0.
    GeneratorInputs grid_inputs(int64_t count, int64_t columns) override {
        const auto category = torch::arange(count, torch::kLong).div(columns, "floor").remainder(categories_);
        return {{"c_cat", category.to(torch::kFloat).view({count, 1})},
                {"c_cont", torch::zeros({count, continuous_})}};
    }
    int64_t grid_columns(int64_t /*count*/) const override { return categories_; }
    // As train_step draws them: a uniform category and continuous codes uniform in [-1, 1].
    GeneratorInputs prior_inputs(int64_t count, uint64_t seed) override {
        auto generator = at::detail::createCPUGenerator(seed);
        const auto category = torch::randint(categories_, {count, 1}, generator, torch::kFloat);
        const auto continuous = torch::rand({count, continuous_}, generator) * 2.0 - 1.0;
        return {{"c_cat", category}, {"c_cont", continuous}};
    }

    ExportSpec export_spec() override {
        ExportNet g{"G", {"z", "c_cat", "c_cont"}, G_};
        // z enters the file as N(0, I), as every member's; with z_std ≠ 1 the prelude scales it, as
        // generator_input() does in training.
        g.prelude = json::array();
        if (z_std_ != 1.0) g.prelude.push_back({{"op", "scale"}, {"in", {"z"}}, {"out", "z_scaled"}, {"factor", z_std_}});
        g.prelude.push_back({{"op", "one_hot"}, {"in", {"c_cat"}}, {"out", "c_onehot"}, {"classes", categories_}});
        g.prelude.push_back({{"op", "concat"},
                             {"in", {z_std_ != 1.0 ? "z_scaled" : "z", "c_onehot", "c_cont"}},
                             {"out", "latent"},
                             {"axis", 1}});
        nn::Sequential q;  // Q(c | x): D's trunk, then Q's head (the same modules, shared)
        for (const auto& part : {trunk_, q_head_})
            for (const auto& module : *part) q->push_back(module);
        json q_outputs = {{"logits", {0, categories_}}, {"mean", {categories_, categories_ + continuous_}}};
        if (learn_std_) q_outputs["log_std"] = {categories_ + continuous_, categories_ + 2 * continuous_};
        return {{{"z", {{"dim", z_dim_}, {"distribution", "normal"}}},
                 {"c_cat", {{"shape", {1}}, {"categories", categories_}}},
                 {"c_cont", {{"shape", {continuous_}}, {"range", {-1.0, 1.0}}, {"distribution", "uniform"}}},
                 {"image", {{"shape", {image_.channels, image_.height, image_.width}}, {"q_outputs", q_outputs}}}},
                {g, {"Q", {"image"}, q}}};
    }

    void save(torch::serialize::OutputArchive& archive) override {
        GeneratorCritic::save(archive);
        for (const auto& [name, net] : {std::pair{"D_head", head_}, std::pair{"Q_head", q_head_}}) {
            torch::serialize::OutputArchive part;
            net->save(part);
            archive.write(name, part);
        }
    }
    void load(torch::serialize::InputArchive& archive) override {
        GeneratorCritic::load(archive);
        for (auto [name, net] : {std::pair{"D_head", head_}, std::pair{"Q_head", q_head_}}) {
            torch::serialize::InputArchive part;
            archive.read(name, part);
            net->load(part);
        }
    }
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() override {
        return {{"G", G_.ptr()}, {"D", trunk_.ptr()}, {"D_head", head_.ptr()}, {"Q", q_head_.ptr()}};
    }

private:
    torch::Tensor generator_input(const torch::Tensor& z, const torch::Tensor& category,
                                  const torch::Tensor& continuous) const {
        const auto onehot = torch::one_hot(category.to(torch::kLong), categories_).to(z.options());
        return torch::cat({z_std_ != 1.0 ? z * z_std_ : z, onehot, continuous.to(z.options())}, 1);
    }

    // A code from the sampling inputs, or its neutral value (category 0, continuous 0) as the core does.
    torch::Tensor code(const GeneratorInputs& inputs, const std::string& name, std::vector<int64_t> shape) const {
        const auto it = inputs.find(name);
        if (it == inputs.end()) return torch::zeros(shape);
        if (it->second.numel() != shape[0] * shape[1])
            throw std::invalid_argument("infogan: code '" + name + "' has " + std::to_string(it->second.numel()) +
                                        " values, expected " + std::to_string(shape[0] * shape[1]));
        return it->second.to(torch::kFloat).reshape(shape);
    }

    infogan::InfoLoss info(const torch::Tensor& q, const torch::Tensor& category, const torch::Tensor& continuous) const {
        const auto logits = q.slice(1, 0, categories_);
        const auto mean = q.slice(1, categories_, categories_ + continuous_);
        const auto log_std =
            learn_std_ ? q.slice(1, categories_ + continuous_, categories_ + 2 * continuous_).clamp(-5.0, 2.0)
                       : torch::zeros_like(mean);
        return infogan::info_loss(logits, category, mean, log_std, continuous);
    }
    torch::Tensor weighted(const infogan::InfoLoss& l) const {
        return lambda_ * l.categorical + lambda_cont_ * l.continuous;
    }

    nn::Sequential trunk_{nullptr}, head_{nullptr}, q_head_{nullptr};
    ImageShape image_;
    int64_t categories_ = 10, continuous_ = 2;
    double lambda_ = 1.0, lambda_cont_ = 0.1, z_std_ = 1.0;
    bool learn_std_ = false;
};

}  // namespace

GANZOO_REGISTER_FAMILY(infogan, {"infogan", "InfoGAN (Chen et al. 2016)",
                                 [] { return std::make_unique<Infogan>(); }});

}  // namespace ganzoo::models
