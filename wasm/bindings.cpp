// The core's C API for JavaScript (web/ganzoo-worker.js calls it through cwrap).
// Thin on purpose: parse a JSON request, call ganzoo::Model, keep the result in memory
// owned here until the next call on the same handle. No logic the core should own.
//
//   gz_load(bytes, size)        -> handle > 0, or 0 (gz_error() says why)
//   gz_info(h)                  -> JSON: family, name, image shape, range, inputs, classes ...
//   gz_generate(h, request)     -> 0 ok, -1 error; request is JSON (below)
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
//           "codes": {"c_cat": [...], "c_cont": [...]}}   (extra inputs, one sample's values
//                                                          for all or count samples' values)
// Seeds are strings so that every uint64 survives JavaScript's doubles.
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
#ifdef __EMSCRIPTEN_PTHREADS__
#include <condition_variable>
#include <mutex>
#include <thread>
#include <emscripten/threading.h>
#endif

#include <emscripten/emscripten.h>
#include <nlohmann/json.hpp>

#include "ganzoo/error.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"

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
};

std::map<int, std::unique_ptr<Loaded>> models;
int next_handle = 1;
std::string last_error;

// The -pthread build (web/ganzoo-core-mt.*) splits a batch into one contiguous slice of samples
// per thread: samples are independent in every op, and latents are drawn per sample index, so
// the images are the same as in one call. Threads come from emscripten's pre-started pool
// (-sPTHREAD_POOL_SIZE); this file's caller is itself a Web Worker, so blocking here is allowed.
#ifdef __EMSCRIPTEN_PTHREADS__
#ifndef GANZOO_MAX_THREADS
#define GANZOO_MAX_THREADS 8  // keep in step with -sPTHREAD_POOL_SIZE (wasm/CMakeLists.txt)
#endif
class BatchPool {
public:
    explicit BatchPool(int threads) {
        for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    int size() const { return static_cast<int>(workers_.size()) + 1; }

    // job(i) for i in [0, size()); part 0 runs on the calling thread. Rethrows the first error.
    void run(const std::function<void(int)>& job) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            pending_ = size() - 1;
            ++generation_;
            error_ = nullptr;
        }
        wake_.notify_all();
        std::exception_ptr mine;
        try {
            job(0);
        } catch (...) {
            mine = std::current_exception();
        }
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        job_ = nullptr;
        if (mine) std::rethrow_exception(mine);
        if (error_) std::rethrow_exception(error_);
    }

private:
    void work(int part) {
        uint64_t seen = 0;
        for (;;) {
            const std::function<void(int)>* job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return generation_ != seen; });
                seen = generation_;
                job = job_;
            }
            std::exception_ptr error;
            try {
                (*job)(part);
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (error && !error_) error_ = error;
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;  // never joined: they live as long as the page's worker
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* job_ = nullptr;
    int pending_ = 0;
    uint64_t generation_ = 0;
    std::exception_ptr error_;
};

int thread_count() {
    // navigator.hardwareConcurrency, capped by the pool the runtime pre-started.
    static const int n = std::clamp(emscripten_num_logical_cores(), 1, GANZOO_MAX_THREADS);
    return n;
}

BatchPool& pool() {
    static BatchPool p(thread_count());
    return p;
}
#else
int thread_count() { return 1; }
#endif

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

std::string describe(const ganzoo::ModelInfo& info) {
    json meta = parse_json(info.metadata_json, false);
    json inputs = meta.is_object() && meta.contains("inputs") ? meta["inputs"] : json::object();
    json nets = json::object();
    if (meta.is_object() && meta.contains("nets"))
        for (auto& [name, net] : meta["nets"].items())
            nets[name] = net.value("inputs", json::array());
    // Field by field, not one initializer list of pairs: the same object (its keys are sorted
    // either way), in ~2.5 KB less wasm.
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
    d["training"] = meta.is_object() ? meta.value("training", json::object()) : json::object();
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
        const json meta = parse_json(info.metadata_json);
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
        images = run_batch(g.count, [&](int64_t first, int64_t n) {
            if (n == g.count) return loaded.model.run(g.net.empty() ? "G" : g.net, inputs);  // one slice
            std::map<std::string, ganzoo::Tensor> slice;
            for (const auto& [name, t] : inputs) slice[name] = rows(t, first, n);
            return loaded.model.run(g.net.empty() ? "G" : g.net, slice);
        });
    } else {
        // Labels that fit neither way stay unsplit, so that the core's error names the count.
        const bool per_sample = static_cast<int64_t>(g.labels.size()) == g.count;
        const bool splittable = g.labels.size() <= 1 || per_sample;
        // One slice (always so in the single-threaded build) is g itself: first is 0, n is count.
        images = run_batch(splittable ? g.count : 1, [&](int64_t first, int64_t n) {
            if (!splittable || n == g.count) return loaded.model.generate(g);
            ganzoo::GenerateRequest part = g;
            part.first_index = g.first_index + first;
            part.count = n;
            if (per_sample && g.count > 1)
                part.labels.assign(g.labels.begin() + first, g.labels.begin() + first + n);
            if (g.z) part.z = rows(*g.z, first, n);
            return loaded.model.generate(part);
        });
    }
    keep(loaded, std::move(images));
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
        const json req = parse_json(request_json, std::strlen(request_json), false);
        if (!req.is_object()) throw ganzoo::Error("request: not a JSON object");
        generate(loaded, req);
        return 0;
    }, -1);
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
