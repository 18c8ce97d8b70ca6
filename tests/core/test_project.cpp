// Projection (ganzoo/project.hpp): on the core's test models, a generated image is found again
// from other starting latents, bit-identically for a seed; the loss's gradient (pixel, perceptual
// through a classifier-shaped model, prior) against finite differences of the total; the best
// label and categorical code found by the search; refusals.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include "ganzoo/error.hpp"
#include "ganzoo/project.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;

namespace {

// A classifier-shaped model: net "features" on "image" [c, h, w]: conv2d c->4 3x3 (padding 1)
// -> tanh -> reshape -> linear -> tanh, 12 features. Smooth, so that finite differences hold.
ModelFile classifier_test_model(int64_t c = 1, int64_t h = 28, int64_t w = 28, uint32_t seed = 71) {
    ModelFile m;
    m.doc = base_document({c, h, w}, {{"image", {{"shape", {c, h, w}}}}, {"features", {{"shape", {12}}}}});
    m.doc["family"] = "classifier";
    m.add_random("F.0.weight", {4, c, 3, 3}, seed, 0.5f);
    m.add_random("F.0.bias", {4}, seed + 1, 0.1f);
    m.add_random("F.1.weight", {12, 4 * h * w}, seed + 2, 0.6f / std::sqrt(float(4 * h * w)) * 3);
    m.doc["nets"]["features"] = {{"inputs", {"image"}},
                                 {"ops",
                                  {{{"op", "conv2d"}, {"weight", "F.0.weight"}, {"bias", "F.0.bias"}, {"padding", 1}},
                                   {{"op", "tanh"}},
                                   {{"op", "reshape"}, {"shape", {4 * h * w}}},
                                   {{"op", "linear"}, {"weight", "F.1.weight"}},
                                   {{"op", "tanh"}}}}};
    return m;
}

// max |analytic - FD| / max |FD| of the total loss's gradient along every element of `values`
// (z, or a code's row), Richardson-extrapolated central differences.
double fd_error(const std::function<double()>& total, std::vector<float>& values, const std::vector<float>& analytic,
                double h = 0x1p-7) {
    REQUIRE(analytic.size() == values.size());
    const std::vector<float> x = values;
    double worst = 0, scale = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        auto at = [&](double step) {
            values = x;
            values[i] = static_cast<float>(x[i] + step);
            return total();
        };
        const double d_h = (at(h) - at(-h)) / (2 * h), d_half = (at(h / 2) - at(-h / 2)) / h;
        const double fd = (4 * d_half - d_h) / 3;
        worst = std::max(worst, std::abs(fd - analytic[i]));
        scale = std::max(scale, std::abs(fd));
    }
    values = x;
    REQUIRE(scale > 1e-4);
    return worst / scale;
}

double report(const char* what, double error) {
    std::printf("%-58s %.2e\n", what, error);
    return error;
}

constexpr double kFdTolerance = 5e-3;  // max |analytic - FD| / max |FD|: float nets, a loss summed in double

// The InfoGAN-shaped test model, the classifier-shaped one, and a target the model draws (category
// 2, given continuous codes): the set-up of the determinism and the gradient tests.
struct InfoganCase {
    Model model, classifier;
    Tensor target;
};
InfoganCase infogan_case() {
    InfoganCase c{infogan_test_model().load(), classifier_test_model().load(), {}};
    GenerateRequest gen;
    gen.z = normal_latents(5, 0, 1, 16);
    gen.codes = {{"c_cat", {2.0f}}, {"c_cont", {0.3f, -0.5f}}};
    c.target = c.model.generate(gen);
    return c;
}

}  // namespace

