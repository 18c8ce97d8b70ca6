// ganzoo core: parsing and validating a net of the model document (docs/format.md, "Ops"),
// with symbolic shape inference over per-sample shapes (the batch dim is left out).
#include "graph.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <tuple>

#include "ganzoo/error.hpp"
#include "json_fields.hpp"

namespace ganzoo::graph {

using detail::json;
using detail::shape_string;
using Shape = std::vector<int64_t>;

namespace {

constexpr int64_t kMaxWindowAttribute = 1 << 16;  // stride / padding: far above any real model
constexpr int64_t kMaxClasses = 1 << 20;
constexpr int64_t kMaxUpsample = 64;

struct OpSpec {
    const char* name;
    OpKind kind;
    int min_inputs, max_inputs;
    std::vector<std::string> keys;  // attributes and tensor references it accepts
};

const std::vector<OpSpec>& op_specs() {
    static const std::vector<OpSpec> specs = {
        {"linear", OpKind::Linear, 1, 1, {"weight", "bias"}},
        {"reshape", OpKind::Reshape, 1, 1, {"shape"}},
        {"conv2d", OpKind::Conv2d, 1, 1, {"weight", "bias", "stride", "padding"}},
        {"conv_transpose2d",
         OpKind::ConvTranspose2d,
         1,
         1,
         {"weight", "bias", "stride", "padding", "output_padding"}},
        {"batch_norm", OpKind::BatchNorm, 1, 1, {"scale", "shift"}},
        {"relu", OpKind::Relu, 1, 1, {}},
        {"leaky_relu", OpKind::LeakyRelu, 1, 1, {"slope"}},
        {"elu", OpKind::Elu, 1, 1, {"alpha"}},
        {"tanh", OpKind::Tanh, 1, 1, {}},
        {"sigmoid", OpKind::Sigmoid, 1, 1, {}},
        {"concat", OpKind::Concat, 2, INT_MAX, {"axis"}},
        {"one_hot", OpKind::OneHot, 1, 1, {"classes"}},
        {"add", OpKind::Add, 2, 2, {}},
        {"scale", OpKind::Scale, 1, 1, {"factor"}},
        {"upsample_nearest", OpKind::UpsampleNearest, 1, 1, {"scale"}},
        {"pixel_norm", OpKind::PixelNorm, 1, 1, {"eps"}},
        {"instance_norm", OpKind::InstanceNorm, 1, 1, {"eps", "weight", "bias"}},
        {"reflection_pad2d", OpKind::ReflectionPad2d, 1, 1, {"padding"}},
    };
    return specs;
}

std::string known_ops() {
    std::string list;
    for (const OpSpec& s : op_specs()) list += (list.empty() ? "" : ", ") + std::string(s.name);
    return list;
}

// Reads one op's JSON object; every failure names the net, the op index and the op.
class OpReader {
public:
    OpReader(const std::string& context, const json& spec, const std::map<std::string, StoredTensor>& tensors)
        : context_(context), spec_(spec), tensors_(tensors) {}

    [[noreturn]] void fail(const std::string& what) const { throw Error(context_ + ": " + what); }

    bool has(const char* key) const { return spec_.contains(key); }

    int64_t integer(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
        if (!has(key)) return fallback;
        int64_t v = 0;
        if (!detail::as_int64(spec_[key], v))
            fail(std::string("attribute '") + key + "' must be an integer, got " +
                 detail::json_excerpt(spec_[key]));
        check_range(key, v, lo, hi);
        return v;
    }

    int64_t required_integer(const char* key, int64_t lo, int64_t hi) const {
        if (!has(key)) fail(std::string("needs attribute '") + key + "'");
        return integer(key, 0, lo, hi);
    }

    // An int or [h, w].
    std::pair<int64_t, int64_t> pair(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
        if (!has(key)) return {fallback, fallback};
        const json& v = spec_[key];
        int64_t h = 0, w = 0;
        bool ok = false;
        if (detail::as_int64(v, h)) {
            w = h;
            ok = true;
        } else {
            ok = v.is_array() && v.size() == 2 && detail::as_int64(v[0], h) && detail::as_int64(v[1], w);
        }
        if (!ok)
            fail(std::string("attribute '") + key + "' must be an integer or [h, w], got " +
                 detail::json_excerpt(v));
        check_range(key, h, lo, hi);
        check_range(key, w, lo, hi);
        return {h, w};
    }

