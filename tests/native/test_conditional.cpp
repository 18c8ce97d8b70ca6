// Conditional GAN and InfoGAN: each key mechanism with a test that fails when it is removed, and
// InfoGAN's exported Q against LibTorch through the core. Every member's generator parity, per
// class and code, is the member contract's (test_contract.cpp).
#include <cmath>
#include <cstdio>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/family.hpp"
#include "models/infogan.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
using namespace ganzoo::models::testing;

namespace {

std::unique_ptr<GanFamily> member(const std::string& name, json overrides = json::object(), int64_t classes = 10,
                                  uint64_t seed = 1) {
    torch::manual_seed(seed);
    auto family = make_family(name);
    json config = family->defaults(false);
    if (config.contains("width")) config["width"] = 8;
    config["z_dim"] = 16;
    config.update(overrides);
    family->build(config, {1, 28, 28}, classes, torch::kCPU);
    return family;
}

// A toy labelled dataset: class 0 images are all −0.8, class 1 images all +0.8.
Batch two_class_batch(int64_t n) {
    Batch b;
    b.labels = torch::randint(0, 2, {n}, torch::kLong);
    b.images = (b.labels.to(torch::kFloat) * 1.6 - 0.8).view({n, 1, 1, 1}).expand({n, 1, 28, 28}).contiguous();
    return b;
}

ExportOptions export_options(DType dtype, const std::string& family) {
    ExportOptions o;
    o.dtype = dtype;
    o.family = family;
    o.name = family + "-test";
    json classes = json::array();
    for (int k = 0; k < 10; ++k) classes.push_back("class " + std::to_string(k));
    o.dataset = {{"name", "fashion-mnist"}, {"classes", classes}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

torch::Tensor latents(int64_t count, int64_t dim, uint64_t seed) {
    const auto z = normal_latents(seed, 0, count, dim);
    return torch::from_blob(const_cast<float*>(z.data.data()), {count, dim}, torch::kFloat).clone();
}

}  // namespace

// ---- Conditional GAN ----------------------------------------------------------------------

TEST_CASE("cGAN: G's image depends on the label it is given") {
    auto cgan = member("cgan");
    const auto z = torch::randn({4, 16});
    const auto a = cgan->sample(z, {{"label", torch::full({4}, 0, torch::kLong)}});
    const auto b = cgan->sample(z, {{"label", torch::full({4}, 7, torch::kLong)}});
    CHECK((a - b).abs().max().item<double>() > 1e-4);
    CHECK_THROWS(cgan->sample(z, {}));  // a conditional G cannot draw without labels
}

TEST_CASE("cGAN: D reads the label as ten constant planes beside the image (off with condition_d=false)") {
    auto first_conv_inputs = [](GanFamily& family) {
        for (auto& m : network(family, "D")->modules(false))
            if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(m)) return conv->options.in_channels();
        return int64_t{-1};
    };
    CHECK(first_conv_inputs(*member("cgan")) == 1 + 10);
    CHECK(first_conv_inputs(*member("cgan", {{"condition_d", false}})) == 1);
}

TEST_CASE("cGAN: on a two-class toy set, G learns to draw the class it is asked for; a label-blind D does not teach it") {
    // Class 0 is a dark frame, class 1 a bright one. Only a D that sees the label can punish a
    // bright image labelled 0, so only then does G's brightness follow the label.
    auto separation = [](bool condition_d) {
        auto cgan = member("cgan", {{"condition_d", condition_d}, {"lr", 1e-3}}, 2, 3);
        torch::manual_seed(11);
        for (int step = 0; step < 200; ++step) cgan->train_step(two_class_batch(32));
        const auto z = torch::randn({64, 16});
        const double dark = cgan->sample(z, {{"label", torch::zeros({64}, torch::kLong)}}).mean().item<double>();
        const double bright = cgan->sample(z, {{"label", torch::ones({64}, torch::kLong)}}).mean().item<double>();
        std::printf("cGAN toy (condition_d=%d): mean of G(z|0) %.3f, of G(z|1) %.3f\n", condition_d, dark, bright);
        return bright - dark;
    };
    const double conditioned = separation(true);
    const double blind = separation(false);
    CHECK(conditioned > 0.8);
    CHECK(std::abs(blind) < 0.5 * conditioned);
}

TEST_CASE("cGAN: the run's grid has one row per class, and the golden case asks each class in turn") {
    auto cgan = member("cgan");
    CHECK(cgan->grid_columns(100) == 10);
    const auto grid = cgan->grid_inputs(100, 10).at("label");
    CHECK(grid[0].item<int64_t>() == 0);
    CHECK(grid[9].item<int64_t>() == 0);
    CHECK(grid[10].item<int64_t>() == 1);
    CHECK(grid[99].item<int64_t>() == 9);
    const auto check = cgan->grid_inputs(4, 1).at("label");
    CHECK(check[3].item<int64_t>() == 3);
}

// ---- InfoGAN --------------------------------------------------------------------------------

TEST_CASE("InfoGAN: the information loss is the cross-entropy plus the Gaussian negative log-likelihood") {
    const auto category = torch::tensor({2, 0, 1}, torch::kLong);
    const auto c = torch::tensor({{0.5f, -0.25f}, {0.0f, 1.0f}, {-1.0f, 0.75f}});
    // Q sure of the right category and exactly on the continuous codes with σ = 1.
    auto sure = torch::full({3, 3}, -30.0f);
    sure.index_put_({torch::arange(3), category}, 30.0f);
    const auto at_c = infogan::info_loss(sure, category, c, torch::zeros({3, 2}), c);
    CHECK(at_c.categorical.item<double>() == Approx(0.0).margin(1e-6));
    CHECK(at_c.continuous.item<double>() == Approx(2 * 0.5 * std::log(2 * M_PI)).epsilon(1e-6));
    // Q knowing nothing: log K.
    const auto blank = infogan::info_loss(torch::zeros({3, 3}), category, c, torch::zeros({3, 2}), c);
    CHECK(blank.categorical.item<double>() == Approx(std::log(3.0)).epsilon(1e-6));
    // Against the formula, with a learned σ.
    const auto mean = torch::tensor({{0.1f, 0.2f}, {0.3f, -0.4f}, {0.0f, 0.5f}});
    const auto log_std = torch::tensor({{-0.5f, 0.2f}, {0.1f, 0.0f}, {0.3f, -0.2f}});
    const auto l = infogan::info_loss(torch::zeros({3, 3}), category, mean, log_std, c);
    double expected = 0;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 2; ++j) {
            const double s = std::exp(log_std[i][j].item<double>()), d = c[i][j].item<double>() - mean[i][j].item<double>();
            expected += std::log(s) + d * d / (2 * s * s) + 0.5 * std::log(2 * M_PI);
        }
    CHECK(l.continuous.item<double>() == Approx(expected / 3).epsilon(1e-5));
}

