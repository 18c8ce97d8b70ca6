// The exporter's own mechanisms: batch norm folded into the layer before it, a golden case that
// catches changed weights, modules that write their own ops (skip connections, local names) and
// the ops no LibTorch layer maps to one op of. Every member's export parity (LibTorch against the
// core at F32 and F16) is in the member contract, test_contract.cpp.
#include <cstdio>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/family.hpp"

#include "member_helpers.hpp"  // Catch2 comes in last through it

using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
using namespace ganzoo::models::testing;

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

ExportOptions options_for(DType dtype, const std::string& family = "dcgan") {
    ExportOptions o;
    o.dtype = dtype;
    o.family = family;
    o.name = family + "-test";
    o.dataset = {{"name", "fashion-mnist"}, {"classes", json::array()}, {"image", {1, 28, 28}}, {"range", {-1.0, 1.0}}};
    o.training = {{"command", "test"}};
    return o;
}

}  // namespace

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

namespace {

// A residual block that writes its own ops: conv → batch norm → relu → conv, plus the input.
// Exercises module-local names ("$in", "$h") and that a batch norm whose input is named is not
// folded into a layer whose output a skip connection reads again.
struct SkipBlockImpl : torch::nn::Module, ExportsAsOps {
    explicit SkipBlockImpl(int64_t channels)
        : conv1(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)))),
          norm(register_module("norm", torch::nn::BatchNorm2d(channels))),
          conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)))) {}

    torch::Tensor forward(const torch::Tensor& x) { return x + conv2(torch::relu(norm(conv1(x)))); }

    std::vector<ExportOp> export_ops() const override {
        const auto t = [](const torch::Tensor& v) { return v.detach().to(torch::kDouble); };
        const auto scale = torch::rsqrt(t(norm->running_var) + norm->options.eps()) * t(norm->weight);
        const auto shift = t(norm->bias) - t(norm->running_mean) * scale;
        return {{{{"op", "conv2d"}, {"in", {"$in"}}, {"out", "$a"}, {"padding", 1}},
                 {{"weight", t(conv1->weight)}, {"bias", t(conv1->bias)}}},
                {{{"op", "batch_norm"}, {"in", {"$a"}}}, {{"scale", scale}, {"shift", shift}}},
                {{{"op", "relu"}}, {}},
                {{{"op", "conv2d"}, {"padding", 1}, {"out", "$h"}},
                 {{"weight", t(conv2->weight)}, {"bias", t(conv2->bias)}}},
                {{{"op", "add"}, {"in", {"$in", "$h"}}}, {}}};
    }

    torch::nn::Conv2d conv1;
    torch::nn::BatchNorm2d norm;
    torch::nn::Conv2d conv2;
};
TORCH_MODULE(SkipBlock);

}  // namespace

TEST_CASE("modules that write their own ops export skip connections with local names") {
    torch::manual_seed(5);
    torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)), torch::nn::BatchNorm2d(4),
                              SkipBlock(4), SkipBlock(4), torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 1, 1)),
                              torch::nn::Tanh());
    {
        torch::NoGradGuard no_grad;
        for (auto& module : net->modules())
            if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module)) {
                bn->weight.uniform_(0.5, 1.5);
                bn->bias.normal_(0.0, 0.3);
                bn->running_mean.normal_(0.0, 0.3);
                bn->running_var.uniform_(0.3, 2.0);
            }
    }
    net->eval();
    ExportSpec spec;
    spec.inputs = {{"image", {{"shape", {1, 9, 7}}}}};
    spec.nets.push_back({"F", {"image"}, net});
    auto options = options_for(DType::F32);
    options.dataset["image"] = {1, 9, 7};
    const auto bytes = export_graphs(spec, options, json());
    const Model model = Model::load(bytes.data(), bytes.size());

    const auto ops = json::parse(model.info().metadata_json)["nets"]["F"]["ops"];
    // The first batch norm folds into the conv before it; the blocks' norms read a named value
    // and stay: 1 conv + 2 × 5 block ops + conv + tanh.
    CHECK(ops.size() == 13);
    CHECK(ops[1]["in"] == json::array({"#0"}));
    CHECK(ops[5]["in"] == json::array({"#0", "m2.h"}));
    CHECK(ops[6]["in"] == json::array({"#5"}));

    const auto x = torch::randn({3, 1, 9, 7});
    const auto expected = net->forward(x).contiguous();
    Tensor input;
    input.shape = {3, 1, 9, 7};
    input.data.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
    const Tensor actual = model.run("F", {{"image", input}});
    REQUIRE(actual.shape == std::vector<int64_t>{3, 1, 9, 7});
    double worst = 0.0;
    for (int64_t i = 0; i < expected.numel(); ++i)
        worst = std::max(worst, std::abs(double(expected.data_ptr<float>()[i]) - actual.data[i]));
    std::printf("parity skip-connection block F32: max |LibTorch - core| = %.3g\n", worst);
    CHECK(worst <= 1e-5);
}

