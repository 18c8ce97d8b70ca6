// Improved DCGAN (Salimans et al. 2016): one test per technique, each failing when its
// mechanism is removed or switched off, and the parity of the exported generator (virtual
// batch norm frozen to the reference statistics) with LibTorch.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/improved_dcgan.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
using namespace ganzoo::models::testing;

namespace {

std::unique_ptr<ImprovedDcgan> small_member(json overrides = json::object(), uint64_t seed = 1) {
    torch::manual_seed(seed);
    auto family = std::make_unique<ImprovedDcgan>();
    json config = family->defaults(false);
    config["width"] = 8;
    config["z_dim"] = 16;
    config["reference_batch"] = 12;
    config["minibatch_kernels"] = 20;
    config.update(overrides);
    family->build(config, {1, 28, 28}, 10, torch::kCPU);
    return family;
}

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

// log σ(l) and log(1 − σ(l)), the two halves of a cross-entropy on a logit.
double log_sigmoid(double l) { return -std::log1p(std::exp(-l)); }
double log_one_minus_sigmoid(double l) { return -std::log1p(std::exp(l)); }

}  // namespace

// ---- one-sided label smoothing -----------------------------------------------------------------

TEST_CASE("label smoothing: D's real target is 0.9 and its fake target 0") {
    const auto real = torch::tensor({0.3, -1.2, 2.0}).view({3, 1});
    const auto fake = torch::tensor({-0.5, 1.5, 0.1}).view({3, 1});
    double expected = 0;
    for (int i = 0; i < 3; ++i) {
        const double r = real[i][0].item<double>(), f = fake[i][0].item<double>();
        expected += (-0.9 * log_sigmoid(r) - 0.1 * log_one_minus_sigmoid(r) - log_one_minus_sigmoid(f)) / 3;
    }
    CHECK(smoothed_discriminator_loss(real, fake, 0.9).item<double>() == Approx(expected).epsilon(1e-6));

    // The real half is minimal where D(x) = 0.9, i.e. at logit log 9; the fake half keeps
    // pushing D(G(z)) down (its target is 0, not 0.1).
    auto logit = torch::full({1, 1}, std::log(9.0), torch::requires_grad());
    auto far_fake = torch::full({1, 1}, -3.0, torch::requires_grad());
    smoothed_discriminator_loss(logit, far_fake, 0.9).backward();
    CHECK(std::abs(logit.grad().item<double>()) < 1e-6);
    CHECK(far_fake.grad().item<double>() == Approx(1 / (1 + std::exp(3.0))).epsilon(1e-5));  // σ(−3) − 0
}

TEST_CASE("label smoothing: the training step's D loss uses target 0.9 (1.0 when real_label = 1)") {
    // A D whose logit is the constant b for every input: its loss is known in closed form.
    const double b = 0.7;
    const double smoothed = -0.9 * log_sigmoid(b) - 0.1 * log_one_minus_sigmoid(b) - log_one_minus_sigmoid(b);
    const double plain = -log_sigmoid(b) - log_one_minus_sigmoid(b);
    for (double real_label : {0.9, 1.0}) {
        auto family = small_member({{"real_label", real_label}});
        auto& D = family->discriminator();
        auto& head = D->at<torch::nn::LinearImpl>(D->size() - 1);
        {
            torch::NoGradGuard no_grad;
            head.weight.zero_();
            head.bias.fill_(b);
        }
        const double loss_d = stat(family->train_step(random_batch()), "loss_d");
        INFO("real_label " << real_label);
        CHECK(loss_d == Approx(real_label == 0.9 ? smoothed : plain).epsilon(1e-6));
    }
    CHECK(std::abs(smoothed - plain) > 0.05);  // the two cases are really told apart
}

// ---- minibatch discrimination ------------------------------------------------------------------

TEST_CASE("minibatch discrimination: two identical samples are told from two different ones") {
    torch::manual_seed(11);
    MinibatchDiscrimination layer(30, 7, 4);
    const auto a = torch::randn({1, 30}), b = torch::randn({1, 30});
    const auto same = layer->similarity(torch::cat({a, a}));
    const auto different = layer->similarity(torch::cat({a, b}));
    CHECK(max_abs(same - 1) < 1e-6);  // exp(−0) in every kernel
    CHECK(different.max().item<double>() < 0.9);
    // The output is [x, o]: the features pass through unchanged.
    const auto out = layer->forward(torch::cat({a, b}));
    CHECK(out.sizes() == std::vector<int64_t>{2, 37});
    CHECK(max_abs(out.narrow(1, 0, 30) - torch::cat({a, b})) == 0);
    // o(x_i) = mean over j ≠ i of exp(−‖M_i − M_j‖₁), per kernel.
    const auto x = torch::randn({5, 30});
    const auto m = x.matmul(layer->T).view({5, 7, 4});
    const auto o = layer->similarity(x);
    for (int64_t i : {0, 3}) {
        auto expected = torch::zeros({7});
        for (int64_t j = 0; j < 5; ++j)
            if (j != i) expected += torch::exp(-(m[i] - m[j]).abs().sum(1)) / 4;
        CHECK(max_abs(o[i] - expected) < 1e-5);
    }
}

TEST_CASE("minibatch discrimination: D's score of a sample depends on the rest of its batch, and only with it") {
    const auto a = torch::rand({1, 1, 28, 28}) * 2 - 1, b = torch::rand({1, 1, 28, 28}) * 2 - 1;
    for (int64_t kernels : {20, 0}) {
        auto family = small_member({{"minibatch_kernels", kernels}});
        auto& D = family->discriminator();
        int layers = 0;
        for (const auto& m : D->modules(false)) layers += std::dynamic_pointer_cast<MinibatchDiscriminationImpl>(m) != nullptr;
        CHECK(layers == (kernels > 0 ? 1 : 0));
        torch::NoGradGuard no_grad;
        const auto with_twin = family->discriminate(torch::cat({a, a})).first[0].item<double>();
        const auto with_other = family->discriminate(torch::cat({a, b})).first[0].item<double>();
        INFO("kernels " << kernels << ": " << with_twin << " vs " << with_other);
        if (kernels > 0)
            CHECK(std::abs(with_twin - with_other) > 1e-4);
        else
            CHECK(std::abs(with_twin - with_other) < 1e-6);  // no batch statistics left in D
    }
}

