// ganzoo core: Model::load (the nets and the golden check; model_info.cpp reads the rest of the
// document), run(), generate() and verify().
#include "ganzoo/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "document.hpp"
#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/safetensors.hpp"
#include "model_impl.hpp"

namespace ganzoo {

using detail::fail;
using detail::int_field;
using detail::json;
using detail::member;
using detail::number_field;
using detail::shape_string;
using detail::string_field;
using detail::CheckCase;

namespace {

std::optional<CheckCase> read_check(const json& doc, const LoadLimits& limits) {
    if (!doc.contains("check")) return std::nullopt;
    const json& c = doc["check"];
    if (!c.is_object()) fail("check", "must be an object");
    CheckCase check;
    if (c.contains("net")) check.net = string_field(c, "check", "net");
    if (!detail::as_uint64(member(c, "check", "seed"), check.seed))
        fail("check.seed", "must be a non-negative integer, got " + detail::json_excerpt(c["seed"]));
    if (c.contains("first_index"))
        check.first_index = int_field(c["first_index"], "check.first_index", 0, INT64_MAX / 2);
    check.count = int_field(member(c, "check", "count"), "check.count", 1, limits.max_batch);
    if (c.contains("labels")) {
        if (!c["labels"].is_array()) fail("check.labels", "must be an array of integers");
        for (const json& l : c["labels"])
            check.labels.push_back(int_field(l, "check.labels", 0, 1 << 20));
    }
    if (c.contains("codes")) {
        if (!c["codes"].is_object()) fail("check.codes", "must be an object of number arrays");
        for (const auto& item : c["codes"].items()) {
            const std::string path = "check.codes." + item.key();
            if (!item.value().is_array()) fail(path, "must be an array of numbers");
            std::vector<float>& values = check.codes[item.key()];
            for (const json& v : item.value()) values.push_back(static_cast<float>(number_field(v, path)));
        }
    }
    const json& values = member(c, "check", "values");
    if (!values.is_array()) fail("check.values", "must be an array of numbers");
    for (const json& v : values) check.values.push_back(number_field(v, "check.values"));
    check.mean = number_field(member(c, "check", "mean"), "check.mean");
    check.l2 = number_field(member(c, "check", "l2"), "check.l2");
    check.tolerance = number_field(member(c, "check", "tolerance"), "check.tolerance");
    if (!(check.tolerance > 0)) fail("check.tolerance", "must be > 0");
    return check;
}

// "[N, 1, 28, 28]" for a per-sample shape [1, 28, 28].
std::string batch_shape_string(const std::vector<int64_t>& per_sample) {
    std::string s = "[N";
    for (int64_t d : per_sample) s += ", " + std::to_string(d);
    return s + "]";
}

std::string format_double(const char* format, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

// A code input [count, per-sample shape] from one sample's values (repeated) or all samples'.
Tensor code_input(const std::string& name, const std::vector<float>& values, int64_t count,
                  const std::vector<int64_t>& per_sample_shape, int64_t categories) {
    int64_t per_sample = 1;
    for (int64_t d : per_sample_shape) per_sample *= d;
    const auto given = static_cast<int64_t>(values.size());
    if (given != per_sample && given != per_sample * count)
        throw Error("generate: code '" + name + "' takes " + std::to_string(per_sample) +
                    " value(s) per sample: give " + std::to_string(per_sample) + " or " +
                    std::to_string(per_sample * count) + ", not " + std::to_string(given));
    for (float v : values) {
        if (!std::isfinite(v)) throw Error("generate: code '" + name + "' has a value that is not finite");
        if (categories > 0 && (v != std::floor(v) || v < 0 || v >= static_cast<float>(categories)))
            throw Error("generate: code '" + name + "' is categorical: values are whole numbers 0.." +
                        std::to_string(categories - 1) + ", got " + format_double("%g", v));
    }
    std::vector<int64_t> shape{count};
    shape.insert(shape.end(), per_sample_shape.begin(), per_sample_shape.end());
    Tensor t = Tensor::zeros(shape);
    for (int64_t i = 0; i < count; ++i)
        std::copy_n(values.begin() + (given == per_sample ? 0 : i * per_sample), per_sample,
                    t.data.begin() + i * per_sample);
    return t;
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const ModelInfo& Model::info() const {
    return impl_->info;
}

Model Model::load(const uint8_t* bytes, size_t size, const LoadLimits& limits) {
    Safetensors file = read_safetensors(bytes, size, limits);
    const auto meta = file.metadata.find("ganzoo");
    if (meta == file.metadata.end())
        throw Error("not a ganzoo model: the safetensors metadata has no 'ganzoo' document");
    json doc;
    try {
        doc = detail::parse_json_bounded(meta->second, limits.max_json_depth, "ganzoo metadata: the document");
    } catch (const json::exception& e) {
        throw Error(std::string("ganzoo metadata: not well-formed JSON: ") + e.what());
    }
    if (!doc.is_object()) fail("document", "must be a JSON object");

    auto impl = std::make_unique<Impl>();
    impl->limits = limits;
    ModelInfo& info = impl->info;
    info.metadata_json = meta->second;
    impl->inputs = detail::read_description(doc, info, limits);

    const json& nets = member(doc, "", "nets");
    if (!nets.is_object() || nets.empty()) fail("nets", "must be an object with at least one net");
    for (const auto& item : nets.items()) {
        impl->nets.emplace(item.key(),
                           graph::build_net(item.key(), item.value(), impl->inputs, file.tensors, limits));
    }
    detail::describe_nets(impl->nets, info);
    const std::vector<int64_t> image{info.channels, info.height, info.width};
    // G, and the image-to-image nets of a model whose image input names its domains (CycleGAN),
    // output images of the dataset's shape.
    const bool translates = !info.domains.empty();
    for (const auto& [name, net] : impl->nets)
        if ((name == "G" || (translates && net.input_names == std::vector<std::string>{"image"})) &&
            net.output_shape != image)
            throw Error("net '" + name + "': output has per-sample shape " + shape_string(net.output_shape) +
                        ", but dataset.image is " + shape_string(image));

    impl->check = read_check(doc, limits);
    if (impl->check && !impl->nets.count(impl->check->net))
        fail("check.net", "names net '" + impl->check->net + "', which is not in 'nets'");
    return Model(std::move(impl));
}

Tensor Model::run(const std::string& net_name, const std::map<std::string, Tensor>& inputs) const {
    const graph::Net& net = impl_->net(net_name, "run");
    return graph::run_net(net, impl_->ordered_inputs(net, "run: net '" + net_name + "'", inputs));
}

std::vector<Tensor> Model::Impl::ordered_inputs(const graph::Net& net, const std::string& context,
                                                const std::map<std::string, Tensor>& inputs) const {
    for (const auto& item : inputs)
        if (std::find(net.input_names.begin(), net.input_names.end(), item.first) == net.input_names.end())
            throw Error(context + " has no input '" + item.first + "'");
    std::vector<Tensor> ordered;
    int64_t n = -1;
    for (size_t i = 0; i < net.input_names.size(); ++i) {
        const std::string& name = net.input_names[i];
        const auto it = inputs.find(name);
        if (it == inputs.end()) throw Error(context + " needs input '" + name + "'");
        const Tensor& t = it->second;
        std::vector<int64_t> expected{t.rank() ? t.dim(0) : 0};
        expected.insert(expected.end(), net.input_shapes[i].begin(), net.input_shapes[i].end());
        // A label may come as class weights [n, K] where it only feeds one_hot (Net::label_weight_classes).
        const bool weights =
            name == "label" && net.label_weight_classes > 0 && t.rank() == 2 && t.dim(1) == net.label_weight_classes;
        if (weights) expected = t.shape;
        int64_t numel = 0;
        if (t.shape != expected || !detail::checked_product(t.shape, numel) ||
            static_cast<uint64_t>(numel) != t.data.size())
            throw Error(context + ": input '" + name + "' has shape " + shape_string(t.shape) + " (" +
                        std::to_string(t.data.size()) + " values), expected " +
                        batch_shape_string(net.input_shapes[i]));
        // Class weights: each row a mixture, in [0, 1] and summing to 1 (one message without the
        // numbers: formatting them would cost the wasm download more than the whole feature).
        for (int64_t r = 0; weights && r < t.dim(0); ++r) {
            double sum = 0.0;
            bool in_range = true;
            for (int64_t j = 0; j < t.dim(1); ++j) {
                const float w = t.data[static_cast<size_t>(r * t.dim(1) + j)];
                in_range = in_range && w >= 0.0f && w <= 1.0f;
                sum += w;
            }
            if (!in_range || !(std::fabs(sum - 1.0) <= 1e-4))
                throw Error(context + ": class weights of sample " + std::to_string(r) + " are not in [0, 1] summing to 1");
        }
        if (n >= 0 && t.dim(0) != n)
            throw Error(context + ": input '" + name + "' has batch " + std::to_string(t.dim(0)) +
                        ", the other inputs " + std::to_string(n));
        n = t.dim(0);
        ordered.push_back(t);
    }
    if (n < 1 || n > limits.max_batch)
        throw Error(context + ": batch of " + std::to_string(n) + " samples, expected 1.." +
                    std::to_string(limits.max_batch));
    if (static_cast<uint64_t>(n) >
        limits.max_activation_elements / static_cast<uint64_t>(net.max_elements_per_sample))
        throw Error(context + ": batch of " + std::to_string(n) + " needs " +
                    std::to_string(n * net.max_elements_per_sample) +
                    " values for its largest activation, over the limit of " +
                    std::to_string(limits.max_activation_elements));
    return ordered;
}

Tensor Model::generate(const GenerateRequest& req) const {
    const std::string net_name = !req.net.empty() ? req.net : impl_->info.default_net();
    return run(net_name, impl_->request_inputs(req, net_name));
}

std::map<std::string, Tensor> Model::Impl::request_inputs(const GenerateRequest& req, const std::string& net_name) const {
    if (req.count < 1 || req.count > limits.max_batch)
        throw Error("generate: count is " + std::to_string(req.count) + ", expected 1.." +
                    std::to_string(limits.max_batch));
    if (req.first_index < 0)
        throw Error("generate: first_index is " + std::to_string(req.first_index) + ", expected >= 0");
    const graph::Net& net = this->net(net_name, "generate");
    auto takes = [&](const char* name) {
        return std::find(net.input_names.begin(), net.input_names.end(), name) != net.input_names.end();
    };
    if (req.z && !takes("z")) throw Error("generate: net '" + net_name + "' takes no z, but one was given");
    if ((!req.labels.empty() || !req.label_weights.empty()) && !takes("label"))
        throw Error("generate: net '" + net_name + "' takes no label, but labels were given");
    if (!req.label_weights.empty() && (!req.labels.empty() || net.label_weight_classes != info.num_classes))
        throw Error("generate: label weights go alone (no labels), to a net whose label feeds one_hot only");
    if (!(req.truncation >= 0.0f && req.truncation <= 2.0f))
        throw Error("generate: truncation must be in 0..2 (1 = off)");
    for (const auto& item : req.codes) {
        if (item.first == "z" || item.first == "label")
            throw Error("generate: give '" + item.first + "' as the request's " +
                        (item.first == "z" ? "z" : "labels") + ", not as a code");
        if (!takes(item.first.c_str()))
            throw Error("generate: net '" + net_name + "' has no input '" + item.first + "'");
    }
    // A label or an image left out: refused, naming what it takes (a code left out is at its default).
    if (const auto missing = find_missing_input(info, req)) throw Error("generate: " + missing->message);

    std::map<std::string, Tensor> inputs;
    for (const std::string& name : net.input_names) {
        if (name == "z") {
            if (req.z) {
                const std::vector<int64_t> expected{req.count, info.z_dim};
                if (req.z->shape != expected ||
                    static_cast<int64_t>(req.z->data.size()) != req.count * info.z_dim)
                    throw Error("generate: z has shape " + shape_string(req.z->shape) + ", expected " +
                                shape_string(expected));
                inputs["z"] = *req.z;
            } else {
                inputs["z"] = normal_latents(req.seed, req.first_index, req.count, info.z_dim);
            }
            if (req.truncation != 1.0f)
                for (float& v : inputs["z"].data) v *= req.truncation;
        } else if (name == "label" && !req.label_weights.empty()) {
            inputs["label"] = code_input("label weights", req.label_weights, req.count, {info.num_classes}, 0);
        } else if (name == "label") {
            const auto count = static_cast<size_t>(req.count);
            if (req.labels.size() != 1 && req.labels.size() != count)
                throw Error("generate: model '" + info.name +
                            "' is conditional: give one label for all samples or one per sample (" +
                            std::to_string(req.labels.size()) + " given for " + std::to_string(count) +
                            " samples)");
            Tensor labels = Tensor::zeros({req.count, 1});
            for (size_t i = 0; i < count; ++i) {
                const int64_t label = req.labels[req.labels.size() == 1 ? 0 : i];
                if (label < 0 || label >= info.num_classes)
                    throw Error("generate: label " + std::to_string(label) + " is outside [0, " +
                                std::to_string(info.num_classes) + ")");
                labels.data[i] = static_cast<float>(label);
            }
            inputs["label"] = std::move(labels);
        } else {
            // Given, or left out and at its default (a continuous code's neutral 0).
            const InputInfo& in = *info.input(name);
            inputs[name] = code_input(name, req.codes.count(name) ? req.codes.at(name) : in.default_values, req.count,
                                      in.shape, in.kind == InputKind::Categorical ? in.categories : 0);
        }
    }
    return inputs;
}

Tensor Model::translate(const Tensor& images, const std::string& net_name) const {
    const graph::Net& net = impl_->net(net_name, "translate");
    if (net.input_names != std::vector<std::string>{"image"})
        throw Error("translate: net '" + net_name + "' does not take one 'image' input");
    return run(net_name, {{"image", images}});
}

CheckResult Model::verify() const {
    CheckResult result;
    if (!impl_->check) {
        result.message = "no check stored";
        return result;
    }
    const CheckCase& check = *impl_->check;
    result.tolerance = check.tolerance;
    GenerateRequest req;
    req.net = check.net;
    req.seed = check.seed;
    req.first_index = check.first_index;
    req.count = check.count;
    req.labels = check.labels;
    req.codes = check.codes;
    Tensor out;
    try {
        out = generate(req);
    } catch (const Error& e) {
        result.message = std::string("check could not run: ") + e.what();
        return result;
    }
    if (check.values.size() > out.data.size()) {
        result.message = "check stores " + std::to_string(check.values.size()) + " values, the output has " +
                         std::to_string(out.data.size());
        return result;
    }
    double sum = 0, squares = 0;
    for (float v : out.data) {
        sum += v;
        squares += double(v) * v;
    }
    const double mean = out.data.empty() ? 0.0 : sum / static_cast<double>(out.data.size());
    const double l2 = std::sqrt(squares);
    for (size_t i = 0; i < check.values.size(); ++i) {
        const double d = std::fabs(double(out.data[i]) - check.values[i]);
        if (!(d <= result.max_abs_diff)) result.max_abs_diff = d;  // keeps nan
    }
    result.mean_diff = std::fabs(mean - check.mean);
    result.l2_rel_diff = std::fabs(l2 - check.l2) / std::max(1.0, std::fabs(check.l2));
    const double tol = check.tolerance;
    result.passed = result.max_abs_diff <= tol && result.mean_diff <= tol && result.l2_rel_diff <= tol;
    result.message = std::string(result.passed ? "check passed" : "check failed") + " (net '" + check.net +
                     "', seed " + std::to_string(check.seed) + ", " + std::to_string(check.count) +
                     " samples): max |value diff| " + format_double("%.3g", result.max_abs_diff) +
                     ", mean diff " + format_double("%.3g", result.mean_diff) + ", relative L2 diff " +
                     format_double("%.3g", result.l2_rel_diff) + ", tolerance " + format_double("%.3g", tol);
    return result;
}

}  // namespace ganzoo
