// Model::generate / run / verify on the DCGAN-shaped and conditional test models.
#include <catch2/catch.hpp>
#include <cmath>

#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;
namespace ref = ganzoo::reference;

namespace {

Tensor sample(const Tensor& batch, int64_t i) {
    const int64_t per = batch.numel() / batch.dim(0);
    Tensor t;
    t.shape = batch.shape;
    t.shape[0] = 1;
    t.data.assign(batch.data.begin() + i * per, batch.data.begin() + (i + 1) * per);
    return t;
}

}  // namespace

TEST_CASE("generate matches the naive reference forward pass") {
    const ModelFile m = dcgan_test_model();
    const Model model = m.load();
    GenerateRequest req;
    req.seed = 7;
    req.count = 5;
    const Tensor out = model.generate(req);
    REQUIRE(out.shape == std::vector<int64_t>{5, 1, 28, 28});
    const Tensor expected = dcgan_reference_forward(m, normal_latents(7, 0, 5, 16));
    CHECK(ref::report("DCGAN test model, 5 samples vs reference", out, expected) < 1e-5);
}

TEST_CASE("generate: sample i of a batch equals the sample generated alone") {
    const Model model = dcgan_test_model().load();
    GenerateRequest req;
    req.seed = 42;
    req.first_index = 3;
    req.count = 17;
    const Tensor batch = model.generate(req);
    double worst = 0;
    for (int64_t i = 0; i < 17; ++i) {
        GenerateRequest one = req;
        one.first_index = 3 + i;
        one.count = 1;
        worst = std::max(worst, ref::max_abs_diff(sample(batch, i), model.generate(one)));
    }
    std::printf("batch of 17 vs one at a time: max |diff| = %.3g\n", worst);
    CHECK(worst <= 1e-6);
}

TEST_CASE("generate with explicit z equals run() and the seed's latents") {
    const Model model = dcgan_test_model().load();
    GenerateRequest req;
    req.seed = 9;
    req.count = 3;
    const Tensor from_seed = model.generate(req);
    req.z = normal_latents(9, 0, 3, 16);
    CHECK(ref::max_abs_diff(model.generate(req), from_seed) == 0);
    CHECK(ref::max_abs_diff(model.run("G", {{"z", *req.z}}), from_seed) == 0);
    // Different seeds give different images.
    req.z.reset();
    req.seed = 10;
    CHECK(ref::max_abs_diff(model.generate(req), from_seed) > 1e-3);
}

TEST_CASE("generate refuses bad requests") {
    const Model model = dcgan_test_model().load();
    GenerateRequest req;
    req.count = 0;
    CHECK_THROWS_WITH(model.generate(req), Contains("count is 0"));
    req.count = -3;
    CHECK_THROWS_WITH(model.generate(req), Contains("count is -3"));
    req.count = LoadLimits{}.max_batch + 1;
    CHECK_THROWS_WITH(model.generate(req), Contains("count is 4097, expected 1..4096"));
    req.count = 2;
    req.net = "D";
    CHECK_THROWS_WITH(model.generate(req), Contains("no net 'D'") && Contains("nets: G"));
    req.net = "G";
    req.z = Tensor::zeros({2, 15});
    CHECK_THROWS_WITH(model.generate(req), Contains("z has shape [2, 15], expected [2, 16]"));
    req.z.reset();
    req.labels = {1};
    CHECK_THROWS_WITH(model.generate(req), Contains("takes no label"));
    req.labels.clear();
    req.first_index = -1;
    CHECK_THROWS_WITH(model.generate(req), Contains("first_index"));
}

TEST_CASE("activation limit is checked per call, before allocating") {
    LoadLimits limits;
    limits.max_activation_elements = 20000;  // one sample fits (about 4.3k values), a batch of 8 does not
    const Model model = dcgan_test_model().load(limits);
    GenerateRequest req;
    req.count = 2;
    CHECK_NOTHROW(model.generate(req));
    req.count = 8;
    CHECK_THROWS_WITH(model.generate(req), Contains("net 'G'") && Contains("over the limit of 20000"));
    limits.max_batch = 4;
    const Model small = dcgan_test_model().load(limits);
    req.count = 5;
    CHECK_THROWS_WITH(small.generate(req), Contains("count is 5, expected 1..4"));
}