// ---- historical averaging ----------------------------------------------------------------------

TEST_CASE("historical averaging: zero at the running mean, positive away from it, with a gradient") {
    auto theta = torch::tensor({1.0, -2.0, 0.5}).requires_grad_(true);
    HistoricalAverage history({theta});
    CHECK(history.penalty().item<double>() == 0);  // θ = θ[0] = the mean
    std::vector<torch::Tensor> seen{theta.detach().clone()};
    for (auto step : {torch::tensor({0.5, 1.0, 0.0}), torch::tensor({-1.0, 0.25, 2.0})}) {
        {
            torch::NoGradGuard no_grad;
            theta.add_(step);
        }
        seen.push_back(theta.detach().clone());
        history.update();
    }
    const auto mean = torch::stack(seen).mean(0);
    CHECK(history.count() == 3);
    CHECK(max_abs(history.means()[0] - mean) < 1e-6);
    // Away from the mean: ‖θ − θ̄‖², and its gradient 2(θ − θ̄) reaches θ.
    const auto penalty = history.penalty();
    CHECK(penalty.item<double>() == Approx((theta.detach() - mean).pow(2).sum().item<double>()));
    CHECK(penalty.item<double>() > 0.1);
    penalty.backward();
    CHECK(max_abs(theta.grad() - 2 * (theta.detach() - mean)) < 1e-6);
    // At the mean: zero again.
    {
        torch::NoGradGuard no_grad;
        theta.copy_(mean);
    }
    CHECK(history.penalty().item<double>() < 1e-12);
}

TEST_CASE("historical averaging: both nets' penalties are logged, tracked over every step and change the updates") {
    auto with = small_member({{"history_weight", 10.0}}, 7);
    auto without = small_member({{"history_weight", 0.0}}, 7);
    std::vector<torch::Tensor> seen_D{flat_parameters(*with->discriminator())};
    for (int step = 1; step <= 3; ++step) {
        torch::manual_seed(100 + step);
        const auto stats = with->train_step(random_batch());
        torch::manual_seed(100 + step);
        without->train_step(random_batch());
        seen_D.push_back(flat_parameters(*with->discriminator()));
        INFO("step " << step);
        if (step == 1) {
            // θ is still θ[0], the whole history: no penalty, so the same update as without.
            CHECK(stat(stats, "history_d") == 0);
            CHECK(stat(stats, "history_g") == 0);
            CHECK(torch::equal(flat_parameters(*with->discriminator()), flat_parameters(*without->discriminator())));
        } else {
            CHECK(stat(stats, "history_d") > 0);
            CHECK(stat(stats, "history_g") > 0);
        }
    }
    CHECK_FALSE(torch::allclose(flat_parameters(*with->discriminator()), flat_parameters(*without->discriminator())));
    CHECK_FALSE(torch::allclose(flat_parameters(*with->generator()), flat_parameters(*without->generator())));
    // The tracked mean is the mean of θ[0..3].
    std::vector<torch::Tensor> means;
    for (const auto& m : with->history_D().means()) means.push_back(m.flatten());
    CHECK(with->history_D().count() == 4);
    CHECK(max_abs(torch::cat(means) - torch::stack(seen_D).mean(0)) < 1e-6);
}

// ---- feature matching --------------------------------------------------------------------------

TEST_CASE("feature matching: G's loss is ||mean f(x) - mean f(G(z))||^2 on the chosen D layer") {
    const auto f_real = torch::randn({6, 10}), f_fake = torch::randn({4, 10});
    CHECK(feature_matching_loss(f_real, f_fake).item<double>() ==
          Approx((f_real.mean(0) - f_fake.mean(0)).pow(2).sum().item<double>()));

    const auto real = torch::rand({6, 1, 28, 28}) * 2 - 1;
    for (int64_t layer : {-1, 1}) {
        auto family = small_member({{"feature_layer", layer}});
        auto& D = family->discriminator();
        // f by hand: D's modules 0..feature_layer.
        const auto f = [&](torch::Tensor h) {
            int64_t i = 0;
            for (auto& module : *D) {
                h = module.forward(h);
                if (i++ == family->feature_layer()) break;
            }
            return h.flatten(1);
        };
        if (layer == -1) CHECK(D->ptr(family->feature_layer())->name().find("Flatten") != std::string::npos);
        if (layer == 1) CHECK(family->feature_layer() == 1);
        const auto fake = family->generate_for_training(torch::randn({5, 16}));
        const auto loss = family->generator_loss(real, fake);
        const auto expected = (f(real).mean(0) - f(fake).mean(0)).pow(2).sum();
        INFO("feature_layer " << layer);
        CHECK(loss.item<double>() == Approx(expected.item<double>()).epsilon(1e-5));
        // Its gradient reaches G (the real features are a constant target).
        loss.backward();
        CHECK(family->generator()->parameters().front().grad().abs().sum().item<double>() > 0);
    }
    // Switched off: the non-saturating −log D(G(z)) instead.
    auto plain = small_member({{"feature_matching", false}});
    const auto fake = plain->generate_for_training(torch::randn({5, 16}));
    const auto logits = plain->discriminate(fake).first;
    CHECK(plain->generator_loss(real, fake).item<double>() ==
          Approx(torch::binary_cross_entropy_with_logits(logits, torch::ones_like(logits)).item<double>()));
}

// ---- virtual batch normalization ---------------------------------------------------------------

