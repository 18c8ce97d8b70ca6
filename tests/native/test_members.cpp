// The key mechanism of each member, each test failing when its mechanism is removed:
// DCGAN's non-saturating loss and batch norm, WGAN's weight clipping and n_critic schedule,
// WGAN-GP's gradient penalty with one ε per sample, BEGAN's equilibrium control and architecture.
// What every member owes (finite steps, bit-exact save/load, export parity) is the member
// contract's, test_contract.cpp.
#include <set>

#include "exporter/exporter.hpp"
#include "ganzoo/model.hpp"
#include "models/began.hpp"
#include "models/conv_nets.hpp"
#include "models/family.hpp"
#include "models/wasserstein.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo::models;
using namespace ganzoo::models::testing;

namespace {

std::unique_ptr<GanFamily> small_member(const std::string& name, json overrides = json::object(), uint64_t seed = 1) {
    torch::manual_seed(seed);
    auto family = make_family(name);
    json config = family->defaults(false);
    config["width"] = 8;
    config["z_dim"] = 16;
    config.update(overrides);
    family->build(config, {1, 28, 28}, 10, torch::kCPU);
    return family;
}

torch::nn::Sequential sequential(GanFamily& family, const std::string& name) {
    auto net = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(family, name));
    REQUIRE(net);
    return torch::nn::Sequential(net);
}

}  // namespace

TEST_CASE("WGAN: after a critic step every critic parameter is inside [-c, c]") {
    auto wgan = small_member("wgan");
    auto critic = network(*wgan, "D");
    // DCGAN's N(0, 0.02) init puts many weights outside ±0.01: the clip has work to do.
    REQUIRE(flat_parameters(*critic).abs().max().item<double>() > 0.01);
    wgan->train_step(random_batch());
    const double largest = flat_parameters(*critic).abs().max().item<double>();
    CHECK(largest <= static_cast<float>(0.01));  // the parameters are floats
    CHECK(largest > 0.009);  // clipped to the bound, not shrunk to nothing

    auto loose = small_member("wgan", {{"clip", 0.05}});
    loose->train_step(random_batch());
    CHECK(flat_parameters(*network(*loose, "D")).abs().max().item<double>() <= static_cast<float>(0.05));
}

TEST_CASE("WGAN and WGAN-GP: the generator steps once per n_critic critic steps") {
    for (const std::string name : {"wgan", "wgan-gp"}) {
        for (int64_t n_critic : {5, 2}) {
            INFO(name << " n_critic " << n_critic);
            auto family = small_member(name, {{"n_critic", n_critic}});
            auto G = network(*family, "G");
            auto D = network(*family, "D");
            for (int64_t step = 1; step <= 2 * n_critic; ++step) {
                const auto g_before = flat_parameters(*G), d_before = flat_parameters(*D);
                family->train_step(random_batch());
                CHECK_FALSE(torch::equal(d_before, flat_parameters(*D)));  // the critic steps every time
                CHECK(torch::equal(g_before, flat_parameters(*G)) == (step % n_critic != 0));
            }
        }
    }
}

TEST_CASE("gradient penalty: ~0 for a critic with unit gradient norm everywhere, positive otherwise") {
    torch::manual_seed(3);
    const auto real = torch::randn({16, 1, 6, 6}), fake = torch::randn({16, 1, 6, 6});
    for (double norm : {1.0, 2.0, 0.25}) {
        auto w = torch::randn({36, 1});
        w = (w / w.norm() * norm).requires_grad_(true);
        auto linear = [&](const torch::Tensor& x) { return x.flatten(1).matmul(w); };
        const auto penalty = gradient_penalty(linear, real, fake);
        INFO("|w| = " << norm);
        // A linear critic's gradient is w at every x̂: the penalty is (|w| − 1)² exactly.
        CHECK(penalty.item<double>() == Approx((norm - 1) * (norm - 1)).margin(1e-6));
        // Its gradient reaches the critic's parameters: d/dw (|w| − 1)² = 2(|w| − 1) w/|w|.
        penalty.backward();
        const auto expected = 2 * (norm - 1) * w.detach() / norm;
        CHECK((w.grad() - expected).abs().max().item<double>() < 1e-5);
    }
}

