// CycleGAN — Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using
// Cycle-Consistent Adversarial Networks", arXiv 1703.10593.
//
// What the paper changed: two generators G_AB : A → B and G_BA : B → A are trained from two
// unpaired image sets. Each is a GAN generator (fooling D_B, resp. D_A), and the pair is tied by
// cycle consistency (§3.2): G_BA(G_AB(a)) ≈ a and G_AB(G_BA(b)) ≈ b in L1, weight λ = 10, which
// keeps a translation about its input instead of any image of the other domain. An identity
// term (§5.2, weight 0.5·λ) asks each generator to leave images of its own target domain alone.
//
// The paper's recipe (§4 and appendix 7), scaled to 28×28 Fashion-MNIST (default domains: Sneaker
// ↔ Ankle boot, classes 7 and 9; `--domains A,B` picks any two classes by name or index):
//   G: the ResNet generator of Johnson et al. — c7s1-w, d2w, d4w, R4w × blocks, u2w, uw, c7s1-1,
//      tanh; reflection padding, instance norm; 28 → 14 → 7 → 14 → 28 (paper: w = 64, 6 or 9
//      blocks at 128/256 px; here w = 16 and 6 blocks on the CPU, 2 × 0.49 M weights, 2 MB as F16);
//   D: a PatchGAN: 7×7 scores per image, each over an 18×18-pixel patch (the paper's 70×70 on
//      256 px has three stride-2 convs; at 28 px two are enough);
//   least-squares GAN loss (§4, Mao et al. 2017), D's loss halved;
//   D is updated on a pool of the 50 last generated images (§4, Shrivastava et al. 2017);
//   Adam lr 2e-4, β1 0.5; the learning rate constant for the first half of the run's steps,
//   then linearly to 0 (the paper: 100 epochs + 100 epochs of decay);
//   batch: the paper uses 1; here 8 images a step, the trainer's shuffled mix of both domains,
//   split by label (a step whose batch lacks a domain skips that domain's terms); 5 epochs of the
//   12,000 training sneakers and boots = 7,500 steps, about 45 min on one loaded CPU thread.
// Export: G_AB and G_BA (input "image" [1, 28, 28]; no z) with 16 held-out test images of each
// domain in inputs.image.examples, so that the web page and the studio can offer them.
#include "models/cyclegan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "data/dataset.hpp"
#include "models/parts.hpp"