TEST_CASE("virtual batch norm: a row is normalized by the reference batch plus itself, never by its batch-mates") {
    torch::manual_seed(21);
    const int64_t R = 6;
    VirtualBatchNorm vbn(3, R);
    {
        torch::NoGradGuard no_grad;
        vbn->weight.uniform_(0.5, 1.5);
        vbn->bias.normal_(0, 0.5);
    }
    const auto ref = torch::randn({R, 3, 4, 4}) * 2 + 1;
    const auto a = torch::randn({1, 3, 4, 4}), b = torch::randn({1, 3, 4, 4}) * 3, c = torch::randn({1, 3, 4, 4}) - 2;
    const auto out_ab = vbn->forward(torch::cat({ref, a, b}));
    const auto out_ac = vbn->forward(torch::cat({ref, a, c}));
    CHECK(max_abs(out_ab[R] - out_ac[R]) < 1e-6);  // a's output: the same whatever its batch-mate

    // The paper's statistics: the reference batch with a itself, a weighing 1/(R+1) — the
    // batch statistics of [ref; a]; the reference rows with their own statistics.
    const auto batch_stats = [&](const torch::Tensor& x) {
        return torch::batch_norm(x, vbn->weight, vbn->bias, {}, {}, /*training=*/true, 0.0, vbn->eps, false);
    };
    CHECK(max_abs(out_ab[R] - batch_stats(torch::cat({ref, a}))[R]) < 1e-5);
    CHECK(max_abs(out_ab.narrow(0, 0, R) - batch_stats(ref)) < 1e-5);
    CHECK(max_abs(vbn->reference_mean - ref.mean({0, 2, 3})) < 1e-5);

    // It does depend on the reference batch.
    const auto out_other_ref = vbn->forward(torch::cat({ref * 0.5, a, b}));
    CHECK(max_abs(out_other_ref[R] - out_ab[R]) > 0.1);

    // Plain batch norm, for contrast, lets b and c leak into a's output.
    torch::nn::BatchNorm2d bn(3);
    CHECK(max_abs(bn->forward(torch::cat({ref, a, b}))[R] - bn->forward(torch::cat({ref, a, c}))[R]) > 1e-2);

    // Eval mode: the reference statistics alone, i.e. the exported per-channel affine.
    vbn->forward(ref);
    vbn->eval();
    const auto [scale, shift] = vbn->channel_affine();
    const auto frozen = vbn->forward(a);
    CHECK(max_abs(frozen - (a * scale.view({1, 3, 1, 1}) + shift.view({1, 3, 1, 1}))) < 1e-5);
    const auto by_hand = (a - ref.mean({0, 2, 3}).view({1, 3, 1, 1})) *
                             torch::rsqrt(ref.var({0, 2, 3}, /*unbiased=*/false).view({1, 3, 1, 1}) + vbn->eps) *
                             vbn->weight.view({1, 3, 1, 1}) +
                         vbn->bias.view({1, 3, 1, 1});
    CHECK(max_abs(frozen - by_hand) < 1e-4);
}

TEST_CASE("virtual batch norm in G: a sample does not depend on its batch-mates, in training or sampling") {
    const auto a = torch::randn({1, 16}), b = torch::randn({1, 16}), c = torch::randn({1, 16}) * 2;
    for (const std::string norm : {"virtual", "batch"}) {
        auto family = small_member({{"generator_norm", norm}});
        torch::NoGradGuard no_grad;
        const auto with_b = family->generate_for_training(torch::cat({a, b}))[0];
        const auto with_c = family->generate_for_training(torch::cat({a, c}))[0];
        INFO(norm);
        if (norm == "virtual")
            CHECK(max_abs(with_b - with_c) < 1e-6);
        else
            CHECK(max_abs(with_b - with_c) > 1e-4);  // batch norm: the batch leaks in
    }
    // Sampling: one sample alone = the same sample in a batch of 17.
    auto family = small_member();
    family->train_step(random_batch());
    const auto z = torch::randn({17, 16});
    const auto batch = family->sample(z, {});
    const auto alone = family->sample(z.narrow(0, 4, 1), {});
    CHECK(max_abs(batch[4] - alone[0]) < 1e-6);
    CHECK(family->reference_z().size(0) == 12);
}

TEST_CASE("improved-dcgan: a checkpoint restores the reference batch and the historical averages") {
    auto family = small_member();
    for (int i = 0; i < 2; ++i) family->train_step(random_batch());
    std::stringstream buffer;
    {
        torch::serialize::OutputArchive archive;
        family->save(archive);
        archive.save_to(buffer);
    }
    auto resumed = small_member({{"reference_seed", 99}}, 5);  // another reference batch, other weights
    CHECK_FALSE(torch::equal(resumed->reference_z(), family->reference_z()));
    torch::serialize::InputArchive archive;
    archive.load_from(buffer);
    resumed->load(archive);
    CHECK(torch::equal(resumed->reference_z(), family->reference_z()));
    CHECK(resumed->history_G().count() == family->history_G().count());
    CHECK(torch::equal(resumed->history_D().means().back(), family->history_D().means().back()));
    const auto z = torch::randn({3, 16});
    CHECK(torch::equal(resumed->sample(z, {}), family->sample(z, {})));
    torch::manual_seed(8);
    const auto next = family->train_step(random_batch());
    torch::manual_seed(8);
    const auto next_resumed = resumed->train_step(random_batch());
    for (size_t k = 0; k < next.size(); ++k) CHECK(next[k].second == next_resumed[k].second);
}

// ---- parity of the export ----------------------------------------------------------------------

