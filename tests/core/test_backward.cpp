// The reverse pass (Model::run_backward, generate_backward): every op's backward, and whole
// nets, against central finite differences of the core's own forward, for the loss
// L = Σ w ⊙ output with random w (so dL/d(output) = w). Each comparison prints its error.
//
// The differences are Richardson-extrapolated central ones, (4 D(h/2) - D(h)) / 3 with
// D(h) = (L(x + h) - L(x - h)) / 2h: error O(h⁴) for smooth ops, so that a float forward at
// h = 2^-7 still resolves the gradient to ~1e-5 of its size. Steps are powers of 2: x ± h is
// then exact in float for the |x| < 16 here, and the step taken is the step divided by. Inputs of relu, leaky_relu and elu
// are kept at least 0.1 away from the kink, beyond any step.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <string>

#include "ganzoo/error.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;

namespace {

using Inputs = std::map<std::string, Tensor>;

constexpr double kTolerance = 2e-4;  // max |analytic - FD| / max |FD|, float forward

double loss(const Model& model, const std::string& net, const Inputs& inputs, const Tensor& w) {
    const Tensor y = model.run(net, inputs);
    double sum = 0.0;
    for (size_t i = 0; i < y.data.size(); ++i) sum += double(w.data[i]) * y.data[i];
    return sum;
}

// The FD gradient of input `name` along `direction` (one element, or a pair for class weights).
double fd_along(const Model& model, const std::string& net, Inputs inputs, const std::string& name,
                const std::vector<std::pair<size_t, float>>& direction, const Tensor& w, double h) {
    const Tensor x = inputs.at(name);
    auto at = [&](double step) {
        Tensor& moved = inputs[name];
        moved = x;
        for (const auto& [i, sign] : direction) moved.data[i] = static_cast<float>(x.data[i] + sign * step);
        return loss(model, net, inputs, w);
    };
    const double d_h = (at(h) - at(-h)) / (2 * h), d_half = (at(h / 2) - at(-h / 2)) / h;
    return (4 * d_half - d_h) / 3;
}

// max |analytic - FD| / max |FD| over up to `checks` elements of input `name` (evenly spread).
double fd_error(const Model& model, const std::string& net, const Inputs& inputs, const std::string& name,
                const Tensor& analytic, const Tensor& w, double h = 0x1p-7, size_t checks = 160) {
    REQUIRE(analytic.shape == inputs.at(name).shape);
    const size_t n = analytic.data.size(), step = std::max<size_t>(1, n / checks);
    double worst = 0.0, scale = 0.0;
    for (size_t i = (n - 1) % step; i < n; i += step) {
        const double fd = fd_along(model, net, inputs, name, {{i, 1.0f}}, w, h);
        worst = std::max(worst, std::abs(fd - analytic.data[i]));
        scale = std::max(scale, std::abs(fd));
    }
    REQUIRE(scale > 1e-3);  // a gradient that is not all zeros
    return worst / scale;
}

double report(const std::string& label, double error) {
    std::printf("backward %-48s max |analytic - FD| / max |FD| %.2e\n", label.c_str(), error);
    return error;
}

// Keeps every value at least `margin` away from 0 (away from the kinks of relu & co.).
Tensor away_from_zero(Tensor t, float margin = 0.1f) {
    for (float& v : t.data) v = v < 0 ? v - margin : v + margin;
    return t;
}

std::vector<int64_t> per_sample(const Tensor& t) {
    return {t.shape.begin() + 1, t.shape.end()};
}

std::vector<int64_t> output_shape(const Model& model, const std::string& net, const Inputs& inputs) {
    return model.run(net, inputs).shape;
}

// Runs the backward of a one-op net on `xs` and checks every input's
// gradient against FD; returns the worst error.
double check_op(const std::string& label, const json& op, const std::vector<Tensor>& xs, ModelFile weights = {},
                double h = 0x1p-7) {
    // Inputs "in0", "in1", ... (single_op_model's "x", "y", "z" would make a third input z).
    json declared = json::object(), names = json::array();
    Inputs inputs;
    for (size_t i = 0; i < xs.size(); ++i) {
        const std::string name = "in" + std::to_string(i);
        declared[name] = {{"shape", per_sample(xs[i])}};
        names.push_back(name);
        inputs[name] = xs[i];
    }
    ModelFile m = weights;
    m.doc = base_document({1, 1, 1}, declared);
    json with_inputs = op;
    with_inputs["in"] = names;
    m.doc["nets"]["net"] = {{"inputs", names}, {"ops", {with_inputs}}};
    const Model model = m.load();
    const Tensor w = random_tensor(output_shape(model, "net", inputs), 77);
    const RunGradients g = model.run_backward("net", inputs, w);
    CHECK(g.output.data == model.run("net", inputs).data);  // the recording run computes as run()
    double worst = 0.0;
    for (const auto& [name, x] : inputs) {
        REQUIRE(g.inputs.count(name));
        worst = std::max(worst, fd_error(model, "net", inputs, name, g.inputs.at(name), w, h));
    }
    return report(label, worst);
}

// The net G with every relu and leaky_relu made elu (alpha 1, whose slope is continuous at 0):
// no kink for a finite difference to cross.
ModelFile smoothed(ModelFile m) {
    for (json& op : m.doc["nets"]["G"]["ops"])
        if (op["op"] == "relu" || op["op"] == "leaky_relu") op = {{"op", "elu"}};
    return m;
}

json pair(int64_t a, int64_t b) {
    return a == b ? json(a) : json::array({a, b});
}

struct ConvCase {
    int64_t n, c, h, w, out, kh, kw, sh, sw, ph, pw, oph = 0, opw = 0;
};

std::string conv_label(const char* op, const ConvCase& k) {
    char text[160];
    std::snprintf(text, sizeof text, "%s N%lld %lldx%lldx%lld->%lld k%lldx%lld s%lld,%lld p%lld,%lld op%lld,%lld", op,
                  (long long)k.n, (long long)k.c, (long long)k.h, (long long)k.w, (long long)k.out, (long long)k.kh,
                  (long long)k.kw, (long long)k.sh, (long long)k.sw, (long long)k.ph, (long long)k.pw,
                  (long long)k.oph, (long long)k.opw);
    return text;
}

}  // namespace