namespace ganzoo::models {

namespace cyclegan {

namespace nn = torch::nn;

torch::Tensor ImagePool::query(const torch::Tensor& fakes) {
    if (capacity_ <= 0 || !fakes.defined() || fakes.size(0) == 0) return fakes;
    std::vector<torch::Tensor> out;
    out.reserve(static_cast<size_t>(fakes.size(0)));
    for (int64_t i = 0; i < fakes.size(0); ++i) {
        auto image = fakes[i].detach().clone();
        if (size() < capacity_) {
            images_.push_back(image);
            out.push_back(image);
        } else if (torch::rand({1}).item<double>() < 0.5) {
            const auto k = torch::randint(capacity_, {1}, torch::kLong).item<int64_t>();
            out.push_back(images_[static_cast<size_t>(k)]);
            images_[static_cast<size_t>(k)] = image;
        } else {
            out.push_back(image);
        }
    }
    return torch::stack(out);
}

torch::Tensor ImagePool::stored() const { return images_.empty() ? torch::Tensor() : torch::stack(images_); }

void ImagePool::restore(const torch::Tensor& images) {
    images_.clear();
    if (!images.defined()) return;
    for (int64_t i = 0; i < std::min<int64_t>(images.size(0), capacity_); ++i) images_.push_back(images[i].clone());
}

double lr_factor(int64_t done, int64_t total) {
    if (total <= 0) return 1.0;
    const int64_t half = total / 2;
    if (done <= half) return 1.0;
    return std::max(0.0, static_cast<double>(total - done) / static_cast<double>(total - half));
}

namespace {
bool has_rows(const torch::Tensor& t) { return t.defined() && t.size(0) > 0; }
torch::Tensor zero_like_batch(const torch::Tensor& a, const torch::Tensor& b) {
    return torch::zeros({}, (has_rows(a) ? a : b).options());
}
}  // namespace

torch::Tensor GeneratorTerms::total(double lambda_cycle, double lambda_identity) const {
    return gan_ab + gan_ba + lambda_cycle * (cycle_a + cycle_b) + lambda_identity * (identity_a + identity_b);
}

// Three generator calls instead of six: G_AB on [a ‖ b], G_BA on [b ‖ a ‖ G_AB(a)], G_AB on
// G_BA(b). The nets treat each image on its own (instance norm), so batching changes nothing.
GeneratorTerms generator_terms(const Net& g_ab, const Net& g_ba, const Net& d_a, const Net& d_b,
                               const torch::Tensor& a, const torch::Tensor& b, bool with_identity) {
    GeneratorTerms t;
    const auto zero = zero_like_batch(a, b);
    t.gan_ab = t.gan_ba = t.cycle_a = t.cycle_b = t.identity_a = t.identity_b = zero;
    const int64_t na = has_rows(a) ? a.size(0) : 0, nb = has_rows(b) ? b.size(0) : 0;
    const int64_t ia = with_identity ? na : 0, ib = with_identity ? nb : 0;
    auto run = [](const Net& g, const std::vector<torch::Tensor>& parts) {
        std::vector<torch::Tensor> present;
        for (const auto& p : parts)
            if (p.defined() && p.size(0) > 0) present.push_back(p);
        return present.empty() ? torch::Tensor() : g(present.size() == 1 ? present[0] : torch::cat(present));
    };
    // G_AB: [a → fake_b ‖ b → identity_b].
    const auto ab = run(g_ab, {na ? a : torch::Tensor(), ib ? b : torch::Tensor()});
    if (na) t.fake_b = ab.slice(0, 0, na);
    if (ib) t.identity_b = (ab.slice(0, na, na + ib) - b).abs().mean();
    // G_BA: [b → fake_a ‖ a → identity_a ‖ fake_b → a again].
    const auto ba = run(g_ba, {nb ? b : torch::Tensor(), ia ? a : torch::Tensor(), t.fake_b});
    if (nb) t.fake_a = ba.slice(0, 0, nb);
    if (ia) t.identity_a = (ba.slice(0, nb, nb + ia) - a).abs().mean();
    if (na) t.cycle_a = (ba.slice(0, nb + ia, nb + ia + na) - a).abs().mean();
    // G_AB: fake_a → b again.
    if (nb) t.cycle_b = (g_ab(t.fake_a) - b).abs().mean();
    if (na) t.gan_ab = (d_b(t.fake_b) - 1.0).pow(2).mean();
    if (nb) t.gan_ba = (d_a(t.fake_a) - 1.0).pow(2).mean();
    return t;
}

torch::Tensor discriminator_loss(const Net& d, const torch::Tensor& real, const torch::Tensor& fake) {
    auto loss = zero_like_batch(real, fake);
    if (has_rows(real)) loss = loss + 0.5 * (d(real) - 1.0).pow(2).mean();
    if (has_rows(fake)) loss = loss + 0.5 * d(fake.detach()).pow(2).mean();
    return loss;
}

namespace {
std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}
std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
}  // namespace

std::vector<int64_t> parse_domains(const std::string& spec, const std::vector<std::string>& class_names) {
    std::string known;
    for (size_t i = 0; i < class_names.size(); ++i)
        known += (i ? ", " : "") + std::to_string(i) + " " + class_names[i];
    const auto comma = spec.find(',');
    if (comma == std::string::npos || spec.find(',', comma + 1) != std::string::npos)
        throw std::invalid_argument("--domains '" + spec + "': expected two classes A,B (names or indices)");
    if (class_names.empty())
        throw std::invalid_argument("--domains '" + spec +
                                    "': the dataset has no classes (give a folder with one subfolder per domain)");
    std::vector<int64_t> out;
    for (const auto& part : {trimmed(spec.substr(0, comma)), trimmed(spec.substr(comma + 1))}) {
        int64_t index = -1;
        if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            if (part.size() < 10) index = std::stoll(part);
            if (index < 0 || index >= static_cast<int64_t>(class_names.size())) index = -1;
        } else {
            for (size_t i = 0; i < class_names.size(); ++i)
                if (lower(class_names[i]) == lower(part)) index = static_cast<int64_t>(i);
        }
        if (index < 0)
            throw std::invalid_argument("--domains: '" + part + "' is not a class of the dataset (classes: " + known + ")");
        out.push_back(index);
    }
    if (out[0] == out[1]) throw std::invalid_argument("--domains '" + spec + "': the two domains are the same class");
    return out;
}

static nn::InstanceNorm2d instance_norm(int64_t channels) {
    return nn::InstanceNorm2d(nn::InstanceNorm2dOptions(channels).eps(1e-5).affine(false).track_running_stats(false));
}

