// Every op, run through the core (one-op nets) and compared with the naive loops in
// reference_ops.hpp; each comparison prints its max |difference|.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "ganzoo/error.hpp"
#include "reference_ops.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using namespace ganzoo::testing;
namespace ref = ganzoo::reference;
using Catch::Matchers::Contains;

namespace {

constexpr double kTolerance = 1e-5;  // float GEMM vs double loops, values of order 1

std::vector<int64_t> per_sample(const Tensor& t) {
    return {t.shape.begin() + 1, t.shape.end()};
}

Tensor run_one(ModelFile& m, std::vector<Tensor> inputs) {
    std::map<std::string, Tensor> named;
    for (size_t i = 0; i < inputs.size(); ++i) named[std::string(1, static_cast<char>('x' + i))] = inputs[i];
    return m.load().run("net", named);
}

Tensor run_op(const json& op, const std::vector<Tensor>& inputs, ModelFile m = {}) {
    std::vector<std::vector<int64_t>> shapes;
    for (const Tensor& t : inputs) shapes.push_back(per_sample(t));
    ModelFile built = single_op_model(op, shapes);
    built.tensors = m.tensors;
    return run_one(built, inputs);
}

struct ConvCase {
    const char* label;
    int64_t n, c, h, w, out, kh, kw, sh, sw, ph, pw, oph = 0, opw = 0;
    bool bias = true;
};

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

json pair(int64_t a, int64_t b) {
    return a == b ? json(a) : json::array({a, b});
}

}  // namespace

TEST_CASE("linear matches the reference") {
    for (int64_t n : {1, 3}) {
        for (bool bias : {true, false}) {
            ModelFile m;
            const auto& w = m.add_random("w", {5, 7}, 1, 1.0f);
            const std::vector<float> b = bias ? m.add_random("b", {5}, 2, 1.0f) : std::vector<float>{};
            json op = {{"op", "linear"}, {"weight", "w"}};
            if (bias) op["bias"] = "b";
            const Tensor x = random_tensor({n, 7}, 3);
            const std::string label = "linear 7->5 N" + std::to_string(n) + (bias ? " bias" : "");
            CHECK(ref::report(label.c_str(), run_op(op, {x}, m), ref::linear(x, w, b, 5)) < kTolerance);
        }
    }
}

// The GEMM path of shared/src/op_linear.cpp: 4-sample blocks (kernel_4x8), the last N mod 4
// samples one at a time (kernel_1x32 over four whole tiles, then kernel_1x8), and a last tile
// narrower than 8 outputs.
TEST_CASE("linear matches the reference on every kernel path (tiles, tails, batches)") {
    struct Case {
        int64_t n, in, out;
    };
    const Case cases[] = {{1, 100, 64}, {1, 37, 45}, {2, 9, 8},   {4, 13, 33}, {5, 100, 40},
                          {7, 3, 1},    {9, 64, 71}, {64, 100, 96}, {3, 1, 17}};
    for (const Case& k : cases)
        for (bool bias : {true, false}) {
            ModelFile m;
            const auto& w = m.add_random("w", {k.out, k.in}, 11, 1.0f);
            const std::vector<float> b = bias ? m.add_random("b", {k.out}, 12, 1.0f) : std::vector<float>{};
            json op = {{"op", "linear"}, {"weight", "w"}};
            if (bias) op["bias"] = "b";
            const Tensor x = random_tensor({k.n, k.in}, 13);
            const std::string label = "linear " + std::to_string(k.in) + "->" + std::to_string(k.out) + " N" +
                                      std::to_string(k.n) + (bias ? " bias" : "");
            CHECK(ref::report(label.c_str(), run_op(op, {x}, m), ref::linear(x, w, b, k.out)) < kTolerance);
        }
}

