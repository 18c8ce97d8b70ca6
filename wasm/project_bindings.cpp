// The projection's C API for JavaScript: web/ganzoo-project.{js,wasm}, loaded by
// web/ganzoo-project-worker.js only when m.project() is first called, so that sampling never
// downloads the reverse pass (the engine's budget, tests/web/api_test.mjs). The same core
// sources as web/ganzoo-core.wasm plus ganzoo::project (shared/src/project.cpp) and the backward
// pass: the CLI's `ganzoo project` runs this same code.
//
//   gp_load(bytes, size)        -> handle > 0 (a model or the classifier), or 0 (gp_error() says why)
//   gp_target(h, bytes, c, height, width) -> 0 ok, -1 error: c×height×width bytes (CHW, c = the
//                               model's channels) centre-cropped and area-resized to the model's
//                               image as `ganzoo project --target` reads a file (area_resize), in
//                               its range; gp_output() holds the floats [1, C, H, W]
//   gp_project(h, classifier (0: none), target floats, request) -> 0 ok, -1 error; request JSON:
//                               {"seed", "steps", "starts", "label", "codes", "weights", "threads",
//                               "search_keep", "search_fraction"};
//                               gp_result() is the result (JSON: z, label, codes, loss, losses,
//                               threads, ...), gp_output() its image; every step calls
//                               Module.onStep(done, total, loss, image)
//   gp_threads()                -> threads a projection may use (1 unless built with -pthread:
//                               web/ganzoo-project-core-mt.*, whose pool is started with the module)
//   gp_interpolate(h, request)  -> 0 ok, -1 error: {"from": {"z": [...]} | {"seed", "index"}, "to": ...,
//                               "steps", "mode", "labels", "codes"}: ganzoo::interpolate, then generate
//   gp_output() / gp_output_size()   the last floats
//   gp_free(h)
#include <algorithm>
#include <cstdint>
#include <cstring>
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
#include "ganzoo/project.hpp"
#include "threads.hpp"

EM_JS(void, gp_report, (int done, int total, double loss, const float* image, int n), {
  if (Module.onStep) Module.onStep(done, total, loss, HEAPF32.subarray(image >> 2, (image >> 2) + n));
});

