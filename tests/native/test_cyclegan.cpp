// CycleGAN: each mechanism with a test that fails when it is broken (the image pool, the cycle
// and identity terms, the learning-rate schedule, the domains, the trainer's class filter), steps
// on one domain, and both exported directions against LibTorch through the core. Finite steps
// that move all four networks, bit-exact save/load (the pools included) and G_AB's parity are the
// member contract's (test_contract.cpp).
#include <cmath>
#include <cstdio>
#include <set>

#include "exporter/exporter.hpp"
#include "ganzoo/model.hpp"
#include "models/cyclegan.hpp"
#include "models/family.hpp"
#include "train/trainer.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
using namespace ganzoo::train;
using namespace ganzoo::models::testing;
namespace cg = ganzoo::models::cyclegan;
using Catch::Matchers::Contains;

namespace {

json tiny_config(json overrides = json::object()) {
    json config = loop_defaults();
    config.update(make_family("cyclegan")->defaults(false));
    config["width"] = 4;
    config["d_width"] = 4;
    config["blocks"] = 2;
    config.update(overrides);
    return config;
}

std::unique_ptr<GanFamily> member(const json& config, uint64_t seed = 1) {
    torch::manual_seed(seed);
    auto family = make_family("cyclegan");
    family->build(config, {1, 28, 28}, 10, torch::kCPU);
    return family;
}

// Images of domain A (label 7) and B (label 9): smooth random shapes, different per domain.
Batch domain_batch(int64_t n_a, int64_t n_b) {
    Batch b;
    const int64_t n = n_a + n_b;
    b.labels = torch::cat({torch::full({n_a}, 7, torch::kLong), torch::full({n_b}, 9, torch::kLong)});
    b.images = torch::tanh(torch::randn({n, 1, 28, 28}) + torch::where(b.labels.eq(7), 1.0, -1.0).view({n, 1, 1, 1}));
    return b;
}

cg::Net identity() {
    return [](const torch::Tensor& x) { return x; };
}
cg::Net scaled(double f) {
    return [f](const torch::Tensor& x) { return x * f; };
}
cg::Net patch_scores() {
    return [](const torch::Tensor& x) { return x.mean({1, 2, 3}, true); };
}

}  // namespace

TEST_CASE("image pool: exactly the new fakes while filling, then a stored one with probability 1/2", "[cyclegan][pool]") {
    torch::manual_seed(3);
    cg::ImagePool pool(50);
    // Image i is filled with the value i, so where each returned image came from is known.
    auto images = [](int64_t first, int64_t n) {
        return torch::arange(first, first + n, torch::kFloat).view({n, 1, 1, 1}).expand({n, 1, 2, 2}).contiguous();
    };
    for (int64_t k = 0; k < 5; ++k) {  // 5 batches of 10 fill it
        const auto in = images(10 * k, 10);
        CHECK(torch::equal(pool.query(in), in));
    }
    REQUIRE(pool.size() == 50);

    std::multiset<int64_t> before;
    for (int64_t i = 0; i < 50; ++i) before.insert(i);
    int64_t stored = 0, total = 0;
    for (int64_t k = 0; k < 200; ++k) {
        const auto in = images(1000 + 10 * k, 10);
        const auto out = pool.query(in);
        REQUIRE(out.sizes().vec() == in.sizes().vec());
        for (int64_t i = 0; i < 10; ++i) {
            const auto v = static_cast<int64_t>(out[i][0][0][0].item<float>());
            ++total;
            if (v != 1000 + 10 * k + i) {
                ++stored;
                // A stored fake comes back once, and the new one takes its place.
                REQUIRE(before.count(v) == 1);
                before.erase(before.find(v));
                before.insert(1000 + 10 * k + i);
            }
        }
    }
    const double fraction = static_cast<double>(stored) / static_cast<double>(total);
    std::printf("pool: %lld of %lld queries returned a stored fake (%.3f)\n", (long long)stored, (long long)total, fraction);
    CHECK(fraction > 0.46);  // 2000 draws: σ ≈ 0.011
    CHECK(fraction < 0.54);
    std::multiset<int64_t> held;
    const auto kept = pool.stored();
    for (int64_t i = 0; i < kept.size(0); ++i) held.insert(static_cast<int64_t>(kept[i][0][0][0].item<float>()));
    CHECK(held == before);

    cg::ImagePool off(0);
    const auto in = images(0, 4);
    CHECK(torch::equal(off.query(in), in));
}