TEST_CASE("gradient penalty: its gradient reaches every weight of WGAN-GP's conv critic") {
    torch::manual_seed(4);
    auto critic = make_dcgan_discriminator(8, {1, 28, 28}, CriticNorm::Layer, "test");
    const auto real = torch::rand({6, 1, 28, 28}) * 2 - 1, fake = torch::rand({6, 1, 28, 28}) * 2 - 1;
    const auto penalty = gradient_penalty([&](const torch::Tensor& x) { return critic->forward(x); }, real, fake);
    CHECK(penalty.item<double>() > 0.01);  // an untrained critic is far from 1-Lipschitz
    penalty.backward();
    for (const auto& p : critic->named_parameters()) {
        // Two shifts reach the input gradient only through LeakyReLU's piecewise-constant
        // slopes, so their derivative is exactly zero: layer norm's β (3) and the final bias (6).
        if (p.key() == "3.bias" || p.key() == "6.bias") continue;
        INFO(p.key());
        REQUIRE(p.value().grad().defined());
        CHECK(p.value().grad().abs().sum().item<double>() > 0);
    }
}

TEST_CASE("WGAN-GP: the penalty is in the critic's loss, and a batch-norm critic is refused") {
    auto family = small_member("wgan-gp");
    const auto stats = family->train_step(random_batch());
    CHECK(stat(stats, "gradient_penalty") > 0);
    CHECK(stat(stats, "loss_d") == Approx(-stat(stats, "wasserstein") + 10 * stat(stats, "gradient_penalty")).epsilon(1e-4));
    auto off = small_member("wgan-gp", {{"gp_lambda", 0.0}});
    const auto plain = off->train_step(random_batch());
    CHECK(stat(plain, "loss_d") == Approx(-stat(plain, "wasserstein")));
    CHECK_THROWS_WITH(small_member("wgan-gp", {{"critic_norm", "batch"}}), Catch::Contains("critic_norm"));
}

TEST_CASE("BEGAN: k_t follows k + lambda_k (gamma L(x) - L(G(z))), clipped to [0, 1]") {
    CHECK(began_k_update(0.3, 0.001, 0.5, 0.4, 0.1) == Approx(0.3 + 0.001 * (0.2 - 0.1)));
    CHECK(began_k_update(0.3, 0.001, 0.5, 0.4, 0.5) == Approx(0.3 + 0.001 * (0.2 - 0.5)));
    CHECK(began_k_update(0.3, 0.0, 0.5, 0.4, 0.1) == 0.3);
    CHECK(began_k_update(0.9995, 0.01, 0.7, 1.0, 0.0) == 1.0);
    CHECK(began_k_update(0.0001, 0.01, 0.5, 0.0, 1.0) == 0.0);
    CHECK(began_convergence(0.5, 0.4, 0.1) == Approx(0.4 + 0.1));
    CHECK(began_convergence(0.5, 0.4, 0.3) == Approx(0.4 + 0.1));
}