    float number(const char* key, float fallback) const {
        if (!has(key)) return fallback;
        if (!spec_[key].is_number())
            fail(std::string("attribute '") + key + "' must be a number, got " +
                 detail::json_excerpt(spec_[key]));
        return spec_[key].get<float>();
    }

    // A finite number > 0 that stays > 0 as a float (eps).
    float positive_number(const char* key, float fallback) const {
        if (!has(key)) return fallback;
        const json& v = spec_[key];
        if (!v.is_number())
            fail(std::string("attribute '") + key + "' must be a number, got " + detail::json_excerpt(v));
        const double d = v.get<double>();
        const float f = static_cast<float>(d);
        if (!(std::isfinite(d) && std::isfinite(f) && f > 0.0f))
            fail(std::string("attribute '") + key + "' is " + detail::json_excerpt(v) +
                 ", expected a finite number > 0");
        return f;
    }

    float required_number(const char* key) const {
        if (!has(key)) fail(std::string("needs attribute '") + key + "'");
        return number(key, 0.0f);
    }

    // Positive integers, and at most one -1 (a dimension to infer, as in PyTorch's view).
    Shape shape_attribute(const char* key) const {
        if (!has(key)) fail(std::string("needs attribute '") + key + "'");
        const json& v = spec_[key];
        Shape shape;
        if (!v.is_array() || v.empty())
            fail(std::string("attribute '") + key + "' must be a non-empty array of positive integers");
        for (const json& d : v) {
            int64_t dim = 0;
            if (!detail::as_int64(d, dim) || dim < -1 || dim == 0)
                fail(std::string("attribute '") + key + "' must hold positive integers (and at most one -1), got " +
                     detail::json_excerpt(v));
            shape.push_back(dim);
        }
        if (std::count(shape.begin(), shape.end(), -1) > 1)
            fail(std::string("attribute '") + key + "' has more than one -1: " + shape_string(shape));
        return shape;
    }

    // The tensor named by `key` ("weight": "G.0.weight"), or nullptr when optional and absent.
    const StoredTensor* tensor(const char* key, bool required, std::string& tensor_name) const {
        if (!has(key)) {
            if (required) fail(std::string("needs tensor '") + key + "'");
            return nullptr;
        }
        if (!spec_[key].is_string())
            fail(std::string("'") + key + "' must name a tensor, got " + detail::json_excerpt(spec_[key]));
        tensor_name = spec_[key].get<std::string>();
        const auto it = tensors_.find(tensor_name);
        if (it == tensors_.end()) fail(std::string(key) + " '" + tensor_name + "' is not in the file");
        return &it->second;
    }

    // A 1-D tensor of `size` values (bias, scale, shift).
    std::vector<float> vector_tensor(const char* key, bool required, int64_t size) const {
        std::string name;
        const StoredTensor* t = tensor(key, required, name);
        if (!t) return {};
        if (t->shape != Shape{size})
            fail(std::string(key) + " '" + name + "' has shape " + shape_string(t->shape) + ", expected [" +
                 std::to_string(size) + "]");
        return t->values;
    }

private:
    void check_range(const char* key, int64_t v, int64_t lo, int64_t hi) const {
        if (v < lo || v > hi)
            fail(std::string("attribute '") + key + "' is " + std::to_string(v) + ", expected " +
                 std::to_string(lo) + ".." + std::to_string(hi));
    }