TEST_CASE("cycle loss: zero for identity generators, positive otherwise", "[cyclegan][cycle]") {
    torch::manual_seed(1);
    const auto a = torch::rand({4, 1, 8, 8}) * 2 - 1, b = torch::rand({3, 1, 8, 8}) * 2 - 1;
    auto t = cg::generator_terms(identity(), identity(), patch_scores(), patch_scores(), a, b);
    CHECK(t.cycle_a.item<double>() == 0.0);
    CHECK(t.cycle_b.item<double>() == 0.0);
    CHECK(t.identity_a.item<double>() == 0.0);
    CHECK(t.identity_b.item<double>() == 0.0);
    // G_AB halves, G_BA doubles: still a perfect cycle. G_BA triples: not.
    t = cg::generator_terms(scaled(0.5), scaled(2.0), patch_scores(), patch_scores(), a, b);
    CHECK(t.cycle_a.item<double>() < 1e-7);
    CHECK(t.cycle_b.item<double>() < 1e-7);
    t = cg::generator_terms(scaled(0.5), scaled(3.0), patch_scores(), patch_scores(), a, b);
    CHECK(t.cycle_a.item<double>() == Approx((a * 0.5).abs().mean().item<double>()).epsilon(1e-5));
    CHECK(t.cycle_b.item<double>() == Approx((b * 0.5).abs().mean().item<double>()).epsilon(1e-5));
    // The total weighs the cycle by λ.
    const double with = t.total(10.0, 0.0).item<double>(), without = t.total(0.0, 0.0).item<double>();
    CHECK(with - without == Approx(10.0 * (t.cycle_a + t.cycle_b).item<double>()).epsilon(1e-5));
    // Least squares against "real" (1): D scores of 1 cost nothing.
    t = cg::generator_terms(identity(), identity(), scaled(0.0), [](const torch::Tensor& x) { return torch::ones_like(x); }, a, b);
    CHECK(t.gan_ab.item<double>() == 0.0);
    CHECK(t.gan_ba.item<double>() == 1.0);
}

TEST_CASE("identity loss: G_AB on B images, G_BA on A images", "[cyclegan][identity]") {
    torch::manual_seed(2);
    const auto a = torch::rand({4, 1, 8, 8}) * 2 - 1, b = torch::rand({3, 1, 8, 8}) * 2 - 1;
    // G_AB leaves images alone, G_BA negates: only G_BA's identity term (on A) is off.
    auto t = cg::generator_terms(identity(), scaled(-1.0), patch_scores(), patch_scores(), a, b);
    CHECK(t.identity_b.item<double>() == 0.0);
    CHECK(t.identity_a.item<double>() == Approx(2.0 * a.abs().mean().item<double>()).epsilon(1e-5));
    t = cg::generator_terms(scaled(-1.0), identity(), patch_scores(), patch_scores(), a, b);
    CHECK(t.identity_a.item<double>() == 0.0);
    CHECK(t.identity_b.item<double>() == Approx(2.0 * b.abs().mean().item<double>()).epsilon(1e-5));
    CHECK(t.total(0.0, 5.0).item<double>() - t.total(0.0, 0.0).item<double>() ==
          Approx(5.0 * t.identity_b.item<double>()).epsilon(1e-5));
    // Without identity the terms stay 0.
    t = cg::generator_terms(scaled(-1.0), identity(), patch_scores(), patch_scores(), a, b, false);
    CHECK(t.identity_b.item<double>() == 0.0);
    // A batch without B images: B's terms are 0 and no fake A is made.
    t = cg::generator_terms(scaled(-1.0), scaled(-1.0), patch_scores(), patch_scores(), a, b.slice(0, 0, 0));
    CHECK(t.identity_b.item<double>() == 0.0);
    CHECK(t.cycle_b.item<double>() == 0.0);
    CHECK_FALSE(t.fake_a.defined());
    CHECK(t.fake_b.defined());
    CHECK(t.identity_a.item<double>() > 0.0);
}