TEST_CASE("BEGAN: the training step moves k by the rule and D's loss is L(x) - k L(G(z_D))") {
    auto began = small_member("began", {{"k0", 0.5}, {"lambda_k", 0.01}});
    double k = 0.5;
    for (int step = 0; step < 3; ++step) {
        const auto s = began->train_step(random_batch());
        CHECK(stat(s, "loss_d") == Approx(stat(s, "loss_real") - k * stat(s, "loss_fake_d")).epsilon(1e-5));
        k = began_k_update(k, 0.01, 0.5, stat(s, "loss_real"), stat(s, "loss_g"));
        CHECK(stat(s, "k_t") == Approx(k).epsilon(1e-12));
        CHECK(stat(s, "m_global") == Approx(began_convergence(0.5, stat(s, "loss_real"), stat(s, "loss_g"))));
    }
    // A huge gain slams k against its bounds; it never leaves [0, 1].
    auto wild = small_member("began", {{"k0", 0.5}, {"lambda_k", 1000.0}});
    bool at_bound = false;
    for (int step = 0; step < 4; ++step) {
        const double kt = stat(wild->train_step(random_batch()), "k_t");
        CHECK(kt >= 0.0);
        CHECK(kt <= 1.0);
        at_bound = at_bound || kt == 0.0 || kt == 1.0;
    }
    CHECK(at_bound);
}

TEST_CASE("BEGAN: z_D and z_G are separate draws: D's loss reads G(z_D); G's loss and k's update G(z_G)") {
    // Replays the step's two draws through a twin as it was before the step.
    auto began = small_member("began", {{"k0", 0.3}}, 4), twin = small_member("began", {{"k0", 0.3}}, 4);
    auto G = sequential(*twin, "G"), D = sequential(*twin, "D");
    const auto batch = random_batch(6);
    torch::manual_seed(23);
    const auto s = began->train_step(batch);
    torch::manual_seed(23);
    const auto z_d = torch::randn({6, 16}), z_g = torch::randn({6, 16});
    torch::NoGradGuard no_grad;
    auto L = [&](const torch::Tensor& v) { return (D->forward(v) - v).abs().mean().item<double>(); };
    const double on_zd = L(G->forward(z_d)), on_zg = L(G->forward(z_g));
    std::printf("BEGAN: L(G(z_D)) %.6f (logged %.6f), L(G(z_G)) %.6f (logged %.6f)\n", on_zd, stat(s, "loss_fake_d"), on_zg,
                stat(s, "loss_g"));
    CHECK(std::abs(on_zd - on_zg) > 1e-5);
    CHECK(stat(s, "loss_fake_d") == Approx(on_zd).epsilon(1e-5));
    CHECK(stat(s, "loss_g") == Approx(on_zg).epsilon(1e-5));
    CHECK(stat(s, "loss_real") == Approx(L(batch.images)).epsilon(1e-5));
    CHECK(stat(s, "k_t") == Approx(began_k_update(0.3, 1e-3, 0.5, L(batch.images), on_zg)).epsilon(1e-9));
}

TEST_CASE("BEGAN: the learning rate halves when M_global stalls, not while it falls") {
    StallDecay d;
    d.window = 3;
    d.lr = 1e-4;
    for (int i = 0; i < 3; ++i) CHECK(d.update(1.0) == 1e-4);  // the first window sets the mark
    for (int i = 0; i < 2; ++i) CHECK(d.update(1.0) == 1e-4);
    CHECK(d.update(1.0) == Approx(5e-5));                       // a second window no better: halved
    for (int i = 0; i < 3; ++i) d.update(0.9);                  // 10 % better: kept
    CHECK(d.lr == Approx(5e-5));
    CHECK(d.best == Approx(0.9));
    for (int i = 0; i < 3; ++i) d.update(0.895);                // under 1 % better: a stall
    CHECK(d.lr == Approx(2.5e-5));
    d.floor = 2e-5;
    for (int i = 0; i < 6; ++i) d.update(5.0);                  // worse twice: down to the floor
    CHECK(d.lr == Approx(2e-5));
    StallDecay off;
    off.lr = 1e-4;
    for (int i = 0; i < 10; ++i) CHECK(off.update(1.0) == 1e-4);  // window 0: never
    // The member logs the rate each step used, and its recipe turns the decay on.
    auto began = small_member("began", {{"lr_stall_window", 1}});
    CHECK(stat(began->train_step(random_batch()), "lr") == Approx(1e-4));
    CHECK(make_family("began")->defaults(false).at("lr_stall_window").get<int64_t>() > 0);
}