ResidualBlockImpl::ResidualBlockImpl(int64_t channels_) : channels(channels_) { reset(); }

void ResidualBlockImpl::reset() {
    body = register_module(
        "body", nn::Sequential(nn::ReflectionPad2d(nn::ReflectionPad2dOptions(1)),
                               nn::Conv2d(nn::Conv2dOptions(channels, channels, 3)), instance_norm(channels), nn::ReLU(),
                               nn::ReflectionPad2d(nn::ReflectionPad2dOptions(1)),
                               nn::Conv2d(nn::Conv2dOptions(channels, channels, 3)), instance_norm(channels)));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) { return x + body->forward(x); }

std::vector<ExportOp> ResidualBlockImpl::export_ops() const {
    std::vector<ExportOp> ops;
    for (const auto& child : body->children()) {
        if (auto pad = std::dynamic_pointer_cast<nn::ReflectionPad2dImpl>(child)) {
            const auto& p = *pad->options.padding();
            ops.push_back({{{"op", "reflection_pad2d"}, {"padding", json::array({p[2], p[0]})}}, {}});
        } else if (auto conv = std::dynamic_pointer_cast<nn::Conv2dImpl>(child)) {
            ops.push_back({{{"op", "conv2d"}, {"stride", json::array({1, 1})}, {"padding", json::array({0, 0})}},
                           {{"weight", conv->weight.detach().to(torch::kCPU, torch::kDouble)},
                            {"bias", conv->bias.detach().to(torch::kCPU, torch::kDouble)}}});
        } else if (auto norm = std::dynamic_pointer_cast<nn::InstanceNorm2dImpl>(child)) {
            ops.push_back({{{"op", "instance_norm"}, {"eps", norm->options.eps()}}, {}});
        } else if (std::dynamic_pointer_cast<nn::ReLUImpl>(child)) {
            ops.push_back({{{"op", "relu"}}, {}});
        } else {
            throw std::invalid_argument("residual block: module " + child->name() + " has no export");
        }
    }
    ops.back().op["out"] = "$h";
    ops.push_back({{{"op", "add"}, {"in", json::array({"$in", "$h"})}}, {}});
    return ops;
}

nn::Sequential make_generator(int64_t channels, int64_t width, int64_t blocks) {
    nn::Sequential g;
    g->push_back(nn::ReflectionPad2d(nn::ReflectionPad2dOptions(3)));
    g->push_back(nn::Conv2d(nn::Conv2dOptions(channels, width, 7)));
    g->push_back(instance_norm(width));
    g->push_back(nn::ReLU());
    for (int64_t k = 1; k <= 2; ++k) {  // d2w, d4w
        const int64_t in = width << (k - 1), out = width << k;
        g->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(2).padding(1)));
        g->push_back(instance_norm(out));
        g->push_back(nn::ReLU());
    }
    for (int64_t i = 0; i < blocks; ++i) g->push_back(ResidualBlock(4 * width));
    for (int64_t k = 2; k >= 1; --k) {  // u2w, uw
        const int64_t in = width << k, out = width << (k - 1);
        g->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in, out, 3).stride(2).padding(1).output_padding(1)));
        g->push_back(instance_norm(out));
        g->push_back(nn::ReLU());
    }
    g->push_back(nn::ReflectionPad2d(nn::ReflectionPad2dOptions(3)));
    g->push_back(nn::Conv2d(nn::Conv2dOptions(width, channels, 7)));
    g->push_back(nn::Tanh());
    return g;
}

nn::Sequential make_discriminator(int64_t channels, int64_t width) {
    const auto leaky = [] { return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)); };
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(channels, width, 4).stride(2).padding(1)), leaky(),
                          nn::Conv2d(nn::Conv2dOptions(width, 2 * width, 4).stride(2).padding(1)),
                          instance_norm(2 * width), leaky(),
                          nn::Conv2d(nn::Conv2dOptions(2 * width, 1, 3).stride(1).padding(1)));
}

}  // namespace cyclegan