TEST_CASE("conv2d matches the reference (strides, paddings, batches, non-square kernels)") {
    const ConvCase cases[] = {
        {"conv2d 3x3 s1 p0 N1", 1, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0},
        {"conv2d 3x3 s1 p1 N3", 3, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1},
        {"conv2d 4x4 s2 p1 N1 (DCGAN D)", 1, 2, 8, 8, 5, 4, 4, 2, 2, 1, 1},
        {"conv2d 4x4 s2 p1 N3", 3, 2, 9, 8, 5, 4, 4, 2, 2, 1, 1, 0, 0, false},
        {"conv2d 3x2 s[2,1] p[1,0] N3", 3, 2, 7, 5, 3, 3, 2, 2, 1, 1, 0},
        {"conv2d 1x1 s1 p0 N3", 3, 4, 5, 5, 2, 1, 1, 1, 1, 0, 0},
        {"conv2d 5x5 s3 p2 N2", 2, 1, 11, 10, 2, 5, 5, 3, 3, 2, 2},
        // Several 256-column panels of the GEMM, split inside a sample; O not a multiple of 4.
        {"conv2d 3x3 s1 p1 N3 20x19 (panels)", 3, 3, 20, 19, 6, 3, 3, 1, 1, 1, 1},
        {"conv2d 4x4 s2 p1 N5 16x16 (panels)", 5, 2, 16, 16, 9, 4, 4, 2, 2, 1, 1, 0, 0, false},
    };
    for (const ConvCase& k : cases) {
        ModelFile m;
        const auto& w = m.add_random("w", {k.out, k.c, k.kh, k.kw}, 4, 0.5f);
        const std::vector<float> b = k.bias ? m.add_random("b", {k.out}, 5, 1.0f) : std::vector<float>{};
        json op = {
            {"op", "conv2d"}, {"weight", "w"}, {"stride", pair(k.sh, k.sw)}, {"padding", pair(k.ph, k.pw)}};
        if (k.bias) op["bias"] = "b";
        const Tensor x = random_tensor({k.n, k.c, k.h, k.w}, 6);
        const Tensor expected = ref::conv2d(x, w, b, k.out, {k.kh, k.kw, k.sh, k.sw, k.ph, k.pw});
        CHECK(ref::report(k.label, run_op(op, {x}, m), expected) < kTolerance);
    }
}

TEST_CASE("conv_transpose2d matches the reference (strides, paddings, output_padding, batches)") {
    const ConvCase cases[] = {
        {"conv_transpose2d 4x4 s2 p1 N1 (DCGAN G)", 1, 3, 7, 7, 2, 4, 4, 2, 2, 1, 1},
        {"conv_transpose2d 4x4 s2 p1 N3", 3, 3, 7, 7, 2, 4, 4, 2, 2, 1, 1, 0, 0, false},
        {"conv_transpose2d 3x3 s2 p1 op1 N3", 3, 2, 5, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1},
        {"conv_transpose2d 3x3 s1 p0 N1", 1, 2, 4, 5, 3, 3, 3, 1, 1, 0, 0},
        {"conv_transpose2d 3x3 s1 p1 N3", 3, 2, 4, 5, 3, 3, 3, 1, 1, 1, 1},
        {"conv_transpose2d 4x4 s1 p0 N3 (1x1 -> 4x4)", 3, 6, 1, 1, 4, 4, 4, 1, 1, 0, 0},
        {"conv_transpose2d 3x2 s[2,1] p[1,0] op[1,0] N3", 3, 2, 4, 5, 3, 3, 2, 2, 1, 1, 0, 1, 0},
        {"conv_transpose2d 5x5 s3 p2 op2 N2", 2, 2, 3, 4, 2, 5, 5, 3, 3, 2, 2, 2, 2},
        // Rows wide enough for col2im's vector paths (stride 2: taps in pairs; stride 1).
        {"conv_transpose2d 4x4 s2 p1 N2 14x14 (DCGAN G, 2nd)", 2, 3, 14, 14, 2, 4, 4, 2, 2, 1, 1},
        {"conv_transpose2d 3x3 s2 p1 op1 N2 9x13", 2, 2, 9, 13, 3, 3, 3, 2, 2, 1, 1, 1, 1},
        {"conv_transpose2d 5x4 s2 p[2,0] N1 6x11", 1, 2, 6, 11, 2, 5, 4, 2, 2, 2, 0, 0, 0, false},
        {"conv_transpose2d 3x3 s1 p1 N2 5x13", 2, 2, 5, 13, 3, 3, 3, 1, 1, 1, 1},
    };
    for (const ConvCase& k : cases) {
        ModelFile m;
        const auto& w = m.add_random("w", {k.c, k.out, k.kh, k.kw}, 7, 0.5f);
        const std::vector<float> b = k.bias ? m.add_random("b", {k.out}, 8, 1.0f) : std::vector<float>{};
        json op = {{"op", "conv_transpose2d"},
                   {"weight", "w"},
                   {"stride", pair(k.sh, k.sw)},
                   {"padding", pair(k.ph, k.pw)},
                   {"output_padding", pair(k.oph, k.opw)}};
        if (k.bias) op["bias"] = "b";
        const Tensor x = random_tensor({k.n, k.c, k.h, k.w}, 9);
        const Tensor expected =
            ref::conv_transpose2d(x, w, b, k.out, {k.kh, k.kw, k.sh, k.sw, k.ph, k.pw, k.oph, k.opw});
        CHECK(ref::report(k.label, run_op(op, {x}, m), expected) < kTolerance);
    }
}