namespace {

ExportOptions options_for(DType dtype) {
    ExportOptions o;
    o.dtype = dtype;
    o.family = "improved-dcgan";
    o.name = "improved-dcgan-test";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", json::array()}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

double max_difference(GanFamily& family, const Model& model, int64_t count, uint64_t seed) {
    const auto z = normal_latents(seed, 0, count, family.z_dim());
    const auto expected =
        family.sample(torch::from_blob(const_cast<float*>(z.data.data()), {count, family.z_dim()}), {}).contiguous();
    GenerateRequest request;
    request.seed = seed;
    request.count = count;
    const ganzoo::Tensor actual = model.generate(request);
    if (count > 1) std::printf("    output std %.3f\n", expected.std().item<double>());
    REQUIRE(actual.shape == std::vector<int64_t>{count, 1, 28, 28});
    double worst = 0.0;
    const float* e = expected.data_ptr<float>();
    for (int64_t i = 0; i < expected.numel(); ++i) worst = std::max(worst, std::abs(double(e[i]) - actual.data[i]));
    return worst;
}

}  // namespace

TEST_CASE("core reproduces LibTorch's Improved DCGAN generator, VBN frozen to the reference statistics") {
    auto family = small_member({{"z_dim", 24}}, 3);
    {
        // Weights large enough that the output spans tanh's range, and a random VBN affine.
        torch::NoGradGuard no_grad;
        for (auto& p : family->generator()->named_parameters()) {
            if (p.value().dim() > 1)
                p.value().normal_(0.0, 1.5 / std::sqrt(double(p.value().numel() / p.value().size(0))));
            else if (p.key().find("weight") != std::string::npos)
                p.value().uniform_(0.5, 1.5);
            else
                p.value().normal_(0.0, 0.3);
        }
    }
    for (int i = 0; i < 3; ++i) family->train_step(random_batch(16));  // moves weights and VBN statistics

    for (DType dtype : {DType::F32, DType::F16}) {
        const auto bytes = export_model(*family, options_for(dtype));
        const Model model = Model::load(bytes.data(), bytes.size());
        const double tolerance = dtype == DType::F32 ? 1e-4 : 2e-2;
        for (int64_t count : {1, 17}) {
            const double diff = max_difference(*family, model, count, 99);
            std::printf("parity improved-dcgan %s batch %2lld: max |LibTorch - core| = %.3g (tolerance %.0e)\n",
                        dtype_name(dtype), static_cast<long long>(count), diff, tolerance);
            CHECK(diff <= tolerance);
        }
        const CheckResult check = model.verify();
        INFO(check.message);
        CHECK(check.passed);
        // VBN is folded into the layer before it: no batch_norm op is left.
        std::vector<std::string> ops;
        const auto doc = json::parse(model.info().metadata_json);
        for (const auto& op : doc["nets"]["G"]["ops"]) ops.push_back(op["op"]);
        CHECK(ops == std::vector<std::string>{"linear", "reshape", "relu", "conv_transpose2d", "relu",
                                              "conv_transpose2d", "tanh"});
    }
}

// ---- semi-supervised learning (§5) ---------------------------------------------------------

namespace {

// A labelled toy set of four classes: class c is a dark image with its quadrant c bright, plus
// noise.
std::pair<torch::Tensor, torch::Tensor> toy_classes(int64_t per_class, uint64_t seed) {
    torch::manual_seed(seed);
    std::vector<torch::Tensor> images, labels;
    for (int64_t c = 0; c < 4; ++c) {
        auto x = torch::full({per_class, 1, 28, 28}, -0.8);
        x.narrow(2, 14 * (c / 2), 14).narrow(3, 14 * (c % 2), 14).fill_(0.8);
        images.push_back((x + 0.1 * torch::randn({per_class, 1, 28, 28})).clamp(-1, 1));
        labels.push_back(torch::full({per_class}, c, torch::kLong));
    }
    const auto x = torch::cat(images), y = torch::cat(labels);
    return {x.add(1).mul(127.5).round().to(torch::kUInt8), y};  // pixels, as the trainer passes them
}

std::unique_ptr<ImprovedDcgan> ssl_member(json overrides = json::object(), uint64_t seed = 1) {
    torch::manual_seed(seed);
    auto family = std::make_unique<ImprovedDcgan>();
    json config = family->defaults(false);
    config.update({{"width", 8}, {"z_dim", 16}, {"reference_batch", 12}, {"minibatch_kernels", 0}, {"labels", 8},
                   {"labelled_batch", 8}, {"baseline_steps", 30}, {"lr", 1e-3}});
    config.update(overrides);
    family->build(config, {1, 28, 28}, 4, torch::kCPU);
    return family;
}

// A semi-supervised member exported at F32 (G, D_classes, C_baseline) and loaded by the core.
Model export_ssl(ImprovedDcgan& ssl) {
    ExportOptions eo;
    eo.dtype = DType::F32;
    eo.family = "improved-dcgan";
    eo.name = "t";
    eo.dataset = {{"name", "toy"}, {"classes", {"a", "b", "c", "d"}}, {"image", {1, 28, 28}}, {"range", {-1, 1}}};
    const auto bytes = export_model(ssl, eo);
    return Model::load(bytes.data(), bytes.size());
}

// A contiguous float tensor as the core's tensor.
ganzoo::Tensor core_tensor(const torch::Tensor& x) {
    const auto c = x.contiguous();
    return {c.sizes().vec(), std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel())};
}

double accuracy(torch::nn::Sequential& net, const torch::Tensor& images, const torch::Tensor& labels) {
    torch::NoGradGuard no_grad;
    return net->forward(images).argmax(1).eq(labels).to(torch::kFloat).mean().item<double>();
}

}  // namespace

TEST_CASE("semi-supervised: the labelled images are labels/K of each class, fixed by labels_seed") {
    const auto [pixels, labels] = toy_classes(20, 3);
    const auto a = choose_labelled(labels, 4, 3, 100), b = choose_labelled(labels, 4, 3, 100), c = choose_labelled(labels, 4, 3, 101);
    REQUIRE(a.size(0) == 12);
    CHECK(torch::equal(a, b));
    CHECK(!torch::equal(a, c));
    for (int64_t k = 0; k < 4; ++k) CHECK(labels.index_select(0, a).eq(k).sum().item<int64_t>() == 3);
    CHECK_THROWS_WITH(choose_labelled(labels, 4, 21, 100), Catch::Contains("needs 21 images of class 0"));
    // Through the member: 8 labels of 4 classes, two each; a count that is no multiple of K, or
    // minibatch discrimination, is refused.
    auto ssl = ssl_member();
    ssl->set_training_data(pixels, labels);
    REQUIRE(ssl->labelled_images().size(0) == 8);
    CHECK(ssl->labelled_images().min().item<double>() >= -1.0);
    for (int64_t k = 0; k < 4; ++k) CHECK(ssl->labelled_labels().eq(k).sum().item<int64_t>() == 2);
    CHECK_THROWS_WITH(ssl_member({{"labels", 6}}), Catch::Contains("multiple of the 4 classes"));
    CHECK_THROWS_WITH(ssl_member({{"minibatch_kernels", 5}}), Catch::Contains("minibatch_kernels=0"));
}