TEST_CASE("linear: dx = dy W, on every kernel path (4-sample blocks, tails, narrow last tile)") {
    struct Case {
        int64_t n, in, out;
    };
    for (const Case& k : {Case{1, 7, 5}, Case{3, 16, 37}, Case{5, 33, 8}, Case{9, 12, 71}, Case{4, 1, 3}}) {
        ModelFile m;
        m.add_random("w", {k.out, k.in}, 1, 0.5f);
        m.add_random("b", {k.out}, 2, 0.5f);
        const std::string label = "linear N" + std::to_string(k.n) + " " + std::to_string(k.in) + "->" + std::to_string(k.out);
        CHECK(check_op(label, {{"op", "linear"}, {"weight", "w"}, {"bias", "b"}}, {random_tensor({k.n, k.in}, 3)}, m) <
              kTolerance);
    }
}

TEST_CASE("conv2d: dx is a conv_transpose2d with the same weight (strides, paddings, odd sizes, batches)") {
    const ConvCase cases[] = {
        {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1},
        {1, 2, 8, 9, 3, 3, 2, 2, 2, 0, 1},   // stride 2 leaves the last row and column out of every window
        {3, 4, 5, 5, 2, 1, 1, 1, 1, 0, 0},   // 1x1
        {2, 1, 9, 7, 2, 4, 4, 3, 2, 2, 1},   // stride [3, 2]
        {2, 3, 6, 6, 5, 5, 3, 1, 2, 2, 1},
        {1, 2, 8, 8, 5, 4, 4, 2, 2, 1, 1},   // DCGAN's D
        {3, 2, 20, 19, 6, 3, 3, 1, 1, 1, 1}, // several GEMM panels
    };
    for (const ConvCase& k : cases) {
        ModelFile m;
        m.add_random("w", {k.out, k.c, k.kh, k.kw}, 4, 0.5f);
        m.add_random("b", {k.out}, 5, 0.5f);
        const json op = {{"op", "conv2d"}, {"weight", "w"}, {"bias", "b"}, {"stride", pair(k.sh, k.sw)},
                         {"padding", pair(k.ph, k.pw)}};
        CHECK(check_op(conv_label("conv2d", k), op, {random_tensor({k.n, k.c, k.h, k.w}, 6)}, m) < kTolerance);
    }
}