TEST_CASE("InfoGAN: G's image depends on both codes") {
    auto info = member("infogan");
    const auto z = torch::randn({3, 16});
    const auto cont = torch::zeros({3, 2});
    const auto base = info->sample(z, {{"c_cat", torch::zeros({3, 1})}, {"c_cont", cont}});
    const auto other_cat = info->sample(z, {{"c_cat", torch::full({3, 1}, 4.0f)}, {"c_cont", cont}});
    const auto other_cont = info->sample(z, {{"c_cat", torch::zeros({3, 1})}, {"c_cont", torch::full({3, 2}, 0.9f)}});
    CHECK((base - other_cat).abs().max().item<double>() > 1e-4);
    CHECK((base - other_cont).abs().max().item<double>() > 1e-4);
}

TEST_CASE("InfoGAN: Q is trained only through the information term, and that term reaches G") {
    // Same seed, same batch: with λ = 0 Q's head gets no gradient at all and G only the GAN's.
    auto q_head = [](GanFamily& family) {
        return flat_parameters(*network(family, "Q"));
    };
    auto with = member("infogan", json::object(), 10, 4);
    auto without = member("infogan", {{"lambda", 0.0}, {"lambda_cont", 0.0}}, 10, 4);
    const auto q_before = q_head(*with);
    REQUIRE(torch::equal(q_before, q_head(*without)));
    REQUIRE(torch::equal(flat_parameters(*network(*with, "G")), flat_parameters(*network(*without, "G"))));
    Batch batch;
    batch.images = torch::rand({16, 1, 28, 28}) * 2 - 1;
    torch::manual_seed(8);
    with->train_step(batch);
    torch::manual_seed(8);
    without->train_step(batch);
    CHECK(!torch::allclose(q_head(*with), q_before));
    CHECK(torch::equal(q_head(*without), q_before));
    CHECK(!torch::allclose(flat_parameters(*network(*with, "G")), flat_parameters(*network(*without, "G"))));
}