TEST_CASE("semi-supervised: D's real-vs-fake logit is logsumexp of its K class logits (the fake class's logit is 0)") {
    auto ssl = ssl_member();
    const auto logits = torch::tensor({{0.0, 0.0, 0.0, 0.0}, {2.0, -1.0, 0.5, 3.0}});
    const auto l = ssl->gan_logit(logits);
    // D(x) = Z / (Z + 1): sigmoid(log Z).
    CHECK(l[0][0].item<double>() == Approx(std::log(4.0)));
    CHECK(torch::sigmoid(l)[1][0].item<double>() == Approx([] {
              const double z = std::exp(2.0) + std::exp(-1.0) + std::exp(0.5) + std::exp(3.0);
              return z / (z + 1);
          }()));
    auto plain = small_member();
    CHECK(torch::equal(plain->gan_logit(logits.narrow(1, 0, 1)), logits.narrow(1, 0, 1)));  // unsupervised: D's own logit
}

TEST_CASE("semi-supervised: D learns the classes from 2 labels each, the supervised term being what teaches it") {
    // Toy: 4 classes of constant images, 2 labelled each; the unlabelled batches are the same
    // distribution. D's class logits must classify held-out images: without the supervised term
    // in D's loss nothing tells a logit which class it stands for (chance is 0.25).
    const auto [pixels, labels] = toy_classes(40, 5);
    const auto [test_pixels, test_labels] = toy_classes(25, 6);
    const auto test_images = test_pixels.to(torch::kFloat).div(127.5).sub(1.0);
    auto ssl = ssl_member({{"baseline_steps", 60}});
    ssl->set_training_data(pixels, labels);
    const auto all = pixels.to(torch::kFloat).div(127.5).sub(1.0);
    double supervised = 0;
    for (int step = 0; step < 60; ++step) {
        Batch batch;
        batch.images = all.index_select(0, torch::randint(160, {16}, torch::kLong));
        const auto stats = ssl->train_step(batch);
        if (step >= 50) supervised += stat(stats, "loss_supervised") / 10;
        CHECK(stat(stats, "loss_d") == Approx(stat(stats, "loss_supervised") + stat(stats, "loss_unsupervised")).epsilon(1e-5));
    }
    const double d_accuracy = accuracy(ssl->discriminator(), test_images, test_labels);
    const double c_accuracy = accuracy(ssl->baseline(), test_images, test_labels);
    std::printf("semi-supervised toy: D %.3f, baseline %.3f on 100 held-out images; supervised loss over the last 10 steps %.4f\n",
                d_accuracy, c_accuracy, supervised);
    CHECK(d_accuracy > 0.95);
    CHECK(c_accuracy > 0.95);  // the toy is easy: both must get it
    // The baseline is trained once, before the first step, and frozen.
    for (const auto& p : ssl->baseline()->parameters()) CHECK_FALSE(p.requires_grad());
    // Export: G first, then D's class logits and the baseline, each reproducing LibTorch.
    const auto model = export_ssl(*ssl);
    auto nets = model.info().nets;
    std::sort(nets.begin(), nets.end());
    REQUIRE(nets == std::vector<std::string>{"C_baseline", "D_classes", "G"});
    const auto x = test_images.narrow(0, 0, 6).contiguous();
    const auto input = core_tensor(x);
    torch::NoGradGuard no_grad;
    CHECK(max_abs_diff(ssl->discriminator()->forward(x), model.run("D_classes", {{"image", input}})) < 1e-4);
    CHECK(max_abs_diff(ssl->baseline()->forward(x), model.run("C_baseline", {{"image", input}})) < 1e-4);
}

TEST_CASE("weight norm: w = g·v/|v| per output unit, so D ignores v's scale; on with d_weight_norm in D and the baseline") {
    // The layer on hand values: row 0 of v is (3, 4) with g = 10 → (6, 8); row 1 is (1, 0), g = −2.
    WeightNormLayer layer(2, 2);
    {
        torch::NoGradGuard no_grad;
        layer->v.copy_(torch::tensor({{3.0, 4.0}, {1.0, 0.0}}));
        layer->g.copy_(torch::tensor({10.0, -2.0}));
        layer->bias.copy_(torch::tensor({0.5, 0.0}));
    }
    CHECK(torch::allclose(layer->weight(), torch::tensor({{6.0, 8.0}, {-2.0, 0.0}})));
    CHECK(torch::allclose(layer->forward(torch::tensor({{1.0, 1.0}})), torch::tensor({{14.5, -2.0}})));
    // At construction g = |v|: the layer starts as the plain layer with weight v.
    WeightNormLayer fresh(3, 5, 4, 2, 1);
    CHECK(torch::allclose(fresh->weight(), fresh->v));

    // In the member: every weighted layer of D and of the baseline is weight-normalized, and
    // rescaling every v leaves D's class logits unchanged (what a plain layer cannot do).
    auto ssl = ssl_member({{"d_weight_norm", true}});
    for (auto* net : {&ssl->discriminator(), &ssl->baseline()}) {
        int normalized = 0, plain = 0;
        for (const auto& m : (*net)->modules(/*include_self=*/false)) {
            if (std::dynamic_pointer_cast<WeightNormLayerImpl>(m)) ++normalized;
            if (std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(m) || std::dynamic_pointer_cast<torch::nn::LinearImpl>(m)) ++plain;
        }
        CHECK(normalized == 3);  // two convolutions and the class head
        CHECK(plain == 0);
    }
    torch::manual_seed(3);
    const auto x = torch::rand({5, 1, 28, 28}) * 2 - 1;
    torch::NoGradGuard no_grad;
    const auto before = ssl->discriminator()->forward(x);
    for (const auto& m : ssl->discriminator()->modules(false))
        if (auto wn = std::dynamic_pointer_cast<WeightNormLayerImpl>(m)) wn->v.mul_(3.7);
    CHECK(max_abs(ssl->discriminator()->forward(x) - before) < 1e-4 * max_abs(before));
    // Off by default: plain layers, as every run before the key.
    auto plain = ssl_member();
    bool any = false;
    for (const auto& m : plain->discriminator()->modules(false)) any |= bool(std::dynamic_pointer_cast<WeightNormLayerImpl>(m));
    CHECK_FALSE(any);

    // Exported as plain layers computing the same weights: D_classes and C_baseline match LibTorch.
    const auto model = export_ssl(*ssl);
    const auto input = core_tensor(x);
    CHECK(max_abs_diff(ssl->discriminator()->forward(x), model.run("D_classes", {{"image", input}})) < 1e-4);
    CHECK(max_abs_diff(ssl->baseline()->forward(x), model.run("C_baseline", {{"image", input}})) < 1e-4);
}

