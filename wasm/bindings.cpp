// The core's C API for JavaScript (web/ganzoo-worker.js calls it through cwrap).
// Thin on purpose: parse a JSON request, call ganzoo::Model (and the core's grid planner), keep
// the result in memory owned here until the next call on the same handle. No logic the core
// should own: what a model takes is its ModelInfo, serialised here as it is.
//
//   gz_load(bytes, size)        -> handle > 0, or 0 (gz_error() says why)
//   gz_info(h)                  -> JSON: the ModelInfo (below)
//   gz_generate(h, request)     -> 0 ok, -1 error; request is JSON (below)
//   gz_plan(h)                  -> JSON: the last generate's grid plan (request "grid"), or "null"
//   gz_translate(h, net, back, images, n) -> 0 ok, -1 error; images: n floats [n, C, H, W] in the
//                               model's range; the output is [3n, C, H, W]: the input, net(input)
//                               and back(net(input)) (CycleGAN: G_AB then G_BA, or the reverse)
//   gz_output(h) / gz_output_size(h)  floats [N, C, H, W] in the model's range
//   gz_output_dim(h, axis)      N, C, H or W of the last output (ProGAN's stages differ in H, W)
//                               (RGBA is made from the floats on the page, by web/ganzoo.js's
//                               port of the core's to_rgba8, when it is first asked for)
//   gz_free(h)
//   gz_threads()                -> threads a generate() call may use (1 unless built with -pthread)
//
// Request: {"seed": "7", "first_index": 0, "count": 64, "labels": [3], "net": "G_8x8" (default:
//           the core's, "G"),
//           "interpolate": {"from": {"seed": "7", "index": 0}, "to": {...}, "steps": 10,
//                           "mode": "slerp"},
//           "codes": {"c_cat": [...], "c_cont": [...]},  (extra inputs, one sample's values
//                                                          for all or count samples' values)
//           "truncation": 0.7,  (the truncation trick: every z scaled by psi; 1 = off)
//           "grid": {"columns": 0, "sweep": ""}}  (plan_grid: labels [K] and codes fix them for
//                                                  every cell; left out, one row per value)
// Seeds are strings so that every uint64 survives JavaScript's doubles.
//
// Info: {"version", "family", "name", "dataset", "classes", "num_classes", "image": [C, H, W],
//        "range": [lo, hi], "z_dim",
//        "inputs": [{"name", "kind" (latent, label, categorical, continuous, image), "shape",
//                    "size", "categories", "range" (when declared), "default" (when it has one),
//                    "distribution", "labelled", "q_outputs": {name: [from, to]}}],
//        "nets": [{"name", "inputs", "output"}],
//        "domains": [{"name": "A", "class", "split", "count", "pixels": [count*C*H*W bytes]}],
//        "translates" (ModelInfo::translates(): domains A and B, nets G_AB and G_BA on "image"),
//        "training": {"command", "device", "commit", "generator", "epochs", "steps", "batch",
//                     "wall_time_s", "ema", "metrics": {name: number or text}} or {}}
// (ModelInfo's fields, in shared/include/ganzoo/model.hpp; empty or absent ones left out.)
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <emscripten/emscripten.h>
#include <nlohmann/json.hpp>

#include "ganzoo/error.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "threads.hpp"

