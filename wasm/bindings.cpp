// The core's C API for JavaScript (web/ganzoo-worker.js calls it through cwrap).
// Thin on purpose: parse a JSON request, call ganzoo::Model, keep the result in memory
// owned here until the next call on the same handle. No logic the core should own.
//
//   gz_load(bytes, size)        -> handle > 0, or 0 (gz_error() says why)
//   gz_info(h)                  -> JSON: family, name, image shape, range, inputs, classes ...
//   gz_generate(h, request)     -> 0 ok, -1 error; request is JSON (below)
//   gz_output(h) / gz_output_size(h)  floats [N, C, H, W] in the model's range
//   gz_rgba(h) / gz_rgba_size(h)      bytes [N, H, W, 4]
//   gz_free(h)
//
// Request: {"seed": "7", "first_index": 0, "count": 64, "labels": [3], "net": "G",
//           "interpolate": {"from": {"seed": "7", "index": 0}, "to": {...}, "steps": 10,
//                           "mode": "slerp"},
//           "codes": {"c_cat": [...], "c_cont": [...]}}   (extra inputs, one sample's values
//                                                          for all or count samples' values)
// Seeds are strings so that every uint64 survives JavaScript's doubles.
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <emscripten/emscripten.h>
#include <nlohmann/json.hpp>

#include "ganzoo/error.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"

namespace {

using nlohmann::json;

struct Loaded {
    ganzoo::Model model;
    std::string info_json;
    std::vector<float> output;
    std::vector<uint8_t> rgba;
};

std::map<int, std::unique_ptr<Loaded>> models;
int next_handle = 1;
std::string last_error;

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

std::string describe(const ganzoo::ModelInfo& info) {
    json meta = json::parse(info.metadata_json, nullptr, false);
    json inputs = meta.is_object() && meta.contains("inputs") ? meta["inputs"] : json::object();
    json nets = json::object();
    if (meta.is_object() && meta.contains("nets"))
        for (auto& [name, net] : meta["nets"].items())
            nets[name] = net.value("inputs", json::array());
    return json{{"version", info.version},
                {"family", info.family},
                {"name", info.name},
                {"dataset", info.dataset},
                {"classes", info.class_names},
                {"num_classes", info.num_classes},
                {"image", {info.channels, info.height, info.width}},
                {"range", {info.range_lo, info.range_hi}},
                {"z_dim", info.z_dim},
                {"inputs", inputs},
                {"nets", nets},
                {"training", meta.is_object() ? meta.value("training", json::object()) : json::object()}}
        .dump();
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

// Extra inputs (InfoGAN codes): one sample's values repeated, or count samples' values.
ganzoo::Tensor extra_input(const std::string& name, const json& values, int64_t count, int64_t per_sample) {
    std::vector<float> flat = values.get<std::vector<float>>();
    ganzoo::Tensor t = ganzoo::Tensor::zeros({count, per_sample});
    if (static_cast<int64_t>(flat.size()) == per_sample) {
        for (int64_t i = 0; i < count; ++i) std::copy(flat.begin(), flat.end(), t.data.begin() + i * per_sample);
    } else if (static_cast<int64_t>(flat.size()) == per_sample * count) {
        t.data = std::move(flat);
    } else {
        throw ganzoo::Error("codes '" + name + "': expected " + std::to_string(per_sample) + " or " +
                            std::to_string(per_sample * count) + " values, got " + std::to_string(flat.size()));
    }
    return t;
}

void generate(Loaded& loaded, const json& req) {
    const ganzoo::ModelInfo& info = loaded.model.info();
    ganzoo::GenerateRequest g;
    g.net = req.value("net", std::string("G"));
    g.seed = req.contains("seed") ? parse_seed(req["seed"], "seed") : 0;
    g.first_index = req.value("first_index", int64_t{0});
    g.count = req.value("count", int64_t{1});
    if (req.contains("labels")) g.labels = req["labels"].get<std::vector<int64_t>>();
    if (req.contains("interpolate")) {
        const json& ip = req["interpolate"];
        if (info.z_dim <= 0) throw ganzoo::Error("interpolate: this model takes no latent z");
        const int64_t steps = ip.value("steps", int64_t{10});
        const auto mode = ganzoo::parse_interpolation_mode(ip.value("mode", std::string("slerp")));
        g.z = ganzoo::interpolate(latent_of(ip.at("from"), info.z_dim), latent_of(ip.at("to"), info.z_dim), steps, mode);
        g.count = steps;
    }
    ganzoo::Tensor images;
    if (req.contains("codes") && !req["codes"].empty()) {
        // generate() fills only z and label: models with more inputs go through run().
        const json meta = json::parse(info.metadata_json);
        const json& decl = meta.at("inputs");
        std::map<std::string, ganzoo::Tensor> inputs;
        if (info.z_dim > 0)
            inputs["z"] = g.z ? *g.z : ganzoo::normal_latents(g.seed, g.first_index, g.count, info.z_dim);
        if (info.num_classes > 0) {
            if (g.labels.size() != 1 && static_cast<int64_t>(g.labels.size()) != g.count)
                throw ganzoo::Error("labels: this model is conditional, give one label or one per sample");
            ganzoo::Tensor l = ganzoo::Tensor::zeros({g.count, 1});
            for (int64_t i = 0; i < g.count; ++i) l.data[i] = static_cast<float>(g.labels.size() == 1 ? g.labels[0] : g.labels[i]);
            inputs["label"] = l;
        }
        for (auto& [name, values] : req["codes"].items()) {
            if (!decl.contains(name)) throw ganzoo::Error("codes: the model has no input '" + name + "'");
            const json& d = decl[name];
            int64_t per_sample = d.value("dim", int64_t{0});
            if (d.contains("shape")) { per_sample = 1; for (auto s : d["shape"]) per_sample *= s.get<int64_t>(); }
            inputs[name] = extra_input(name, values, g.count, per_sample);
        }
        images = loaded.model.run(g.net, inputs);
    } else {
        images = loaded.model.generate(g);
    }
    loaded.rgba = ganzoo::to_rgba8(images, info.range_lo, info.range_hi);
    loaded.output = std::move(images.data);
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
        auto loaded = std::make_unique<Loaded>(Loaded{ganzoo::Model::load(bytes, static_cast<size_t>(size)), {}, {}, {}});
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
        const json req = json::parse(request_json, nullptr, false);
        if (!req.is_object()) throw ganzoo::Error("request: not a JSON object");
        generate(loaded, req);
        return 0;
    }, -1);
}

EMSCRIPTEN_KEEPALIVE const float* gz_output(int handle) { return lookup(handle).output.data(); }
EMSCRIPTEN_KEEPALIVE int gz_output_size(int handle) { return static_cast<int>(lookup(handle).output.size()); }
EMSCRIPTEN_KEEPALIVE const uint8_t* gz_rgba(int handle) { return lookup(handle).rgba.data(); }
EMSCRIPTEN_KEEPALIVE int gz_rgba_size(int handle) { return static_cast<int>(lookup(handle).rgba.size()); }

EMSCRIPTEN_KEEPALIVE void gz_free(int handle) { models.erase(handle); }

}  // extern "C"