TEST_CASE("gaussian noise: sigma·N(0,1) while training, the identity in eval and export; d_input_noise, d_noise in D and the baseline") {
    // The layer: on zeros, training mode gives N(0, σ²) values, fresh at every forward; eval mode
    // gives its input back.
    GaussianNoise layer(0.5);
    const auto zeros = torch::zeros({200000});
    torch::manual_seed(5);
    const auto a = layer->forward(zeros), b = layer->forward(zeros);
    CHECK(std::abs(a.mean().item<double>()) < 0.01);
    CHECK(std::abs(a.std().item<double>() - 0.5) < 0.01);
    CHECK(max_abs(a - b) > 1.0);
    layer->eval();
    CHECK(max_abs(layer->forward(zeros)) == 0);
    CHECK_THROWS_WITH(GaussianNoise(0.0), Catch::Contains("sigma must be > 0"));

    // In the member, as the paper's MNIST discriminator has it: σ_in on the input, σ after each
    // hidden layer, in D and in the baseline (the same architecture); off by default.
    auto ssl = ssl_member({{"d_input_noise", 0.3}, {"d_noise", 0.5}});
    for (auto* net : {&ssl->discriminator(), &ssl->baseline()}) {
        std::vector<double> sigmas;
        for (const auto& m : (*net)->children())
            if (auto n = std::dynamic_pointer_cast<GaussianNoiseImpl>(m)) sigmas.push_back(n->sigma);
        CHECK(sigmas == std::vector<double>{0.3, 0.5, 0.5});  // the input, after each of the two convolutions
        CHECK(std::dynamic_pointer_cast<GaussianNoiseImpl>((*net)->children().front()));
    }
    auto plain = ssl_member();
    for (const auto& m : plain->discriminator()->children()) CHECK_FALSE(std::dynamic_pointer_cast<GaussianNoiseImpl>(m));
    CHECK_THROWS_WITH(ssl_member({{"d_noise", -0.1}}), Catch::Contains("d_input_noise and d_noise must be >= 0"));

    // D draws new noise at every training forward, so its class logits on the same images differ;
    // the export leaves the noise out and matches D in eval mode; D trains noisy after the export.
    torch::manual_seed(3);
    const auto x = torch::rand({5, 1, 28, 28}) * 2 - 1;
    torch::NoGradGuard no_grad;
    auto& D = ssl->discriminator();
    D->train();
    CHECK(max_abs(D->forward(x) - D->forward(x)) > 1e-3);
    const auto model = export_ssl(*ssl);
    CHECK(D->is_training());
    CHECK(max_abs(D->forward(x) - D->forward(x)) > 1e-3);
    D->eval();
    const auto clean = D->forward(x);
    CHECK(max_abs(clean - D->forward(x)) == 0);
    CHECK(max_abs_diff(clean, model.run("D_classes", {{"image", core_tensor(x)}})) < 1e-4);
    ssl->baseline()->eval();
    CHECK(max_abs_diff(ssl->baseline()->forward(x), model.run("C_baseline", {{"image", core_tensor(x)}})) < 1e-4);
    D->train();
}

namespace {

// Each weight-normalised layer's output on x, D run module by module in eval mode (no noise).
std::vector<torch::Tensor> weight_norm_outputs(torch::nn::Sequential& net, const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    net->eval();
    std::vector<torch::Tensor> out;
    torch::Tensor h = x;
    for (auto& module : *net) {
        h = module.forward(h);
        if (std::dynamic_pointer_cast<WeightNormLayerImpl>(module.ptr())) out.push_back(h);
    }
    net->train();
    return out;
}

}  // namespace

TEST_CASE("weight norm data-dependent init: every unit of D and the baseline starts at mean 0 and variance 1 on real data") {
    const auto [pixels, labels] = toy_classes(40, 5);
    const auto all = pixels.to(torch::kFloat).div(127.5).sub(1.0);
    for (const std::string network : {"conv", "mlp"}) {
        auto ssl = ssl_member({{"d_weight_norm", true}, {"d_network", network}, {"d_noise", 0.5}, {"baseline_steps", 0}});
        ssl->set_training_data(pixels, labels);
        const auto batch = all.index_select(0, torch::randperm(160, torch::kLong).narrow(0, 0, 64));
        // Before: g = |v|, DCGAN's N(0, 0.02) weights: units far from unit variance.
        auto before = weight_norm_outputs(ssl->discriminator(), batch);
        CHECK(before.back().std().item<double>() < 0.3);
        ssl->data_init(batch);
        auto after = weight_norm_outputs(ssl->discriminator(), batch);
        REQUIRE(after.size() == (network == "mlp" ? 6u : 3u));
        for (size_t k = 0; k < after.size(); ++k) {
            const auto t = after[k];
            const std::vector<int64_t> dims = t.dim() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0};
            INFO(network << " layer " << k);
            CHECK(max_abs(t.mean(dims)) < 1e-4);
            CHECK(max_abs(t.std(dims) - 1) < 1e-3);
        }
        // The baseline: on the labelled images.
        const auto c = weight_norm_outputs(ssl->baseline(), ssl->labelled_images());
        CHECK(max_abs(c.front().std(c.front().dim() == 4 ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{0}) - 1) < 1e-3);
    }
    // In training: done by the first step, on its real batch (then Adam moves g a little).
    auto ssl = ssl_member({{"d_weight_norm", true}, {"d_network", "mlp"}, {"baseline_steps", 0}, {"lr", 1e-5}});
    ssl->set_training_data(pixels, labels);
    Batch batch;
    batch.images = all.index_select(0, torch::randperm(160, torch::kLong).narrow(0, 0, 32));
    ssl->train_step(batch);
    const auto first = weight_norm_outputs(ssl->discriminator(), batch.images).front();
    CHECK(max_abs(first.std(0) - 1) < 0.05);
    // "plain" keeps g = |v| (every run before the key).
    auto plain = ssl_member({{"d_weight_norm", true}, {"d_network", "mlp"}, {"baseline_steps", 0}, {"d_weight_norm_init", "plain"}});
    plain->set_training_data(pixels, labels);
    plain->train_step(batch);
    CHECK(weight_norm_outputs(plain->discriminator(), batch.images).front().std(0).mean().item<double>() < 0.6);
    CHECK_THROWS_WITH(ssl_member({{"d_weight_norm_init", "lsuv"}}), Catch::Contains("'d_weight_norm_init' must be"));
}