namespace {

namespace nn = torch::nn;
using cyclegan::ImagePool;

constexpr int64_t kExamples = 16;  // held-out test images per domain in the file and the grids

torch::Tensor to_unit_range(const std::vector<uint8_t>& pixels, int64_t count, const ImageShape& s) {
    return torch::from_blob(const_cast<uint8_t*>(pixels.data()), {count, s.channels, s.height, s.width}, torch::kUInt8)
               .to(torch::kFloat)
               .div(127.5)
               .sub(1.0);
}

class Cyclegan final : public GanFamily {
public:
    json defaults(bool cuda) const override {
        return {{"domains", "Sneaker,Ankle boot"},
                {"width", cuda ? 32 : 16},
                {"d_width", cuda ? 64 : 16},
                {"blocks", 6},
                {"lambda_cycle", 10.0},
                {"lambda_identity", 0.5},
                {"pool", 50},
                {"lr", 2e-4},
                {"beta1", 0.5},
                {"beta2", 0.999},
                {"batch", cuda ? 32 : 8},
                {"epochs", cuda ? 20 : 5},
                {"sample_count", 6 * kExamples}};
    }

    std::vector<int64_t> training_classes(const json& config, const std::vector<std::string>& class_names) const override {
        return cyclegan::parse_domains(config_value<std::string>(config, "domains"), class_names);
    }

    void build(const json& config, const ImageShape& shape, int64_t /*num_classes*/, torch::Device device) override {
        const auto width = config_value<int64_t>(config, "width");
        const auto d_width = config_value<int64_t>(config, "d_width");
        const auto blocks = config_value<int64_t>(config, "blocks");
        lambda_cycle_ = config_value<double>(config, "lambda_cycle");
        lambda_identity_ = config_value<double>(config, "lambda_identity");
        lr_ = config_value<double>(config, "lr");
        const auto pool = config_value<int64_t>(config, "pool");
        if (width < 1 || d_width < 1 || blocks < 0 || pool < 0 || lambda_cycle_ < 0 || lambda_identity_ < 0 || !(lr_ > 0))
            throw std::invalid_argument("cyclegan: width and d_width must be >= 1, blocks, pool and the lambdas >= 0, lr > 0");
        if (shape.height % 4 != 0 || shape.width % 4 != 0 || shape.height < 8 || shape.width < 8)
            throw std::invalid_argument("cyclegan: image sides must be multiples of 4, at least 8 (the generator halves them twice)");
        image_ = shape;
        load_domains(config);

        G_AB_ = cyclegan::make_generator(shape.channels, width, blocks);
        G_BA_ = cyclegan::make_generator(shape.channels, width, blocks);
        D_A_ = cyclegan::make_discriminator(shape.channels, d_width);
        D_B_ = cyclegan::make_discriminator(shape.channels, d_width);
        for (auto* net : {&G_AB_, &G_BA_, &D_A_, &D_B_}) {
            init_dcgan_weights(**net);  // N(0, 0.02), as the paper's code
            (*net)->to(device);
        }
        const auto adam = torch::optim::AdamOptions(lr_).betas(
            {config_value<double>(config, "beta1"), config_value<double>(config, "beta2")});
        auto params = [](std::initializer_list<nn::Sequential> nets) {
            std::vector<torch::Tensor> all;
            for (const auto& n : nets)
                for (const auto& p : n->parameters()) all.push_back(p);
            return all;
        };
        opt_G_ = std::make_unique<torch::optim::Adam>(params({G_AB_, G_BA_}), adam);
        opt_D_ = std::make_unique<torch::optim::Adam>(params({D_A_, D_B_}), adam);
        pool_A_ = ImagePool(pool);
        pool_B_ = ImagePool(pool);
        device_ = device;
    }