TEST_CASE("BEGAN: the pulling-away term is the mean squared cosine over pairs, and only G's loss gets it") {
    const auto pt = [](const torch::Tensor& s) { return pulling_away(s).item<double>(); };
    CHECK(pt(torch::eye(4)) == Approx(0).margin(1e-12));                                   // orthogonal
    CHECK(pt(torch::tensor({{1.0, 2.0}, {2.0, 4.0}, {-3.0, -6.0}})) == Approx(1));          // parallel, any length
    CHECK(pt(torch::tensor({{1.0, 0.0}, {1.0, 1.0}})) == Approx(0.5));                      // cos^2 45 deg
    CHECK(pt(torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}})) == Approx(2.0 / 6.0));    // 0, 1/2, 1/2 twice over 6
    CHECK(pt(torch::ones({1, 3})) == 0);                                                    // no pairs

    // Off by default (the paper's BEGAN): no statistic. On: the same D step, another G step.
    auto plain = small_member("began", {{"k0", 0.5}});
    auto pulled = small_member("began", {{"k0", 0.5}, {"pull_away", 1.0}});
    REQUIRE(torch::equal(flat_parameters(*network(*plain, "G")), flat_parameters(*network(*pulled, "G"))));
    torch::manual_seed(4);
    const auto batch = random_batch();
    torch::manual_seed(5);
    const auto s_plain = plain->train_step(batch);
    torch::manual_seed(5);
    const auto s_pulled = pulled->train_step(batch);
    for (const auto& [name, value] : s_plain) CHECK(name != "pull_away");
    CHECK(stat(s_pulled, "pull_away") > 0);
    CHECK(stat(s_pulled, "pull_away") <= 1);
    CHECK(stat(s_pulled, "loss_g") == stat(s_plain, "loss_g"));  // L(G(z)) itself is unchanged
    CHECK(torch::equal(flat_parameters(*network(*plain, "D")), flat_parameters(*network(*pulled, "D"))));
    CHECK(!torch::equal(flat_parameters(*network(*plain, "G")), flat_parameters(*network(*pulled, "G"))));
}

TEST_CASE("BEGAN: D is an autoencoder of ELU convolutions with nearest upsampling; no batch norm, no transposed conv") {
    auto began = small_member("began");
    for (const std::string net : {"G", "D"}) {
        INFO(net);
        int elu = 0, upsample = 0, forbidden = 0;
        for (const auto& m : network(*began, net)->modules(false)) {
            const std::string kind = m->name();
            elu += kind.find("ELU") != std::string::npos;  // "torch::nn::ELUImpl"
            upsample += kind.find("Upsample") != std::string::npos;
            forbidden += kind.find("BatchNorm") != std::string::npos || kind.find("ConvTranspose") != std::string::npos;
        }
        CHECK(elu > 4);
        CHECK(upsample == 2);  // 7 → 14 → 28
        CHECK(forbidden == 0);
    }
    auto D = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(*began, "D"));
    REQUIRE(D);
    const auto x = torch::rand({3, 1, 28, 28});
    CHECK(D->forward(x).sizes() == x.sizes());
}


TEST_CASE("DCGAN: G's loss is the non-saturating -log D(G(z)), on D as its step left it") {
    auto family = small_member("dcgan", json::object(), 7);
    auto twin = small_member("dcgan", json::object(), 7);  // G as it was before the step
    auto G = sequential(*twin, "G");
    const auto batch = random_batch(8);
    torch::manual_seed(31);
    const auto stats = family->train_step(batch);
    // Replay the step's draw of z; D is the stepped member's (after its own update).
    torch::manual_seed(31);
    const auto z = torch::randn({8, 16});
    torch::NoGradGuard no_grad;
    const auto logits = sequential(*family, "D")->forward(G->forward(z));
    const double non_saturating = torch::softplus(-logits).mean().item<double>();  // −log σ(D(G(z)))
    const double saturating = -torch::softplus(logits).mean().item<double>();      // log(1 − σ(D(G(z))))
    std::printf("loss_g %.6f, non-saturating %.6f, saturating %.6f\n", stat(stats, "loss_g"), non_saturating, saturating);
    CHECK(stat(stats, "loss_g") == Approx(non_saturating).epsilon(1e-5));
    CHECK(std::abs(non_saturating - saturating) > 0.1);
}