TEST_CASE("conv_transpose2d: dx is a conv2d with the same weight (strides, paddings, output_padding, batches)") {
    const ConvCase cases[] = {
        {2, 3, 4, 5, 2, 4, 4, 2, 2, 1, 1},           // DCGAN's G
        {1, 2, 3, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1},     // output padding
        {3, 2, 5, 4, 2, 3, 2, 3, 2, 0, 1, 2, 1},     // stride [3, 2], output padding [2, 1]
        {2, 4, 4, 4, 1, 1, 1, 1, 1, 0, 0},           // 1x1
        {1, 3, 2, 7, 2, 5, 3, 1, 3, 2, 1, 0, 2},
        {3, 6, 1, 1, 4, 4, 4, 1, 1, 0, 0},           // 1x1 -> 4x4
        {2, 3, 14, 14, 2, 4, 4, 2, 2, 1, 1},         // col2im's paired stride-2 path, several panels
    };
    for (const ConvCase& k : cases) {
        ModelFile m;
        m.add_random("w", {k.c, k.out, k.kh, k.kw}, 7, 0.5f);
        m.add_random("b", {k.out}, 8, 0.5f);
        const json op = {{"op", "conv_transpose2d"}, {"weight", "w"}, {"bias", "b"}, {"stride", pair(k.sh, k.sw)},
                         {"padding", pair(k.ph, k.pw)}, {"output_padding", pair(k.oph, k.opw)}};
        CHECK(check_op(conv_label("conv_transpose2d", k), op, {random_tensor({k.n, k.c, k.h, k.w}, 9)}, m) <
              kTolerance);
    }
}

TEST_CASE("per-channel and elementwise ops: batch_norm, relu, leaky_relu, elu, tanh, sigmoid, scale") {
    ModelFile m;
    m.add_random("s", {5}, 10, 2.0f);
    m.add_random("t", {5}, 11, 1.0f);
    const json bn = {{"op", "batch_norm"}, {"scale", "s"}, {"shift", "t"}};
    CHECK(check_op("batch_norm [N, C, H, W]", bn, {random_tensor({3, 5, 4, 3}, 12)}, m) < kTolerance);
    CHECK(check_op("batch_norm [N, C]", bn, {random_tensor({4, 5}, 13)}, m) < kTolerance);
    const Tensor x = away_from_zero(random_tensor({3, 2, 5, 7}, 14, 3.0f));
    CHECK(check_op("relu", {{"op", "relu"}}, {x}) < kTolerance);
    CHECK(check_op("leaky_relu 0.2", {{"op", "leaky_relu"}, {"slope", 0.2}}, {x}) < kTolerance);
    CHECK(check_op("leaky_relu -0.3", {{"op", "leaky_relu"}, {"slope", -0.3}}, {x}) < kTolerance);
    CHECK(check_op("elu 0.7", {{"op", "elu"}, {"alpha", 0.7}}, {x}) < kTolerance);
    CHECK(check_op("tanh", {{"op", "tanh"}}, {x}) < kTolerance);
    CHECK(check_op("sigmoid", {{"op", "sigmoid"}}, {x}) < kTolerance);
    CHECK(check_op("scale -1.5", {{"op", "scale"}, {"factor", -1.5}}, {x}) < kTolerance);
}

TEST_CASE("layout ops: reshape, concat, add, upsample_nearest, reflection_pad2d") {
    const Tensor a = random_tensor({2, 3, 4, 5}, 15), b = random_tensor({2, 3, 4, 5}, 16);
    CHECK(check_op("reshape", {{"op", "reshape"}, {"shape", {12, -1}}}, {a}) < kTolerance);
    CHECK(check_op("add", {{"op", "add"}}, {a, b}) < kTolerance);
    CHECK(check_op("concat axis 1, 3 inputs", {{"op", "concat"}},
                   {a, random_tensor({2, 1, 4, 5}, 17), random_tensor({2, 2, 4, 5}, 18)}) < kTolerance);
    CHECK(check_op("concat axis 2", {{"op", "concat"}, {"axis", 2}}, {a, random_tensor({2, 3, 2, 5}, 19)}) < kTolerance);
    CHECK(check_op("concat axis 3", {{"op", "concat"}, {"axis", 3}}, {a, random_tensor({2, 3, 4, 1}, 20)}) < kTolerance);
    CHECK(check_op("concat [N, F]", {{"op", "concat"}}, {random_tensor({3, 4}, 21), random_tensor({3, 7}, 22)}) <
          kTolerance);
    CHECK(check_op("upsample_nearest 2", {{"op", "upsample_nearest"}}, {a}) < kTolerance);
    CHECK(check_op("upsample_nearest [3, 2]", {{"op", "upsample_nearest"}, {"scale", {3, 2}}}, {a}) < kTolerance);
    CHECK(check_op("reflection_pad2d 1", {{"op", "reflection_pad2d"}, {"padding", 1}}, {a}) < kTolerance);
    CHECK(check_op("reflection_pad2d [3, 2] (up to dim - 1)", {{"op", "reflection_pad2d"}, {"padding", {3, 2}}},
                   {a}) < kTolerance);
    CHECK(check_op("reflection_pad2d [1, 4] 2x5", {{"op", "reflection_pad2d"}, {"padding", {1, 4}}},
                   {random_tensor({3, 1, 2, 5}, 23)}) < kTolerance);
}