TEST_CASE("InfoGAN: with the information term Q learns to read the code back; without it, it cannot") {
    auto accuracy_after = [](double lambda) {
        auto info = member("infogan", {{"lambda", lambda}, {"lambda_cont", lambda * 0.1}, {"batch", 32}}, 10, 6);
        torch::manual_seed(12);
        double acc = 0;
        for (int step = 0; step < 60; ++step) {
            Batch batch;
            batch.images = torch::rand({32, 1, 28, 28}) * 2 - 1;
            const auto stats = info->train_step(batch);
            if (step >= 50) acc += stat(stats, "q_acc") / 10;
        }
        std::printf("InfoGAN toy: λ = %.1f, Q accuracy over steps 51-60: %.3f\n", lambda, acc);
        return acc;
    };
    CHECK(accuracy_after(1.0) > 0.6);
    CHECK(accuracy_after(0.0) < 0.3);  // chance is 0.1
}

TEST_CASE("InfoGAN: on a one-image data set, G keeps the continuous codes readable only through the information term") {
    // Every real image is the same picture, so the GAN loss alone pulls G towards drawing that
    // picture for every input: nothing of c would stay in G's image, and Q, which keeps training
    // in D's step either way, could read nothing. Only the information term in G's loss keeps c
    // written into the image. A Q that reads nothing (mean 0) scores, for 2 codes uniform in
    // [-1, 1] with σ = 1: 2 · (½ log 2π + E[c²] / 2) = 2 · (0.919 + 1/6) = 2.171; a Q that reads
    // c exactly scores 2 · 0.919 = 1.838. Dropping the term from G's loss leaves Q at ≈ 2.17.
    const double blind = std::log(2 * M_PI) + 1.0 / 3.0, exact = std::log(2 * M_PI);
    auto info = member("infogan", {{"lambda", 1.0}, {"lambda_cont", 1.0}, {"batch", 32}}, 10, 5);
    torch::manual_seed(21);
    const auto picture = (torch::rand({1, 1, 28, 28}) > 0.5).to(torch::kFloat) * 1.6 - 0.8;
    double late = 0;
    const int steps = 240, averaged = 40;
    for (int step = 0; step < steps; ++step) {
        Batch batch;
        batch.images = picture.expand({32, 1, 28, 28}).contiguous();
        const auto stats = info->train_step(batch);
        if (step >= steps - averaged) late += stat(stats, "info_cont") / averaged;
    }
    std::printf("InfoGAN one-image toy: Q's continuous loss over the last %d steps %.3f (reads nothing %.3f, exact %.3f)\n",
                averaged, late, blind, exact);
    CHECK(late < exact + 0.5 * (blind - exact));  // at least half of the readable part recovered
}

TEST_CASE("InfoGAN: G's step minimises the GAN loss plus the information term (both codes), read by D and Q as D's step left them") {
    // Replays the step's draws (category, continuous codes, z) through a twin G as it was before
    // the step and the stepped member's D and Q: G's gradient is that of
    // BCE(D(G)) + λ CE(Q_cat) + λ_cont NLL(Q_cont), and not that of the GAN loss alone.
    const json config = {{"lambda", 1.0}, {"lambda_cont", 0.5}};
    auto stepped = member("infogan", config, 10, 11), twin = member("infogan", config, 10, 11);
    Batch batch;
    batch.images = torch::rand({16, 1, 28, 28}) * 2 - 1;
    torch::manual_seed(19);
    stepped->train_step(batch);
    std::vector<torch::Tensor> taken;
    for (const auto& p : network(*stepped, "G")->parameters()) taken.push_back(p.grad().clone());

    torch::manual_seed(19);
    const int64_t n = 16;
    const auto category = (torch::rand({n}) * 10.0).floor().clamp_max(9).to(torch::kLong);
    const auto continuous = torch::rand({n, 2}) * 2.0 - 1.0;
    const auto z = torch::randn({n, 16});  // member() sets z_dim 16
    auto seq = [](GanFamily& f, const char* name) {
        auto m = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(f, name));
        REQUIRE(m);
        return m;
    };
    auto G = seq(*twin, "G");
    auto trunk = seq(*stepped, "D"), head = seq(*stepped, "D_head"), q_head = seq(*stepped, "Q");
    auto gradient_of = [&](double lambda, double lambda_cont) {
        for (auto& p : G->parameters())
            if (p.grad().defined()) p.grad().zero_();
        const auto input = torch::cat({z, torch::one_hot(category, 10).to(torch::kFloat), continuous}, 1);
        const auto features = trunk->forward(G->forward(input));
        const auto q = q_head->forward(features);
        const auto info = infogan::info_loss(q.slice(1, 0, 10), category, q.slice(1, 10, 12), torch::zeros({n, 2}), continuous);
        const auto loss = torch::binary_cross_entropy_with_logits(head->forward(features), torch::ones({n, 1})) +
                          lambda * info.categorical + lambda_cont * info.continuous;
        loss.backward();
        std::vector<torch::Tensor> out;
        for (const auto& p : G->parameters()) out.push_back(p.grad().clone());
        return out;
    };
    auto largest = [](const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
        double worst = 0;
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
        return worst;
    };
    const auto paper = gradient_of(1.0, 0.5);
    const double error = largest(taken, paper);
    const double gan_only = largest(gradient_of(0.0, 0.0), paper), no_continuous = largest(gradient_of(1.0, 0.0), paper);
    std::printf("InfoGAN G's gradient vs GAN + info terms: %.2e; without the info terms %.2e apart, without the continuous one %.2e\n",
                error, gan_only, no_continuous);
    CHECK(error < 1e-5 * std::max(1.0, gan_only));
    CHECK(gan_only > 1e-4);
    CHECK(no_continuous > 1e-5);
}