TEST_CASE("projection finds a generated image again from other starting latents") {
    const Model model = dcgan_test_model().load();
    GenerateRequest gen;
    gen.z = normal_latents(11, 0, 1, 16);
    const Tensor target = model.generate(gen);

    ProjectOptions o;
    o.seed = 12;
    o.steps = 200;
    o.starts = 4;
    const ProjectResult r = project(model, target, o);
    std::printf("projection, pixel + prior: loss %.4g -> %.4g (pixel MSE %.3g), start %lld\n", r.initial.total, r.final.total,
                r.final.pixel, static_cast<long long>(r.start));
    CHECK(r.final.pixel < 2e-3);
    CHECK(r.final.total < 0.05 * r.initial.total);
    CHECK(r.losses.size() == 201);
    CHECK(r.losses.front() == r.initial.total);
    CHECK(r.losses.back() == r.final.total);
    CHECK(r.request.z->shape == std::vector<int64_t>{1, 16});
    CHECK(model.generate(r.request).data == r.image.data);
    REQUIRE(r.snapshot_steps.size() == 8);
    CHECK(r.snapshot_steps.front() == 0);
    CHECK(r.snapshot_steps.back() == 200);
    CHECK(r.snapshots.shape == std::vector<int64_t>{8, 1, 28, 28});
    CHECK(std::equal(r.image.data.begin(), r.image.data.end(), r.snapshots.data.end() - 784));

    // With the perceptual term through a classifier-shaped model.
    const Model classifier = classifier_test_model().load();
    o.weights.perceptual = 1.0;
    const ProjectResult p = project(model, target, o, &classifier);
    std::printf("projection, + perceptual: loss %.4g -> %.4g (pixel MSE %.3g, perceptual %.3g)\n", p.initial.total,
                p.final.total, p.final.pixel, p.final.perceptual);
    CHECK(p.initial.perceptual > 0);
    CHECK(p.final.pixel < 2e-3);
    CHECK(p.final.total < 0.05 * p.initial.total);
}

TEST_CASE("projection is deterministic: the same inputs give a bit-identical result") {
    const InfoganCase c = infogan_case();
    const Model &model = c.model, &classifier = c.classifier;
    const Tensor& target = c.target;
    ProjectOptions o;
    o.seed = 9;
    o.steps = 40;
    o.starts = 3;
    o.weights.perceptual = 0.5;
    const ProjectResult a = project(model, target, o, &classifier), b = project(model, target, o, &classifier);
    CHECK(a.request.z->data == b.request.z->data);
    CHECK(a.request.codes == b.request.codes);
    CHECK(a.losses == b.losses);
    CHECK(a.image.data == b.image.data);
    CHECK(a.snapshots.data == b.snapshots.data);
    o.seed = 10;  // another seed, other starts
    CHECK(project(model, target, o, &classifier).request.z->data != a.request.z->data);
}

TEST_CASE("projection on several threads gives the result of one, bit for bit") {
    // The rows (starts x candidates) are evaluated in slices side by side: InfoGAN's 10 categories
    // x 3 starts = 30 rows, split evenly and unevenly, its c_cont per row; then the categorical
    // code fixed (one value for all rows); and a cGAN whose label is searched or given.
    const InfoganCase c = infogan_case();
    ProjectOptions o;
    o.seed = 9;
    o.steps = 12;
    o.starts = 3;
    o.weights.perceptual = 0.5;
    auto same = [](const ProjectResult& a, const ProjectResult& b) {
        CHECK(a.request.z->data == b.request.z->data);
        CHECK(a.request.labels == b.request.labels);
        CHECK(a.request.codes == b.request.codes);
        CHECK(a.losses == b.losses);
        CHECK(a.image.data == b.image.data);
        CHECK(a.snapshots.data == b.snapshots.data);
        REQUIRE(a.candidates.size() == b.candidates.size());
        for (size_t i = 0; i < a.candidates.size(); ++i) CHECK(a.candidates[i].loss == b.candidates[i].loss);
    };
    const ProjectResult one = project(c.model, c.target, o, &c.classifier);
    for (const int64_t threads : {2, 3, 7, 64}) {
        INFO("threads " << threads);
        o.threads = threads;
        same(one, project(c.model, c.target, o, &c.classifier));
    }
    ThreadPool pool(3);  // a caller's pool, used by two projections in turn
    o.pool = &pool;
    o.threads = 8;
    same(one, project(c.model, c.target, o, &c.classifier));
    same(one, project(c.model, c.target, o, &c.classifier));
    o.pool = nullptr;
    o.codes = {{"c_cat", {4.0f}}};
    o.threads = 1;
    const ProjectResult fixed = project(c.model, c.target, o, &c.classifier);
    o.threads = 2;
    same(fixed, project(c.model, c.target, o, &c.classifier));

    const Model cgan = cgan_test_model().load();
    GenerateRequest gen;
    gen.z = normal_latents(31, 0, 1, 16);
    gen.labels = {7};
    const Tensor target = cgan.generate(gen);
    ProjectOptions g;
    g.seed = 4;
    g.steps = 10;
    g.starts = 2;
    for (const std::optional<int64_t> label : {std::optional<int64_t>{}, std::optional<int64_t>{3}}) {
        g.label = label;
        g.threads = 1;
        const ProjectResult a = project(cgan, target, g);
        g.threads = 4;
        same(a, project(cgan, target, g));
    }
}

