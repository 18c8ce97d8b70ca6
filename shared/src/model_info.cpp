// ganzoo core: ModelInfo, the typed description of a model, read from its document
// (docs/format.md), and what is derived from it for the front ends.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "document.hpp"
#include "ganzoo/model.hpp"

namespace ganzoo {

using detail::fail;
using detail::int_field;
using detail::json;
using detail::member;
using detail::number_field;
using detail::string_field;

namespace detail {
namespace {

constexpr int kFormatVersion = 1;
constexpr int64_t kMaxInputDim = 1 << 20;
constexpr int64_t kMaxClasses = 1 << 20;

void read_dataset(const json& doc, ModelInfo& info, const LoadLimits& limits) {
    const json& d = member(doc, "", "dataset");
    if (!d.is_object()) fail("dataset", "must be an object");
    info.dataset = string_field(d, "dataset", "name");
    if (d.contains("classes")) {
        if (!d["classes"].is_array()) fail("dataset.classes", "must be an array of class names");
        for (const json& c : d["classes"]) {
            if (!c.is_string()) fail("dataset.classes", "must hold strings, got " + json_excerpt(c));
            info.class_names.push_back(c.get<std::string>());
        }
    }
    const json& image = member(d, "dataset", "image");
    if (!image.is_array() || image.size() != 3)
        fail("dataset.image", "must be [C, H, W], got " + json_excerpt(image));
    info.channels = int_field(image[0], "dataset.image[0] (channels)", 1, kMaxInputDim);
    info.height = int_field(image[1], "dataset.image[1] (height)", 1, limits.max_image_side);
    info.width = int_field(image[2], "dataset.image[2] (width)", 1, limits.max_image_side);
    const json& range = member(d, "dataset", "range");
    if (!range.is_array() || range.size() != 2)
        fail("dataset.range", "must be [lo, hi], got " + json_excerpt(range));
    info.range_lo = static_cast<float>(number_field(range[0], "dataset.range[0]"));
    info.range_hi = static_cast<float>(number_field(range[1], "dataset.range[1]"));
    if (!(info.range_lo < info.range_hi))
        fail("dataset.range", "must have lo < hi, got " + json_excerpt(range));
}

// CycleGAN's image input: "domains" {"A": class, "B": class} and the held-out "examples"
// {"A": {"class", "split", "pixels": [[C*H*W integers 0..255], ...]}, "B": ...}.
void read_domains(const json& v, const std::string& path, const InputInfo& input, ModelInfo& info) {
    const json& d = v["domains"];
    if (!d.is_object() || !d.contains("A") || !d.contains("B") || !d["A"].is_string() || !d["B"].is_string())
        fail(path + ".domains", "must be {\"A\": class name, \"B\": class name}, got " + json_excerpt(d));
    const json* examples = v.contains("examples") ? &v["examples"] : nullptr;
    if (examples && !examples->is_object()) fail(path + ".examples", "must be an object {\"A\": ..., \"B\": ...}");
    for (const char* side : {"A", "B"}) {
        Domain domain;
        domain.name = side;
        domain.class_name = d[side].get<std::string>();
        if (examples && examples->contains(side)) {
            const std::string field = path + ".examples." + side;
            const json& e = (*examples)[side];
            if (!e.is_object()) fail(field, "must be an object with \"pixels\"");
            if (e.contains("split") && e["split"].is_string()) domain.split = e["split"].get<std::string>();
            const json& rows = member(e, field, "pixels");
            if (!rows.is_array()) fail(field + ".pixels", "must be a list of images");
            for (size_t i = 0; i < rows.size(); ++i) {
                const json& row = rows[i];
                const std::string at = field + ".pixels[" + std::to_string(i) + "]";
                if (!row.is_array() || static_cast<int64_t>(row.size()) != input.size)
                    fail(at, "must hold " + std::to_string(input.size) + " integers 0..255 (C*H*W)");
                for (const json& p : row) {
                    int64_t value = 0;
                    if (!as_int64(p, value) || value < 0 || value > 255)
                        fail(at, "must hold integers 0..255, got " + json_excerpt(p));
                    domain.pixels.push_back(static_cast<uint8_t>(value));
                }
            }
            domain.count = static_cast<int64_t>(rows.size());
        }
        info.domains.push_back(std::move(domain));
    }
}

// Q's output columns (InfoGAN): {"logits": [from, to), "mean": [from, to)}.
void read_q_outputs(const json& v, const std::string& path, InputInfo& input) {
    if (!v.is_object()) fail(path, "must be an object of [from, to) column ranges");
    for (const auto& item : v.items()) {
        const json& r = item.value();
        const std::string field = path + "." + item.key();
        if (!r.is_array() || r.size() != 2) fail(field, "must be [from, to), got " + json_excerpt(r));
        InputInfo::Columns c{item.key(), int_field(r[0], field, 0, kMaxInputDim), int_field(r[1], field, 0, kMaxInputDim)};
        if (c.to <= c.from) fail(field, "must be [from, to) with from < to, got " + json_excerpt(r));
        input.q_outputs.push_back(c);
    }
}

// Per-sample shapes of the declared inputs: z -> [dim], label -> [1], other -> "shape" or [dim].
graph::InputShapes read_inputs(const json& doc, ModelInfo& info) {
    const json& inputs = member(doc, "", "inputs");
    if (!inputs.is_object()) fail("inputs", "must be an object");
    graph::InputShapes shapes;
    for (const auto& item : inputs.items()) {
        const std::string path = "inputs." + item.key();
        const json& v = item.value();
        if (!v.is_object()) fail(path, "must be an object");
        InputInfo in;
        in.name = item.key();
        if (in.name == "z") {
            in.kind = InputKind::Latent;
            info.z_dim = int_field(member(v, path, "dim"), path + ".dim", 1, kMaxInputDim);
            if (v.contains("distribution") && v["distribution"] != "normal")
                fail(path + ".distribution",
                     "is " + json_excerpt(v["distribution"]) + ", only \"normal\" is supported");
            in.shape = {info.z_dim};
        } else if (in.name == "label") {
            in.kind = InputKind::Label;
            info.num_classes = int_field(member(v, path, "classes"), path + ".classes", 1, kMaxClasses);
            if (!info.class_names.empty() && static_cast<int64_t>(info.class_names.size()) != info.num_classes)
                fail(path + ".classes", "is " + std::to_string(info.num_classes) + " but dataset.classes names " +
                                            std::to_string(info.class_names.size()));
            in.categories = info.num_classes;
            in.shape = {1};
        } else if (v.contains("shape")) {
            if (!v["shape"].is_array()) fail(path + ".shape", "must be an array of positive integers");
            for (const json& d : v["shape"]) in.shape.push_back(int_field(d, path + ".shape", 1, kMaxInputDim));
        } else if (v.contains("dim")) {
            in.shape = {int_field(v["dim"], path + ".dim", 1, kMaxInputDim)};
        } else {
            fail(path, "needs 'dim' or 'shape' (its per-sample shape)");
        }
        in.size = 1;  // each dim <= 2^20: capped at 2^62 before it could overflow
        for (int64_t d : in.shape) in.size = in.size > (int64_t{1} << 62) / d ? int64_t{1} << 62 : in.size * d;
        if (v.contains("distribution") && v["distribution"].is_string())
            in.distribution = v["distribution"].get<std::string>();
        if (in.kind != InputKind::Latent && in.kind != InputKind::Label) {
            if (v.contains("categories")) {
                in.kind = InputKind::Categorical;
                in.categories = int_field(v["categories"], path + ".categories", 1, kMaxClasses);
                if (in.shape != std::vector<int64_t>{1})
                    fail(path + ".shape", "must be [1] for a categorical input (one category per sample)");
            } else if (in.shape.size() == 3) {
                in.kind = InputKind::Image;
            }
            if (v.contains("range")) {
                const json& r = v["range"];
                if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number() ||
                    !(r[0].get<double>() < r[1].get<double>()))
                    fail(path + ".range", "must be [lo, hi] with lo < hi, got " + json_excerpt(r));
                in.has_range = true;
                in.lo = r[0].get<double>();
                in.hi = r[1].get<double>();
            }
            // A code has a neutral value (docs/format.md): 0, category 0 for a categorical one, as
            // the members' LibTorch sample() feeds a code it is not given. A label has none.
            if (in.kind == InputKind::Categorical || (in.kind == InputKind::Continuous && in.has_range))
                in.default_values.assign(static_cast<size_t>(in.size), 0.0f);
            if (v.contains("labelled")) in.labelled = int_field(v["labelled"], path + ".labelled", 0, INT64_MAX);
            if (v.contains("q_outputs")) read_q_outputs(v["q_outputs"], path + ".q_outputs", in);
            if (v.contains("domains")) read_domains(v, path, in, info);
        }
        shapes[in.name] = in.shape;
        info.inputs.push_back(std::move(in));
    }
    return shapes;
}

// The training record, field by field: what is not of the expected type is left out.
void read_training(const json& doc, TrainingRecord& t) {
    if (!doc.contains("training") || !doc["training"].is_object()) return;
    const json& v = doc["training"];
    t.present = true;
    auto text = [&](const char* key, std::string& out) {
        if (v.contains(key) && v[key].is_string()) out = v[key].get<std::string>();
    };
    auto number = [&](const char* key, std::optional<double>& out) {
        if (v.contains(key) && v[key].is_number()) out = v[key].get<double>();
    };
    auto integer = [&](const char* key, std::optional<int64_t>& out) {
        int64_t i = 0;
        if (v.contains(key) && as_int64(v[key], i)) out = i;
    };
    text("command", t.command);
    text("device", t.device);
    text("commit", t.commit);
    text("generator", t.generator);
    number("epochs", t.epochs);
    number("wall_time_s", t.wall_time_s);
    number("ema", t.ema);
    integer("steps", t.steps);
    integer("batch", t.batch);
    if (!v.contains("metrics") || !v["metrics"].is_object()) return;
    for (const auto& item : v["metrics"].items()) {
        TrainingRecord::Metric m;
        m.name = item.key();
        const json& value = item.value();
        if (value.is_number()) m.number = value.get<double>();
        m.integer = value.is_number_integer();
        m.text = value.is_string() ? value.get<std::string>() : json_excerpt(value);
        t.metrics.push_back(std::move(m));
    }
}

}  // namespace

graph::InputShapes read_description(const json& doc, ModelInfo& info, const LoadLimits& limits) {
    const std::string format = string_field(doc, "", "format");
    if (format != "ganzoo-graph") fail("format", "is '" + format + "', expected 'ganzoo-graph'");
    const int64_t version = int_field(member(doc, "", "version"), "version", 1, INT32_MAX);
    if (version > kFormatVersion)
        fail("version", std::to_string(version) + " is newer than this core supports (" +
                            std::to_string(kFormatVersion) + ")");
    info.version = static_cast<int>(version);
    info.family = string_field(doc, "", "family");
    info.name = string_field(doc, "", "name");
    read_dataset(doc, info, limits);
    graph::InputShapes shapes = read_inputs(doc, info);
    read_training(doc, info.training);
    return shapes;
}

void describe_nets(const std::map<std::string, graph::Net>& nets, ModelInfo& info) {
    for (const auto& [name, net] : nets) {
        info.nets.push_back(name);
        info.net_info.push_back({name, net.input_names, net.output_shape});
    }
}

}  // namespace detail