TEST_CASE("normalizations: pixel_norm ([N, C, H, W] and [N, F]), instance_norm (affine or not)") {
    CHECK(check_op("pixel_norm [N, C, H, W]", {{"op", "pixel_norm"}}, {random_tensor({2, 5, 3, 4}, 24)}) < kTolerance);
    CHECK(check_op("pixel_norm [N, F]", {{"op", "pixel_norm"}, {"eps", 1e-3}}, {random_tensor({3, 9}, 25)}) <
          kTolerance);
    // A channel of few pixels, with a large mean: the statistics' own gradients matter.
    Tensor x = random_tensor({2, 3, 4, 5}, 26, 2.0f);
    for (size_t i = 0; i < 20; ++i) x.data[i] += 3.0f;
    CHECK(check_op("instance_norm", {{"op", "instance_norm"}}, {x}) < kTolerance);
    CHECK(check_op("instance_norm 2x1 eps 1e-3", {{"op", "instance_norm"}, {"eps", 1e-3}},
                   {random_tensor({3, 2, 2, 1}, 27)}) < kTolerance);
    ModelFile m;
    m.add_random("g", {3}, 28, 1.5f);
    m.add_random("b", {3}, 29, 0.5f);
    CHECK(check_op("instance_norm affine", {{"op", "instance_norm"}, {"weight", "g"}, {"bias", "b"}}, {x}, m) <
          kTolerance);
}

TEST_CASE("a value read by several ops gets the sum of their gradients") {
    // x feeds add twice, a concat twice and a tanh; the tanh's output is read by two ops.
    ModelFile m = single_op_model({{"op", "add"}, {"in", {"x", "x"}}, {"out", "twice"}}, {{2, 3, 3}});
    auto& ops = m.doc["nets"]["net"]["ops"];
    ops.push_back({{"op", "tanh"}, {"in", {"x"}}, {"out", "t"}});
    ops.push_back({{"op", "scale"}, {"in", {"t"}}, {"out", "s"}, {"factor", 3.0}});
    ops.push_back({{"op", "add"}, {"in", {"t", "s"}}, {"out", "u"}});
    ops.push_back({{"op", "concat"}, {"in", {"twice", "x", "u", "x"}}, {"axis", 1}});
    const Model model = m.load();
    const Inputs inputs{{"x", random_tensor({3, 2, 3, 3}, 30)}};
    const Tensor w = random_tensor({3, 8, 3, 3}, 31);
    const RunGradients g = model.run_backward("net", inputs, w);
    // Written out: dL/dx = 2 w_twice + w_x1 + w_x2 + 4 (1 - tanh²x) w_u.
    double worst = 0.0;
    const Tensor& x = inputs.at("x");
    for (int64_t s = 0; s < 3; ++s)
        for (int64_t c = 0; c < 2; ++c)
            for (int64_t p = 0; p < 9; ++p) {
                auto wt = [&](int64_t channel) { return double(w.data[(s * 8 + channel) * 9 + p]); };
                const double t = std::tanh(double(x.data[(s * 2 + c) * 9 + p]));
                const double expected = 2 * wt(c) + wt(2 + c) + 4 * (1 - t * t) * wt(4 + c) + wt(6 + c);
                worst = std::max(worst, std::abs(g.inputs.at("x").data[(s * 2 + c) * 9 + p] - expected));
            }
    std::printf("backward fan-out: max |analytic - written out| %.2e\n", worst);
    CHECK(worst < 1e-5);
    CHECK(report("fan-out (add x x, concat x twice, tanh read twice)",
                 fd_error(model, "net", inputs, "x", g.inputs.at("x"), w)) < kTolerance);
}