TEST_CASE("run checks its inputs") {
    const Model model = dcgan_test_model().load();
    CHECK_THROWS_WITH(model.run("G", {}), Contains("needs input 'z'"));
    CHECK_THROWS_WITH(model.run("G", {{"z", Tensor::zeros({2, 16})}, {"w", Tensor::zeros({2, 1})}}),
                      Contains("no input 'w'"));
    CHECK_THROWS_WITH(model.run("G", {{"z", Tensor::zeros({2, 3, 16})}}), Contains("expected [N, 16]"));
    CHECK_THROWS_WITH(model.run("G", {{"z", Tensor({2, 16}, {1, 2})}}), Contains("(2 values)"));
}

TEST_CASE("conditional model: labels one for all or one per sample, checked") {
    const ModelFile m = cgan_test_model();
    const Model model = m.load();
    GenerateRequest req;
    req.seed = 3;
    req.count = 4;
    CHECK_THROWS_WITH(model.generate(req), Contains("needs input 'label': a class 0..9"));
    req.labels = {12};
    CHECK_THROWS_WITH(model.generate(req), Contains("label 12 is outside [0, 10)"));
    req.labels = {-1};
    CHECK_THROWS_WITH(model.generate(req), Contains("label -1"));
    req.labels = {1, 2};
    CHECK_THROWS_WITH(model.generate(req), Contains("2 given for 4 samples"));

    req.labels = {0, 3, 9, 3};
    const Tensor per_sample = model.generate(req);
    // Reference: tanh(W [z | one_hot(label)]).
    const Tensor z = normal_latents(3, 0, 4, 16);
    Tensor zy = Tensor::zeros({4, 26});
    for (int64_t i = 0; i < 4; ++i) {
        for (int64_t j = 0; j < 16; ++j) zy.data[i * 26 + j] = z.data[i * 16 + j];
        zy.data[i * 26 + 16 + req.labels[i]] = 1.0f;
    }
    Tensor expected =
        ref::map(ref::linear(zy, m.values("G.weight"), {}, 784), [](double v) { return std::tanh(v); });
    expected.shape = {4, 1, 28, 28};
    CHECK(ref::report("cGAN test model vs reference", per_sample, expected) < 1e-5);

    req.labels = {3};
    const Tensor all_three = model.generate(req);
    CHECK(ref::max_abs_diff(sample(all_three, 1), sample(per_sample, 1)) == 0);
    CHECK(ref::max_abs_diff(sample(all_three, 0), sample(per_sample, 0)) > 1e-3);
}

TEST_CASE("conditional model: class weights mix classes through the one-hot input, checked") {
    const ModelFile m = cgan_test_model();
    const Model model = m.load();
    GenerateRequest req;
    req.seed = 5;
    req.count = 3;
    // Per sample: all class 2, all class 7, a 30/70 mixture of the two.
    std::vector<float> w(30, 0.0f);
    w[2] = 1.0f;
    w[10 + 7] = 1.0f;
    w[20 + 2] = 0.3f;
    w[20 + 7] = 0.7f;
    req.label_weights = w;
    const Tensor mixed = model.generate(req);
    const Tensor z = normal_latents(5, 0, 3, 16);
    Tensor zy = Tensor::zeros({3, 26});
    for (int64_t i = 0; i < 3; ++i) {
        for (int64_t j = 0; j < 16; ++j) zy.data[i * 26 + j] = z.data[i * 16 + j];
        for (int64_t k = 0; k < 10; ++k) zy.data[i * 26 + 16 + k] = w[i * 10 + k];
    }
    Tensor expected = ref::map(ref::linear(zy, m.values("G.weight"), {}, 784), [](double v) { return std::tanh(v); });
    expected.shape = {3, 1, 28, 28};
    CHECK(ref::report("cGAN with class weights vs reference", mixed, expected) < 1e-5);

    // A single 1 is that class's label, bit for bit.
    GenerateRequest hard = req;
    hard.label_weights.clear();
    hard.labels = {2, 7, 7};
    const Tensor labelled = model.generate(hard);
    CHECK(ref::max_abs_diff(sample(mixed, 0), sample(labelled, 0)) == 0);
    CHECK(ref::max_abs_diff(sample(mixed, 1), sample(labelled, 1)) == 0);
    CHECK(ref::max_abs_diff(sample(mixed, 2), sample(labelled, 2)) > 1e-3);

    GenerateRequest bad = req;
    bad.labels = {1};
    CHECK_THROWS_WITH(model.generate(bad), Contains("label weights go alone (no labels)"));
    bad = req;
    bad.label_weights.resize(7);
    CHECK_THROWS_WITH(model.generate(bad), Contains("code 'label weights' takes 10 value(s) per sample: give 10 or 30, not 7"));
    bad = req;
    bad.label_weights[20 + 2] = 0.5f;
    CHECK_THROWS_WITH(model.generate(bad), Contains("class weights of sample 2 are not in [0, 1] summing to 1"));
    bad = req;
    bad.label_weights[0] = -1.0f;
    bad.label_weights[1] = 2.0f;
    CHECK_THROWS_WITH(model.generate(bad), Contains("class weights of sample 0 are not in [0, 1] summing to 1"));
    // No label needed once weights are given.
    CHECK_FALSE(find_missing_input(model.info(), req));
}