namespace {

using nlohmann::json;

// Every parse reads a range of `const char*` through the plain SAX parser, as the core's do
// (shared/src/json_fields.hpp, which says why): json::parse's result and errors, one parser
// instantiation for the core and the bindings.
json parse_json(const char* text, size_t size, bool allow_exceptions = true) {
    json result;
    nlohmann::detail::json_sax_dom_parser<json> dom(result, allow_exceptions);
    nlohmann::detail::parser<json, nlohmann::detail::iterator_input_adapter<const char*>>(
        nlohmann::detail::input_adapter(text, text + size), nullptr, allow_exceptions)
        .sax_parse(&dom, /*strict=*/true);
    if (dom.is_errored()) result = json(json::value_t::discarded);
    return result;
}
json parse_json(const std::string& text, bool allow_exceptions = true) {
    return parse_json(text.data(), text.size(), allow_exceptions);
}

struct Loaded {
    ganzoo::Model model;
    std::string info_json;
    std::vector<float> output;
    std::vector<int64_t> shape;
    std::string plan_json = "null";
};

std::map<int, std::unique_ptr<Loaded>> models;
int next_handle = 1;
std::string last_error;

// The -pthread build (web/ganzoo-core-mt.*) splits a batch into one contiguous slice of samples
// per thread of the pool (threads.hpp): samples are independent in every op, and latents are
// drawn per sample index, so the images are the same as in one call.

// run(first, n) for slices of [0, count) in parallel, outputs concatenated along the batch.
// A template, not a std::function: each std::function target brings a type-erasure class, its
// vtable and its mangled RTTI name into the wasm (~1 KB per lambda here).
template <class Run>
ganzoo::Tensor run_batch(int64_t count, const Run& run) {
    const int64_t parts = std::min<int64_t>(thread_count(), count);
    if (parts <= 1 || count > ganzoo::LoadLimits{}.max_batch) return run(0, count);  // the core reports limits
#ifdef __EMSCRIPTEN_PTHREADS__
    std::vector<ganzoo::Tensor> outs(static_cast<size_t>(pool().size()));
    pool().run([&](int part) {
        const int64_t first = count * part / parts, last = count * (part + 1) / parts;
        if (part < parts && last > first) outs[static_cast<size_t>(part)] = run(first, last - first);
    });
    ganzoo::Tensor all = std::move(outs[0]);
    all.shape[0] = count;
    for (size_t i = 1; i < outs.size(); ++i)
        all.data.insert(all.data.end(), outs[i].data.begin(), outs[i].data.end());
    return all;
#else
    return run(0, count);
#endif
}

ganzoo::Tensor rows(const ganzoo::Tensor& t, int64_t first, int64_t n) {
    if (t.shape.empty() || (first == 0 && n == t.shape[0])) return t;
    const int64_t per = t.shape[0] ? t.numel() / t.shape[0] : 0;
    ganzoo::Tensor slice;
    slice.shape = t.shape;
    slice.shape[0] = n;
    slice.data.assign(t.data.begin() + first * per, t.data.begin() + (first + n) * per);
    return slice;
}

uint64_t parse_seed(const json& v, const char* what) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        const unsigned long long x = std::strtoull(s.c_str(), &end, 10);
        if (!s.empty() && s[0] != '-' && end && *end == '\0') return x;
    }
    throw ganzoo::Error(std::string(what) + ": expected a non-negative integer seed, got " + v.dump());
}

// ModelInfo as JSON (the field list at the top). Field by field: the same object (its keys are
// sorted either way) in less wasm than initializer lists of pairs.
std::string describe(const ganzoo::ModelInfo& info) {
    json inputs = json::array();
    for (const ganzoo::InputInfo& in : info.inputs) {
        json i = json::object();
        i["name"] = in.name;
        i["kind"] = ganzoo::input_kind_name(in.kind);
        i["shape"] = in.shape;
        i["size"] = in.size;
        if (in.categories) i["categories"] = in.categories;
        if (in.has_range) i["range"] = {in.lo, in.hi};
        if (!in.default_values.empty()) i["default"] = in.default_values;
        if (!in.distribution.empty()) i["distribution"] = in.distribution;
        if (in.labelled) i["labelled"] = in.labelled;
        for (const auto& c : in.q_outputs) i["q_outputs"][c.name] = {c.from, c.to};
        inputs.push_back(std::move(i));
    }
    json nets = json::array();
    for (const ganzoo::NetInfo& n : info.net_info) {
        json net = json::object();
        net["name"] = n.name;
        net["inputs"] = n.inputs;
        net["output"] = n.output_shape;
        nets.push_back(std::move(net));
    }
    json domains = json::array();
    for (const ganzoo::Domain& dm : info.domains) {
        json domain = json::object();
        domain["name"] = dm.name;
        domain["class"] = dm.class_name;
        domain["split"] = dm.split;
        domain["count"] = dm.count;
        domain["pixels"] = dm.pixels;
        domains.push_back(std::move(domain));
    }
    const ganzoo::TrainingRecord& t = info.training;
    json training = json::object();
    if (t.present) {
        for (const auto& [key, value] : {std::pair{"command", &t.command}, std::pair{"device", &t.device},
                                         std::pair{"commit", &t.commit}, std::pair{"generator", &t.generator}})
            if (!value->empty()) training[key] = *value;
        for (const auto& [key, value] : {std::pair{"epochs", &t.epochs}, std::pair{"wall_time_s", &t.wall_time_s},
                                         std::pair{"ema", &t.ema}})
            if (*value) training[key] = **value;
        if (t.steps) training["steps"] = *t.steps;
        if (t.batch) training["batch"] = *t.batch;
        json metrics = json::object();
        for (const auto& m : t.metrics) {
            if (m.number) metrics[m.name] = *m.number;
            else metrics[m.name] = m.text;
        }
        training["metrics"] = std::move(metrics);
    }
    json d = json::object();
    d["version"] = info.version;
    d["family"] = info.family;
    d["name"] = info.name;
    d["dataset"] = info.dataset;
    d["classes"] = info.class_names;
    d["num_classes"] = info.num_classes;
    d["image"] = std::vector<int64_t>{info.channels, info.height, info.width};
    d["range"] = std::vector<float>{info.range_lo, info.range_hi};
    d["z_dim"] = info.z_dim;
    d["inputs"] = std::move(inputs);
    d["nets"] = std::move(nets);
    d["domains"] = std::move(domains);
    d["translates"] = info.translates();
    d["training"] = std::move(training);
    return d.dump();
}