TEST_CASE("discriminator loss: least squares, halved, an empty side left out", "[cyclegan][gan]") {
    const auto real = torch::zeros({2, 1, 4, 4}), fake = torch::zeros({3, 1, 4, 4});
    const cg::Net half = [](const torch::Tensor& x) { return torch::full({x.size(0), 1, 2, 2}, 0.5); };
    CHECK(cg::discriminator_loss(half, real, fake).item<double>() == Approx(0.5 * 0.25 + 0.5 * 0.25));
    CHECK(cg::discriminator_loss(half, real, fake.slice(0, 0, 0)).item<double>() == Approx(0.125));
    const cg::Net one = [](const torch::Tensor& x) { return torch::ones({x.size(0), 1, 2, 2}); };
    CHECK(cg::discriminator_loss(one, real, fake).item<double>() == Approx(0.5));
}

TEST_CASE("learning rate: constant for the first half, then linearly to 0", "[cyclegan][schedule]") {
    CHECK(cg::lr_factor(0, 1000) == 1.0);
    CHECK(cg::lr_factor(499, 1000) == 1.0);
    CHECK(cg::lr_factor(500, 1000) == 1.0);
    CHECK(cg::lr_factor(750, 1000) == Approx(0.5));
    CHECK(cg::lr_factor(999, 1000) == Approx(0.002));
    CHECK(cg::lr_factor(1000, 1000) == 0.0);
    // Through the member: 8 steps, lr 2e-4 for steps 1..5 (0..4 done), then 3/4, 2/4, 1/4 of it.
    auto family = member(tiny_config({{"steps", 8}, {"batch", 4}}));
    std::vector<double> lrs;
    for (int k = 0; k < 8; ++k) {
        torch::manual_seed(k);
        lrs.push_back(stat(family->train_step(domain_batch(2, 2)), "lr"));
    }
    CHECK(lrs[0] == Approx(2e-4));
    CHECK(lrs[4] == Approx(2e-4));
    CHECK(lrs[5] == Approx(1.5e-4));
    CHECK(lrs[7] == Approx(0.5e-4));
}

TEST_CASE("domains: names or indices, refused when unknown or the same", "[cyclegan][domains]") {
    const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    CHECK(cg::parse_domains("Sneaker,Ankle boot", names) == std::vector<int64_t>{7, 9});
    CHECK(cg::parse_domains("ankle boot, sneaker", names) == std::vector<int64_t>{9, 7});
    CHECK(cg::parse_domains("1,3", names) == std::vector<int64_t>{1, 3});
    CHECK_THROWS_WITH(cg::parse_domains("Sneaker", names), Contains("expected two classes A,B"));
    CHECK_THROWS_WITH(cg::parse_domains("Sneaker,Boot", names), Contains("'Boot' is not a class") &&
                                                                    Contains("9 Ankle boot"));
    CHECK_THROWS_WITH(cg::parse_domains("7,10", names), Contains("'10' is not a class"));
    CHECK_THROWS_WITH(cg::parse_domains("7,sneaker", names), Contains("the same class"));
    CHECK_THROWS_WITH(cg::parse_domains("a,b", {}), Contains("no classes"));
}

TEST_CASE("a step on one domain only leaves the other's terms at 0; the run's grid is the cycle rows", "[cyclegan][train]") {
    auto family = member(tiny_config({{"steps", 100}}));
    for (int k = 0; k < 3; ++k) {
        torch::manual_seed(10 + k);
        CHECK(stat(family->train_step(domain_batch(3, 5)), "cycle") > 0);
    }
    // Steps with one domain only: the other domain's terms are 0, nothing breaks.
    for (const auto& [n_a, n_b] : {std::pair{4, 0}, std::pair{0, 4}}) {
        const auto stats = family->train_step(domain_batch(n_a, n_b));
        for (const auto& [name, value] : stats) CHECK(std::isfinite(value));
        CHECK(stat(stats, n_a ? "gan_ba" : "gan_ab") == 0.0);
    }
    // The run's sample grid: six rows of the 16 held-out images of each domain.
    const auto grid = family->sample(torch::zeros({96, 0}), family->grid_inputs(96, family->grid_columns(96)));
    CHECK(grid.sizes().vec() == std::vector<int64_t>{96, 1, 28, 28});
    CHECK(family->grid_columns(96) == 16);
}