    const std::string& context_;
    const json& spec_;
    const std::map<std::string, StoredTensor>& tensors_;
};

int64_t elements(const OpReader& r, const Shape& shape, const char* what) {
    int64_t n = 0;
    if (!detail::checked_product(shape, n))
        r.fail(std::string(what) + " " + shape_string(shape) + " is too large");
    return n;
}

// Sum of element counts (per sample), failing on overflow.
int64_t sum_elements(const OpReader& r, std::initializer_list<Shape> shapes) {
    int64_t total = 0;
    for (const Shape& s : shapes)
        if (__builtin_add_overflow(total, elements(r, s, "workspace"), &total))
            r.fail("workspace is too large");
    return total;
}

// The 4-D weight of a convolution, checked against the incoming channel count.
const StoredTensor& conv_weight(const OpReader& r, int64_t in_channels, bool transposed, std::string& name) {
    const StoredTensor* w = r.tensor("weight", true, name);
    const char* layout = transposed ? "[in, out, kh, kw]" : "[out, in, kh, kw]";
    if (w->shape.size() != 4)
        r.fail("weight '" + name + "' has shape " + shape_string(w->shape) + ", expected " + layout);
    const int64_t in = transposed ? w->shape[0] : w->shape[1];
    if (in != in_channels)
        r.fail("weight '" + name + "' has shape " + shape_string(w->shape) + ", expected " +
               std::to_string(in_channels) + " input channels");
    for (int64_t d : w->shape)
        if (d == 0) r.fail("weight '" + name + "' has an empty shape " + shape_string(w->shape));
    return *w;
}

// Infers op.out_shape from the inputs' shapes, checks the tensors and loads them in GEMM
// layout. Returns the op's working set per sample (output + temporaries), in elements.
int64_t build_op(Op& op, const OpReader& r, const std::vector<Shape>& in) {
    const Shape& s = in.front();
    auto need_rank = [&](size_t rank, const char* layout) {
        if (s.size() != rank)
            r.fail("input has per-sample shape " + shape_string(s) + ", expected " + layout);
    };
    std::string name;
    switch (op.kind) {
        case OpKind::Linear: {
            need_rank(1, "[features]");
            const StoredTensor* w = r.tensor("weight", true, name);
            if (w->shape.size() != 2 || w->shape[1] != s[0])
                r.fail("weight '" + name + "' has shape " + shape_string(w->shape) + ", expected [out, " +
                       std::to_string(s[0]) + "]");
            const int64_t out = w->shape[0];
            if (out == 0) r.fail("weight '" + name + "' has no output rows");
            op.packed_weight = ops::pack_linear_weight(w->values.data(), out, s[0]);
            op.bias = r.vector_tensor("bias", false, out);
            op.out_shape = {out};
            return out;
        }
        case OpKind::Reshape: {
            op.out_shape = r.shape_attribute("shape");
            const int64_t from = elements(r, s, "input");
            const auto inferred = std::find(op.out_shape.begin(), op.out_shape.end(), -1);
            if (inferred != op.out_shape.end()) {
                Shape known = op.out_shape;
                known.erase(known.begin() + (inferred - op.out_shape.begin()));
                const int64_t rest = elements(r, known, "shape");
                if (from % rest != 0)
                    r.fail("shape " + shape_string(op.out_shape) + " cannot hold the " + std::to_string(from) +
                           " values per sample of the input " + shape_string(s));
                *inferred = from / rest;
            }
            const int64_t to = elements(r, op.out_shape, "shape");
            if (from != to)
                r.fail("shape " + shape_string(op.out_shape) + " holds " + std::to_string(to) +
                       " values per sample, the input " + shape_string(s) + " has " + std::to_string(from));
            return 0;  // no new storage
        }
        case OpKind::Conv2d: {
            need_rank(3, "[C, H, W]");
            const StoredTensor& w = conv_weight(r, s[0], false, name);
            ops::Window2d& win = op.window;
            win.kernel_h = w.shape[2];
            win.kernel_w = w.shape[3];
            std::tie(win.stride_h, win.stride_w) = r.pair("stride", 1, 1, kMaxWindowAttribute);
            std::tie(win.pad_h, win.pad_w) = r.pair("padding", 0, 0, kMaxWindowAttribute);
            if (s[1] + 2 * win.pad_h < win.kernel_h || s[2] + 2 * win.pad_w < win.kernel_w)
                r.fail("kernel " + std::to_string(win.kernel_h) + "x" + std::to_string(win.kernel_w) +
                       " is larger than the padded input " + shape_string(s));
            const int64_t out = w.shape[0];
            const int64_t ho = (s[1] + 2 * win.pad_h - win.kernel_h) / win.stride_h + 1;
            const int64_t wo = (s[2] + 2 * win.pad_w - win.kernel_w) / win.stride_w + 1;
            const int64_t k = elements(r, {s[0], win.kernel_h, win.kernel_w}, "kernel");
            op.packed_weight = ops::pack_conv2d_weight(w.values.data(), out, k);
            op.bias = r.vector_tensor("bias", false, out);
            op.out_shape = {out, ho, wo};
            // im2col columns, the GEMM result, the NCHW output.
            return sum_elements(r, {{k, ho, wo}, op.out_shape, op.out_shape});
        }
        case OpKind::ConvTranspose2d: {
            need_rank(3, "[C, H, W]");
            const StoredTensor& w = conv_weight(r, s[0], true, name);
            ops::Window2d& win = op.window;
            win.kernel_h = w.shape[2];
            win.kernel_w = w.shape[3];
            std::tie(win.stride_h, win.stride_w) = r.pair("stride", 1, 1, kMaxWindowAttribute);
            std::tie(win.pad_h, win.pad_w) = r.pair("padding", 0, 0, kMaxWindowAttribute);
            std::tie(win.output_pad_h, win.output_pad_w) =
                r.pair("output_padding", 0, 0, kMaxWindowAttribute);
            if (win.output_pad_h >= win.stride_h || win.output_pad_w >= win.stride_w)
                r.fail("output_padding must be smaller than stride");
            const int64_t ho = (s[1] - 1) * win.stride_h - 2 * win.pad_h + win.kernel_h + win.output_pad_h;
            const int64_t wo = (s[2] - 1) * win.stride_w - 2 * win.pad_w + win.kernel_w + win.output_pad_w;
            if (ho < 1 || wo < 1)
                r.fail("output would be " + std::to_string(ho) + "x" + std::to_string(wo) + " for input " +
                       shape_string(s));
            const int64_t out = w.shape[1];
            const int64_t rows = elements(r, {out, win.kernel_h, win.kernel_w}, "kernel");
            op.packed_weight = ops::pack_conv_transpose2d_weight(w.values.data(), s[0], rows);
            op.out_channels = out;
            op.bias = r.vector_tensor("bias", false, out);
            op.out_shape = {out, ho, wo};
            // gathered input, the GEMM result [O*kh*kw, H*W], the output.
            return sum_elements(r, {s, {rows, s[1], s[2]}, op.out_shape});
        }
        case OpKind::BatchNorm:
            if (s.empty()) r.fail("input has no channel dimension");
            op.scale = r.vector_tensor("scale", true, s[0]);
            op.shift = r.vector_tensor("shift", true, s[0]);
            op.out_shape = s;
            return elements(r, s, "input");
        case OpKind::LeakyRelu:
        case OpKind::Elu:
        case OpKind::Scale:
        case OpKind::Relu:
        case OpKind::Tanh:
        case OpKind::Sigmoid:
            if (op.kind == OpKind::LeakyRelu) op.slope = r.number("slope", 0.01f);
            if (op.kind == OpKind::Elu) op.alpha = r.number("alpha", 1.0f);
            if (op.kind == OpKind::Scale) op.factor = r.required_number("factor");
            op.out_shape = s;
            return elements(r, s, "input");
        case OpKind::Concat: {
            op.axis = r.integer("axis", 1, 1, static_cast<int64_t>(s.size()));
            const size_t a = static_cast<size_t>(op.axis - 1);
            op.out_shape = s;
            for (size_t i = 1; i < in.size(); ++i) {
                Shape expect = s, got = in[i];
                if (got.size() == s.size()) expect[a] = got[a];
                if (got != expect)
                    r.fail("input " + std::to_string(i) + " has per-sample shape " + shape_string(got) +
                           ", input 0 has " + shape_string(s) + " (concatenating on axis " +
                           std::to_string(op.axis) + ")");
                if (__builtin_add_overflow(op.out_shape[a], got[a], &op.out_shape[a]))
                    r.fail("output is too large");
            }
            return elements(r, op.out_shape, "output");
        }
        case OpKind::OneHot:
            if (s != Shape{1})
                r.fail("input has per-sample shape " + shape_string(s) + ", expected [1] (class indices)");
            op.classes = r.required_integer("classes", 1, kMaxClasses);
            op.out_shape = {op.classes};
            return op.classes;
        case OpKind::UpsampleNearest: {
            need_rank(3, "[C, H, W]");
            std::tie(op.scale_h, op.scale_w) = r.pair("scale", 2, 1, kMaxUpsample);
            int64_t ho = 0, wo = 0;
            if (__builtin_mul_overflow(s[1], op.scale_h, &ho) || __builtin_mul_overflow(s[2], op.scale_w, &wo))
                r.fail("output is too large");
            op.out_shape = {s[0], ho, wo};
            return elements(r, op.out_shape, "output");
        }
        case OpKind::PixelNorm:
            if (s.size() != 1 && s.size() != 3)
                r.fail("input has per-sample shape " + shape_string(s) + ", expected [C, H, W] or [F]");
            op.eps = r.positive_number("eps", 1e-8f);
            op.out_shape = s;
            // in place; the per-pixel sums of squares (double) and their inverses
            return sum_elements(r, {s, s.size() == 3 ? Shape{3, s[1], s[2]} : Shape{3}});
        case OpKind::InstanceNorm: {
            need_rank(3, "[C, H, W]");
            if (s[1] * s[2] < 2)
                r.fail("input has per-sample shape " + shape_string(s) +
                       ": the statistics need more than one pixel per channel (as PyTorch)");
            op.eps = r.positive_number("eps", 1e-5f);
            if (r.has("weight") != r.has("bias"))
                r.fail(std::string("needs both tensors 'weight' and 'bias' or neither, got only '") +
                       (r.has("weight") ? "weight" : "bias") + "'");
            op.norm_weight = r.vector_tensor("weight", false, s[0]);
            op.norm_bias = r.vector_tensor("bias", false, s[0]);
            op.out_shape = s;
            return elements(r, s, "input");
        }
        case OpKind::ReflectionPad2d: {
            need_rank(3, "[C, H, W]");
            if (!r.has("padding")) r.fail("needs attribute 'padding'");
            std::tie(op.pad_h, op.pad_w) = r.pair("padding", 0, 0, kMaxWindowAttribute);
            if (op.pad_h >= s[1] || op.pad_w >= s[2])
                r.fail("padding [" + std::to_string(op.pad_h) + ", " + std::to_string(op.pad_w) +
                       "] must be smaller than the input's height and width (reflection does not repeat the "
                       "edge), input " + shape_string(s));
            op.out_shape = {s[0], s[1] + 2 * op.pad_h, s[2] + 2 * op.pad_w};
            return elements(r, op.out_shape, "output");
        }
        case OpKind::Add:
            if (in[1] != s)
                r.fail("inputs have per-sample shapes " + shape_string(s) + " and " + shape_string(in[1]) +
                       ", they must be equal");
            op.out_shape = s;
            return elements(r, s, "input");
    }
    return 0;
}

}  // namespace

Net build_net(const std::string& name, const json& spec, const InputShapes& inputs,
              const std::map<std::string, StoredTensor>& tensors, const LoadLimits& limits) {
    const std::string net_context = "net '" + name + "'";
    auto fail = [&](const std::string& what) -> void { throw Error(net_context + ": " + what); };
    if (!spec.is_object()) fail("must be an object with 'inputs' and 'ops'");
    for (const auto& item : spec.items())
        if (item.key() != "inputs" && item.key() != "ops") fail("unknown field '" + item.key() + "'");
    if (!spec.contains("inputs") || !spec["inputs"].is_array())
        fail("needs 'inputs', an array of input names");
    if (!spec.contains("ops") || !spec["ops"].is_array() || spec["ops"].empty())
        fail("needs 'ops', a non-empty array of ops");

    Net net;
    net.name = name;
    std::map<std::string, int> ids;
    std::vector<Shape> shapes;  // by value id
    const uint64_t limit = limits.max_activation_elements;
    auto check_size = [&](const std::string& context, const std::string& what, int64_t n) {
        if (static_cast<uint64_t>(n) > limit)
            throw Error(context + ": " + what + " needs " + std::to_string(n) +
                        " values per sample, over the limit of " + std::to_string(limit));
        net.max_elements_per_sample = std::max(net.max_elements_per_sample, n);
    };
    for (const json& input : spec["inputs"]) {
        if (!input.is_string()) fail("'inputs' must hold strings, got " + detail::json_excerpt(input));
        const std::string input_name = input.get<std::string>();
        const auto declared = inputs.find(input_name);
        if (declared == inputs.end())
            fail("input '" + input_name + "' is not declared in the model's 'inputs'");
        if (ids.count(input_name)) fail("input '" + input_name + "' is listed twice");
        ids[input_name] = static_cast<int>(net.value_names.size());
        net.value_names.push_back(input_name);
        net.input_names.push_back(input_name);
        net.input_shapes.push_back(declared->second);
        shapes.push_back(declared->second);
        int64_t n = 0;
        if (!detail::checked_product(declared->second, n)) fail("input '" + input_name + "' is too large");
        check_size(net_context, "input '" + input_name + "'", n);
    }

    const json& op_list = spec["ops"];
    for (size_t i = 0; i < op_list.size(); ++i) {
        const json& op_spec = op_list[i];
        Op op;
        op.index = static_cast<int>(i);
        const std::string op_name = op_spec.is_object() && op_spec.contains("op") && op_spec["op"].is_string()
                                        ? op_spec["op"].get<std::string>()
                                        : std::string("?");
        op.context = net_context + " op " + std::to_string(i) + " (" + op_name + ")";
        const OpReader reader(op.context, op_spec, tensors);
        if (!op_spec.is_object()) reader.fail("must be an object, got " + detail::json_excerpt(op_spec));
        if (op_name == "?") reader.fail("needs 'op', the op's name");
        const OpSpec* known = nullptr;
        for (const OpSpec& s : op_specs())
            if (op_name == s.name) known = &s;
        if (!known) reader.fail("unknown op '" + op_name + "' (known: " + known_ops() + ")");
        op.kind = known->kind;
        op.name = op_name;
        for (const auto& item : op_spec.items()) {
            const std::string& key = item.key();
            if (key != "op" && key != "in" && key != "out" &&
                std::find(known->keys.begin(), known->keys.end(), key) == known->keys.end())
                reader.fail("unknown attribute '" + key + "'");
        }

        // Inputs: named values defined earlier; by default the previous op's output.
        std::vector<std::string> in_names;
        if (op_spec.contains("in")) {
            const json& in = op_spec["in"];
            if (!in.is_array())
                reader.fail("'in' must be an array of value names, got " + detail::json_excerpt(in));
            for (const json& v : in) {
                if (!v.is_string()) reader.fail("'in' must hold value names, got " + detail::json_excerpt(v));
                in_names.push_back(v.get<std::string>());
            }
        } else if (i > 0) {
            in_names.push_back(net.value_names[static_cast<size_t>(net.ops.back().output)]);
        } else if (!net.input_names.empty()) {
            in_names.push_back(net.input_names.front());
        }
        const int count = static_cast<int>(in_names.size());
        if (count < known->min_inputs || count > known->max_inputs)
            reader.fail("takes " + std::to_string(known->min_inputs) +
                        (known->max_inputs == known->min_inputs ? std::string()
                         : known->max_inputs == INT_MAX         ? std::string(" or more")
                                                        : " to " + std::to_string(known->max_inputs)) +
                        " inputs, got " + std::to_string(count));
        std::vector<Shape> in_shapes;
        for (const std::string& v : in_names) {
            const auto it = ids.find(v);
            if (it == ids.end()) reader.fail("input '" + v + "' is used before it is defined");
            op.inputs.push_back(it->second);
            in_shapes.push_back(shapes[static_cast<size_t>(it->second)]);
        }

        std::string out_name = "#" + std::to_string(i);
        if (op_spec.contains("out")) {
            if (!op_spec["out"].is_string())
                reader.fail("'out' must be a value name, got " + detail::json_excerpt(op_spec["out"]));
            out_name = op_spec["out"].get<std::string>();
        }
        if (ids.count(out_name)) reader.fail("output '" + out_name + "' is already defined");

        const int64_t working = build_op(op, reader, in_shapes);
        int64_t out_elements = 0;
        if (!detail::checked_product(op.out_shape, out_elements)) reader.fail("output is too large");
        check_size(op.context, "output " + shape_string(op.out_shape), out_elements);
        check_size(op.context, "its workspace", working);

        op.output = static_cast<int>(net.value_names.size());
        ids[out_name] = op.output;
        net.value_names.push_back(out_name);
        shapes.push_back(op.out_shape);
        net.ops.push_back(std::move(op));
    }

    net.output = net.ops.back().output;
    net.output_shape = shapes[static_cast<size_t>(net.output)];
    net.last_use.assign(net.value_names.size(), -1);
    for (const Op& op : net.ops)
        for (int v : op.inputs) net.last_use[static_cast<size_t>(v)] = op.index;
    // A label read by one_hot ops only (of one class count) may come as class weights instead.
    if (const auto label = ids.find("label"); label != ids.end() && label->second < static_cast<int>(net.input_names.size())) {
        int64_t classes = 0;
        bool only_one_hot = net.output != label->second;
        for (const Op& op : net.ops)
            for (int v : op.inputs)
                if (v == label->second) {
                    if (op.kind != OpKind::OneHot || (classes != 0 && classes != op.classes)) only_one_hot = false;
                    classes = op.classes;
                }
        if (only_one_hot && classes > 1) net.label_weight_classes = classes;
    }
    return net;
}

}  // namespace ganzoo::graph