Loaded& lookup(int handle) {
    auto it = models.find(handle);
    if (it == models.end()) throw ganzoo::Error("no model with handle " + std::to_string(handle));
    return *it->second;
}

ganzoo::Tensor latent_of(const json& endpoint, int64_t dim) {
    const uint64_t seed = parse_seed(endpoint.at("seed"), "interpolate endpoint");
    const int64_t index = endpoint.value("index", int64_t{0});
    return ganzoo::normal_latents(seed, index, 1, dim);
}

// Samples first..first+n-1 of a request: its per-sample latents, labels and codes sliced; values
// given once for all are kept. false when something fits neither way (the core names it).
bool slice(const ganzoo::ModelInfo& info, const ganzoo::GenerateRequest& g, int64_t first, int64_t n,
           ganzoo::GenerateRequest& part) {
    part = g;
    part.first_index = g.first_index + first;
    part.count = n;
    if (g.z) part.z = rows(*g.z, first, n);
    const auto count = static_cast<size_t>(g.count);
    if (g.labels.size() == count && count > 1) part.labels.assign(g.labels.begin() + first, g.labels.begin() + first + n);
    else if (g.labels.size() > 1) return false;
    for (auto& [name, values] : part.codes) {
        const ganzoo::InputInfo* in = info.input(name);
        if (!in) return false;
        const auto per = static_cast<size_t>(in->size);
        if (values.size() == per) continue;
        if (values.size() != per * count) return false;
        values.assign(g.codes.at(name).begin() + first * in->size, g.codes.at(name).begin() + (first + n) * in->size);
    }
    return true;
}

// The plan's layout for the page: columns, rows, each cell's latent index, labels and codes.
std::string describe_plan(const ganzoo::GridPlan& p) {
    json j = json::object();
    j["columns"] = p.columns;
    j["rows"] = p.rows;
    j["latent_index"] = p.latent_index;
    j["labels"] = p.request.labels;
    j["codes"] = p.request.codes;
    j["row_input"] = p.row_input;
    j["sweep_input"] = p.sweep_input;
    j["sweep_index"] = p.sweep_index;
    j["description"] = p.description;
    return j.dump();
}

// The result the worker reads back (gz_output, gz_output_dim).
void keep(Loaded& loaded, ganzoo::Tensor images) {
    loaded.shape = images.shape;
    loaded.output = std::move(images.data);
}

void generate(Loaded& loaded, const json& req) {
    const ganzoo::ModelInfo& info = loaded.model.info();
    ganzoo::GenerateRequest g;
    g.net = req.value("net", std::string());
    g.seed = req.contains("seed") ? parse_seed(req["seed"], "seed") : 0;
    g.first_index = req.value("first_index", int64_t{0});
    g.count = req.value("count", int64_t{1});
    if (req.contains("labels")) g.labels = req["labels"].get<std::vector<int64_t>>();
    if (req.contains("codes")) g.codes = req["codes"].get<std::map<std::string, std::vector<float>>>();
    g.truncation = req.value("truncation", 1.0f);
    loaded.plan_json = "null";
    if (req.contains("grid")) {
        const json& grid = req["grid"];
        ganzoo::GridRequest r;
        r.net = g.net;
        r.seed = g.seed;
        r.first_index = g.first_index;
        r.count = g.count;
        r.columns = grid.value("columns", int64_t{0});
        r.sweep = grid.value("sweep", std::string());
        if (g.labels.size() == 1) r.label = g.labels[0];
        else if (!g.labels.empty()) throw ganzoo::Error("grid: give one label for every cell, or none (one row per class)");
        r.codes = g.codes;
        r.truncation = g.truncation;
        const ganzoo::GridPlan plan = ganzoo::plan_grid(info, r);
        g = plan.request;
        loaded.plan_json = describe_plan(plan);
    }
    if (req.contains("interpolate")) {
        const json& ip = req["interpolate"];
        if (info.z_dim <= 0) throw ganzoo::Error("interpolate: this model takes no latent z");
        const int64_t steps = ip.value("steps", int64_t{10});
        const auto mode = ganzoo::parse_interpolation_mode(ip.value("mode", std::string("slerp")));
        g.z = ganzoo::interpolate(latent_of(ip.at("from"), info.z_dim), latent_of(ip.at("to"), info.z_dim), steps, mode);
        g.count = steps;
    }
    // A request that splits (one slice per thread; always one in the single-threaded build, g
    // itself) or, when something fits neither one for all nor one per sample, one call whose
    // error the core words.
    ganzoo::GenerateRequest probe;
    const bool splittable = g.count <= 1 || slice(info, g, 0, 1, probe);
    keep(loaded, run_batch(splittable ? g.count : 1, [&](int64_t first, int64_t n) {
        if (!splittable || n == g.count) return loaded.model.generate(g);
        ganzoo::GenerateRequest part;
        slice(info, g, first, n, part);
        return loaded.model.generate(part);
    }));
}