TEST_CASE("a sample's output and input gradient are the same whatever batch it runs in, bit for bit") {
    // What lets a batch be split into slices on threads (ganzoo::ThreadPool: projection, the
    // threaded wasm build): run and run_backward of 7 samples, against the same samples as slices
    // [0, 2), [2, 7) and one by one. Per-sample sizes that are not multiples of 4 (Eigen computes the
    // tail of an array of run-time size with its scalar functions: its scalar exp and expm1 differ
    // from the packet ones in the last bit for about one value in eight, so a vectorised elu would
    // fail the 3-values-per-sample case), and images tall and short enough that
    // conv_transpose2d's panels hold several samples, or cut one.
    struct Case {
        std::string label;
        json op;
        std::vector<int64_t> shape;
        ModelFile weights;
        bool negative = false;  // inputs below 0
    };
    std::vector<Case> cases = {
        {"tanh", {{"op", "tanh"}}, {3, 5, 7}, {}},
        {"sigmoid", {{"op", "sigmoid"}}, {3, 5, 7}, {}},
        {"elu", {{"op", "elu"}, {"alpha", 0.7}}, {3, 5, 7}, {}},
        {"elu, negative inputs", {{"op", "elu"}, {"alpha", 0.7}}, {3}, {}, true},
    };
    for (const auto& [label, h, w] : {std::tuple<const char*, int64_t, int64_t>{"conv_transpose2d 7x7 (5 per panel)", 7, 7},
                                      {"conv_transpose2d 40x8 (panels cut a sample)", 40, 8},
                                      {"conv_transpose2d 11x9", 11, 9}}) {
        Case k{label, {{"op", "conv_transpose2d"}, {"weight", "w"}, {"stride", 2}, {"padding", 1}}, {3, h, w}, {}};
        k.weights.add_random("w", {3, 2, 4, 4}, 21, 0.5f);
        cases.push_back(std::move(k));
    }
    {
        Case k{"conv2d 3x3 s2", {{"op", "conv2d"}, {"weight", "w"}, {"stride", 2}, {"padding", 1}}, {3, 13, 9}, {}};
        k.weights.add_random("w", {2, 3, 3, 3}, 22, 0.5f);
        cases.push_back(std::move(k));
        Case l{"linear 7->5", {{"op", "linear"}, {"weight", "w"}}, {7}, {}};
        l.weights.add_random("w", {5, 7}, 23, 0.5f);
        cases.push_back(std::move(l));
    }
    for (const Case& k : cases) {
        INFO(k.label);
        ModelFile m = k.weights;
        m.doc = base_document({1, 1, 1}, {{"x", {{"shape", k.shape}}}});
        json op = k.op;
        op["in"] = {"x"};
        m.doc["nets"]["net"] = {{"inputs", {"x"}}, {"ops", {op}}};
        const Model model = m.load();
        std::vector<int64_t> shape = k.shape;
        shape.insert(shape.begin(), 7);
        Tensor x = random_tensor(shape, 24, 3.0f);
        if (k.negative)
            for (float& v : x.data) v = -std::abs(v) - 0.1f;
        const Tensor w = random_tensor(model.run("net", {{"x", x}}).shape, 25);
        const RunGradients all = model.run_backward("net", {{"x", x}}, w);
        auto rows = [](const Tensor& t, int64_t first, int64_t n) {
            Tensor s = t;
            const int64_t per = t.numel() / t.dim(0);
            s.shape[0] = n;
            s.data.assign(t.data.begin() + first * per, t.data.begin() + (first + n) * per);
            return s;
        };
        for (const auto& [first, n] : {std::pair<int64_t, int64_t>{0, 2}, {2, 5}, {0, 1}, {1, 1}, {3, 1}, {6, 1}}) {
            const RunGradients part = model.run_backward("net", {{"x", rows(x, first, n)}}, rows(w, first, n));
            CHECK(part.output.data == rows(all.output, first, n).data);
            CHECK(part.inputs.at("x").data == rows(all.inputs.at("x"), first, n).data);
            CHECK(model.run("net", {{"x", rows(x, first, n)}}).data == rows(all.output, first, n).data);
        }
    }
}

TEST_CASE("whole nets: DCGAN-shaped and the norm/pad net (ProGAN's and CycleGAN's ops) against FD") {
    // As built, with their relus: 1176 relu units per sample in the DCGAN-shaped net, so any
    // step crosses kinks somewhere, and below 1e-3 the float forward's rounding dominates. The
    // two bound the agreement to ~2e-3 (measured 1.5e-3), against O(1) for a wrong backward.
    // Then with every kink smoothed away (relu and leaky_relu made elu, alpha 1: its slope is
    // continuous at 0), where the FD resolves the gradient to ~1e-5.
    struct Case {
        const char* label;
        ModelFile file;
        std::vector<int64_t> output;
    };
    for (bool smooth : {false, true}) {
        for (const Case& c : {Case{"dcgan_test_model", dcgan_test_model(), {1, 28, 28}},
                        Case{"norm_pad_test_model", norm_pad_test_model(), {3, 5, 6}}}) {
            const Model model = (smooth ? smoothed(c.file) : c.file).load();
            for (int64_t n : {1, 3}) {
                const Inputs inputs{{"z", normal_latents(5, 0, n, 16)}};
                std::vector<int64_t> shape{n};
                shape.insert(shape.end(), c.output.begin(), c.output.end());
                const Tensor w = random_tensor(shape, 32);
                const RunGradients g = model.run_backward("G", inputs, w);
                CHECK(g.output.data == model.run("G", inputs).data);
                const std::string label = std::string(c.label) + (smooth ? " (elu)" : "") + " N" + std::to_string(n);
                const double error = fd_error(model, "G", inputs, "z", g.inputs.at("z"), w, smooth ? 0x1p-5 : 0x1p-10);
                CHECK(report(label, error) < (smooth ? kTolerance : 1e-2));
            }
        }
    }
}