TEST_CASE("the paper's semi-supervised MNIST discriminator (d_network = mlp): 1000-500-250-250-250 ReLU units, noise after each, exported") {
    auto ssl = ssl_member({{"d_network", "mlp"}, {"d_weight_norm", true}, {"d_input_noise", 0.6}, {"d_noise", 0.5}});
    for (auto* net : {&ssl->discriminator(), &ssl->baseline()}) {
        std::vector<std::pair<int64_t, int64_t>> dense;
        int relu = 0, noise = 0;
        for (const auto& m : (*net)->children()) {
            if (auto wn = std::dynamic_pointer_cast<WeightNormLayerImpl>(m)) dense.emplace_back(wn->in, wn->out);
            relu += bool(std::dynamic_pointer_cast<torch::nn::ReLUImpl>(m));
            noise += bool(std::dynamic_pointer_cast<GaussianNoiseImpl>(m));
        }
        CHECK(dense == std::vector<std::pair<int64_t, int64_t>>{{784, 1000}, {1000, 500}, {500, 250}, {250, 250}, {250, 250}, {250, 4}});
        CHECK(relu == 5);
        CHECK(noise == 6);  // the input and after each hidden layer
    }
    // Feature matching reads the last hidden layer: 250 features.
    torch::manual_seed(4);
    const auto x = torch::rand({6, 1, 28, 28}) * 2 - 1;
    CHECK(ssl->features(x).sizes() == torch::IntArrayRef({6, 250}));
    CHECK_THROWS_WITH(ssl_member({{"d_network", "resnet"}}), Catch::Contains("'d_network' must be"));
    // Exported without the noise, matching LibTorch in eval mode.
    const auto model = export_ssl(*ssl);
    torch::NoGradGuard no_grad;
    ssl->discriminator()->eval();
    ssl->baseline()->eval();
    CHECK(max_abs_diff(ssl->discriminator()->forward(x), model.run("D_classes", {{"image", core_tensor(x)}})) < 1e-4);
    CHECK(max_abs_diff(ssl->baseline()->forward(x), model.run("C_baseline", {{"image", core_tensor(x)}})) < 1e-4);
}

TEST_CASE("the paper's semi-supervised code's weight norm: v ~ N(0, d_weight_norm_v_std), hidden g frozen with train_g = output") {
    const json paper = {{"d_network", "mlp"}, {"d_weight_norm", true}, {"d_weight_norm_v_std", 0.1},
                        {"d_weight_norm_train_g", "output"}, {"baseline_steps", 0}};
    auto ssl = ssl_member(paper);
    std::vector<std::shared_ptr<WeightNormLayerImpl>> layers;
    for (const auto& m : ssl->discriminator()->children())
        if (auto wn = std::dynamic_pointer_cast<WeightNormLayerImpl>(m)) layers.push_back(wn);
    REQUIRE(layers.size() == 6);
    // The same in the baseline, which keeps D's architecture (before its training, which freezes it all).
    int frozen = 0;
    for (const auto& m : ssl->baseline()->children())
        if (auto wn = std::dynamic_pointer_cast<WeightNormLayerImpl>(m)) frozen += !wn->g.requires_grad();
    CHECK(frozen == 5);
    // v's spread is the key's: 784,000 draws of the first layer.
    CHECK(layers[0]->v.std().item<double>() == Approx(0.1).epsilon(0.01));
    CHECK(ssl_member({{"d_network", "mlp"}, {"d_weight_norm", true}})->discriminator()->children()[1]
              ->as<WeightNormLayerImpl>()->v.std().item<double>() == Approx(0.02).epsilon(0.01));
    // Only the output layer's g trains; v and the biases of every layer do.
    std::vector<torch::Tensor> g_before, v_before;
    for (const auto& l : layers) {
        g_before.push_back(l->g.detach().clone());
        v_before.push_back(l->v.detach().clone());
    }
    const auto [pixels, labels] = toy_classes(10, 2);
    ssl->set_training_data(pixels, labels);
    Batch b;
    b.images = pixels.to(torch::kFloat).div(127.5).sub(1.0);
    ssl->train_step(b);  // the data init sets every g, then one step
    std::vector<torch::Tensor> g_init;
    for (const auto& l : layers) g_init.push_back(l->g.detach().clone());
    ssl->train_step(b);
    for (size_t i = 0; i < layers.size(); ++i) {
        const bool output = i + 1 == layers.size();
        INFO("layer " << i);
        CHECK(layers[i]->g.requires_grad() == output);
        CHECK(torch::equal(layers[i]->g, g_init[i]) == !output);
        CHECK_FALSE(torch::equal(layers[i]->v, v_before[i]));
    }
    // With "all" (the default), the hidden layers' g train too.
    auto all = ssl_member({{"d_network", "mlp"}, {"d_weight_norm", true}, {"baseline_steps", 0}});
    all->set_training_data(pixels, labels);
    all->train_step(b);
    const auto hidden = all->discriminator()->children()[1]->as<WeightNormLayerImpl>();
    const auto g1 = hidden->g.detach().clone();
    all->train_step(b);
    CHECK_FALSE(torch::equal(hidden->g, g1));
    CHECK_THROWS_WITH(ssl_member({{"d_weight_norm_train_g", "hidden"}}), Catch::Contains("'d_weight_norm_train_g' must be"));
    CHECK_THROWS_WITH(ssl_member({{"d_weight_norm_v_std", 0}}), Catch::Contains("d_weight_norm_v_std must be > 0"));
}