// x, net(x), back(net(x)) as one batch [3n, C, H, W].
void translate(Loaded& loaded, const std::string& net, const std::string& back, const float* images, int64_t n) {
    const ganzoo::ModelInfo& info = loaded.model.info();
    ganzoo::Tensor x = ganzoo::Tensor::zeros({n, info.channels, info.height, info.width});
    std::copy(images, images + x.numel(), x.data.begin());
    auto run = [&](const ganzoo::Tensor& in, const std::string& name) {
        return run_batch(n, [&](int64_t first, int64_t count) {
            return count == n ? loaded.model.translate(in, name)
                              : loaded.model.translate(rows(in, first, count), name);
        });
    };
    const ganzoo::Tensor y = run(x, net);
    if (y.shape != x.shape) throw ganzoo::Error("translate: net '" + net + "' does not output images of the input's shape");
    const ganzoo::Tensor z = run(y, back);
    if (z.shape != x.shape) throw ganzoo::Error("translate: net '" + back + "' does not output images of the input's shape");
    ganzoo::Tensor all = std::move(x);
    all.shape[0] = 3 * n;
    all.data.insert(all.data.end(), y.data.begin(), y.data.end());
    all.data.insert(all.data.end(), z.data.begin(), z.data.end());
    keep(loaded, std::move(all));
}

template <class F>
auto guarded(F&& f, decltype(f()) on_error) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown error";
    }
    return on_error;
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* gz_error() { return last_error.c_str(); }

EMSCRIPTEN_KEEPALIVE int gz_load(const uint8_t* bytes, int size) {
    return guarded([&] {
        auto loaded = std::make_unique<Loaded>(Loaded{ganzoo::Model::load(bytes, static_cast<size_t>(size)), {}, {}, {}, "null"});
        loaded->info_json = describe(loaded->model.info());
        const int h = next_handle++;
        models[h] = std::move(loaded);
        return h;
    }, 0);
}

EMSCRIPTEN_KEEPALIVE const char* gz_info(int handle) {
    return guarded([&] { return lookup(handle).info_json.c_str(); }, static_cast<const char*>(nullptr));
}

EMSCRIPTEN_KEEPALIVE int gz_generate(int handle, const char* request_json) {
    return guarded([&] {
        Loaded& loaded = lookup(handle);
        const json req = parse_json(request_json, std::strlen(request_json), false);
        if (!req.is_object()) throw ganzoo::Error("request: not a JSON object");
        generate(loaded, req);
        return 0;
    }, -1);
}

EMSCRIPTEN_KEEPALIVE const char* gz_plan(int handle) {
    return guarded([&] { return lookup(handle).plan_json.c_str(); }, static_cast<const char*>(nullptr));
}

EMSCRIPTEN_KEEPALIVE int gz_translate(int handle, const char* net, const char* back, const float* images, int n) {
    return guarded([&] {
        if (n < 1) throw ganzoo::Error("translate: expected at least one image, got " + std::to_string(n));
        translate(lookup(handle), net, back, images, n);
        return 0;
    }, -1);
}

EMSCRIPTEN_KEEPALIVE int gz_output_dim(int handle, int axis) {
    const std::vector<int64_t>& shape = lookup(handle).shape;
    return axis >= 0 && axis < static_cast<int>(shape.size()) ? static_cast<int>(shape[axis]) : 0;
}
EMSCRIPTEN_KEEPALIVE const float* gz_output(int handle) { return lookup(handle).output.data(); }
EMSCRIPTEN_KEEPALIVE int gz_output_size(int handle) { return static_cast<int>(lookup(handle).output.size()); }

EMSCRIPTEN_KEEPALIVE void gz_free(int handle) { models.erase(handle); }

EMSCRIPTEN_KEEPALIVE int gz_threads() { return thread_count(); }

}  // extern "C"
