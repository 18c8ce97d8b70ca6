// ganzoo core (private): a validated net (a list of ops with their weights in GEMM layout and
// every value's per-sample shape inferred at load) and running it on a batch.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ganzoo/limits.hpp"
#include "ganzoo/safetensors.hpp"
#include "ganzoo/tensor.hpp"
#include "ops.hpp"

namespace ganzoo::graph {

enum class OpKind {
    Linear,
    Reshape,
    Conv2d,
    ConvTranspose2d,
    BatchNorm,
    Relu,
    LeakyRelu,
    Elu,
    Tanh,
    Sigmoid,
    Concat,
    OneHot,
    Add,
    Scale,
    UpsampleNearest,
    PixelNorm,
    InstanceNorm,
    ReflectionPad2d
};

struct Op {
    OpKind kind = OpKind::Relu;
    std::string name;                // "conv_transpose2d"
    int index = 0;                   // position in the net
    std::vector<int> inputs;         // value ids
    int output = 0;                  // value id
    std::vector<int64_t> out_shape;  // per sample (no batch dim)

    // Attributes (only those of `kind` are meaningful).
    ops::Window2d window;
    float slope = 0.01f, alpha = 1.0f, factor = 1.0f;
    int64_t axis = 1, classes = 0, out_channels = 0;
    int64_t scale_h = 1, scale_w = 1;  // upsample_nearest
    int64_t pad_h = 0, pad_w = 0;      // reflection_pad2d
    float eps = 0.0f;                  // pixel_norm, instance_norm

    // Tensors, in the layout the kernel multiplies with.
    // linear Wᵀ [in, out]; conv2d W [O, C*kh*kw]; conv_transpose2d Wᵀ [O*kh*kw, C]
    ops::PackedWeight packed_weight;
    std::vector<float> bias, scale, shift;
    std::vector<float> norm_weight, norm_bias;  // instance_norm's affine [C], or both empty

    std::string context;  // "net 'G' op 3 (conv_transpose2d)", for run-time errors
};

struct Net {
    std::string name;
    std::vector<std::string> input_names;            // graph inputs, in order
    std::vector<std::vector<int64_t>> input_shapes;  // per sample
    std::vector<std::string> value_names;            // by value id; inputs first
    std::vector<Op> ops;
    std::vector<int> last_use;            // by value id: last op reading it
    int output = 0;                       // value id of the result
    std::vector<int64_t> output_shape;    // per sample
    int64_t max_elements_per_sample = 1;  // largest value or kernel workspace, per sample
    // > 0 when the net's `label` input feeds one_hot ops only, all of this many classes: the
    // label may then also be given as class weights [n, K] (GenerateRequest::label_weights).
    int64_t label_weight_classes = 0;
};

// Per-sample shapes of the model's declared inputs (z -> [dim], label -> [1], ...).
using InputShapes = std::map<std::string, std::vector<int64_t>>;

// Parses and validates one net of the model document, with symbolic shape inference from the
// declared inputs; copies the tensors it uses into GEMM layout. Throws ganzoo::Error naming the
// net, the op index and the op.
Net build_net(const std::string& name, const nlohmann::json& spec, const InputShapes& inputs,
              const std::map<std::string, StoredTensor>& tensors, const LoadLimits& limits);

// Runs a net on its inputs (in net.input_names order, shapes already checked).
Tensor run_net(const Net& net, std::vector<Tensor> inputs);

}  // namespace ganzoo::graph