TEST_CASE("batch_norm matches the reference on [N, C] and [N, C, H, W]") {
    for (const std::vector<int64_t>& shape :
         {std::vector<int64_t>{3, 5}, std::vector<int64_t>{3, 5, 4, 3}, std::vector<int64_t>{1, 5, 2, 2}}) {
        ModelFile m;
        const auto& scale = m.add_random("s", {5}, 10, 2.0f);
        const auto& shift = m.add_random("t", {5}, 11, 1.0f);
        const Tensor x = random_tensor(shape, 12, 3.0f);
        const std::string label =
            "batch_norm " + std::to_string(shape.size()) + "-D N" + std::to_string(shape[0]);
        CHECK(ref::report(label.c_str(),
                          run_op({{"op", "batch_norm"}, {"scale", "s"}, {"shift", "t"}}, {x}, m),
                          ref::batch_norm(x, scale, shift)) < kTolerance);
    }
}

TEST_CASE("elementwise ops match the reference") {
    const Tensor x = random_tensor({3, 2, 5, 7}, 13, 6.0f);  // covers the saturated ranges of tanh/sigmoid
    const float slope = 0.2f, alpha = 0.7f, factor = -1.5f;
    CHECK(ref::report("relu", run_op({{"op", "relu"}}, {x}),
                      ref::map(x, [](double v) { return v > 0 ? v : 0; })) == 0);
    CHECK(ref::report("leaky_relu 0.2", run_op({{"op", "leaky_relu"}, {"slope", slope}}, {x}),
                      ref::map(x, [&](double v) { return v >= 0 ? v : double(slope * float(v)); })) == 0);
    CHECK(ref::report("leaky_relu default 0.01", run_op({{"op", "leaky_relu"}}, {x}),
                      ref::map(x, [](double v) { return v >= 0 ? v : double(0.01f * float(v)); })) == 0);
    CHECK(ref::report("elu 0.7", run_op({{"op", "elu"}, {"alpha", alpha}}, {x}),
                      ref::map(x, [&](double v) { return v > 0 ? v : alpha * std::expm1(v); })) < 1e-6);
    CHECK(ref::report("tanh", run_op({{"op", "tanh"}}, {x}),
                      ref::map(x, [](double v) { return std::tanh(v); })) < 1e-6);
    CHECK(ref::report("sigmoid", run_op({{"op", "sigmoid"}}, {x}),
                      ref::map(x, [](double v) { return 1 / (1 + std::exp(-v)); })) < 1e-6);
    CHECK(ref::report("scale -1.5", run_op({{"op", "scale"}, {"factor", factor}}, {x}),
                      ref::map(x, [&](double v) { return v * factor; })) == 0);
}