    StepStats train_step(const Batch& batch) override {
        if (!batch.labels.defined()) throw std::runtime_error("cyclegan: the batch has no labels (domains)");
        const auto a = batch.images.index_select(0, batch.labels.eq(domains_[0]).nonzero().view({-1}));
        const auto b = batch.images.index_select(0, batch.labels.eq(domains_[1]).nonzero().view({-1}));
        const double lr = lr_ * cyclegan::lr_factor(static_cast<int64_t>(step_), total_steps_);
        for (auto* opt : {opt_G_.get(), opt_D_.get()})
            for (auto& group : opt->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

        // Generators: D's weights get no gradient here.
        set_requires_grad({D_A_, D_B_}, false);
        const auto terms = cyclegan::generator_terms(forward(G_AB_), forward(G_BA_), forward(D_A_), forward(D_B_), a, b,
                                                     lambda_identity_ > 0);
        const auto loss_g = terms.total(lambda_cycle_, lambda_cycle_ * lambda_identity_);
        opt_G_->zero_grad();
        loss_g.backward();
        opt_G_->step();
        set_requires_grad({D_A_, D_B_}, true);

        // Discriminators: real images of their domain against the pool of past translations.
        const auto fake_a = terms.fake_a.defined() ? pool_A_.query(terms.fake_a.detach()) : torch::Tensor();
        const auto fake_b = terms.fake_b.defined() ? pool_B_.query(terms.fake_b.detach()) : torch::Tensor();
        const auto loss_d_a = cyclegan::discriminator_loss(forward(D_A_), a, fake_a);
        const auto loss_d_b = cyclegan::discriminator_loss(forward(D_B_), b, fake_b);
        opt_D_->zero_grad();
        (loss_d_a + loss_d_b).backward();
        opt_D_->step();
        step_ += 1;

        return {{"loss_d_a", loss_d_a.item<double>()},
                {"loss_d_b", loss_d_b.item<double>()},
                {"gan_ab", terms.gan_ab.item<double>()},
                {"gan_ba", terms.gan_ba.item<double>()},
                {"cycle", (terms.cycle_a + terms.cycle_b).item<double>()},
                {"identity", (terms.identity_a + terms.identity_b).item<double>()},
                {"lr", lr}};
    }

    // G_AB applied to inputs["image"] ([N, C, H, W] in [-1, 1]); z (z_dim 0) is ignored. With
    // the grid marker from grid_inputs (the run's sample grids): the cycle rows instead.
    torch::Tensor sample(const torch::Tensor& /*z*/, const GeneratorInputs& inputs) override {
        if (inputs.count("cycle_rows")) return cycle_rows();
        const auto it = inputs.find("image");
        if (it == inputs.end()) throw std::invalid_argument("cyclegan: sampling needs an 'image' input (the images to translate)");
        return eval_forward(G_AB_, it->second.to(device_, torch::kFloat));
    }

    // The export's golden case (columns 1): the first `count` held-out A images, G_AB's input.
    // The run's grids (columns > 1): a marker asking sample() for the cycle rows.
    GeneratorInputs grid_inputs(int64_t count, int64_t columns) override {
        if (columns > 1) return {{"image", examples_a_}, {"cycle_rows", torch::ones({1})}};
        const auto index = torch::arange(count, torch::kLong).remainder(examples_a_.size(0));
        return {{"image", examples_a_.index_select(0, index)}};
    }
    int64_t grid_columns(int64_t /*count*/) const override { return examples_a_.defined() ? examples_a_.size(0) : kExamples; }

    int64_t z_dim() const override { return 0; }

    void save(torch::serialize::OutputArchive& archive) override {
        write_parts(archive, net_parts());
        write_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
        write_number(archive, "step", step_);
        for (const auto& [name, pool] : {std::pair{"pool_A", &pool_A_}, std::pair{"pool_B", &pool_B_}}) {
            const auto stored = pool->stored();
            archive.write(name, stored.defined() ? stored : torch::zeros({0}));
        }
    }
    void load(torch::serialize::InputArchive& archive) override {
        read_parts(archive, net_parts());
        read_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
        step_ = read_number(archive, "step");
        for (const auto& [name, pool] : {std::pair{"pool_A", &pool_A_}, std::pair{"pool_B", &pool_B_}}) {
            torch::Tensor stored;
            archive.read(name, stored);
            pool->restore(stored.numel() > 0 ? stored.to(device_) : torch::Tensor());
        }
    }

    ExportSpec export_spec() override {
        json image = {{"shape", {image_.channels, image_.height, image_.width}},
                      {"domains", {{"A", names_[0]}, {"B", names_[1]}}},
                      {"examples", examples_doc_}};
        ExportSpec spec;
        spec.inputs = {{"image", image}};
        spec.nets = {{"G_AB", {"image"}, G_AB_}, {"G_BA", {"image"}, G_BA_}};
        return spec;
    }

    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() override {
        std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> out;
        for (const auto& [name, net] : named_nets()) out.push_back({name, net.ptr()});
        return out;
    }

private:
    std::vector<std::pair<std::string, nn::Sequential>> named_nets() {
        return {{"G_AB", G_AB_}, {"G_BA", G_BA_}, {"D_A", D_A_}, {"D_B", D_B_}};
    }
    NamedParts<nn::Module> net_parts() {
        NamedParts<nn::Module> parts;
        for (auto& [name, net] : named_nets()) parts.push_back({name, net.get()});
        return parts;
    }
    static cyclegan::Net forward(nn::Sequential net) {
        return [net](const torch::Tensor& x) mutable { return net->forward(x); };
    }
    static void set_requires_grad(std::initializer_list<nn::Sequential> nets, bool on) {
        for (const auto& n : nets)
            for (auto& p : n->parameters()) p.set_requires_grad(on);
    }

    // The domains' class indices and names, the run's length in steps (for the schedule: the
    // trainer's count, from the same training images it keeps) and the held-out examples.
    void load_domains(const json& config) {
        const auto spec = config_value<std::string>(config, "data");
        data::ImageDataset train = data::load_dataset(spec, data::Split::Train);
        data::truncate(train, config_value<int64_t>(config, "limit"));
        domains_ = training_classes(config, train.class_names);
        names_ = {train.class_names[static_cast<size_t>(domains_[0])], train.class_names[static_cast<size_t>(domains_[1])]};
        int64_t count = 0;
        for (auto label : train.labels) count += (label == domains_[0] || label == domains_[1]);
        const auto steps = config_value<int64_t>(config, "steps");
        const auto batch = config_value<int64_t>(config, "batch");
        total_steps_ = steps > 0 ? steps : config_value<int64_t>(config, "epochs") * (count / std::max<int64_t>(1, batch));

        // Held-out images: the test split's first 16 of each domain (a folder without test/: the
        // training images', said so in the file).
        data::ImageDataset test;
        std::string split = "test";
        try {
            test = data::load_dataset(spec, data::Split::Test);
        } catch (const data::DataError&) {
            test = std::move(train);
            split = "train";
        }
        examples_doc_ = json::object();
        for (int side = 0; side < 2; ++side) {
            std::vector<uint8_t> pixels;
            json rows = json::array();
            const int64_t per_image = test.channels * test.height * test.width;
            for (int64_t i = 0; i < test.count && static_cast<int64_t>(rows.size()) < kExamples; ++i) {
                if (test.labels[static_cast<size_t>(i)] != domains_[static_cast<size_t>(side)]) continue;
                const uint8_t* p = test.image(i);
                pixels.insert(pixels.end(), p, p + per_image);
                rows.push_back(std::vector<int>(p, p + per_image));
            }
            if (rows.empty())
                throw std::invalid_argument("cyclegan: the " + split + " split has no image of class '" +
                                            names_[static_cast<size_t>(side)] + "'");
            (side == 0 ? examples_a_ : examples_b_) = to_unit_range(pixels, static_cast<int64_t>(rows.size()), image_).clone();
            examples_doc_[side == 0 ? "A" : "B"] = {{"class", names_[static_cast<size_t>(side)]}, {"split", split}, {"pixels", rows}};
        }
    }

    // Rows of the run's grids: A, G_AB(A), G_BA(G_AB(A)), then B, G_BA(B), G_AB(G_BA(B)).
    torch::Tensor cycle_rows() {
        const auto a = examples_a_.to(device_), b = examples_b_.to(device_);
        const auto fake_b = eval_forward(G_AB_, a), fake_a = eval_forward(G_BA_, b);
        const auto rows = [&](const torch::Tensor& t) {  // pad a short domain to a full row
            if (t.size(0) >= kExamples) return t.slice(0, 0, kExamples);
            return torch::cat({t, torch::full({kExamples - t.size(0), t.size(1), t.size(2), t.size(3)}, -1.0, t.options())});
        };
        return torch::cat({rows(a), rows(fake_b), rows(eval_forward(G_BA_, fake_b)), rows(b), rows(fake_a),
                           rows(eval_forward(G_AB_, fake_a))});
    }

    nn::Sequential G_AB_{nullptr}, G_BA_{nullptr}, D_A_{nullptr}, D_B_{nullptr};
    std::unique_ptr<torch::optim::Optimizer> opt_G_, opt_D_;
    ImagePool pool_A_, pool_B_;
    ImageShape image_;
    torch::Device device_ = torch::kCPU;
    std::vector<int64_t> domains_{0, 1};
    std::vector<std::string> names_{"A", "B"};
    torch::Tensor examples_a_, examples_b_;
    json examples_doc_;
    double lambda_cycle_ = 10.0, lambda_identity_ = 0.5, lr_ = 2e-4, step_ = 0;
    int64_t total_steps_ = 0;
};

}  // namespace

GANZOO_REGISTER_FAMILY(cyclegan, {"cyclegan", "CycleGAN (Zhu et al. 2017)", [] { return std::make_unique<Cyclegan>(); }});

}  // namespace ganzoo::models