namespace {

using nlohmann::json;

std::map<int, std::unique_ptr<ganzoo::Model>> models;
int next_handle = 1;
std::string last_error, result_json;
std::vector<float> output;

// The -pthread build evaluates a projection's rows (starts x candidates) in slices on the pool
// of threads.hpp.

ganzoo::Model& lookup(int handle) {
    auto it = models.find(handle);
    if (it == models.end()) throw ganzoo::Error("no model with handle " + std::to_string(handle));
    return *it->second;
}

uint64_t parse_seed(const json& v) {
    if (v.is_string()) return std::stoull(v.get<std::string>());
    return v.get<uint64_t>();
}

json loss_json(const ganzoo::ProjectLoss& l) {
    return {{"total", l.total}, {"pixel", l.pixel}, {"perceptual", l.perceptual}, {"prior", l.prior}};
}

ganzoo::Tensor endpoint(const json& e, int64_t dim) {
    if (e.contains("z")) {
        std::vector<float> z = e["z"].get<std::vector<float>>();
        if (static_cast<int64_t>(z.size()) != dim)
            throw ganzoo::Error("interpolate: z has " + std::to_string(z.size()) + " values, the model's z " + std::to_string(dim));
        return ganzoo::Tensor({1, dim}, std::move(z));
    }
    return ganzoo::normal_latents(parse_seed(e.at("seed")), e.value("index", int64_t{0}), 1, dim);
}

template <class F>
int guarded(F&& f) {
    try {
        f();
        return 0;
    } catch (const std::exception& e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown error";
    }
    return -1;
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* gp_error() { return last_error.c_str(); }
EMSCRIPTEN_KEEPALIVE const char* gp_result() { return result_json.c_str(); }
EMSCRIPTEN_KEEPALIVE const float* gp_output() { return output.data(); }
EMSCRIPTEN_KEEPALIVE int gp_output_size() { return static_cast<int>(output.size()); }
EMSCRIPTEN_KEEPALIVE void gp_free(int handle) { models.erase(handle); }
EMSCRIPTEN_KEEPALIVE int gp_threads() { return thread_count(); }

EMSCRIPTEN_KEEPALIVE int gp_load(const uint8_t* bytes, int size) {
    int handle = 0;
    guarded([&] {
        auto m = std::make_unique<ganzoo::Model>(ganzoo::Model::load(bytes, static_cast<size_t>(size)));
        handle = next_handle++;
        models[handle] = std::move(m);
    });
    return handle;
}

EMSCRIPTEN_KEEPALIVE int gp_target(int handle, const uint8_t* bytes, int channels, int height, int width) {
    return guarded([&] {
        const ganzoo::ModelInfo& info = lookup(handle).info();
        if (channels != info.channels)
            throw ganzoo::Error("project: the image has " + std::to_string(channels) + " channels, the model draws " +
                                std::to_string(info.channels));
        const std::vector<uint8_t> src(bytes, bytes + static_cast<size_t>(channels) * height * width);
        const auto pixels = ganzoo::area_resize(src, channels, height, width, info.height, info.width);
        output.resize(pixels.size());
        const float lo = info.range_lo, hi = info.range_hi;
        for (size_t i = 0; i < pixels.size(); ++i) output[i] = lo + (hi - lo) * static_cast<float>(pixels[i]) / 255.0f;
    });
}

EMSCRIPTEN_KEEPALIVE int gp_project(int handle, int classifier, const float* target, const char* request) {
    return guarded([&] {
        const ganzoo::Model& model = lookup(handle);
        const ganzoo::ModelInfo& info = model.info();
        const json req = json::parse(request);
        ganzoo::ProjectOptions o;
        o.net = info.default_net();
        o.seed = req.contains("seed") ? parse_seed(req["seed"]) : 0;
        o.steps = req.value("steps", int64_t{300});
        o.starts = req.value("starts", int64_t{4});
        o.threads = std::clamp<int64_t>(req.value("threads", int64_t{thread_count()}), 1, thread_count());
        o.search_keep = req.value("search_keep", o.search_keep);
        o.search_fraction = req.value("search_fraction", o.search_fraction);
#ifdef __EMSCRIPTEN_PTHREADS__
        o.pool = &pool();
#endif
        if (req.contains("label") && !req["label"].is_null()) o.label = req["label"].get<int64_t>();
        if (req.contains("codes")) o.codes = req["codes"].get<std::map<std::string, std::vector<float>>>();
        const json w = req.value("weights", json::object());
        o.weights.pixel = w.value("pixel", o.weights.pixel);
        o.weights.perceptual = classifier ? w.value("perceptual", o.weights.perceptual) : 0.0;
        o.weights.prior = w.value("prior", o.weights.prior);
        const ganzoo::NetInfo* net = info.net(o.net);
        std::vector<int64_t> shape{1};
        if (net && net->output_shape.size() == 3) shape.insert(shape.end(), net->output_shape.begin(), net->output_shape.end());
        else shape = {1, info.channels, info.height, info.width};
        ganzoo::Tensor t = ganzoo::Tensor::zeros(shape);
        std::copy(target, target + t.numel(), t.data.begin());
        const int64_t per = t.numel();
        const ganzoo::ProjectResult r = ganzoo::project(model, t, o, classifier ? &lookup(classifier) : nullptr,
            [&](int64_t done, int64_t total, double loss, const float* image) {
                gp_report(static_cast<int>(done), static_cast<int>(total), loss, image, static_cast<int>(per));
            });
        json codes = json::object();
        for (const auto& [name, values] : r.request.codes) codes[name] = values;
        json candidates = json::array();
        for (const auto& c : r.candidates) {
            json j = {{"loss", c.loss}, {"steps", c.steps}};
            if (r.candidates.size() > 1) j["losses"] = c.losses;  // the search's curves
            if (c.label) j["label"] = *c.label;
            for (const auto& [name, v] : c.categories) j[name] = v;
            candidates.push_back(j);
        }
        json doc = {{"net", r.request.net}, {"z", r.request.z->data}, {"codes", codes}, {"seed", std::to_string(o.seed)},
                    {"steps", o.steps}, {"starts", o.starts}, {"start", r.start}, {"learning_rate", o.learning_rate},
                    {"threads", std::min<int64_t>(o.threads, static_cast<int64_t>(r.candidates.size()) * o.starts)},
                    {"weights", {{"pixel", o.weights.pixel}, {"perceptual", o.weights.perceptual}, {"prior", o.weights.prior}}},
                    {"loss", {{"initial", loss_json(r.initial)}, {"final", loss_json(r.final)},
                              {"pixel_mse", r.final.pixel / o.weights.pixel}}},
                    {"search", {{"keep", o.search_keep}, {"fraction", o.search_fraction}}}, {"evaluations", r.evaluations},
                    {"candidates", candidates}, {"snapshot_steps", r.snapshot_steps}, {"losses", r.losses},
                    {"label", r.request.labels.empty() ? json(nullptr) : json(r.request.labels.front())}};
        result_json = doc.dump();
        output = r.image.data;
    });
}

EMSCRIPTEN_KEEPALIVE int gp_interpolate(int handle, const char* request) {
    return guarded([&] {
        const ganzoo::Model& model = lookup(handle);
        const ganzoo::ModelInfo& info = model.info();
        const json req = json::parse(request);
        ganzoo::GenerateRequest g;
        g.net = info.default_net();
        const int64_t steps = req.value("steps", int64_t{10});
        g.z = ganzoo::interpolate(endpoint(req.at("from"), info.z_dim), endpoint(req.at("to"), info.z_dim), steps,
                                  ganzoo::parse_interpolation_mode(req.value("mode", std::string("slerp"))));
        g.count = steps;
        if (req.contains("labels")) g.labels = req["labels"].get<std::vector<int64_t>>();
        if (req.contains("codes")) g.codes = req["codes"].get<std::map<std::string, std::vector<float>>>();
        output = model.generate(g).data;
    });
}

}  // extern "C"