TEST_CASE("export: G_AB and G_BA reproduce LibTorch through the core, examples stored", "[cyclegan][export]") {
    auto family = member(tiny_config({{"width", 6}, {"blocks", 2}}));
    {  // weights away from the N(0, 0.02) init, so that the outputs are far from 0
        torch::NoGradGuard no_grad;
        for (const auto& name : {"G_AB", "G_BA"})
            for (auto& p : network(*family, name)->named_parameters())
                if (p.value().dim() > 1) p.value().normal_(0.0, 1.5 / std::sqrt(double(p.value().numel() / p.value().size(0))));
                else p.value().normal_(0.0, 0.3);
    }
    ExportOptions o;
    o.dtype = DType::F32;
    o.family = "cyclegan";
    o.name = "cyclegan-test";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", json::array({"0", "1", "2", "3", "4", "5", "6", "Sneaker", "8", "Ankle boot"})},
                 {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    const auto bytes = export_model(*family, o);
    const Model model = Model::load(bytes.data(), bytes.size());
    CHECK(model.info().z_dim == 0);
    CHECK(model.info().nets == std::vector<std::string>{"G_AB", "G_BA"});
    const auto check = model.verify();
    INFO(check.message);
    CHECK(check.passed);
    const json doc = json::parse(model.info().metadata_json);
    CHECK(doc["inputs"]["image"]["domains"] == json({{"A", "Sneaker"}, {"B", "Ankle boot"}}));
    CHECK(doc["inputs"]["image"]["examples"]["A"]["pixels"].size() == 16);
    CHECK(doc["inputs"]["image"]["examples"]["B"]["class"] == "Ankle boot");

    torch::manual_seed(5);
    const auto x = torch::tanh(torch::randn({5, 1, 28, 28}));
    const ganzoo::Tensor input{{5, 1, 28, 28}, std::vector<float>(x.data_ptr<float>(), x.data_ptr<float>() + x.numel())};
    for (const auto& name : {"G_AB", "G_BA"}) {
        auto net = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(*family, name));
        REQUIRE(net);
        torch::nn::Sequential seq(net);
        const auto expected = eval_forward(seq, x).contiguous();
        const auto actual = model.run(name, {{"image", input}});
        REQUIRE(actual.data.size() == static_cast<size_t>(expected.numel()));
        double worst = 0;
        for (int64_t i = 0; i < expected.numel(); ++i)
            worst = std::max(worst, std::abs(double(expected.data_ptr<float>()[i]) - actual.data[static_cast<size_t>(i)]));
        std::printf("%s: LibTorch vs core, max |diff| %.3g (output std %.3f)\n", name, worst, expected.std().item<double>());
        CHECK(worst <= 1e-5);
        CHECK(expected.std().item<double>() > 0.05);
    }
}

namespace {

cg::Net net_of(GanFamily& family, const std::string& name) {
    auto module = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(family, name));
    REQUIRE(module);
    return [module](const torch::Tensor& x) { return module->forward(x); };
}

std::vector<torch::Tensor> gradients(GanFamily& family, std::initializer_list<const char*> names) {
    std::vector<torch::Tensor> out;
    for (const char* name : names)
        for (const auto& p : network(family, name)->parameters())
            out.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::zeros_like(p));
    return out;
}

double largest_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
}

void zero_gradients(GanFamily& family) {
    for (const auto& [name, module] : family.networks())
        for (auto& p : module->parameters())
            if (p.grad().defined()) p.grad().zero_();
}

}  // namespace