TEST_CASE("truncation scales every latent toward the prior's mean, drawn or given") {
    const ModelFile m = cgan_test_model();
    const Model model = m.load();
    GenerateRequest req;
    req.seed = 9;
    req.count = 2;
    req.labels = {4};
    req.truncation = 0.5f;
    const Tensor truncated = model.generate(req);
    GenerateRequest given = req;
    given.truncation = 1.0f;
    Tensor z = normal_latents(9, 0, 2, 16);
    for (float& v : z.data) v *= 0.5f;
    given.z = z;
    CHECK(ref::max_abs_diff(truncated, model.generate(given)) == 0);
    // Explicit latents are truncated too: psi 0.5 on 2z is the seed's own z, untruncated.
    GenerateRequest twice = req;
    for (float& v : z.data) v *= 4.0f;  // 2 x the seed's z
    twice.z = z;
    GenerateRequest plain = req;
    plain.truncation = 1.0f;
    CHECK(ref::max_abs_diff(model.generate(twice), model.generate(plain)) == 0);
    CHECK(ref::max_abs_diff(model.generate(plain), truncated) > 1e-3);
    req.truncation = 0.0f;
    const Tensor mean_only = model.generate(req);
    CHECK(ref::max_abs_diff(sample(mean_only, 0), sample(mean_only, 1)) == 0);
    req.truncation = 2.5f;
    CHECK_THROWS_WITH(model.generate(req), Contains("truncation must be in 0..2"));
    req.truncation = std::nanf("");
    CHECK_THROWS_WITH(model.generate(req), Contains("truncation must be in 0..2"));
}