TEST_CASE("add, concat, reshape and one_hot match the reference") {
    const Tensor a = random_tensor({3, 2, 4, 4}, 14), b = random_tensor({3, 2, 4, 4}, 15);
    Tensor sum = a;
    for (size_t i = 0; i < sum.data.size(); ++i) sum.data[i] += b.data[i];
    CHECK(ref::report("add", run_op({{"op", "add"}}, {a, b}), sum) == 0);
    // The same value twice (must not be consumed by the first read).
    ModelFile twice = single_op_model({{"op", "add"}, {"in", {"x", "x"}}}, {{2, 4, 4}});
    Tensor doubled = ref::map(a, [](double v) { return 2 * v; });
    CHECK(ref::report("add x + x", run_one(twice, {a}), doubled) == 0);

    // concat on channels and on rows.
    const Tensor c = random_tensor({3, 1, 4, 4}, 16);
    Tensor by_channel = Tensor::zeros({3, 3, 4, 4});
    for (int64_t n = 0; n < 3; ++n)
        for (int64_t p = 0; p < 48; ++p)
            by_channel.data[n * 48 + p] = p < 32 ? a.data[n * 32 + p] : c.data[n * 16 + p - 32];
    CHECK(ref::report("concat axis 1", run_op({{"op", "concat"}}, {a, c}), by_channel) == 0);
    const Tensor d = random_tensor({3, 2, 1, 4}, 17);
    Tensor by_row = Tensor::zeros({3, 2, 5, 4});
    for (int64_t n = 0; n < 3; ++n)
        for (int64_t ch = 0; ch < 2; ++ch)
            for (int64_t y = 0; y < 5; ++y)
                for (int64_t x = 0; x < 4; ++x)
                    by_row.data[((n * 2 + ch) * 5 + y) * 4 + x] =
                        y < 4 ? a.data[((n * 2 + ch) * 4 + y) * 4 + x] : d.data[(n * 2 + ch) * 4 + x];
    CHECK(ref::report("concat axis 2", run_op({{"op", "concat"}, {"axis", 2}}, {a, d}), by_row) == 0);

    Tensor reshaped = a;
    reshaped.shape = {3, 32};
    CHECK(ref::report("reshape", run_op({{"op", "reshape"}, {"shape", {32}}}, {a}), reshaped) == 0);
    CHECK(ref::report("reshape [-1] (flatten)", run_op({{"op", "reshape"}, {"shape", {-1}}}, {a}), reshaped) == 0);
    reshaped.shape = {3, 2, 16};
    CHECK(ref::report("reshape [2, -1]", run_op({{"op", "reshape"}, {"shape", {2, -1}}}, {a}), reshaped) == 0);

    const Tensor labels({3, 1}, {2, 0, 3});
    const Tensor expected({3, 4}, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1});
    CHECK(ref::report("one_hot", run_op({{"op", "one_hot"}, {"classes", 4}}, {labels}), expected) == 0);
}

TEST_CASE("upsample_nearest repeats each pixel scale_h x scale_w times") {
    const Tensor x = random_tensor({2, 3, 4, 5}, 18);
    for (const auto& [sh, sw] : {std::pair<int64_t, int64_t>{2, 2}, {1, 3}, {3, 2}}) {
        Tensor expected = Tensor::zeros({2, 3, 4 * sh, 5 * sw});
        for (int64_t p = 0; p < 6; ++p)
            for (int64_t y = 0; y < 4 * sh; ++y)
                for (int64_t c = 0; c < 5 * sw; ++c)
                    expected.data[(p * 4 * sh + y) * 5 * sw + c] = x.data[(p * 4 + y / sh) * 5 + c / sw];
        const std::string label = "upsample_nearest " + std::to_string(sh) + "x" + std::to_string(sw);
        CHECK(ref::report(label.c_str(), run_op({{"op", "upsample_nearest"}, {"scale", {sh, sw}}}, {x}), expected) == 0);
    }
    // The default factor is 2.
    CHECK(run_op({{"op", "upsample_nearest"}}, {x}).shape == std::vector<int64_t>{2, 3, 8, 10});
    CHECK_THROWS_WITH(single_op_model({{"op", "upsample_nearest"}, {"scale", 0}}, {{3, 4, 5}}).load(),
                      Contains("op 0 (upsample_nearest)") && Contains("scale"));
    CHECK_THROWS_WITH(single_op_model({{"op", "upsample_nearest"}}, {{12}}).load(), Contains("expected [C, H, W]"));
}

TEST_CASE("one_hot refuses an index outside [0, classes) at run time, naming the op") {
    CHECK_THROWS_WITH(run_op({{"op", "one_hot"}, {"classes", 4}}, {Tensor({2, 1}, {1, 4})}),
                      Contains("op 0 (one_hot)") && Contains("sample 1"));
    CHECK_THROWS_WITH(run_op({{"op", "one_hot"}, {"classes", 4}}, {Tensor({1, 1}, {1.5f})}),
                      Contains("not an integer"));
}