namespace {

// ProGAN's pixelwise feature normalization, written out as the pixel_norm op.
struct PixelNormImpl : torch::nn::Module, ExportsAsOps {
    torch::Tensor forward(const torch::Tensor& x) { return x * torch::rsqrt(x.pow(2).mean(1, true) + 1e-8); }
    std::vector<ExportOp> export_ops() const override { return {{{{"op", "pixel_norm"}, {"eps", 1e-8}}, {}}}; }
};
TORCH_MODULE(PixelNorm);

Tensor core_tensor(const torch::Tensor& t) {
    const auto c = t.contiguous();
    Tensor out;
    out.shape.assign(c.sizes().begin(), c.sizes().end());
    out.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    return out;
}

double max_abs_difference(const torch::Tensor& expected, const Tensor& actual) {
    const auto e = expected.contiguous();
    REQUIRE(actual.shape == std::vector<int64_t>(e.sizes().begin(), e.sizes().end()));
    double worst = 0.0;
    for (int64_t i = 0; i < e.numel(); ++i) worst = std::max(worst, std::abs(double(e.data_ptr<float>()[i]) - actual.data[i]));
    return worst;
}

}  // namespace

TEST_CASE("core reproduces LibTorch's ReflectionPad2d, InstanceNorm2d and a pixel norm module") {
    namespace nn = torch::nn;
    torch::manual_seed(6);
    // CycleGAN-like: reflection padding (square and [h 1, w 2]) before unpadded convolutions,
    // instance norm with and without the affine; then ProGAN's pixel norm on images and features.
    nn::Sequential images(nn::ReflectionPad2d(2), nn::Conv2d(nn::Conv2dOptions(3, 4, 3)),
                          nn::InstanceNorm2d(nn::InstanceNorm2dOptions(4).affine(true)),
                          nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)),
                          nn::ReflectionPad2d(nn::ReflectionPad2dOptions({2, 2, 1, 1})),
                          nn::Conv2d(nn::Conv2dOptions(4, 5, {3, 5})), nn::InstanceNorm2d(5), PixelNorm(),
                          nn::Conv2d(nn::Conv2dOptions(5, 3, 1)), nn::Tanh());
    nn::Sequential features(nn::Linear(8, 12), PixelNorm(), nn::Linear(12, 6), PixelNorm());
    {
        torch::NoGradGuard no_grad;  // a fresh affine is the identity: move it
        for (auto& module : images->modules())
            if (auto norm = std::dynamic_pointer_cast<nn::InstanceNorm2dImpl>(module); norm && norm->options.affine()) {
                norm->weight.uniform_(0.5, 2.0);
                norm->bias.normal_(0.0, 0.5);
            }
    }
    images->eval();
    features->eval();
    ExportSpec spec;
    spec.inputs = {{"image", {{"shape", {3, 9, 7}}}}, {"v", {{"dim", 8}}}};
    spec.nets.push_back({"F", {"image"}, images});
    spec.nets.push_back({"P", {"v"}, features});
    auto options = options_for(DType::F32);
    options.dataset["image"] = {3, 9, 7};
    const auto bytes = export_graphs(spec, options, json());
    const Model model = Model::load(bytes.data(), bytes.size());

    const auto doc = json::parse(model.info().metadata_json);
    std::vector<std::string> ops;
    for (const auto& op : doc["nets"]["F"]["ops"]) ops.push_back(op["op"]);
    CHECK(ops == std::vector<std::string>{"reflection_pad2d", "conv2d", "instance_norm", "leaky_relu",
                                          "reflection_pad2d", "conv2d", "instance_norm", "pixel_norm", "conv2d",
                                          "tanh"});
    CHECK(doc["nets"]["F"]["ops"][4]["padding"] == json::array({1, 2}));
    CHECK(doc["nets"]["F"]["ops"][2].contains("weight"));
    CHECK_FALSE(doc["nets"]["F"]["ops"][6].contains("weight"));

    // Batch 3 and 1; an offset, so that the instance norm's statistics see a large mean.
    for (int64_t n : {3, 1}) {
        const auto x = torch::randn({n, 3, 9, 7}) * 2 + 4;
        const double diff = max_abs_difference(images->forward(x), model.run("F", {{"image", core_tensor(x)}}));
        std::printf("parity reflection_pad2d/instance_norm/pixel_norm F32 batch %lld: max |LibTorch - core| = %.3g\n",
                    static_cast<long long>(n), diff);
        CHECK(diff <= 1e-5);
    }
    const auto v = torch::randn({5, 8});
    const double diff = max_abs_difference(features->forward(v), model.run("P", {{"v", core_tensor(v)}}));
    std::printf("parity pixel_norm on [N, F] F32 batch 5: max |LibTorch - core| = %.3g\n", diff);
    CHECK(diff <= 1e-5);
}