TEST_CASE("InfoGAN: the core draws what LibTorch draws for given codes, and Q reads as LibTorch's Q") {
    // z_std 0.1 puts a scale op in G's prelude: the core must scale z as generator_input() does.
    for (const double z_std : {1.0, 0.1}) {
        INFO("z_std " << z_std);
        auto info = member("infogan", {{"z_std", z_std}}, 10, 7);
        randomize_weights(*info);
        const ExportSpec spec = info->export_spec();
        REQUIRE(spec.nets.size() == 2);
        for (DType dtype : {DType::F32, DType::F16}) {
            const auto bytes = export_model(*info, export_options(dtype, "infogan"));
            const Model model = Model::load(bytes.data(), bytes.size());
            GenerateRequest r;
            r.seed = 99;
            r.count = 6;
            std::vector<float> cat, cont;
            for (int64_t i = 0; i < r.count; ++i) {
                cat.push_back(static_cast<float>((i * 3) % 10));
                cont.push_back(-1.0f + 0.4f * i);
                cont.push_back(0.9f - 0.3f * i);
            }
            r.codes = {{"c_cat", cat}, {"c_cont", cont}};
            const auto expected = info->sample(latents(6, 16, 99), {{"c_cat", torch::tensor(cat).view({6, 1})},
                                                                    {"c_cont", torch::tensor(cont).view({6, 2})}});
            const ganzoo::Tensor images = model.generate(r);
            const double tolerance = dtype == DType::F32 ? 1e-4 : 2e-2;
            const double diff = max_abs_diff(expected, images);
            // Q on those images: LibTorch's trunk + head in eval mode against the exported "Q" net.
            auto q_net = spec.nets[1].net;
            torch::Tensor q_expected;
            {
                torch::NoGradGuard no_grad;
                q_net->eval();
                q_expected = q_net->forward(expected.to(torch::kFloat));
                q_net->train();
            }
            const auto flat = expected.contiguous();
            const auto q_actual = model.run("Q", {{"image", ganzoo::Tensor{{6, 1, 28, 28}, std::vector<float>(
                flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel())}}});
            const double q_diff = max_abs_diff(q_expected, q_actual);
            std::printf("parity infogan (z_std %g) %s: G max diff %.3g, Q max diff %.3g\n", z_std,
                        dtype_name(dtype), diff, q_diff);
            CHECK(diff <= tolerance);
            CHECK(q_diff <= (dtype == DType::F32 ? 1e-3 : 5e-2) * std::max(1.0, q_expected.abs().max().item<double>()));
            const CheckResult check = model.verify();
            INFO(check.message);
            CHECK(check.passed);
            // Codes left out are at 0 (category 0), as LibTorch's sample() does.
            GenerateRequest plain;
            plain.seed = 99;
            plain.count = 2;
            CHECK(max_abs_diff(info->sample(latents(2, 16, 99), {}), model.generate(plain)) <= tolerance);
            // A category outside 0..9, or a fraction, is refused with one line.
            GenerateRequest bad = plain;
            bad.codes = {{"c_cat", {10.0f}}};
            CHECK_THROWS_WITH(model.generate(bad), Catch::Contains("categorical"));
            bad.codes = {{"c_cat", {1.5f}}};
            CHECK_THROWS_WITH(model.generate(bad), Catch::Contains("whole numbers"));
        }
    }
}