TEST_CASE("pixel_norm matches the reference and gives unit mean square over channels") {
    struct Case {
        std::vector<int64_t> shape;
        double eps;
    };
    const Case cases[] = {{{3, 5, 4, 7}, 1e-8}, {{1, 1, 3, 3}, 1e-8}, {{2, 6}, 1e-8}, {{3, 4, 3, 5}, 0.5}};
    for (const Case& k : cases) {
        const Tensor x = random_tensor(k.shape, 19, 3.0f);
        json op = {{"op", "pixel_norm"}};
        if (k.eps != 1e-8) op["eps"] = k.eps;
        const Tensor y = run_op(op, {x});
        const std::string label = "pixel_norm " + std::to_string(k.shape.size()) + "-D N" +
                                  std::to_string(k.shape[0]) + " C" + std::to_string(k.shape[1]) +
                                  " eps " + number(k.eps);
        CHECK(ref::report(label.c_str(), y, ref::pixel_norm(x, k.eps)) < 1e-6);
        if (k.eps > 1e-3) continue;
        // Per sample and pixel: mean over channels of y² is 1 (x is never ~0 on all channels).
        const int64_t n = k.shape[0], c = k.shape[1], plane = x.numel() / (n * c);
        double worst = 0;
        for (int64_t s = 0; s < n; ++s)
            for (int64_t p = 0; p < plane; ++p) {
                double squares = 0;
                for (int64_t ch = 0; ch < c; ++ch) squares += std::pow(double(y.data[(s * c + ch) * plane + p]), 2);
                worst = std::max(worst, std::fabs(squares / double(c) - 1.0));
            }
        std::printf("%-48s max |mean y² - 1| = %.3g\n", label.c_str(), worst);
        CHECK(worst < 1e-5);
    }
}

TEST_CASE("instance_norm matches the reference (affine or not, eps, batches, non-square)") {
    struct Case {
        std::vector<int64_t> shape;
        bool affine;
        double eps;
        float offset;  // added to every value: large means test the statistics' precision
    };
    const Case cases[] = {{{3, 4, 5, 7}, true, 1e-5, 0.0f},   {{3, 4, 5, 7}, false, 1e-5, 0.0f},
                          {{1, 2, 1, 9}, true, 0.25, 0.0f},   {{2, 3, 6, 6}, false, 1e-5, 1000.0f},
                          {{2, 3, 17, 13}, true, 1e-5, -300.0f}};
    for (const Case& k : cases) {
        ModelFile m;
        const int64_t c = k.shape[1];
        const std::vector<float> w = k.affine ? m.add_random("w", {c}, 20, 2.0f) : std::vector<float>{};
        const std::vector<float> b = k.affine ? m.add_random("b", {c}, 21, 1.0f) : std::vector<float>{};
        Tensor x = random_tensor(k.shape, 22, 2.0f);
        for (float& v : x.data) v += k.offset;
        json op = {{"op", "instance_norm"}};
        if (k.affine) op.update({{"weight", "w"}, {"bias", "b"}});
        if (k.eps != 1e-5) op["eps"] = k.eps;
        const Tensor y = run_op(op, {x}, m);
        const std::string label = "instance_norm [" + std::to_string(k.shape[0]) + ", " + std::to_string(c) + ", " +
                                  std::to_string(k.shape[2]) + ", " + std::to_string(k.shape[3]) + "]" +
                                  (k.affine ? " affine" : "") + " eps " + number(k.eps) +
                                  (k.offset != 0 ? " offset " + number(k.offset) : "");
        CHECK(ref::report(label.c_str(), y, ref::instance_norm(x, w, b, k.eps)) < 1e-5);
        if (k.affine) continue;
        // Without the affine: each (sample, channel) plane has mean 0 and variance σ²/(σ²+eps) ≈ 1.
        const int64_t planes = k.shape[0] * c, plane = k.shape[2] * k.shape[3];
        double worst_mean = 0, worst_var = 0;
        for (int64_t q = 0; q < planes; ++q) {
            double mean = 0, var = 0;
            for (int64_t i = 0; i < plane; ++i) mean += y.data[q * plane + i];
            mean /= double(plane);
            for (int64_t i = 0; i < plane; ++i) var += std::pow(y.data[q * plane + i] - mean, 2);
            worst_mean = std::max(worst_mean, std::fabs(mean));
            worst_var = std::max(worst_var, std::fabs(var / double(plane) - 1.0));
        }
        std::printf("%-48s max |mean| = %.3g, max |var - 1| = %.3g\n", label.c_str(), worst_mean, worst_var);
        CHECK(worst_mean < 1e-5);
        CHECK(worst_var < 1e-3);  // eps 1e-5 over variances of about 1.3
    }
}