const char* input_kind_name(InputKind kind) {
    switch (kind) {
        case InputKind::Latent: return "latent";
        case InputKind::Label: return "label";
        case InputKind::Categorical: return "categorical";
        case InputKind::Image: return "image";
        default: return "continuous";
    }
}

bool NetInfo::takes(const std::string& input) const {
    return std::find(inputs.begin(), inputs.end(), input) != inputs.end();
}

const InputInfo* ModelInfo::input(const std::string& input_name) const {
    for (const InputInfo& in : inputs)
        if (in.name == input_name) return &in;
    return nullptr;
}

const NetInfo* ModelInfo::net(const std::string& net_name) const {
    for (const NetInfo& n : net_info)
        if (n.name == net_name) return &n;
    return nullptr;
}

std::string ModelInfo::default_net() const {
    if (net("G")) return "G";
    return nets.empty() ? std::string() : nets.front();
}

std::vector<const InputInfo*> ModelInfo::conditions(const std::string& net_name) const {
    std::vector<const InputInfo*> out;
    if (const NetInfo* n = net(net_name))
        for (const std::string& name : n->inputs)
            if (const InputInfo* in = input(name); in && in->kind != InputKind::Latent) out.push_back(in);
    return out;
}

bool ModelInfo::translates() const {
    const NetInfo *ab = net("G_AB"), *ba = net("G_BA");
    const std::vector<std::string> image{"image"};
    return domains.size() == 2 && ab && ba && ab->inputs == image && ba->inputs == image;
}