TEST_CASE("DCGAN: batch norm where the paper puts it, live in the trained networks") {
    // §3: batch norm in both networks, except G's output layer and D's input layer.
    auto family = small_member("dcgan");
    auto is = [](const std::shared_ptr<torch::nn::Module>& m, const char* kind) {
        return m->name().find(kind) != std::string::npos;
    };
    for (const char* name : {"G", "D"}) {
        auto net = sequential(*family, name);
        std::vector<std::shared_ptr<torch::nn::Module>> layers;
        for (const auto& m : net->children()) layers.push_back(m);
        std::vector<size_t> weighted;
        for (size_t i = 0; i < layers.size(); ++i)
            if (is(layers[i], "Conv") || is(layers[i], "Linear")) weighted.push_back(i);
        REQUIRE(weighted.size() >= 3);
        for (size_t w = 0; w < weighted.size(); ++w) {
            const bool first = w == 0, last = w + 1 == weighted.size();
            // The next layer that is not a reshape.
            size_t next = weighted[w] + 1;
            while (next < layers.size() && (is(layers[next], "Unflatten") || is(layers[next], "Flatten"))) ++next;
            const bool normed = next < layers.size() && is(layers[next], "BatchNorm");
            const bool wanted = std::string(name) == "G" ? !last : !first && !last;
            INFO(name << " layer " << weighted[w] << " (" << layers[weighted[w]]->name() << ")");
            CHECK(normed == wanted);
        }
    }
    // Live while training: in train mode G's image for a z depends on the rest of its batch.
    auto G = sequential(*family, "G");
    G->train();
    torch::NoGradGuard no_grad;
    torch::manual_seed(2);
    const auto z = torch::randn({8, 16});
    const auto alone = G->forward(z).narrow(0, 0, 1);
    auto other = z.clone();
    other.narrow(0, 1, 7).mul_(3);
    CHECK((G->forward(other).narrow(0, 0, 1) - alone).abs().max().item<double>() > 1e-3);
}

TEST_CASE("WGAN-GP: one epsilon per sample, the interpolates on the segment between each real image and its fake") {
    // Replays the step's draws (z for the fakes, then ε) against a twin critic as it was before
    // the step: the logged penalty is that of per-sample ε, and a shared ε gives another one.
    auto family = small_member("wgan-gp", json::object(), 9);
    auto twin = small_member("wgan-gp", json::object(), 9);
    auto D = sequential(*twin, "D");
    auto G = sequential(*twin, "G");
    const auto batch = random_batch(8);
    torch::manual_seed(17);
    const auto stats = family->train_step(batch);
    torch::manual_seed(17);
    torch::Tensor fake;
    {
        torch::NoGradGuard no_grad;
        fake = G->forward(torch::randn({8, 16}));
    }
    const auto eps = torch::rand({8, 1, 1, 1});
    auto critic = [&](const torch::Tensor& x) { return D->forward(x); };
    const double per_sample = gradient_penalty(critic, batch.images, fake, eps).item<double>();
    const double shared = gradient_penalty(critic, batch.images, fake, eps[0].expand({8, 1, 1, 1}).contiguous()).item<double>();
    std::printf("penalty %.6f; replayed per-sample eps %.6f, one shared eps %.6f\n", stat(stats, "gradient_penalty"),
                per_sample, shared);
    CHECK(stat(stats, "gradient_penalty") == Approx(per_sample).epsilon(1e-4));
    CHECK(std::abs(per_sample - shared) > 1e-3 * std::max(1.0, per_sample));
    // gradient_penalty's own draw (no ε given) is per sample too: each interpolate lies on its
    // own segment, at its own point.
    std::vector<torch::Tensor> seen;
    auto spy = [&](const torch::Tensor& x) {
        seen.push_back(x.detach().clone());
        return x.flatten(1).sum(1);
    };
    const auto real = torch::randn({6, 1, 4, 4}), other = torch::randn({6, 1, 4, 4});
    gradient_penalty(spy, real, other);
    REQUIRE(seen.size() == 1);
    std::set<double> points;
    for (int64_t i = 0; i < 6; ++i) {
        // x̂_i = ε_i x_i + (1 − ε_i) x̃_i for one ε_i in [0, 1] at every pixel.
        const auto t = ((seen[0][i] - other[i]) / (real[i] - other[i])).flatten();
        CHECK((t - t[0]).abs().max().item<double>() < 1e-4);
        CHECK(t[0].item<double>() >= 0.0);
        CHECK(t[0].item<double>() <= 1.0);
        points.insert(std::round(t[0].item<double>() * 1e4));
    }
    CHECK(points.size() == 6);
}