TEST_CASE("conditional nets: z and class weights take gradients, class indices and categorical codes none") {
    const ModelFile cgan = cgan_test_model();
    const Model model = cgan.load();
    const Tensor z = normal_latents(7, 0, 2, 16), w = random_tensor({2, 1, 28, 28}, 34);
    // Class indices: discrete, no gradient for them.
    Tensor labels({2, 1}, {3.0f, 8.0f});
    RunGradients g = model.run_backward("G", {{"z", z}, {"label", labels}}, w);
    CHECK(g.inputs.count("label") == 0);
    CHECK(report("cgan_test_model z (labels)", fd_error(model, "G", {{"z", z}, {"label", labels}}, "z", g.inputs.at("z"), w)) <
          kTolerance);

    // Class weights: every row must stay a mixture, so FD moves weight between two classes:
    // the derivative along e_j - e_k is g_j - g_k.
    Tensor mix = Tensor::zeros({2, 10});
    for (int64_t j = 0; j < 10; ++j) mix.data[j] = 0.1f;
    for (int64_t j = 0; j < 10; ++j) mix.data[10 + j] = j == 2 || j == 5 ? 0.3f : 0.05f;
    const Inputs inputs{{"z", z}, {"label", mix}};
    g = model.run_backward("G", inputs, w);
    REQUIRE(g.inputs.at("label").shape == std::vector<int64_t>{2, 10});
    const Tensor& gl = g.inputs.at("label");
    double worst = 0.0, scale = 0.0;
    for (size_t s = 0; s < 2; ++s)
        for (size_t j = 0; j < 10; ++j) {
            const size_t k = (j + 1) % 10;
            const double fd = fd_along(model, "G", inputs, "label", {{s * 10 + j, 1.0f}, {s * 10 + k, -1.0f}}, w, 0x1p-7);
            worst = std::max(worst, std::abs(fd - (gl.data[s * 10 + j] - gl.data[s * 10 + k])));
            scale = std::max(scale, std::abs(fd));
        }
    CHECK(report("cgan_test_model class weights (pairs)", worst / scale) < kTolerance);
    CHECK(report("cgan_test_model z (class weights)", fd_error(model, "G", inputs, "z", g.inputs.at("z"), w)) < kTolerance);

    // InfoGAN-shaped: c_cont takes one, the categorical c_cat none.
    const ModelFile info = infogan_test_model();
    const Model coded = info.load();
    const Inputs codes{{"z", z}, {"c_cat", Tensor({2, 1}, {4.0f, 0.0f})}, {"c_cont", Tensor({2, 2}, {0.3f, -0.6f, 0.9f, 0.1f})}};
    g = coded.run_backward("G", codes, w);
    CHECK(g.inputs.count("c_cat") == 0);
    CHECK(report("infogan_test_model c_cont", fd_error(coded, "G", codes, "c_cont", g.inputs.at("c_cont"), w)) < kTolerance);
    CHECK(report("infogan_test_model z", fd_error(coded, "G", codes, "z", g.inputs.at("z"), w)) < kTolerance);
}