const Domain* ModelInfo::domain(const std::string& domain_name) const {
    for (const Domain& d : domains)
        if (d.name == domain_name) return &d;
    return nullptr;
}

std::string describe_values(const InputInfo& in, const ModelInfo& info) {
    const auto last = std::to_string(in.categories - 1);
    switch (in.kind) {
        case InputKind::Label: {
            std::string names;
            for (size_t k = 0; k < info.class_names.size() && k < 12; ++k)
                names += (k ? ", " : " (") + info.class_names[k];
            if (info.class_names.size() > 12) names += ", ...";
            return "a class 0.." + last + names + (names.empty() ? "" : ")");
        }
        case InputKind::Categorical: return "a category 0.." + last;
        case InputKind::Image: return "an image " + detail::shape_string(in.shape);
        default: {
            std::string s = std::to_string(in.size) + (in.size == 1 ? " value" : " values");
            if (!in.has_range) return s;
            char range[64];
            std::snprintf(range, sizeof range, " in [%g, %g]", in.lo, in.hi);
            return s + range;
        }
    }
}

Tensor example_images(const ModelInfo& info, const Domain& domain) {
    Tensor t = Tensor::zeros({domain.count, info.channels, info.height, info.width});
    for (size_t i = 0; i < domain.pixels.size() && i < t.data.size(); ++i)
        t.data[i] = static_cast<float>(domain.pixels[i]) / 127.5f - 1.0f;
    return t;
}