TEST_CASE("a Projector run a step at a time gives project()'s result, bit for bit") {
    const InfoganCase c = infogan_case();
    ProjectOptions o;
    o.seed = 9;
    o.steps = 15;
    o.starts = 2;
    o.weights.perceptual = 0.5;
    const ProjectResult whole = project(c.model, c.target, o, &c.classifier);
    Projector p(c.model, c.target, o, &c.classifier);
    CHECK(p.steps() == 15);
    CHECK_THROWS_WITH(p.result(), Contains("project: the result is asked for after 0 of 15 steps"));
    std::vector<int64_t> reported;
    int64_t calls = 0;
    while (p.step([&](int64_t done, int64_t, double, const float*) { reported.push_back(done); })) ++calls;
    CHECK(calls == 14);  // the 15th step returns false: none remain
    CHECK(p.done() == 15);
    CHECK_FALSE(p.step());  // past the end: nothing
    CHECK(reported.size() == 15);
    const ProjectResult stepped = p.result();
    CHECK(stepped.request.z->data == whole.request.z->data);
    CHECK(stepped.request.codes == whole.request.codes);
    CHECK(stepped.losses == whole.losses);
    CHECK(stepped.image.data == whole.image.data);
    CHECK(stepped.snapshots.data == whole.snapshots.data);
    o.steps = 0;
    CHECK_THROWS_WITH(Projector(c.model, c.target, o), Contains("project: steps must be 1 or more"));
}