TEST_CASE("generate_backward: generate()'s inputs and output, dz through truncation, dL/dy from the output, codes by name") {
    const ModelFile m = smoothed(dcgan_test_model());  // for the FD below
    const Model model = m.load();
    GenerateRequest req;
    req.seed = 9;
    req.count = 2;
    req.truncation = 0.6f;
    const Tensor w = random_tensor({2, 1, 28, 28}, 35);
    const GenerateGradients g = model.generate_backward(req, w);
    CHECK(g.output.data == model.generate(req).data);
    CHECK(g.label_weights.data.empty());
    CHECK(g.codes.empty());
    // The net saw 0.6 z: its gradient with respect to what it saw, times 0.6.
    Tensor scaled = normal_latents(9, 0, 2, 16);
    for (float& v : scaled.data) v *= 0.6f;
    const Tensor seen = model.run_backward("G", {{"z", scaled}}, w).inputs.at("z");
    REQUIRE(g.z.shape == seen.shape);
    double worst = 0.0;
    for (size_t i = 0; i < seen.data.size(); ++i) worst = std::max(worst, double(std::abs(g.z.data[i] - 0.6f * seen.data[i])));
    CHECK(worst == 0.0);
    // And FD through generate() itself, on a given z.
    req.z = normal_latents(9, 0, 2, 16);
    const GenerateGradients given = model.generate_backward(req, w);
    double fd_worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < 32; ++i) {
        auto at = [&](double step) {
            GenerateRequest r = req;
            r.z->data[i] = static_cast<float>(req.z->data[i] + step);
            const Tensor y = model.generate(r);
            double sum = 0.0;
            for (size_t k = 0; k < y.data.size(); ++k) sum += double(w.data[k]) * y.data[k];
            return sum;
        };
        const double h = 0x1p-5, fd = (4 * (at(h / 2) - at(-h / 2)) / h - (at(h) - at(-h)) / (2 * h)) / 3;
        fd_worst = std::max(fd_worst, std::abs(fd - given.z.data[i]));
        scale = std::max(scale, std::abs(fd));
    }
    CHECK(report("generate_backward dz, truncation 0.6", fd_worst / scale) < kTolerance);

    // dL/d(output) from the output itself, L = |G(z) - target|²: as computing it from a
    // generate() first.
    const Tensor target = random_tensor({2, 1, 28, 28}, 38);
    Tensor seen_output;
    const GenerateGradients from_output = model.generate_backward(req, [&](const Tensor& y) {
        seen_output = y;
        Tensor dy = y;
        for (size_t k = 0; k < y.data.size(); ++k) dy.data[k] = 2 * (y.data[k] - target.data[k]);
        return dy;
    });
    CHECK(seen_output.data == model.generate(req).data);
    Tensor dy = model.generate(req);
    for (size_t k = 0; k < dy.data.size(); ++k) dy.data[k] = 2 * (dy.data[k] - target.data[k]);
    CHECK(from_output.z.data == model.generate_backward(req, dy).z.data);
    CHECK_THROWS_WITH(model.generate_backward(req, [](const Tensor& y) { return Tensor({y.dim(0), 784}, y.data); }),
                      Contains("generate_backward: net 'G': the output gradient has shape [2, 784]"));

    // InfoGAN-shaped: c_cont by name (given for all samples: one row per sample back), c_cat none.
    const Model coded = infogan_test_model().load();
    GenerateRequest c;
    c.seed = 3;
    c.count = 2;
    c.codes = {{"c_cat", {7.0f}}, {"c_cont", {0.5f, -0.25f}}};
    const GenerateGradients cg = coded.generate_backward(c, w);
    CHECK(cg.codes.size() == 1);
    CHECK(cg.codes.at("c_cont").shape == std::vector<int64_t>{2, 2});
    CHECK(cg.z.shape == std::vector<int64_t>{2, 16});

    // cGAN: label weights take one, labels none.
    const Model cgan = cgan_test_model().load();
    GenerateRequest l;
    l.count = 2;
    l.labels = {4};
    CHECK(cgan.generate_backward(l, w).label_weights.data.empty());
    l.labels = {};
    l.label_weights = std::vector<float>(10, 0.1f);
    CHECK(cgan.generate_backward(l, w).label_weights.shape == std::vector<int64_t>{2, 10});

    // CycleGAN-shaped: the image input by name.
    ModelFile t;
    t.doc = base_document({1, 4, 4}, {{"image", {{"shape", {1, 4, 4}}, {"domains", {{"A", "a"}, {"B", "b"}}}}}});
    t.doc["nets"]["G_AB"] = {{"inputs", {"image"}}, {"ops", {{{"op", "scale"}, {"factor", -0.5}}}}};
    GenerateRequest i;
    i.count = 2;
    i.codes = {{"image", random_values(16, 36)}};
    const GenerateGradients ig = t.load().generate_backward(i, random_tensor({2, 1, 4, 4}, 37));
    REQUIRE(ig.codes.count("image"));
    CHECK(ig.codes.at("image").data[5] == Approx(-0.5 * random_values(32, 37)[5]));
    CHECK(ig.z.data.empty());
}