std::optional<MissingInput> find_missing_input(const ModelInfo& info, const GenerateRequest& r) {
    const std::string net = r.net.empty() ? info.default_net() : r.net;
    for (const InputInfo* in : info.conditions(net)) {
        const bool given = in->kind == InputKind::Label ? !r.labels.empty() || !r.label_weights.empty()
                                                        : r.codes.count(in->name) > 0;
        if (given || !in->default_values.empty()) continue;
        const bool per_sample = in->kind == InputKind::Label || in->kind == InputKind::Categorical;
        return MissingInput{in, "net '" + net + "' of model '" + info.name + "' needs input '" + in->name + "': " +
                                    describe_values(*in, info) +
                                    (per_sample ? ", one for all samples or one per sample" : " per sample")};
    }
    return std::nullopt;
}

namespace {

// A value of the file, cut to what a terminal can show: containers deeper than `depth` or
// longer than `items` are described by their size (a CycleGAN's examples hold 25,088 values).
json bounded(const json& value, int depth, size_t items) {
    if (value.is_string() && value.get_ref<const std::string&>().size() > 200)
        return value.get_ref<const std::string&>().substr(0, 200) + "... (" +
               std::to_string(value.get_ref<const std::string&>().size()) + " bytes)";
    if (!value.is_structured()) return value;
    const std::string kind = value.is_array() ? "an array of " + std::to_string(value.size()) + " items"
                                              : "an object of " + std::to_string(value.size()) + " fields";
    if (depth == 0 || value.size() > items) return "<" + kind + ">";
    json out = value.is_array() ? json::array() : json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (value.is_array()) out.push_back(bounded(*it, depth - 1, items));
        else out[it.key().substr(0, 100)] = bounded(*it, depth - 1, items);
    }
    return out;
}

// The fields of the format that `ganzoo info` shows in full (nets and check are for the core).
const char* const kKnownFields[] = {"format", "version", "family", "name", "dataset", "inputs", "training"};

}  // namespace

std::string document_summary(const ModelInfo& info) {
    const json doc = detail::parse_json(info.metadata_json);
    const auto& known = kKnownFields;
    json out = json::object();
    for (const char* key : known)
        if (doc.contains(key)) out[key] = bounded(doc[key], 6, 64);
    json others = json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (std::find(std::begin(known), std::end(known), it.key()) == std::end(known) && it.key() != "nets" &&
            it.key() != "check" && others.size() < 16)
            others[it.key().substr(0, 100)] = bounded(*it, 2, 16);
    if (!others.empty()) out["other fields"] = others;
    // ASCII only: dump escapes C0 itself, and with ensure_ascii DEL and C1 (\u009b) too.
    return out.dump(2, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

}  // namespace ganzoo