TEST_CASE("the projection loss's gradient: pixel, perceptual and prior terms against finite differences of the total") {
    const InfoganCase c = infogan_case();
    const Model &model = c.model, &classifier = c.classifier;
    const Tensor& target = c.target;

    GenerateRequest req;
    req.count = 2;
    req.z = normal_latents(6, 0, 2, 16);
    for (float& v : req.z->data) v *= 1.3f;  // off the shell: the prior's gradient is not 0
    req.codes = {{"c_cat", {1.0f, 2.0f}}, {"c_cont", {-0.2f, 0.6f, 0.1f, -0.7f}}};
    struct Case {
        const char* name;
        ProjectWeights w;
    };
    for (const Case& c : {Case{"pixel", {1, 0, 0}}, Case{"perceptual", {0, 1, 0}}, Case{"prior", {0, 0, 1}},
                          Case{"all", {1, 0.5, 0.1}}}) {
        GenerateGradients g;
        const auto losses = projection_loss(model, req, target, c.w, &classifier, &g);
        REQUIRE(losses.size() == 2);
        if (c.w.prior == 0) CHECK(losses[0].prior == 0);
        if (c.w.perceptual == 0) CHECK(losses[0].perceptual == 0);
        auto total = [&] {
            const auto l = projection_loss(model, req, target, c.w, &classifier);
            return l[0].total + l[1].total;
        };
        const std::string z = std::string("dL/dz, ") + c.name, cc = std::string("dL/dc_cont, ") + c.name;
        CHECK(report(z.c_str(), fd_error(total, req.z->data, g.z.data)) < kFdTolerance);
        if (c.w.prior == 0 || c.w.pixel != 0)
            CHECK(report(cc.c_str(), fd_error(total, req.codes["c_cont"], g.codes.at("c_cont").data)) < kFdTolerance);
    }

    // The classifier reading a centre crop (a larger image, as ProGAN's 32x32 for a 28x28
    // classifier) and a padded image (a smaller one): the norm-pad model draws 3x5x6.
    const Model norm_pad = norm_pad_test_model().load();
    GenerateRequest t;
    t.z = normal_latents(21, 0, 1, 16);
    const Tensor target3 = norm_pad.generate(t);
    GenerateRequest r3;
    r3.z = normal_latents(22, 0, 1, 16);
    for (const auto& [name, shape] : {std::pair{"crop", std::vector<int64_t>{3, 3, 4}}, std::pair{"pad", std::vector<int64_t>{3, 7, 10}}}) {
        const Model small = classifier_test_model(shape[0], shape[1], shape[2], 81).load();
        const ProjectWeights w{0, 1, 0};
        GenerateGradients g;
        projection_loss(norm_pad, r3, target3, w, &small, &g);
        auto total = [&] { return projection_loss(norm_pad, r3, target3, w, &small).front().total; };
        const std::string what = std::string("dL/dz, perceptual, classifier on a ") + name;
        CHECK(report(what.c_str(), fd_error(total, r3.z->data, g.z.data)) < kFdTolerance);
    }
    // An odd margin has no centre.
    const Model odd = classifier_test_model(3, 4, 4).load();
    CHECK_THROWS_WITH(projection_loss(norm_pad, r3, target3, {1, 1, 0}, &odd),
                      Contains("project: the classifier reads 3x4x4 images, net 'G' draws 3x5x6"));
}

namespace {
// The cGAN-shaped test model and an image it draws with label 7: the label search's target.
Tensor label7_target(const Model& cgan) {
    GenerateRequest gen;
    gen.z = normal_latents(31, 0, 1, 16);
    gen.labels = {7};
    return cgan.generate(gen);
}
// Its search's options: seed 4, 100 steps, 2 starts.
ProjectOptions label7_options() {
    ProjectOptions o;
    o.seed = 4;
    o.steps = 100;
    o.starts = 2;
    return o;
}
}  // namespace

TEST_CASE("projection searches the label of a cGAN and the categorical code of an InfoGAN") {
    const Model cgan = cgan_test_model().load();
    const Tensor target = label7_target(cgan);
    ProjectOptions o = label7_options();
    const ProjectResult r = project(cgan, target, o);
    REQUIRE(r.candidates.size() == 10);
    CHECK(r.request.labels == std::vector<int64_t>{7});
    for (const auto& c : r.candidates) {
        REQUIRE(c.label);
        if (*c.label != 7) CHECK(c.loss > 2 * r.final.total);
    }
    std::printf("cGAN: label 7 found, loss %.3g (next best %.3g)\n", r.final.total,
                std::min_element(r.candidates.begin(), r.candidates.end(), [](const auto& a, const auto& b) {
                    return (*a.label == 7 ? 1e9 : a.loss) < (*b.label == 7 ? 1e9 : b.loss);
                })->loss);
    o.label = 3;  // a label given is kept
    const ProjectResult fixed = project(cgan, target, o);
    CHECK(fixed.candidates.size() == 1);
    CHECK(fixed.request.labels == std::vector<int64_t>{3});
    CHECK(fixed.final.total > r.final.total);

    const Model info = infogan_test_model().load();
    GenerateRequest igen;
    igen.z = normal_latents(32, 0, 1, 16);
    igen.codes = {{"c_cat", {6.0f}}, {"c_cont", {0.45f, -0.8f}}};
    const Tensor itarget = info.generate(igen);
    ProjectOptions io;
    io.seed = 5;
    io.steps = 150;
    io.starts = 2;
    const ProjectResult ir = project(info, itarget, io);
    CHECK(ir.candidates.size() == 10);
    CHECK(ir.request.codes.at("c_cat") == std::vector<float>{6.0f});
    const auto& cont = ir.request.codes.at("c_cont");
    std::printf("InfoGAN: c_cat 6 found, c_cont (%.3f, %.3f) for (0.45, -0.8), loss %.3g\n", cont[0], cont[1], ir.final.total);
    for (const float v : cont) CHECK((v >= -1.0f && v <= 1.0f));  // kept in the declared range
    CHECK(ir.final.pixel < 5e-3);
    io.codes = {{"c_cat", {1.0f}}};  // fixed by the caller
    CHECK(project(info, itarget, io).request.codes.at("c_cat") == std::vector<float>{1.0f});
}

