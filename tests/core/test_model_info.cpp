// ModelInfo (what a model takes: inputs, nets, domains, training record), the one rule for an
// input left out, and plan_grid (the grid layout every front end draws).
#include <catch2/catch.hpp>
#include <cmath>

#include "ganzoo/error.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/latent.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;
namespace ref = ganzoo::reference;

namespace {

// A CycleGAN-shaped file: two 1x2x2 translators, domains and two examples of A, one of B.
ModelFile cyclegan_test_model() {
    ModelFile m;
    m.doc = base_document({1, 2, 2}, {{"image",
                                       {{"shape", {1, 2, 2}},
                                        {"domains", {{"A", "Sneaker"}, {"B", "Ankle boot"}}},
                                        {"examples",
                                         {{"A", {{"class", "Sneaker"}, {"split", "test"}, {"pixels", {{0, 255, 127, 128}, {1, 2, 3, 4}}}}},
                                          {"B", {{"class", "Ankle boot"}, {"split", "test"}, {"pixels", {{10, 20, 30, 40}}}}}}}}}});
    m.doc["family"] = "cyclegan";
    m.doc["nets"]["G_AB"] = {{"inputs", {"image"}}, {"ops", {{{"op", "tanh"}}}}};
    m.doc["nets"]["G_BA"] = {{"inputs", {"image"}}, {"ops", {{{"op", "scale"}, {"factor", 0.5}}}}};
    return m;
}

std::string load_error(const ModelFile& m) {
    try {
        m.load();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("ModelInfo: every input with its kind, shape, values and default; every net with inputs and output") {
    const Model dcgan = dcgan_test_model().load();
    const ModelInfo& d = dcgan.info();
    REQUIRE(d.inputs.size() == 1);
    CHECK(d.inputs[0].name == "z");
    CHECK(d.inputs[0].kind == InputKind::Latent);
    CHECK(d.inputs[0].shape == std::vector<int64_t>{16});
    REQUIRE(d.net_info.size() == 1);
    CHECK(d.net_info[0].name == "G");
    CHECK(d.net_info[0].inputs == std::vector<std::string>{"z"});
    CHECK(d.net_info[0].output_shape == std::vector<int64_t>{1, 28, 28});
    CHECK(d.default_net() == "G");
    CHECK(d.conditions("G").empty());
    CHECK_FALSE(d.translates());
    CHECK(d.domains.empty());

    const Model infogan = infogan_test_model().load();
    const ModelInfo& i = infogan.info();
    const InputInfo* cat = i.input("c_cat");
    const InputInfo* cont = i.input("c_cont");
    REQUIRE((cat && cont));
    CHECK(cat->kind == InputKind::Categorical);
    CHECK(cat->categories == 10);
    CHECK(cat->default_values == std::vector<float>{0.0f});  // category 0, as LibTorch's sample() feeds it
    CHECK(cont->kind == InputKind::Continuous);
    CHECK(cont->has_range);
    CHECK(cont->lo == -1.0);
    CHECK(cont->hi == 1.0);
    CHECK(cont->size == 2);
    CHECK(cont->default_values == std::vector<float>{0.0f, 0.0f});
    REQUIRE(i.conditions("G").size() == 2);
    CHECK(i.conditions("G")[0]->name == "c_cat");  // the net's order
    CHECK(describe_values(*cat, i) == "a category 0..9");
    CHECK(describe_values(*cont, i) == "2 values in [-1, 1]");

    const Model cgan = cgan_test_model().load();
    const InputInfo* label = cgan.info().input("label");
    REQUIRE(label);
    CHECK(label->kind == InputKind::Label);
    CHECK(label->categories == 10);
    CHECK(describe_values(*label, cgan.info()) == "a class 0..9 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)");
    CHECK(input_kind_name(InputKind::Image) == std::string("image"));
}

// The one behaviour for an input left out, decided here for every front end: a label or an image
// has no neutral value, so a request without it is refused, naming the input and the values it
// takes; a code takes its default, 0 (category 0), as the members' LibTorch sample() does.
TEST_CASE("an input left out: a label or image is refused naming its values; a code is at 0") {
    const Model cgan = cgan_test_model().load();
    GenerateRequest req;
    req.seed = 3;
    req.count = 4;
    const auto missing = find_missing_input(cgan.info(), req);
    REQUIRE(missing);
    CHECK(missing->input->name == "label");
    CHECK(missing->message ==
          "net 'G' of model 'test-model' needs input 'label': a class 0..9 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), "
          "one for all samples or one per sample");
    CHECK_THROWS_WITH(cgan.generate(req), "generate: " + missing->message);
    req.labels = {3};
    CHECK_FALSE(find_missing_input(cgan.info(), req));
    CHECK_NOTHROW(cgan.generate(req));

    const Model infogan = infogan_test_model().load();
    GenerateRequest code;
    code.seed = 5;
    code.count = 3;
    CHECK_FALSE(find_missing_input(infogan.info(), code));
    const Tensor left_out = infogan.generate(code);
    code.codes = {{"c_cat", {0}}, {"c_cont", {0, 0}}};
    CHECK(ref::max_abs_diff(left_out, infogan.generate(code)) == 0);

    ModelFile image = cyclegan_test_model();
    const Model cyclegan = image.load();
    GenerateRequest translate;
    CHECK_THROWS_WITH(cyclegan.generate(translate),
                      "generate: net 'G_AB' of model 'test-model' needs input 'image': an image [1, 2, 2] per sample");
}

TEST_CASE("ModelInfo: an image-to-image model's domains and their examples, decoded") {
    const Model model = cyclegan_test_model().load();
    const ModelInfo& info = model.info();
    CHECK(info.translates());
    CHECK(info.default_net() == "G_AB");
    REQUIRE(info.domains.size() == 2);
    const Domain& a = *info.domain("A");
    CHECK(a.class_name == "Sneaker");
    CHECK(a.split == "test");
    CHECK(a.count == 2);
    CHECK(a.pixels == std::vector<uint8_t>{0, 255, 127, 128, 1, 2, 3, 4});
    CHECK(info.domain("B")->count == 1);
    CHECK(info.input("image")->kind == InputKind::Image);
    const Tensor x = example_images(info, a);
    REQUIRE(x.shape == std::vector<int64_t>{2, 1, 2, 2});
    CHECK(x.data[0] == -1.0f);
    CHECK(x.data[1] == 1.0f);
    CHECK(x.data[2] == 127.0f / 127.5f - 1.0f);  // v/127.5 - 1 in float, as docs/format.md says

    ModelFile bad = cyclegan_test_model();
    bad.doc["inputs"]["image"]["examples"]["A"]["pixels"][1] = {1, 2, 3};
    CHECK(load_error(bad) == "ganzoo metadata: inputs.image.examples.A.pixels[1] must hold 4 integers 0..255 (C*H*W)");
    bad = cyclegan_test_model();
    bad.doc["inputs"]["image"]["examples"]["B"]["pixels"][0][2] = 256;
    CHECK(load_error(bad) == "ganzoo metadata: inputs.image.examples.B.pixels[0] must hold integers 0..255, got 256");
    bad = cyclegan_test_model();
    bad.doc["inputs"]["image"]["domains"] = {{"A", "Sneaker"}};
    CHECK_THAT(load_error(bad), Contains("inputs.image.domains must be {\"A\": class name, \"B\": class name}"));
    bad = cyclegan_test_model();
    bad.doc["inputs"]["image"].erase("examples");
    const Model without = bad.load();
    CHECK(without.info().translates());
    CHECK(without.info().domains[0].count == 0);
}

TEST_CASE("ModelInfo: the training record, read field by field; the document summary for a terminal") {
    ModelFile m = dcgan_test_model();
    m.doc["training"] = {{"command", "ganzoo train dcgan"}, {"epochs", 2.5},       {"steps", 1200},
                         {"device", 3},                     {"wall_time_s", 61.0}, {"ema", "not a number"},
                         {"metrics", {{"test_accuracy", 0.93}, {"images", 10000}, {"note", "hi"}}}};
    m.doc["wide"] = json::array();
    for (int i = 0; i < 100; ++i) m.doc["wide"].push_back(i);
    const Model model = m.load();
    const TrainingRecord& t = model.info().training;
    CHECK(t.present);
    CHECK(t.command == "ganzoo train dcgan");
    CHECK(t.epochs == 2.5);
    CHECK(t.steps == 1200);
    CHECK(t.device.empty());  // not a string: left out
    CHECK_FALSE(t.ema);
    REQUIRE(t.metrics.size() == 3);
    CHECK(t.metrics[0].name == "images");
    CHECK(t.metrics[0].integer);
    CHECK(t.metrics[1].text == "hi");
    CHECK(t.metrics[2].number == 0.93);
    CHECK_FALSE(dcgan_test_model().load().info().training.present);

    const std::string summary = document_summary(model.info());
    CHECK_THAT(summary, Contains("\"family\": \"dcgan\""));
    CHECK_THAT(summary, Contains("\"wide\": \"<an array of 100 items>\""));
    CHECK_THAT(summary, !Contains("\"nets\""));
}

TEST_CASE("plan_grid: a plain grid is consecutive samples of the seed, square") {
    const Model model = dcgan_test_model().load();
    GridRequest g;
    g.seed = 7;
    g.first_index = 3;
    g.count = 10;
    const GridPlan p = plan_grid(model.info(), g);
    CHECK(p.columns == 4);
    CHECK(p.rows == 3);
    CHECK(p.description.empty());
    CHECK(p.row_input.empty());
    CHECK_FALSE(p.request.z);  // the seed's latents, samples 3..12
    CHECK(p.request.first_index == 3);
    CHECK(p.request.count == 10);
    CHECK(p.latent_index == std::vector<int64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    g.columns = 5;
    CHECK(plan_grid(model.info(), g).columns == 5);
    g.label = 1;
    CHECK_THROWS_WITH(plan_grid(model.info(), g), "grid: net 'G' takes no label, but one was given");
}

TEST_CASE("plan_grid: one row per class, one latent per column, as `ganzoo sample` draws it") {
    const Model model = cgan_test_model().load();
    GridRequest g;
    g.seed = 7;
    g.count = 64;  // rows of classes: the count does not matter
    GridPlan p = plan_grid(model.info(), g);
    CHECK(p.columns == 10);
    CHECK(p.rows == 10);
    CHECK(p.row_input == "label");
    CHECK(p.description == "one row per class");
    REQUIRE(p.request.count == 100);
    REQUIRE(p.request.labels.size() == 100);
    CHECK(p.request.labels[0] == 0);
    CHECK(p.request.labels[13] == 1);
    CHECK(p.request.labels[99] == 9);
    REQUIRE(p.request.z);
    // Cell (row 4, column 3) holds sample 3 of the seed.
    const Tensor z3 = normal_latents(7, 3, 1, 16);
    CHECK(std::equal(z3.data.begin(), z3.data.end(), p.request.z->data.begin() + 43 * 16));
    CHECK(p.latent_index[43] == 3);
    CHECK_NOTHROW(model.generate(p.request));
    g.columns = 4;
    CHECK(plan_grid(model.info(), g).request.count == 40);
    // A class given: a plain grid of that class.
    g.columns = 0;
    g.label = 3;
    p = plan_grid(model.info(), g);
    CHECK(p.row_input.empty());
    CHECK(p.request.labels == std::vector<int64_t>{3});
    CHECK(p.request.count == 64);
    CHECK(p.columns == 8);
    // More cells than a batch holds.
    g.label.reset();
    g.columns = 500;
    CHECK_THROWS_WITH(plan_grid(model.info(), g), "grid of 5000 samples: at most 4096 (fewer columns)");
}

TEST_CASE("plan_grid: rows of a categorical code, continuous codes at their default, sweeps") {
    const Model model = infogan_test_model().load();
    const ModelInfo& info = model.info();
    GridRequest g;
    g.seed = 5;
    g.columns = 4;
    GridPlan p = plan_grid(info, g);
    CHECK(p.description == "one row per value of c_cat");
    REQUIRE(p.request.count == 40);
    CHECK(p.request.codes.at("c_cat")[4] == 1.0f);
    CHECK(p.request.codes.at("c_cont") == std::vector<float>(80, 0.0f));
    CHECK_NOTHROW(model.generate(p.request));
    // The categorical code given, the continuous one swept along the columns over its range.
    g.codes = {{"c_cat", {3}}, {"c_cont", {0.5f, 0.25f}}};
    g.sweep = "c_cont:1";
    g.count = 8;
    p = plan_grid(info, g);
    CHECK(p.description == "one row per latent, columns sweep c_cont[1]");
    CHECK(p.rows == 2);
    CHECK(p.sweep_input == "c_cont");
    CHECK(p.sweep_index == 1);
    const auto& cont = p.request.codes.at("c_cont");
    REQUIRE(cont.size() == 16);
    CHECK(cont[0] == 0.5f);
    CHECK(cont[1] == -1.0f);  // column 0: the range's low end
    CHECK(cont[7] == 1.0f);   // column 3: its high end
    CHECK(p.latent_index == std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1});
    CHECK(p.request.codes.at("c_cat") == std::vector<float>(8, 3.0f));
    CHECK(p.request.labels.empty());
    CHECK_NOTHROW(model.generate(p.request));
    g.sweep = "c_cat";
    CHECK_THROWS_WITH(plan_grid(info, g), "sweep c_cat: the model has no continuous code 'c_cat'");
    g.sweep = "c_cont:2";
    CHECK_THROWS_WITH(plan_grid(info, g), "sweep c_cont:2: index must be 0..1");
}