TEST_CASE("the generators' step: G's gradient is that of gan + lambda_cycle (cycle + lambda_identity identity)",
          "[cyclegan][identity][weights]") {
    // Two members with the same initial weights: one takes a step, the other computes the loss
    // the paper weights (λ_identity relative to λ_cycle, §5.2) and its gradient.
    const auto config = tiny_config({{"steps", 100}, {"lambda_identity", 0.5}, {"lambda_cycle", 10.0}});
    auto stepped = member(config, 3), reference = member(config, 3);
    torch::manual_seed(21);
    const auto batch = domain_batch(3, 3);
    stepped->train_step(batch);
    const auto taken = gradients(*stepped, {"G_AB", "G_BA"});

    const auto a = batch.images.narrow(0, 0, 3), b = batch.images.narrow(0, 3, 3);
    auto expected_with = [&](double identity_weight) {
        zero_gradients(*reference);
        const auto terms = cg::generator_terms(net_of(*reference, "G_AB"), net_of(*reference, "G_BA"),
                                               net_of(*reference, "D_A"), net_of(*reference, "D_B"), a, b, true);
        (terms.gan_ab + terms.gan_ba + 10.0 * (terms.cycle_a + terms.cycle_b) +
         identity_weight * (terms.identity_a + terms.identity_b))
            .backward();
        return gradients(*reference, {"G_AB", "G_BA"});
    };
    const auto paper = expected_with(10.0 * 0.5);
    const double error = largest_difference(taken, paper);
    const double without_identity = largest_difference(expected_with(0.0), paper);
    std::printf("G's gradient vs the paper's weighting: %.2e; the identity term alone moves it by %.2e\n", error,
                without_identity);
    CHECK(error < 1e-6 * std::max(1.0, without_identity) + 1e-7);
    CHECK(without_identity > 1e-4);  // the identity term's weight shows in the gradient
    CHECK(largest_difference(expected_with(0.5), paper) > 1e-4);  // λ_identity alone is not the weight
}

TEST_CASE("the discriminators' step sees the pool's fakes, not only the step's own", "[cyclegan][pool][weights]") {
    // Two members in lockstep fill their pools (capacity 4) identically; then one takes a step,
    // the other computes D's gradient on the step's fresh fakes. Once the pool is full it swaps
    // in stored fakes, so the two differ; a D step that bypassed the pool would match exactly.
    const auto config = tiny_config({{"steps", 100}, {"pool", 4}});
    auto stepped = member(config, 5), reference = member(config, 5);
    for (int k = 0; k < 3; ++k) {
        torch::manual_seed(40 + k);
        const auto batch = domain_batch(4, 4);
        stepped->train_step(batch);
        torch::manual_seed(40 + k);
        reference->train_step(batch);
    }
    torch::manual_seed(50);
    const auto batch = domain_batch(4, 4);
    const auto a = batch.images.narrow(0, 0, 4), b = batch.images.narrow(0, 4, 4);
    // D's loss on the fresh fakes of the generators as they are before the step.
    zero_gradients(*reference);
    torch::Tensor fresh_a, fresh_b;
    {
        torch::NoGradGuard no_grad;
        fresh_b = net_of(*reference, "G_AB")(a);
        fresh_a = net_of(*reference, "G_BA")(b);
    }
    (cg::discriminator_loss(net_of(*reference, "D_A"), a, fresh_a) + cg::discriminator_loss(net_of(*reference, "D_B"), b, fresh_b))
        .backward();
    const auto fresh_a_grads = gradients(*reference, {"D_A"}), fresh_b_grads = gradients(*reference, {"D_B"});
    torch::manual_seed(50);
    stepped->train_step(batch);
    // Each discriminator on its own: D_A reads pool A, D_B pool B.
    const double apart_a = largest_difference(gradients(*stepped, {"D_A"}), fresh_a_grads);
    const double apart_b = largest_difference(gradients(*stepped, {"D_B"}), fresh_b_grads);
    std::printf("D_A's and D_B's gradients with the pool vs with the step's own fakes: %.2e, %.2e apart\n", apart_a, apart_b);
    CHECK(apart_a > 1e-5);
    CHECK(apart_b > 1e-5);
}