// The search's cut (ProjectOptions::search_keep, search_fraction): the kept candidates' rows run
// as they do in the full search, bit for bit (a row's path does not depend on the rows beside
// it), so the result is the full search's when its winner is kept; the others stop at the cut
// step, and the generator passes fall. The ones kept are those with the lowest loss at the cut:
// checked across cuts keeping 9, 2 and 1 of the 10 labels, whose reports of a dropped label's
// loss at the cut agree bit for bit.
TEST_CASE("projection's search cut keeps the best candidates at the cut, runs them as the full search does, and saves the rest") {
    const Model cgan = cgan_test_model().load();
    const Tensor target = label7_target(cgan);
    ProjectOptions o = label7_options();
    o.search_fraction = 0.2;  // the cut at step 20
    o.search_keep = 0;
    const ProjectResult full = project(cgan, target, o);
    const auto run = [&](int64_t keep) {
        o.search_keep = keep;
        return project(cgan, target, o);
    };
    const ProjectResult two = run(2), one = run(1), nine = run(9);
    REQUIRE(full.request.labels == std::vector<int64_t>{7});
    CHECK(full.evaluations == 20 * 101);
    for (const auto& c : full.candidates) CHECK(c.steps == 100);

    // Keeping 2: the full search's result, bit for bit, for about a third of the generator passes.
    CHECK(two.request.labels == full.request.labels);
    CHECK(two.request.z->data == full.request.z->data);
    CHECK(two.image.data == full.image.data);
    CHECK(two.losses == full.losses);
    CHECK(two.snapshots.data == full.snapshots.data);
    CHECK(two.start == full.start);
    CHECK(two.evaluations == 20 * 21 + 4 * 79 + 4);  // steps 0..20 on 20 rows, then 4 rows to the end
    std::printf("search cut: %lld generator passes kept 2 of 10 labels after step 20, %lld without the cut\n",
                static_cast<long long>(two.evaluations), static_cast<long long>(full.evaluations));
    int kept = 0;
    for (size_t k = 0; k < two.candidates.size(); ++k) {
        const auto& c = two.candidates[k];
        if (c.steps == 100) {
            ++kept;
            CHECK(c.loss == full.candidates[k].loss);  // its final loss, as in the full search
        } else {
            CHECK(c.steps == 20);
        }
    }
    CHECK(kept == 2);
    // Each candidate's curve (its best start at each step) is the full search's, to the step it ran.
    for (size_t k = 0; k < two.candidates.size(); ++k) {
        const auto& c = two.candidates[k];
        const auto& f = full.candidates[k].losses;
        REQUIRE(f.size() == 101);
        CHECK(f.back() == full.candidates[k].loss);
        REQUIRE(c.losses.size() == static_cast<size_t>(c.steps + 1));
        CHECK(c.losses == std::vector<double>(f.begin(), f.begin() + c.steps + 1));
    }

    // Which are kept: keeping 1, the 9 dropped report their loss at the cut, and the one kept is
    // label 7; keeping 2 adds the lowest of those 9, with the same losses; keeping 9 drops the highest.
    std::vector<double> at_cut(10, -1);
    for (const auto& c : one.candidates)
        if (c.steps == 20) at_cut[static_cast<size_t>(*c.label)] = c.loss;
    CHECK(at_cut[7] == -1);
    CHECK(one.request.labels == std::vector<int64_t>{7});
    size_t low = 0, high = 0;
    for (size_t k = 0; k < 10; ++k) {
        if (k == 7) continue;
        if (low == 7 || at_cut[k] < at_cut[low]) low = k;
        if (high == 7 || at_cut[k] > at_cut[high]) high = k;
    }
    for (const auto& c : two.candidates) CHECK((c.steps == 100) == (*c.label == 7 || *c.label == static_cast<int64_t>(low)));
    for (const auto& c : two.candidates)
        if (c.steps == 20) CHECK(c.loss == at_cut[static_cast<size_t>(*c.label)]);
    for (const auto& c : nine.candidates) CHECK((c.steps == 20) == (*c.label == static_cast<int64_t>(high)));
    CHECK(nine.request.z->data == full.request.z->data);

    // No cut: keep 0, keep 10 (all of them), or a cut at the last step.
    CHECK(run(10).evaluations == full.evaluations);
    o.search_keep = 2;
    o.search_fraction = 1.0;
    CHECK(project(cgan, target, o).evaluations == full.evaluations);
}