TEST_CASE("semi-supervised: D's loss is the labelled cross-entropy plus unsupervised_weight times the GAN terms") {
    const auto [pixels, labels] = toy_classes(10, 2);
    Batch b;
    b.images = pixels.to(torch::kFloat).div(127.5).sub(1.0);
    for (const double w : {1.0, 0.5, 0.0}) {
        auto ssl = ssl_member({{"unsupervised_weight", w}, {"baseline_steps", 0}});
        ssl->set_training_data(pixels, labels);
        const auto stats = ssl->train_step(b);
        INFO("weight " << w);
        CHECK(stat(stats, "loss_unsupervised") > 0.1);
        CHECK(stat(stats, "loss_d") == Approx(stat(stats, "loss_supervised") + w * stat(stats, "loss_unsupervised")).epsilon(1e-6));
    }
    // The weight reaches D's update: at 0, D's step is the supervised step alone.
    auto step_d = [&](double w) {
        auto ssl = ssl_member({{"unsupervised_weight", w}, {"baseline_steps", 0}});
        ssl->set_training_data(pixels, labels);
        ssl->train_step(b);
        return flat_parameters(*ssl->discriminator());
    };
    CHECK_FALSE(torch::allclose(step_d(1.0), step_d(0.5)));
    CHECK_THROWS_WITH(ssl_member({{"unsupervised_weight", -1}}), Catch::Contains("unsupervised_weight must be >= 0"));
}

TEST_CASE("weight norm's data init through D's noise (d_weight_norm_init = data_noise), as the paper's code") {
    const json noisy = {{"d_network", "mlp"}, {"d_weight_norm", true}, {"d_input_noise", 0.6}, {"d_noise", 0.5}};
    auto a = ssl_member(noisy), b = ssl_member(noisy);
    torch::manual_seed(3);
    const auto x = torch::rand({32, 1, 28, 28}) * 2 - 1;
    weight_norm_data_init(a->discriminator(), x, /*with_noise=*/false);
    weight_norm_data_init(b->discriminator(), x, /*with_noise=*/true);
    const auto first = [](ImprovedDcgan& m) { return m.discriminator()->children()[2]->as<WeightNormLayerImpl>(); };
    // The first layer sees the noisy input: its per-unit σ is larger, so g = 1/σ is smaller.
    CHECK(first(*b)->g.mean().item<double>() < 0.9 * first(*a)->g.mean().item<double>());
    CHECK(b->discriminator()->is_training());  // the mode is restored
    // Without noise layers the two inits agree.
    const json clean = {{"d_network", "mlp"}, {"d_weight_norm", true}};
    auto c = ssl_member(clean), d = ssl_member(clean);
    weight_norm_data_init(c->discriminator(), x, false);
    weight_norm_data_init(d->discriminator(), x, true);
    CHECK(torch::equal(flat_parameters(*c->discriminator()), flat_parameters(*d->discriminator())));
    CHECK_THROWS_WITH(ssl_member({{"d_weight_norm_init", "noisy"}}), Catch::Contains("'d_weight_norm_init' must be"));
}

TEST_CASE("semi-supervised: an average of D (d_average) is what D_classes exports, updated as the generator average, checkpointed") {
    const auto [pixels, labels] = toy_classes(10, 2);
    Batch b;
    b.images = pixels.to(torch::kFloat).div(127.5).sub(1.0);
    const json recipe = {{"d_average", 0.9}, {"baseline_steps", 0}};
    auto ssl = ssl_member(recipe);
    ssl->set_training_data(pixels, labels);
    REQUIRE(ssl->discriminator_average());
    // The hand computation: a copy after the first step, then a ← d·a + (1 − d)·θ with
    // d = min(0.9, (1 + t)/(10 + t)), t the steps after the first.
    torch::Tensor expected;
    for (int64_t step = 1; step <= 6; ++step) {
        ssl->train_step(b);
        const auto live = flat_parameters(*ssl->discriminator());
        const int64_t t = step - 1;
        const double d = step == 1 ? 0.0 : std::min(0.9, (1.0 + t) / (10.0 + t));
        expected = step == 1 ? live : d * expected + (1 - d) * live;
        INFO("step " << step);
        CHECK(torch::allclose(flat_parameters(*ssl->discriminator_average()), expected, 1e-5, 1e-6));
    }
    CHECK_FALSE(torch::allclose(flat_parameters(*ssl->discriminator_average()), flat_parameters(*ssl->discriminator())));
    // The export's D_classes is the average, not the live D.
    torch::manual_seed(5);
    const auto x = torch::rand({4, 1, 28, 28}) * 2 - 1;
    const auto model = export_ssl(*ssl);
    {
        torch::NoGradGuard no_grad;
        const auto exported = model.run("D_classes", {{"image", core_tensor(x)}});
        CHECK(max_abs_diff(ssl->discriminator_average()->forward(x), exported) < 1e-4);
        ssl->discriminator()->eval();
        CHECK(max_abs_diff(ssl->discriminator()->forward(x), exported) > 1e-3);
        ssl->discriminator()->train();
    }
    // A checkpoint holds the average and its step count: a resumed run goes on bit-identically.
    std::stringstream checkpoint;
    {
        torch::serialize::OutputArchive archive;
        ssl->save(archive);
        archive.save_to(checkpoint);
    }
    auto resumed = ssl_member(recipe, 9);
    resumed->set_training_data(pixels, labels);
    {
        torch::serialize::InputArchive archive;
        archive.load_from(checkpoint);
        resumed->load(archive);
    }
    CHECK(torch::equal(flat_parameters(*resumed->discriminator_average()), flat_parameters(*ssl->discriminator_average())));
    torch::manual_seed(11);
    ssl->train_step(b);
    torch::manual_seed(11);
    resumed->train_step(b);
    CHECK(torch::equal(flat_parameters(*resumed->discriminator_average()), flat_parameters(*ssl->discriminator_average())));
    // Off by default; refused without labels or out of range.
    CHECK_FALSE(ssl_member()->discriminator_average());
    CHECK_THROWS_WITH(ssl_member({{"d_average", 1.0}}), Catch::Contains("d_average must be in [0, 1)"));
    CHECK_THROWS_WITH(ssl_member({{"d_average", 0.9}, {"labels", 0}}), Catch::Contains("it needs --labels"));
}
