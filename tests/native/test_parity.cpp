// The LibTorch generator (eval mode) and the exported file run through the core must draw
// the same images for the same z: ≤ 1e-4 with F32 weights, ≤ 2e-2 with F16 (DESIGN.md).
#include <cstdio>

#include "export/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/family.hpp"

// LibTorch pulls in glog, whose CHECK macro would shadow Catch's: Catch comes last.
#undef CHECK
#include <catch2/catch.hpp>

using namespace ganzoo;
using namespace ganzoo::train;

namespace {

std::unique_ptr<GanFamily> small_family(const std::string& name, uint64_t seed) {
    torch::manual_seed(seed);
    auto family = make_family(name);
    json config = family->defaults(false);
    config["width"] = 8;
    config["z_dim"] = 24;
    family->build(config, {1, 28, 28}, 10, torch::kCPU);
    return family;
}

std::unique_ptr<GanFamily> small_dcgan(uint64_t seed) { return small_family("dcgan", seed); }

// Weights large enough that the output spans tanh's range (DCGAN's N(0, 0.02) init gives
// outputs near 0, where any error looks small), and random batch-norm affine and running
// statistics, so folding is really exercised (a fresh BatchNorm is the identity in eval mode).
void randomize_weights(GanFamily& family) {
    torch::NoGradGuard no_grad;
    for (auto& p : family.export_spec().nets.front().net->named_parameters())
        if (p.key().find("weight") != std::string::npos && p.value().dim() > 1)
            p.value().normal_(0.0, 1.5 / std::sqrt(double(p.value().numel() / p.value().size(0))));
    for (auto& module : family.export_spec().nets.front().net->modules()) {
        if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module)) {
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.normal_(0.0, 0.3);
            bn->running_mean.normal_(0.0, 0.3);
            bn->running_var.uniform_(0.3, 2.0);
        }
    }
}

void train_a_few_steps(GanFamily& family, int steps) {
    for (int i = 0; i < steps; ++i) {
        Batch batch;
        batch.images = torch::rand({16, 1, 28, 28}) * 2 - 1;
        family.train_step(batch);
    }
}

ExportOptions options_for(DType dtype, const std::string& family = "dcgan") {
    ExportOptions o;
    o.dtype = dtype;
    o.family = family;
    o.name = family + "-test";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", json::array()}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

double max_difference(GanFamily& family, const Model& model, int64_t count, uint64_t seed) {
    const auto z = normal_latents(seed, 0, count, family.z_dim());
    const auto expected = family.sample(torch::from_blob(const_cast<float*>(z.data.data()), {count, family.z_dim()}), {})
                              .contiguous();
    GenerateRequest request;
    request.seed = seed;
    request.count = count;
    const Tensor actual = model.generate(request);
    if (count > 1) std::printf("    output std %.3f\n", expected.std().item<double>());
    REQUIRE(actual.shape == std::vector<int64_t>{count, 1, 28, 28});
    REQUIRE(expected.numel() == actual.numel());
    double worst = 0.0;
    const float* e = expected.data_ptr<float>();
    for (int64_t i = 0; i < expected.numel(); ++i) worst = std::max(worst, std::abs(double(e[i]) - actual.data[i]));
    return worst;
}

void check_parity(GanFamily& family, const std::string& label, const std::string& name = "dcgan") {
    for (DType dtype : {DType::F32, DType::F16}) {
        const auto bytes = export_model(family, options_for(dtype, name));
        const Model model = Model::load(bytes.data(), bytes.size());
        const double tolerance = dtype == DType::F32 ? 1e-4 : 2e-2;
        for (int64_t count : {1, 17}) {
            const double diff = max_difference(family, model, count, 99);
            std::printf("parity %-14s %s batch %2lld: max |LibTorch - core| = %.3g (tolerance %.0e)\n", label.c_str(),
                        dtype_name(dtype), static_cast<long long>(count), diff, tolerance);
            CHECK(diff <= tolerance);
        }
        const CheckResult check = model.verify();
        INFO(check.message);
        CHECK(check.passed);
    }
}

}  // namespace

TEST_CASE("core reproduces LibTorch's DCGAN generator on random weights") {
    auto family = small_dcgan(1);
    randomize_weights(*family);
    check_parity(*family, "random");
}

TEST_CASE("core reproduces LibTorch's DCGAN generator after training steps") {
    auto family = small_dcgan(2);
    randomize_weights(*family);     // so the output is not ~0 (see above)
    train_a_few_steps(*family, 4);  // moves weights, Adam state and batch-norm running statistics
    check_parity(*family, "trained");
}

TEST_CASE("core reproduces the WGAN, WGAN-GP and BEGAN generators after training steps") {
    // BEGAN's generator is ELU convolutions and nearest upsampling: the upsample_nearest op.
    for (const std::string name : {"wgan", "wgan-gp", "began"}) {
        auto family = small_family(name, 5);
        randomize_weights(*family);
        train_a_few_steps(*family, 6);  // past a generator step of the critic GANs (n_critic 5)
        check_parity(*family, name, name);
    }
}

TEST_CASE("the default DCGAN exports with batch norm folded away") {
    auto family = small_dcgan(3);
    randomize_weights(*family);
    const auto bytes = export_model(*family, options_for(DType::F32));
    const Model model = Model::load(bytes.data(), bytes.size());
    const auto doc = json::parse(model.info().metadata_json);
    std::vector<std::string> ops;
    for (const auto& op : doc["nets"]["G"]["ops"]) ops.push_back(op["op"]);
    CHECK(ops == std::vector<std::string>{"linear", "reshape", "relu", "conv_transpose2d", "relu",
                                          "conv_transpose2d", "tanh"});
    CHECK(doc["format"] == "ganzoo-graph");
    CHECK(doc["inputs"]["z"]["dim"] == 24);
    CHECK(model.info().z_dim == 24);
}

TEST_CASE("the stored golden case catches a file whose weights were changed") {
    auto family = small_dcgan(4);
    auto bytes = export_model(*family, options_for(DType::F32));
    // Flip the sign of the last float of the data area (the output layer's bias, a few
    // weights of the last convolution): the file still loads, the check must fail.
    for (size_t i = bytes.size() - 4 * 8; i < bytes.size(); i += 4) bytes[i + 3] ^= 0x80;
    const Model model = Model::load(bytes.data(), bytes.size());
    const CheckResult check = model.verify();
    INFO(check.message);
    CHECK_FALSE(check.passed);
}