TEST_CASE("projection refuses a model without a latent, and bad options, in one line") {
    ModelFile t;
    t.doc = base_document({1, 4, 4}, {{"image", {{"shape", {1, 4, 4}}, {"domains", {{"A", "a"}, {"B", "b"}}}}}});
    t.doc["nets"]["G_AB"] = {{"inputs", {"image"}}, {"ops", {{{"op", "scale"}, {"factor", -0.5}}}}};
    t.doc["nets"]["G_BA"] = t.doc["nets"]["G_AB"];
    const Model cyclegan = t.load();
    REQUIRE(cyclegan.info().translates());
    CHECK_THROWS_WITH(project(cyclegan, Tensor::zeros({1, 1, 4, 4}), {}),
                      Contains("project: model 'test-model' translates images") && Contains("has no latent z"));

    const Model dcgan = dcgan_test_model().load();
    const Tensor target = Tensor::zeros({1, 1, 28, 28});
    ProjectOptions o;
    o.steps = 0;
    CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: steps must be 1 or more, got 0"));
    o.steps = 5;
    o.starts = 0;
    CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: starts must be 1..64"));
    o.starts = 1;
    o.threads = 0;
    CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: threads must be 1..256, got 0"));
    o.threads = 1;
    o.search_keep = -1;
    CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: search_keep must be 0 (no cut) or more, got -1"));
    o.search_keep = 2;
    for (const double f : {0.0, 1.5, std::nan("")}) {
        o.search_fraction = f;
        CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: search_fraction must be in (0, 1]"));
    }
    o.search_fraction = 0.2;
    o.label = 2;
    CHECK_THROWS_WITH(project(dcgan, target, o), Contains("project: net 'G' takes no label"));
    o.label.reset();
    CHECK_THROWS_WITH(project(dcgan, Tensor::zeros({1, 3, 28, 28}), o),
                      Contains("project: the target is 1x3x28x28, net 'G' draws 1x28x28 images"));
    Tensor bad = target;
    bad.data[3] = std::nanf("");
    CHECK_THROWS_WITH(project(dcgan, bad, o), Contains("project: the target holds a value that is not finite"));
    const Model cgan = cgan_test_model().load();
    o.label = 10;
    CHECK_THROWS_WITH(project(cgan, target, o), Contains("project: label 10 is outside 0..9"));
    o.label.reset();
    o.codes = {{"c_cont", {0.0f}}};
    CHECK_THROWS_WITH(project(cgan, target, o), Contains("project: net 'G' takes no code 'c_cont'"));
    ProjectOptions one;  // a [C, H, W] target is one image too
    one.steps = 1;
    one.starts = 1;
    CHECK_NOTHROW(project(dcgan, Tensor({1, 28, 28}, target.data), one));
}