TEST_CASE("BEGAN skip connections (skip): h0 reaches every scale of G and of D's decoder, and the export keeps them") {
    auto began = small_member("began", {{"skip", true}});
    for (const std::string net : {"G", "D"}) {
        auto seq = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(*began, net));
        REQUIRE(seq);
        auto decoder = std::dynamic_pointer_cast<SkipDecoderImpl>(seq->children().back());
        REQUIRE(decoder);
        CHECK(decoder->convs.size() == 7u);                     // 2 per resolution (7, 14, 28), the output conv
        CHECK(decoder->convs[2]->weight.size(1) == 2 * 8);      // later blocks read [features, h0] (n = 8)
        CHECK(decoder->convs[4]->weight.size(1) == 2 * 8);
    }
    auto plain = small_member("began");
    for (const auto& m : network(*plain, "G")->modules(false)) CHECK_FALSE(std::dynamic_pointer_cast<SkipDecoderImpl>(m));

    // Exported as its ops (h0 upsampled by 2 and 4, concatenated): the core draws what LibTorch does.
    randomize_weights(*began);
    auto G = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(*began, "G"));
    {
        ganzoo::exporter::ExportOptions o;
        o.dtype = ganzoo::DType::F32;
        o.family = "began";
        o.name = "began-skip";
        o.dataset = {{"name", "toy"}, {"image", {1, 28, 28}}, {"range", {-1, 1}}};
        const auto bytes = ganzoo::exporter::export_model(*began, o);
        const auto model = ganzoo::Model::load(bytes.data(), bytes.size());
        torch::manual_seed(9);
        const auto z = torch::randn({3, 16});
        const auto c = z.contiguous();
        const ganzoo::Tensor input{c.sizes().vec(), std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel())};
        torch::NoGradGuard no_grad;
        CHECK(max_abs_diff(G->forward(z), model.run("G", {{"z", input}})) < 1e-4);
    }

    // With the first block's output held at 0 (its second conv zeroed), only the skip carries z:
    // two z's still give two images.
    auto decoder = std::dynamic_pointer_cast<SkipDecoderImpl>(G->children().back());
    torch::NoGradGuard no_grad;
    decoder->convs[1]->weight.zero_();
    decoder->convs[1]->bias.zero_();
    torch::manual_seed(8);
    const auto z = torch::randn({2, 16});
    const auto images = G->forward(z);
    CHECK(images.sizes() == torch::IntArrayRef({2, 1, 28, 28}));
    CHECK((images[0] - images[1]).abs().max().item<double>() > 1e-3);
    // D still maps an image to an image, and a training step runs.
    auto D = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(network(*began, "D"));
    CHECK(D->forward(torch::rand({3, 1, 28, 28})).sizes() == torch::IntArrayRef({3, 1, 28, 28}));
}