TEST_CASE("coded model: codes one for all or one per sample, categorical ones whole, missing ones at 0") {
    const ModelFile m = infogan_test_model();
    const Model model = m.load();
    auto reference = [&](const std::vector<float>& cat, const std::vector<float>& cont) {
        const Tensor z = normal_latents(5, 0, 3, 16);
        Tensor x = Tensor::zeros({3, 28});
        for (int64_t i = 0; i < 3; ++i) {
            for (int64_t j = 0; j < 16; ++j) x.data[i * 28 + j] = z.data[i * 16 + j];
            x.data[i * 28 + 16 + static_cast<int64_t>(cat[cat.size() == 1 ? 0 : i])] = 1.0f;
            for (int64_t j = 0; j < 2; ++j) x.data[i * 28 + 26 + j] = cont[cont.size() == 2 ? j : i * 2 + j];
        }
        Tensor y = ref::map(ref::linear(x, m.values("G.weight"), {}, 784), [](double v) { return std::tanh(v); });
        y.shape = {3, 1, 28, 28};
        return y;
    };
    GenerateRequest req;
    req.seed = 5;
    req.count = 3;
    req.codes = {{"c_cat", {7}}, {"c_cont", {0.5f, -0.25f}}};
    CHECK(ref::report("InfoGAN test model, codes for all", model.generate(req), reference({7}, {0.5f, -0.25f})) < 1e-5);
    req.codes = {{"c_cat", {1, 4, 9}}, {"c_cont", {1, 0, 0, 1, -1, -1}}};
    CHECK(ref::report("InfoGAN test model, codes per sample", model.generate(req),
                      reference({1, 4, 9}, {1, 0, 0, 1, -1, -1})) < 1e-5);
    req.codes = {};  // left out: category 0, continuous 0
    CHECK(ref::report("InfoGAN test model, codes left out", model.generate(req), reference({0}, {0, 0})) < 1e-5);

    req.codes = {{"c_cat", {10}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("whole numbers 0..9, got 10"));
    req.codes = {{"c_cat", {2.5f}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("got 2.5"));
    req.codes = {{"c_cat", {-1}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("got -1"));
    req.codes = {{"c_cont", {0.5f}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("takes 2 value(s) per sample: give 2 or 6, not 1"));
    req.codes = {{"c_cont", {NAN, 0}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("not finite"));
    req.codes = {{"style", {1}}};
    CHECK_THROWS_WITH(model.generate(req), Contains("has no input 'style'"));
    req.codes = {{"z", std::vector<float>(16, 0.0f)}};
    CHECK_THROWS_WITH(model.generate(req), Contains("not as a code"));
}

TEST_CASE("coded model: a categorical input must be one value per sample; a range must be ordered") {
    ModelFile m = infogan_test_model();
    m.doc["inputs"]["c_cat"]["shape"] = {2};
    CHECK_THROWS_WITH(m.load(), Contains("inputs.c_cat.shape must be [1] for a categorical input"));
    m = infogan_test_model();
    m.doc["inputs"]["c_cont"]["range"] = {1.0, -1.0};
    CHECK_THROWS_WITH(m.load(), Contains("inputs.c_cont.range must be [lo, hi] with lo < hi"));
    m = infogan_test_model();
    m.doc["inputs"]["c_cat"]["categories"] = 0;
    CHECK_THROWS_WITH(m.load(), Contains("inputs.c_cat.categories"));
}

TEST_CASE("verify: passes on a golden case computed by the reference, F32 and F16") {
    ModelFile m = dcgan_test_model();
    add_check(m, 20240601, 4, 1e-4);
    const CheckResult r = m.load().verify();
    std::printf("F32: %s\n", r.message.c_str());
    CHECK(r.passed);
    CHECK(r.max_abs_diff < 1e-5);
    CHECK(r.tolerance == 1e-4);
    CHECK_THAT(r.message, Contains("check passed"));

    ModelFile h = dcgan_test_model(DType::F16);
    add_check(h, 20240601, 4, 2e-2);
    const CheckResult rh = h.load().verify();
    std::printf("F16: %s\n", rh.message.c_str());
    CHECK(rh.passed);
}

TEST_CASE("verify: fails when the stored values, mean or L2 disagree") {
    ModelFile base = dcgan_test_model();
    add_check(base, 1, 2, 1e-4);
    ModelFile value = base;
    value.doc["check"]["values"][10] = value.doc["check"]["values"][10].get<double>() + 1e-3;
    const CheckResult rv = value.load().verify();
    CHECK_FALSE(rv.passed);
    CHECK(rv.max_abs_diff == Approx(1e-3).epsilon(0.05));
    CHECK_THAT(rv.message, Contains("check failed"));

    ModelFile mean = base;
    mean.doc["check"]["mean"] = mean.doc["check"]["mean"].get<double>() + 1e-3;
    CHECK_FALSE(mean.load().verify().passed);

    ModelFile l2 = base;
    l2.doc["check"]["l2"] = l2.doc["check"]["l2"].get<double>() * 1.001;
    const CheckResult rl = l2.load().verify();
    CHECK_FALSE(rl.passed);
    CHECK(rl.l2_rel_diff > 1e-4);

    // Weights changed after the check was written: the whole point of verify().
    ModelFile weights = base;
    weights.tensors[0].values[0] += 0.5f;
    CHECK_FALSE(weights.load().verify().passed);
}

TEST_CASE("verify: a model without a check") {
    const CheckResult r = dcgan_test_model().load().verify();
    CHECK_FALSE(r.passed);
    CHECK(r.message == "no check stored");
}

TEST_CASE("image-to-image model (CycleGAN): no z, no G, G_AB by default, translate() and its check") {
    ModelFile m;
    m.doc = base_document({1, 4, 4}, {{"image", {{"shape", {1, 4, 4}}, {"domains", {{"A", "a"}, {"B", "b"}}}}}});
    m.doc["family"] = "cyclegan";
    m.doc["nets"]["G_AB"] = {{"inputs", {"image"}}, {"ops", {{{"op", "scale"}, {"factor", -0.5}}}}};
    m.doc["nets"]["G_BA"] = {{"inputs", {"image"}}, {"ops", {{{"op", "tanh"}}}}};
    Tensor x = Tensor::zeros({2, 1, 4, 4});
    for (size_t i = 0; i < x.data.size(); ++i) x.data[i] = static_cast<float>(i) / 16.0f - 1.0f;
    const Model model = m.load();
    CHECK(model.info().z_dim == 0);
    CHECK(model.info().nets == std::vector<std::string>{"G_AB", "G_BA"});
    const Tensor ab = model.translate(x, "G_AB"), ba = model.translate(x, "G_BA");
    REQUIRE(ab.shape == x.shape);
    for (size_t i = 0; i < x.data.size(); ++i) {
        CHECK(ab.data[i] == Approx(-0.5 * x.data[i]));
        CHECK(ba.data[i] == Approx(std::tanh(x.data[i])));
    }
    // generate(): with no "G", the first net; the image given as a code.
    GenerateRequest req;
    req.count = 2;
    req.codes = {{"image", x.data}};
    CHECK(ref::max_abs_diff(model.generate(req), ab) == 0);
    req.net = "G_BA";
    CHECK(ref::max_abs_diff(model.generate(req), ba) == 0);
    req.codes = {};
    CHECK_THROWS_WITH(model.generate(req), Contains("needs input 'image'"));

    CHECK_THROWS_WITH(model.translate(x, "G"), Contains("no net 'G'") && Contains("nets: G_AB, G_BA"));
    CHECK_THROWS_WITH(model.translate(Tensor::zeros({2, 1, 5, 5}), "G_AB"),
                      Contains("input 'image' has shape [2, 1, 5, 5]") && Contains("expected [N, 1, 4, 4]"));

    // The exporter's golden case: the images as a code of the first net.
    m.doc["check"] = {{"net", "G_AB"}, {"seed", 0}, {"count", 2}, {"codes", {{"image", x.data}}},
                      {"values", std::vector<double>(ab.data.begin(), ab.data.end())}, {"mean", 0.0},
                      {"l2", 0.0}, {"tolerance", 1e-4}};
    double sum = 0, squares = 0;
    for (float v : ab.data) {
        sum += v;
        squares += double(v) * v;
    }
    m.doc["check"]["mean"] = sum / static_cast<double>(ab.data.size());
    m.doc["check"]["l2"] = std::sqrt(squares);
    CHECK(m.load().verify().passed);
    m.doc["check"]["values"][3] = 5.0;
    CHECK_FALSE(m.load().verify().passed);

    // A translating net must output the dataset's image shape.
    m.doc["nets"]["G_BA"]["ops"].push_back({{"op", "reshape"}, {"shape", {16}}});
    CHECK_THROWS_WITH(m.load(), Contains("net 'G_BA': output has per-sample shape [16]"));
}

TEST_CASE("a model using pixel_norm, instance_norm and reflection_pad2d loads, runs and verifies") {
    ModelFile m = norm_pad_test_model();
    const Model model = m.load();
    CHECK(model.info().channels == 3);
    GenerateRequest req;
    req.seed = 11;
    req.count = 5;
    const Tensor out = model.generate(req);
    REQUIRE(out.shape == std::vector<int64_t>{5, 3, 5, 6});
    const Tensor expected = norm_pad_reference_forward(m, normal_latents(11, 0, 5, 16));
    CHECK(ref::report("norm/pad test model, 5 samples vs reference", out, expected) < 1e-5);
    // The statistics are per sample: a sample's output does not depend on the rest of the batch.
    double worst = 0;
    for (int64_t i = 0; i < 5; ++i) {
        GenerateRequest one = req;
        one.first_index = i;
        one.count = 1;
        worst = std::max(worst, ref::max_abs_diff(sample(out, i), model.generate(one)));
    }
    std::printf("norm/pad test model, batch of 5 vs one at a time: max |diff| = %.3g\n", worst);
    CHECK(worst <= 1e-6);

    add_check(m, 20240601, 3, 1e-4, 64, norm_pad_reference_forward);
    const CheckResult result = m.load().verify();
    std::printf("norm/pad test model verify: %s\n", result.message.c_str());
    CHECK(result.passed);
}