TEST_CASE("reflection_pad2d mirrors without repeating the edge (written-out 3x3 cases)") {
    // Two samples, two channels: plane p holds 1..9 + 10p, row-major.
    Tensor x = Tensor::zeros({2, 2, 3, 3});
    for (int64_t i = 0; i < x.numel(); ++i) x.data[i] = float(i % 9 + 1 + 10 * (i / 9));
    auto planes_of = [](std::vector<int64_t> shape, const std::vector<float>& first) {
        Tensor t = Tensor::zeros(std::move(shape));
        const int64_t size = static_cast<int64_t>(first.size());
        for (int64_t i = 0; i < t.numel(); ++i) t.data[i] = first[i % size] + float(10 * (i / size));
        return t;
    };
    const Tensor pad1 = planes_of({2, 2, 5, 5}, {5, 4, 5, 6, 5,  //
                                                 2, 1, 2, 3, 2,  //
                                                 5, 4, 5, 6, 5,  //
                                                 8, 7, 8, 9, 8,  //
                                                 5, 4, 5, 6, 5});
    CHECK(ref::report("reflection_pad2d 3x3 padding 1", run_op({{"op", "reflection_pad2d"}, {"padding", 1}}, {x}),
                      pad1) == 0);
    const Tensor pad2 = planes_of({2, 2, 7, 7}, {9, 8, 7, 8, 9, 8, 7,  //
                                                 6, 5, 4, 5, 6, 5, 4,  //
                                                 3, 2, 1, 2, 3, 2, 1,  //
                                                 6, 5, 4, 5, 6, 5, 4,  //
                                                 9, 8, 7, 8, 9, 8, 7,  //
                                                 6, 5, 4, 5, 6, 5, 4,  //
                                                 3, 2, 1, 2, 3, 2, 1});
    CHECK(ref::report("reflection_pad2d 3x3 padding 2", run_op({{"op", "reflection_pad2d"}, {"padding", 2}}, {x}),
                      pad2) == 0);
    const Tensor pad02 = planes_of({2, 2, 3, 7}, {3, 2, 1, 2, 3, 2, 1,  //
                                                  6, 5, 4, 5, 6, 5, 4,  //
                                                  9, 8, 7, 8, 9, 8, 7});
    CHECK(ref::report("reflection_pad2d 3x3 padding [0, 2]",
                      run_op({{"op", "reflection_pad2d"}, {"padding", {0, 2}}}, {x}), pad02) == 0);
    const Tensor pad10 = planes_of({2, 2, 5, 3}, {4, 5, 6,  //
                                                  1, 2, 3,  //
                                                  4, 5, 6,  //
                                                  7, 8, 9,  //
                                                  4, 5, 6});
    CHECK(ref::report("reflection_pad2d 3x3 padding [1, 0]",
                      run_op({{"op", "reflection_pad2d"}, {"padding", {1, 0}}}, {x}), pad10) == 0);
}

TEST_CASE("reflection_pad2d matches the reference (batches, non-square, padding up to dim - 1)") {
    struct Case {
        std::vector<int64_t> shape;
        int64_t ph, pw;
    };
    const Case cases[] = {{{3, 2, 5, 6}, 2, 3}, {{2, 3, 4, 4}, 3, 3}, {{1, 1, 2, 9}, 1, 8}, {{2, 2, 7, 3}, 0, 0},
                          {{3, 4, 16, 16}, 3, 3}};
    for (const Case& k : cases) {
        const Tensor x = random_tensor(k.shape, 23);
        const std::string label = "reflection_pad2d [" + std::to_string(k.shape[2]) + ", " +
                                  std::to_string(k.shape[3]) + "] N" + std::to_string(k.shape[0]) + " padding [" +
                                  std::to_string(k.ph) + ", " + std::to_string(k.pw) + "]";
        CHECK(ref::report(label.c_str(), run_op({{"op", "reflection_pad2d"}, {"padding", pair(k.ph, k.pw)}}, {x}),
                          ref::reflection_pad2d(x, k.ph, k.pw)) == 0);
    }
}