TEST_CASE("run_backward and generate_backward refuse what run and generate refuse, and a gradient of another shape") {
    const Model model = dcgan_test_model().load();
    const Inputs inputs{{"z", normal_latents(1, 0, 2, 16)}};
    CHECK_THROWS_WITH(model.run_backward("G", inputs, Tensor::zeros({3, 1, 28, 28})),
                      Contains("run_backward: net 'G': the output gradient has shape [3, 1, 28, 28]") &&
                          Contains("expected the output's [2, 1, 28, 28]"));
    CHECK_THROWS_WITH(model.run_backward("G", inputs, Tensor({2, 1, 28, 28}, {1.0f})),
                      Contains("the output gradient has shape [2, 1, 28, 28] (1 values)"));
    CHECK_THROWS_WITH(model.run_backward("D", inputs, Tensor::zeros({2, 1, 28, 28})),
                      Contains("run_backward: model has no net 'D' (nets: G)"));
    CHECK_THROWS_WITH(model.run_backward("G", {{"z", Tensor::zeros({2, 15})}}, Tensor::zeros({2, 1, 28, 28})),
                      Contains("run_backward: net 'G': input 'z' has shape [2, 15]"));
    CHECK_THROWS_WITH(model.run_backward("G", {}, Tensor::zeros({2, 1, 28, 28})),
                      Contains("run_backward: net 'G' needs input 'z'"));

    GenerateRequest req;
    req.count = 2;
    CHECK_THROWS_WITH(model.generate_backward(req, Tensor::zeros({2, 28, 28})),
                      Contains("generate_backward: net 'G': the output gradient has shape [2, 28, 28]"));
    req.net = "G_AB";
    CHECK_THROWS_WITH(model.generate_backward(req, Tensor::zeros({2, 1, 28, 28})),
                      Contains("generate_backward: model has no net 'G_AB' (nets: G)"));
    req.net = "";
    req.truncation = 3.0f;
    CHECK_THROWS_WITH(model.generate_backward(req, Tensor::zeros({2, 1, 28, 28})),
                      Contains("generate_backward: truncation must be in 0..2"));
    req.truncation = 1.0f;
    req.labels = {1};
    CHECK_THROWS_WITH(model.generate_backward(req, Tensor::zeros({2, 1, 28, 28})),
                      Contains("generate_backward: net 'G' takes no label"));
    const Model cgan = cgan_test_model().load();
    req.labels = {};
    CHECK_THROWS_WITH(cgan.generate_backward(req, Tensor::zeros({2, 1, 28, 28})),
                      Contains("generate_backward: net 'G' of model 'test-model' needs input 'label'"));
}

TEST_CASE("the recording run keeps its values within the activation limit, checked before allocating") {
    // The DCGAN-shaped net: its largest activation (with the last conv_transpose2d's workspace)
    // is 4704 values per sample, and the backward keeps both relus' and the tanh's outputs, 1960.
    LoadLimits limits;
    limits.max_activation_elements = 10000;
    const Model model = dcgan_test_model().load(limits);
    const Inputs inputs{{"z", normal_latents(1, 0, 2, 16)}};
    CHECK_NOTHROW(model.run("G", inputs));
    CHECK_THROWS_WITH(model.run_backward("G", inputs, Tensor::zeros({2, 1, 28, 28})),
                      Contains("net 'G': a backward of 2 samples keeps 3920 values for the reverse pass besides 9408") &&
                          Contains("over the limit of 10000"));
    CHECK_NOTHROW(model.run_backward("G", {{"z", normal_latents(1, 0, 1, 16)}}, Tensor::zeros({1, 1, 28, 28})));
}

TEST_CASE("projection: gradient descent on z through generate_backward brings G(z) to a generated target") {
    const Model model = dcgan_test_model().load();
    GenerateRequest req;
    req.z = normal_latents(11, 0, 1, 16);
    const Tensor target = model.generate(req);
    req.z = normal_latents(12, 0, 1, 16);
    auto squared_error = [&](const Tensor& y) {
        double sum = 0.0;
        for (size_t i = 0; i < y.data.size(); ++i) sum += (double(y.data[i]) - target.data[i]) * (y.data[i] - target.data[i]);
        return sum;
    };
    const double first = squared_error(model.generate(req));
    double last = first;
    for (int step = 0; step < 200; ++step) {
        const GenerateGradients g = model.generate_backward(req, [&](const Tensor& y) {
            Tensor dy = y;
            for (size_t i = 0; i < y.data.size(); ++i) dy.data[i] = 2 * (y.data[i] - target.data[i]);
            return dy;
        });
        last = squared_error(g.output);
        for (size_t i = 0; i < g.z.data.size(); ++i) req.z->data[i] -= 0.1f * g.z.data[i];
    }
    std::printf("projection: |G(z) - target|² from %.3g to %.3g in 200 steps\n", first, last);
    CHECK(last < 0.05 * first);
}
