// Small ganzoo model files built in memory for the core's tests: a DCGAN-shaped generator with
// random weights, a conditional one, and single-op models. Also used by ganzoo_make_test_model.
#pragma once

#include <cmath>
#include <cstring>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "ganzoo/safetensors.hpp"
#include "reference_ops.hpp"

namespace ganzoo::testing {

using nlohmann::json;

// Uniform values in [-scale, scale], from a fixed-seed engine (std::mt19937 is fully specified).
inline std::vector<float> random_values(int64_t count, uint32_t seed, float scale = 1.0f) {
    std::mt19937 engine(seed);
    std::vector<float> v(static_cast<size_t>(count));
    for (float& x : v) x = scale * (static_cast<float>(engine() >> 8) / 8388608.0f - 1.0f);
    return v;
}

inline Tensor random_tensor(std::vector<int64_t> shape, uint32_t seed, float scale = 1.0f) {
    Tensor t;
    t.shape = std::move(shape);
    t.data = random_values(t.numel(), seed, scale);
    return t;
}

// A model document + its tensors, serialized on demand (tests mutate `doc` to break it).
struct ModelFile {
    json doc;
    std::vector<TensorToWrite> tensors;

    // Returns a copy of the values (a reference would dangle once the next tensor is added).
    std::vector<float> add(const std::string& name, std::vector<int64_t> shape, std::vector<float> values,
                           DType dtype = DType::F32) {
        tensors.push_back({name, dtype, std::move(shape), std::move(values)});
        return tensors.back().values;
    }
    std::vector<float> add_random(const std::string& name, std::vector<int64_t> shape, uint32_t seed,
                                  float scale, DType dtype = DType::F32) {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        std::vector<float> values = random_values(n, seed, scale);
        if (dtype == DType::F16)  // what the file will hold, so references see the same weights
            for (float& v : values) v = half_to_float(float_to_half(v));
        return add(name, std::move(shape), std::move(values), dtype);
    }
    const std::vector<float>& values(const std::string& name) const {
        for (const TensorToWrite& t : tensors)
            if (t.name == name) return t.values;
        throw std::runtime_error("test model has no tensor " + name);
    }
    std::vector<uint8_t> bytes() const { return write_safetensors(tensors, {{"ganzoo", doc.dump()}}); }
    Model load(const LoadLimits& limits = {}) const {
        const std::vector<uint8_t> b = bytes();
        return Model::load(b.data(), b.size(), limits);
    }
};

inline json base_document(std::vector<int64_t> image, json inputs) {
    return {
        {"format", "ganzoo-graph"},
        {"version", 1},
        {"family", "test"},
        {"name", "test-model"},
        {"dataset", {{"name", "test"}, {"classes", json::array()}, {"image", image}, {"range", {-1.0, 1.0}}}},
        {"inputs", inputs},
        {"nets", json::object()}};
}

// z 16 -> linear -> reshape [8, 7, 7] -> batch_norm -> relu -> conv_transpose2d 8->4 (4, 2, 1)
//   -> batch_norm -> relu -> conv_transpose2d 4->1 (4, 2, 1) -> tanh: image [1, 28, 28].
inline ModelFile dcgan_test_model(DType dtype = DType::F32, uint32_t seed = 1) {
    ModelFile m;
    m.doc = base_document({1, 28, 28}, {{"z", {{"dim", 16}, {"distribution", "normal"}}}});
    m.doc["family"] = "dcgan";
    m.doc["name"] = "dcgan-test";
    m.add_random("G.0.weight", {392, 16}, seed + 0, 0.25f, dtype);
    m.add_random("G.0.bias", {392}, seed + 1, 0.1f, dtype);
    m.add_random("G.1.scale", {8}, seed + 2, 1.0f, dtype);
    m.add_random("G.1.shift", {8}, seed + 3, 0.2f, dtype);
    m.add_random("G.3.weight", {8, 4, 4, 4}, seed + 4, 0.3f, dtype);
    m.add_random("G.4.scale", {4}, seed + 5, 1.0f, dtype);
    m.add_random("G.4.shift", {4}, seed + 6, 0.2f, dtype);
    m.add_random("G.6.weight", {4, 1, 4, 4}, seed + 7, 0.3f, dtype);
    m.add_random("G.6.bias", {1}, seed + 8, 0.1f, dtype);
    m.doc["nets"]["G"] = {
        {"inputs", {"z"}},
        {"ops",
         {{{"op", "linear"}, {"weight", "G.0.weight"}, {"bias", "G.0.bias"}},
          {{"op", "reshape"}, {"shape", {8, 7, 7}}},
          {{"op", "batch_norm"}, {"scale", "G.1.scale"}, {"shift", "G.1.shift"}},
          {{"op", "relu"}},
          {{"op", "conv_transpose2d"}, {"weight", "G.3.weight"}, {"stride", 2}, {"padding", 1}},
          {{"op", "batch_norm"}, {"scale", "G.4.scale"}, {"shift", "G.4.shift"}},
          {{"op", "relu"}},
          {{"op", "conv_transpose2d"},
           {"weight", "G.6.weight"},
           {"bias", "G.6.bias"},
           {"stride", 2},
           {"padding", 1}},
          {{"op", "tanh"}}}}};
    return m;
}

// The same network as dcgan_test_model, in naive loops: z [N, 16] -> [N, 1, 28, 28].
inline Tensor dcgan_reference_forward(const ModelFile& m, const Tensor& z) {
    namespace ref = ganzoo::reference;
    Tensor h = ref::linear(z, m.values("G.0.weight"), m.values("G.0.bias"), 392);
    h.shape = {z.dim(0), 8, 7, 7};
    h = ref::batch_norm(h, m.values("G.1.scale"), m.values("G.1.shift"));
    h = ref::map(h, [](double v) { return std::max(v, 0.0); });
    h = ref::conv_transpose2d(h, m.values("G.3.weight"), {}, 4, {4, 4, 2, 2, 1, 1});
    h = ref::batch_norm(h, m.values("G.4.scale"), m.values("G.4.shift"));
    h = ref::map(h, [](double v) { return std::max(v, 0.0); });
    h = ref::conv_transpose2d(h, m.values("G.6.weight"), m.values("G.6.bias"), 1, {4, 4, 2, 2, 1, 1});
    return ref::map(h, [](double v) { return std::tanh(v); });
}

// The ops of ProGAN and CycleGAN generators: z 16 -> linear 120 -> pixel_norm -> reshape [4, 5, 6]
//   -> reflection_pad2d 1 -> conv2d 4->3 3x3 -> instance_norm (affine) -> leaky_relu 0.2
//   -> reflection_pad2d [1, 2] -> conv2d 3->3 3x5 -> instance_norm (eps 1e-3) -> pixel_norm -> tanh:
//   image [3, 5, 6].
inline ModelFile norm_pad_test_model(uint32_t seed = 31) {
    ModelFile m;
    m.doc = base_document({3, 5, 6}, {{"z", {{"dim", 16}, {"distribution", "normal"}}}});
    m.doc["family"] = "norm-pad";
    m.doc["name"] = "norm-pad-test";
    m.add_random("G.0.weight", {120, 16}, seed + 0, 0.4f);
    m.add_random("G.0.bias", {120}, seed + 1, 0.2f);
    m.add_random("G.1.weight", {3, 4, 3, 3}, seed + 2, 0.4f);
    m.add_random("G.1.bias", {3}, seed + 3, 0.2f);
    m.add_random("G.2.weight", {3}, seed + 4, 1.5f);
    m.add_random("G.2.bias", {3}, seed + 5, 0.5f);
    m.add_random("G.3.weight", {3, 3, 3, 5}, seed + 6, 0.3f);
    m.doc["nets"]["G"] = {
        {"inputs", {"z"}},
        {"ops",
         {{{"op", "linear"}, {"weight", "G.0.weight"}, {"bias", "G.0.bias"}},
          {{"op", "pixel_norm"}, {"eps", 1e-8}},
          {{"op", "reshape"}, {"shape", {4, 5, 6}}},
          {{"op", "reflection_pad2d"}, {"padding", 1}},
          {{"op", "conv2d"}, {"weight", "G.1.weight"}, {"bias", "G.1.bias"}},
          {{"op", "instance_norm"}, {"weight", "G.2.weight"}, {"bias", "G.2.bias"}, {"eps", 1e-5}},
          {{"op", "leaky_relu"}, {"slope", 0.2}},
          {{"op", "reflection_pad2d"}, {"padding", {1, 2}}},
          {{"op", "conv2d"}, {"weight", "G.3.weight"}},
          {{"op", "instance_norm"}, {"eps", 1e-3}},
          {{"op", "pixel_norm"}},
          {{"op", "tanh"}}}}};
    return m;
}

// The same network as norm_pad_test_model, in naive loops: z [N, 16] -> [N, 3, 5, 6].
inline Tensor norm_pad_reference_forward(const ModelFile& m, const Tensor& z) {
    namespace ref = ganzoo::reference;
    Tensor h = ref::linear(z, m.values("G.0.weight"), m.values("G.0.bias"), 120);
    h = ref::pixel_norm(h, double(1e-8f));
    h.shape = {z.dim(0), 4, 5, 6};
    h = ref::reflection_pad2d(h, 1, 1);
    h = ref::conv2d(h, m.values("G.1.weight"), m.values("G.1.bias"), 3, {3, 3});
    h = ref::instance_norm(h, m.values("G.2.weight"), m.values("G.2.bias"), double(1e-5f));
    h = ref::map(h, [](double v) { return v >= 0 ? v : double(0.2f * float(v)); });
    h = ref::reflection_pad2d(h, 1, 2);
    h = ref::conv2d(h, m.values("G.3.weight"), {}, 3, {3, 5});
    h = ref::instance_norm(h, {}, {}, double(1e-3f));
    h = ref::pixel_norm(h, double(1e-8f));
    return ref::map(h, [](double v) { return std::tanh(v); });
}

// Stores a golden case computed by the naive reference (as the exporter does with LibTorch).
// `forward` is the model's reference (z [N, 16] -> output).
inline void add_check(ModelFile& m, uint64_t seed, int64_t count, double tolerance, size_t stored = 64,
                      Tensor (*forward)(const ModelFile&, const Tensor&) = dcgan_reference_forward) {
    const Tensor out = forward(m, normal_latents(seed, 0, count, 16));
    double sum = 0, squares = 0;
    for (float v : out.data) {
        sum += v;
        squares += double(v) * v;
    }
    std::vector<double> values(out.data.begin(),
                               out.data.begin() + static_cast<long>(std::min(stored, out.data.size())));
    m.doc["check"] = {{"net", "G"},
                      {"seed", seed},
                      {"first_index", 0},
                      {"count", count},
                      {"values", values},
                      {"mean", sum / static_cast<double>(out.data.size())},
                      {"l2", std::sqrt(squares)},
                      {"tolerance", tolerance}};
}

// Conditional: [z 16 | one_hot(label, 10)] -> linear 26 -> 784 -> reshape [1, 28, 28] -> tanh.
inline ModelFile cgan_test_model() {
    ModelFile m;
    m.doc = base_document({1, 28, 28}, {{"z", {{"dim", 16}}}, {"label", {{"classes", 10}}}});
    m.doc["family"] = "cgan";
    m.doc["dataset"]["classes"] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    m.add_random("G.weight", {784, 26}, 11, 0.3f);
    m.doc["nets"]["G"] = {{"inputs", {"z", "label"}},
                          {"ops",
                           {{{"op", "one_hot"}, {"in", {"label"}}, {"out", "y"}, {"classes", 10}},
                            {{"op", "concat"}, {"in", {"z", "y"}}},
                            {{"op", "linear"}, {"weight", "G.weight"}},
                            {{"op", "reshape"}, {"shape", {1, 28, 28}}},
                            {{"op", "tanh"}}}}};
    return m;
}

// InfoGAN-shaped: z 16, a categorical code c_cat (10 values) and a continuous code c_cont (2):
// tanh(W [z | one_hot(c_cat) | c_cont]) as a [1, 28, 28] image.
inline ModelFile infogan_test_model() {
    ModelFile m;
    m.doc = base_document({1, 28, 28}, {{"z", {{"dim", 16}}},
                                        {"c_cat", {{"shape", {1}}, {"categories", 10}}},
                                        {"c_cont", {{"shape", {2}}, {"range", {-1.0, 1.0}}}}});
    m.doc["family"] = "infogan";
    m.add_random("G.weight", {784, 28}, 12, 0.3f);
    m.doc["nets"]["G"] = {{"inputs", {"z", "c_cat", "c_cont"}},
                          {"ops",
                           {{{"op", "one_hot"}, {"in", {"c_cat"}}, {"out", "c1"}, {"classes", 10}},
                            {{"op", "concat"}, {"in", {"z", "c1", "c_cont"}}},
                            {{"op", "linear"}, {"weight", "G.weight"}},
                            {{"op", "reshape"}, {"shape", {1, 28, 28}}},
                            {{"op", "tanh"}}}}};
    return m;
}

// A model whose net "net" is one op on inputs with the given per-sample shapes ("x", "y", ...).
inline ModelFile single_op_model(const json& op, const std::vector<std::vector<int64_t>>& input_shapes) {
    json inputs = json::object(), names = json::array();
    for (size_t i = 0; i < input_shapes.size(); ++i) {
        const std::string name(1, static_cast<char>('x' + i));
        inputs[name] = {{"shape", input_shapes[i]}};
        names.push_back(name);
    }
    ModelFile m;
    m.doc = base_document({1, 1, 1}, inputs);
    json op_with_inputs = op;
    if (!op_with_inputs.contains("in")) op_with_inputs["in"] = names;
    m.doc["nets"]["net"] = {{"inputs", names}, {"ops", {op_with_inputs}}};
    return m;
}

// A safetensors file with the given header text and `data_bytes` zero bytes after it.
inline std::vector<uint8_t> raw_file(const std::string& header, size_t data_bytes) {
    std::vector<uint8_t> f(8 + header.size() + data_bytes, 0);
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) f[i] = static_cast<uint8_t>(n >> (8 * i));
    std::memcpy(f.data() + 8, header.data(), header.size());
    return f;
}

}  // namespace ganzoo::testing
