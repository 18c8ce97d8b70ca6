// ganzoo studio: the models in a Dear ImGui app, one source for the desktop (GLFW + OpenGL 3) and
// the browser (Emscripten's GLFW + WebGL 2). Every image comes from the shared core
// (ganzoo::Model::generate / run, ganzoo::to_rgba8): seed S shows what `ganzoo sample --seed S`
// writes. Generation never runs on the UI's frame: natively a worker thread, in the browser a few
// small batches per frame within a time budget.
//
//   ganzoo-studio [FILE.safetensors ...] [--models DIR] [--model NAME] [--seed S] [--ini PATH]
//                 [--size WxH] [--scale F] [--script CMDS] [--screenshot PNG] [--frames N]
//                 [--bench N]
//   web/studio.html?model=NAME&seed=S&script=CMDS&bench=N   (the same options, from the URL)
//
// --script: commands separated by ';', run one after the other between frames (tests, docs):
//   wait            until no generation is pending and its images are on screen
//   frames:N        render N frames
//   click:LABEL     a left click on a tracked widget (Randomize, Walk, ...), through ImGui's input
//   key:NAME        a key press (R, SPACE, LEFT, RIGHT, H, ...), through ImGui's input
//   set:NAME=V      seed, count, zoom, class, model (a name from the model list)
//   shot:PNG        (native) the framebuffer as PNG, and PNG.json with the tracked widgets' rects
//   dump:PNG        (native) grid cell 0's pixels as the core made them (to_rgba8), 1:1
//   quit            exit 0
// Any command that cannot run (unknown widget, model that fails to load) exits with status 1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ganzoo/error.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "imgui_internal.h"  // ImGuiSettingsHandler: the studio's own section of the .ini

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#include <emscripten/emscripten.h>
#define GLFW_INCLUDE_ES3
#include <GLES3/gl3.h>
#include <GLFW/glfw3.h>
#else
#include <GLFW/glfw3.h>
#include <GL/gl.h>
#include <dirent.h>
#include <sys/stat.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#endif

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// ---------------------------------------------------------------------------------------------
// Platform: what differs between the desktop and the browser. Everything else is shared.
// ---------------------------------------------------------------------------------------------
#ifdef __EMSCRIPTEN__
// Strings handed to C++ are malloc'd copies (freed by the caller).
EM_JS(char*, js_query_string, (), {
    const s = window.location.search || "";
    const n = lengthBytesUTF8(s) + 1, p = _malloc(n);
    stringToUTF8(s, p, n);
    return p;
});
EM_JS(char*, js_storage_get, (), {
    let v = null;
    try { v = window.localStorage.getItem("ganzoo-studio"); } catch (e) {}
    if (v === null) return 0;
    const n = lengthBytesUTF8(v) + 1, p = _malloc(n);
    stringToUTF8(v, p, n);
    return p;
});
EM_JS(void, js_storage_set, (const char* text), {
    try { window.localStorage.setItem("ganzoo-studio", UTF8ToString(text)); } catch (e) {}
});
// The canvas fills the page (CSS); its drawing buffer is the CSS size times devicePixelRatio.
EM_JS(void, js_canvas_size, (int* w, int* h, float* dpr), {
    const r = window.devicePixelRatio || 1;
    setValue(w, Math.max(1, Math.round(window.innerWidth * r)), "i32");
    setValue(h, Math.max(1, Math.round(window.innerHeight * r)), "i32");
    setValue(dpr, r, "float");
});
EM_JS(void, js_publish, (const char* text), {
    window.studio = JSON.parse(UTF8ToString(text));
    if (window.studio.bench && !window.studioBenchPrinted) {
        window.studioBenchPrinted = true;
        console.log("studio bench: " + JSON.stringify(window.studio.bench));
    }
});
EM_JS(void, js_download_png, (const char* name, const unsigned char* rgba, int w, int h), {
    const c = document.createElement("canvas");
    c.width = w; c.height = h;
    const img = new ImageData(new Uint8ClampedArray(HEAPU8.subarray(rgba, rgba + w * h * 4)), w, h);
    c.getContext("2d").putImageData(img, 0, 0);
    const a = document.createElement("a");
    a.download = UTF8ToString(name);
    a.href = c.toDataURL("image/png");
    a.click();
});
// The browser test's hook: grid cell 0's pixels as the core made them, when the page asks.
EM_JS(int, js_wants_cell, (), { return window.studioWantCell ? 1 : 0; });
EM_JS(void, js_put_cell, (const unsigned char* rgba, int w, int h, int generation), {
    window.studioWantCell = false;
    window.studioCell = {width: w, height: h, generation: generation, rgba: Array.from(HEAPU8.subarray(rgba, rgba + w * h * 4))};
});
EM_JS(void, js_report_error, (const char* text), {
    console.error(UTF8ToString(text));
    document.body.dataset.error = UTF8ToString(text);
});
#endif

// ---------------------------------------------------------------------------------------------
// Generation jobs: a list of steps (each one core call on a small batch), run off the UI frame.
// ---------------------------------------------------------------------------------------------
struct Images {
    int width = 0, height = 0, count = 0;
    std::vector<uint8_t> rgba;  // count images of width*height*4, one after the other
    const uint8_t* image(int i) const { return rgba.data() + static_cast<size_t>(i) * width * height * 4; }
};

using Step = std::function<ganzoo::Tensor(const ganzoo::Model&)>;

struct Job {
    std::shared_ptr<const ganzoo::Model> model;
    std::vector<Step> steps;
    float lo = -1, hi = 1;
    uint64_t id = 0;
};

struct Result {
    uint64_t id = 0;
    Images images;
    double ms = 0;  // time in the core
    std::string error;
};

enum Slot { kGrid = 0, kInterp = 1, kCycle = 2, kSlots = 3 };

// Natively a thread; in the browser pump() runs steps on the main thread within a time budget.
// A slot's new job replaces its pending or running one (the running one stops between steps).
class Worker {
public:
    Worker() {
#ifndef __EMSCRIPTEN__
        thread_ = std::thread([this] { loop(); });
#endif
    }
    ~Worker() {
#ifndef __EMSCRIPTEN__
        {
            std::lock_guard<std::mutex> lock(mu_);
            quit_ = true;
        }
        cv_.notify_all();
        thread_.join();
#endif
    }
    uint64_t submit(Slot slot, Job job) {
        std::lock_guard<std::mutex> lock(mu_);
        job.id = ++next_id_;
        latest_[slot] = job.id;
        pending_[slot] = std::move(job);
        cv_.notify_all();
        return latest_[slot];
    }
    std::optional<Result> take(Slot slot) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!done_[slot]) return std::nullopt;
        std::optional<Result> r = std::move(done_[slot]);
        done_[slot].reset();
        return r;
    }
    bool busy() const {
        std::lock_guard<std::mutex> lock(mu_);
        for (int s = 0; s < kSlots; ++s)
            if (pending_[s] || done_[s]) return true;
        return running_;
    }
    float progress(Slot slot) const {
        std::lock_guard<std::mutex> lock(mu_);
        return running_slot_ == slot && steps_total_ > 0 ? float(steps_done_) / float(steps_total_) : 0.0f;
    }
#ifdef __EMSCRIPTEN__
    // Runs steps until budget_ms has passed (at least one step when there is work).
    void pump(double budget_ms) {
        const auto start = Clock::now();
        do {
            if (!active_) {
                if (!start_next()) return;
            }
            if (!run_one_step()) active_.reset();
        } while (ms_since(start) < budget_ms);
    }
#endif

private:
    struct Active {
        Slot slot;
        Job job;
        size_t next = 0;
        Result result;
    };

    // Takes the next pending job (lowest slot first). Called with or without the lock held by
    // the platform loop below; returns false when there is nothing to do.
    bool start_next() {
        std::lock_guard<std::mutex> lock(mu_);
        for (int s = 0; s < kSlots; ++s)
            if (pending_[s]) {
                active_ = Active{Slot(s), std::move(*pending_[s]), 0, {}};
                pending_[s].reset();
                active_->result.id = active_->job.id;
                running_ = true;
                running_slot_ = s;
                steps_done_ = 0;
                steps_total_ = static_cast<int>(active_->job.steps.size());
                return true;
            }
        return false;
    }
    // One step of the active job; false when the job is over (finished, failed or superseded).
    bool run_one_step() {
        Active& a = *active_;
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (latest_[a.slot] != a.job.id) {  // superseded
                running_ = false;
                return false;
            }
        }
        bool over = a.next >= a.job.steps.size();
        if (!over) {
            try {
                const auto t0 = Clock::now();
                const ganzoo::Tensor images = a.job.steps[a.next](*a.job.model);
                a.result.ms += ms_since(t0);
                if (images.rank() != 4) throw std::runtime_error("the net's output is not a batch of images");
                const auto rgba = ganzoo::to_rgba8(images, a.job.lo, a.job.hi);
                Images& out = a.result.images;
                out.width = static_cast<int>(images.dim(3));
                out.height = static_cast<int>(images.dim(2));
                out.count += static_cast<int>(images.dim(0));
                out.rgba.insert(out.rgba.end(), rgba.begin(), rgba.end());
            } catch (const std::exception& e) {
                a.result.error = e.what();
                over = true;
            }
            ++a.next;
            over = over || a.next >= a.job.steps.size();
        }
        std::lock_guard<std::mutex> lock(mu_);
        steps_done_ = static_cast<int>(a.next);
        if (over) {
            if (latest_[a.slot] == a.job.id) done_[a.slot] = std::move(a.result);
            running_ = false;
            return false;
        }
        return true;
    }
#ifndef __EMSCRIPTEN__
    void loop() {
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mu_);
                cv_.wait(lock, [this] {
                    if (quit_) return true;
                    for (int s = 0; s < kSlots; ++s)
                        if (pending_[s]) return true;
                    return false;
                });
                if (quit_) return;
            }
            if (!start_next()) continue;
            while (run_one_step()) {
                std::lock_guard<std::mutex> lock(mu_);
                if (quit_) return;
            }
            active_.reset();
        }
    }
    std::thread thread_;
    std::condition_variable cv_;
    bool quit_ = false;
#else
    struct NoCv {
        void notify_all() {}
    } cv_;
#endif
    mutable std::mutex mu_;
    std::optional<Job> pending_[kSlots];
    std::optional<Result> done_[kSlots];
    uint64_t latest_[kSlots] = {0, 0, 0};
    uint64_t next_id_ = 0;
    std::optional<Active> active_;
    bool running_ = false;
    int running_slot_ = -1, steps_done_ = 0, steps_total_ = 0;
};

// ---------------------------------------------------------------------------------------------
// GL textures of image batches (an atlas: `columns` images per row).
// ---------------------------------------------------------------------------------------------
struct Atlas {
    GLuint tex = 0;
    int columns = 1, width = 0, height = 0;  // atlas size in pixels
    Images images;

    void upload(Images imgs, int cols) {
        images = std::move(imgs);
        columns = std::max(1, std::min(cols, std::max(1, images.count)));
        const int rows = (images.count + columns - 1) / columns;
        width = columns * images.width;
        height = std::max(1, rows) * images.height;
        std::vector<uint8_t> px(static_cast<size_t>(width) * height * 4, 0);
        for (int i = 0; i < images.count; ++i) {
            const int cx = (i % columns) * images.width, cy = (i / columns) * images.height;
            for (int y = 0; y < images.height; ++y)
                std::memcpy(&px[(static_cast<size_t>(cy + y) * width + cx) * 4],
                            images.image(i) + static_cast<size_t>(y) * images.width * 4,
                            static_cast<size_t>(images.width) * 4);
        }
        if (!tex) glGenTextures(1, &tex);
        glBindTexture(GL_TEXTURE_2D, tex);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    }
    bool ready() const { return tex && images.count > 0; }
    // Draws image i at `size` pixels; returns true when clicked.
    void draw(int i, ImVec2 size) const {
        const float u0 = float((i % columns) * images.width) / float(width);
        const float v0 = float((i / columns) * images.height) / float(height);
        const float u1 = u0 + float(images.width) / float(width), v1 = v0 + float(images.height) / float(height);
        ImGui::Image(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)), size, ImVec2(u0, v0), ImVec2(u1, v1));
    }
};

// ---------------------------------------------------------------------------------------------
// What a model file offers: its ModelInfo (the core's description), and what the studio draws.
// ---------------------------------------------------------------------------------------------
struct LoadedModel {
    std::shared_ptr<const ganzoo::Model> model;
    std::string title, path;
    std::vector<std::string> stages;  // nets fed by z, smallest output first (ProGAN: several)
    bool cycle = false;               // an image-to-image model (CycleGAN): G_AB and G_BA on "image"
    std::string verify;               // the golden check's line, once run
    const ganzoo::ModelInfo& info() const { return model->info(); }
};

// A domain as the studio names it: "A (Sneaker)".
std::string domain_title(const ganzoo::Domain& d) { return d.name + " (" + d.class_name + ")"; }

// The codes of a net the studio has controls for (InfoGAN's categorical and continuous codes).
std::vector<const ganzoo::InputInfo*> net_codes(const ganzoo::ModelInfo& info, const std::string& net) {
    std::vector<const ganzoo::InputInfo*> codes;
    for (const ganzoo::InputInfo* in : info.conditions(net))
        if (in->kind == ganzoo::InputKind::Categorical || in->kind == ganzoo::InputKind::Continuous) codes.push_back(in);
    return codes;
}

LoadedModel describe(std::shared_ptr<const ganzoo::Model> model, const std::string& title, const std::string& path) {
    LoadedModel m;
    m.model = std::move(model);
    m.title = title;
    m.path = path;
    const ganzoo::ModelInfo& info = m.info();
    auto height = [](const ganzoo::NetInfo& n) { return n.output_shape.size() == 3 ? n.output_shape[1] : INT64_MAX; };
    std::vector<const ganzoo::NetInfo*> generators;
    for (const ganzoo::NetInfo& n : info.net_info)
        if (n.takes("z")) generators.push_back(&n);
    std::stable_sort(generators.begin(), generators.end(),
                     [&](const ganzoo::NetInfo* a, const ganzoo::NetInfo* b) { return height(*a) < height(*b); });
    for (const ganzoo::NetInfo* n : generators) m.stages.push_back(n->name);
    m.cycle = info.translates();
    if (m.cycle && (info.domains[0].count == 0 || info.domains[1].count == 0))
        throw std::runtime_error("a CycleGAN file needs inputs.image.examples with domains A and B (docs/format.md)");
    if (m.stages.empty() && !m.cycle)
        throw std::runtime_error("no generator in this file (no net takes z, no G_AB/G_BA pair)");
    return m;
}

// ---------------------------------------------------------------------------------------------
// Settings remembered between runs: the studio's section of the ImGui .ini text (natively a file,
// in the browser localStorage; the windows' places are in the same text).
// ---------------------------------------------------------------------------------------------
struct Settings {
    std::string model;  // the last model's title
    uint64_t seed = 7;
    int count = 64, zoom = 0, z_sliders = 8, interp_frames = 10, klass = -1;
    bool slerp = true;
    float walk_speed = 0.6f;
    std::string folder;
};

struct ModelEntry {
    std::string title, path;  // path: a file (native) or a URL (web)
    json manifest;            // its manifest entry (metrics measured after export), if any
};

struct Tracked {
    ImVec2 min, max;
};

// ---------------------------------------------------------------------------------------------
// The app.
// ---------------------------------------------------------------------------------------------
struct App {
    GLFWwindow* window = nullptr;
    float scale = 1.0f;  // UI scale: the monitor's content scale (desktop) or devicePixelRatio (web)
    Settings settings;
    std::string ini_path;  // native: where settings live; empty: not remembered
    bool remember = true;

    std::vector<ModelEntry> entries;
    int selected = -1, loading = -1;
    std::optional<LoadedModel> loaded;
    std::string status, error;

    // Latent controls
    std::string stage;  // the net the grid runs
    int focus = 0;      // the cell whose latent the sliders show
    std::vector<float> focus_z;
    bool focus_edited = false;
    bool walking = false;
    double walk_t = 0;
    std::map<std::string, std::vector<float>> code_values;  // per code: its values (continuous)
    std::map<std::string, int> code_choice;               // per categorical code: -1 rows, else value
    int columns = 8;

    // Interpolation and CycleGAN
    int pick_a = 0, pick_b = 1;
    ganzoo::GridPlan grid_plan;               // the layout of the grid on screen
    ganzoo::Tensor grid_z;                    // the latents of the grid on screen
    std::vector<int64_t> grid_labels;
    std::map<std::string, std::vector<float>> grid_codes;
    int domain = 0, example = 0;

    Worker worker;
    Atlas atlas[kSlots];
    bool dirty[kSlots] = {false, false, false};
    uint64_t submitted[kSlots] = {0, 0, 0};
    int generations = 0;  // grid results shown
    double gen_ms_per_image = 0, gen_ms_total = 0;

    // Frame timing
    std::deque<double> frame_ms;
    Clock::time_point last_frame = Clock::now();
    int frame = 0;

    // UI
    bool show_help = false, show_card = true, show_interp = true;
    std::map<std::string, Tracked> tracked;
    std::string save_dir = ".";

    // Script, bench
    std::deque<std::string> script;
    int script_wait_frames = 0;
    int pending_click_release = -1;
    int pending_key_release = -1;
    std::string click_target;
    std::string pending_shot;
    bool quit = false;
    int exit_code = 0;
    int bench_left = 0, bench_total = 0;
    std::vector<double> bench_frames, bench_idle;
    int bench_idle_left = 60;
    double bench_gen_ms = 0;
    int bench_images = 0;
    json bench_result;

    // -----------------------------------------------------------------------------------------
    void fail(const std::string& message) {
        std::fprintf(stderr, "ganzoo-studio: %s\n", message.c_str());
#ifdef __EMSCRIPTEN__
        js_report_error(message.c_str());
#endif
        exit_code = 1;
        quit = true;
    }

    void track(const std::string& label) { tracked[label] = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}; }

    // ---- models ------------------------------------------------------------------------------
    void add_entry(const std::string& title, const std::string& path, const json& manifest = json()) {
        for (const auto& e : entries)
            if (e.path == path) return;
        entries.push_back({title, path, manifest});
    }

    void add_manifest(const std::string& text, const std::string& dir) {
        const json m = json::parse(text, nullptr, false);
        if (m.is_discarded() || !m.contains("models")) {
            error = "models/manifest.json is not a ganzoo manifest";
            return;
        }
        for (const auto& e : m["models"]) {
            if (!e.contains("file")) continue;
            const std::string file = e["file"];
            add_entry(e.value("title", file), dir + "/" + file, e);
        }
    }

#ifndef __EMSCRIPTEN__
    static bool read_text(const std::string& path, std::string& out) {
        std::ifstream f(path, std::ios::binary);
        if (!f) return false;
        std::stringstream ss;
        ss << f.rdbuf();
        out = ss.str();
        return true;
    }
    // The shipped manifest's titles first, then every other .safetensors in the folder.
    void scan_folder(const std::string& dir) {
        std::string text;
        if (read_text(dir + "/manifest.json", text)) add_manifest(text, dir);
        DIR* d = opendir(dir.c_str());
        if (!d) {
            error = "cannot open folder " + dir;
            return;
        }
        std::vector<std::string> files;
        while (dirent* e = readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0) files.push_back(name);
        }
        closedir(d);
        std::sort(files.begin(), files.end());
        for (const auto& f : files) add_entry(f, dir + "/" + f);
    }
#endif

    void select(int index) {
        if (index < 0 || index >= static_cast<int>(entries.size())) return;
        loading = index;
        error.clear();
        status = "loading " + entries[index].title + " ...";
#ifdef __EMSCRIPTEN__
        struct Ctx {
            App* app;
            int index;
        };
        emscripten_async_wget_data(
            entries[index].path.c_str(), new Ctx{this, index},
            [](void* arg, void* data, int size) {
                std::unique_ptr<Ctx> ctx(static_cast<Ctx*>(arg));
                ctx->app->on_model_bytes(ctx->index, static_cast<const uint8_t*>(data), static_cast<size_t>(size));
            },
            [](void* arg) {
                std::unique_ptr<Ctx> ctx(static_cast<Ctx*>(arg));
                ctx->app->on_model_error(ctx->index, "could not fetch " + ctx->app->entries[ctx->index].path);
            });
#else
        std::string bytes;
        if (!read_text(entries[index].path, bytes)) return on_model_error(index, "cannot read " + entries[index].path);
        on_model_bytes(index, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
#endif
    }

    void on_model_error(int index, const std::string& message) {
        if (index != loading) return;
        loading = -1;
        status.clear();
        error = message;
        if (!script.empty()) fail(message);
    }

    void on_model_bytes(int index, const uint8_t* data, size_t size) {
        if (index != loading) return;
        try {
            auto model = std::make_shared<const ganzoo::Model>(ganzoo::Model::load(data, size));
            loaded = describe(std::move(model), entries[index].title, entries[index].path);
        } catch (const std::exception& e) {
            return on_model_error(index, entries[index].title + ": " + e.what());
        }
        loading = -1;
        selected = index;
        status.clear();
        settings.model = entries[index].title;
        ImGui::MarkIniSettingsDirty();
        stage = loaded->stages.empty() ? "" : loaded->stages.back();
        code_values.clear();
        code_choice.clear();
        for (const auto& s : loaded->stages)
            for (const ganzoo::InputInfo* c : net_codes(loaded->info(), s)) {
                code_values[c->name] = c->default_values.empty() ? std::vector<float>(static_cast<size_t>(c->size), 0.0f)
                                                                 : c->default_values;
                code_choice[c->name] = -1;
            }
        const int64_t classes = loaded->model->info().num_classes;
        if (settings.klass >= classes) settings.klass = -1;
        domain = 0;
        example = 0;
        focus = 0;
        focus_edited = false;
        walking = false;
        pick_a = 0;
        pick_b = 1;
        for (int s = 0; s < kSlots; ++s) {
            atlas[s].images = Images{};
            dirty[s] = true;
        }
    }

    // ---- requests ----------------------------------------------------------------------------
    int64_t z_dim() const { return loaded ? loaded->model->info().z_dim : 0; }
    std::vector<const ganzoo::InputInfo*> stage_codes() const { return net_codes(loaded->info(), stage); }

    // The grid as the settings ask for it, laid out by the core's planner (ganzoo/grid.hpp) as
    // `ganzoo sample` lays it out: one row per class (cGAN, no class picked) or per value of a
    // categorical code (InfoGAN, no value picked), else count samples of the seed.
    ganzoo::GridPlan plan() const {
        ganzoo::GridRequest g;
        g.net = stage;
        g.seed = settings.seed;
        g.count = settings.count;
        if (settings.klass >= 0 && loaded->info().num_classes > 0) g.label = settings.klass;
        for (const ganzoo::InputInfo* c : stage_codes()) {
            const auto choice = code_choice.find(c->name);
            if (c->kind == ganzoo::InputKind::Categorical) {
                if (choice != code_choice.end() && choice->second >= 0) g.codes[c->name] = {static_cast<float>(choice->second)};
            } else {
                g.codes[c->name] = code_values.at(c->name);
            }
        }
        return ganzoo::plan_grid(loaded->info(), g);
    }

    // Latents of the grid: the plan's (sample latent_index[i] of the seed), moved along the random
    // walk's ellipse, the focus cell's edited dimensions on top.
    ganzoo::Tensor grid_latents(const ganzoo::GridPlan& p) const {
        const int64_t n = static_cast<int64_t>(p.latent_index.size()), dim = z_dim();
        ganzoo::Tensor z = ganzoo::Tensor::zeros({n, dim});
        const uint64_t other_seed = ganzoo::splitmix64(settings.seed ^ 0x57a1c0deULL);
        const float c = static_cast<float>(std::cos(walk_t)), s = static_cast<float>(std::sin(walk_t));
        for (int64_t i = 0; i < n; ++i) {
            ganzoo::Tensor base = ganzoo::normal_latents(settings.seed, p.latent_index[static_cast<size_t>(i)], 1, dim);
            if (walk_t != 0) {
                const ganzoo::Tensor other = ganzoo::normal_latents(other_seed, p.latent_index[static_cast<size_t>(i)], 1, dim);
                for (size_t j = 0; j < base.data.size(); ++j) base.data[j] = c * base.data[j] + s * other.data[j];
            }
            std::copy(base.data.begin(), base.data.end(), z.data.begin() + i * dim);
        }
        if (focus_edited && focus < n && static_cast<int64_t>(focus_z.size()) == dim)
            std::copy(focus_z.begin(), focus_z.end(), z.data.begin() + focus * dim);
        return z;
    }

    void refresh_focus() {
        const int64_t dim = z_dim();
        if (dim <= 0 || stage.empty()) return;
        const ganzoo::GridPlan p = plan();
        const ganzoo::Tensor z = grid_latents(p);
        if (focus >= static_cast<int>(p.latent_index.size())) focus = 0;
        focus_z.assign(z.data.begin() + focus * dim, z.data.begin() + (focus + 1) * dim);
    }

    // Splits per-sample inputs into batches of `batch` samples: one core call each.
    static std::vector<Step> batched_steps(const std::string& net, const ganzoo::Tensor& z,
                                           const std::vector<int64_t>& labels,
                                           const std::map<std::string, std::vector<float>>& codes,
                                           const std::map<std::string, int64_t>& code_sizes, int64_t batch) {
        std::vector<Step> steps;
        const int64_t n = z.dim(0), dim = z.dim(1);
        for (int64_t b0 = 0; b0 < n; b0 += batch) {
            const int64_t b1 = std::min(n, b0 + batch);
            ganzoo::GenerateRequest r;
            r.net = net;
            r.count = b1 - b0;
            r.z = ganzoo::Tensor({b1 - b0, dim}, std::vector<float>(z.data.begin() + b0 * dim, z.data.begin() + b1 * dim));
            if (!labels.empty()) r.labels.assign(labels.begin() + b0, labels.begin() + b1);
            for (const auto& [name, values] : codes) {
                const int64_t size = code_sizes.at(name);
                r.codes[name].assign(values.begin() + b0 * size, values.begin() + b1 * size);
            }
            steps.push_back([r](const ganzoo::Model& m) { return m.generate(r); });
        }
        return steps;
    }

    // Batch size per core call: natively larger (the worker thread is off the UI), in the browser
    // small enough that one call fits a frame's budget.
    static int64_t batch_size() {
#ifdef __EMSCRIPTEN__
        return 4;
#else
        return 16;
#endif
    }

    void submit_grid() {
        dirty[kGrid] = false;
        if (!loaded || stage.empty()) return;
        grid_plan = plan();
        const ganzoo::GenerateRequest& r = grid_plan.request;
        const int64_t n = r.count;
        columns = static_cast<int>(grid_plan.columns);
        grid_z = grid_latents(grid_plan);
        // Per-sample labels and codes (the plan gives one for all where they do not vary).
        grid_labels.clear();
        for (int64_t i = 0; i < n && !r.labels.empty(); ++i)
            grid_labels.push_back(r.labels[r.labels.size() == 1 ? 0 : static_cast<size_t>(i)]);
        grid_codes.clear();
        std::map<std::string, int64_t> sizes;
        for (const auto& [name, values] : r.codes) {
            const int64_t size = loaded->info().input(name)->size;
            sizes[name] = size;
            auto& all = grid_codes[name];
            for (int64_t i = 0; i < n; ++i) {
                const auto from = values.begin() + (static_cast<int64_t>(values.size()) == size ? 0 : i * size);
                all.insert(all.end(), from, from + size);
            }
        }
        Job job;
        job.model = loaded->model;
        job.lo = loaded->model->info().range_lo;
        job.hi = loaded->model->info().range_hi;
        job.steps = batched_steps(stage, grid_z, grid_labels, grid_codes, sizes, batch_size());
        submitted[kGrid] = worker.submit(kGrid, std::move(job));
    }

    void submit_interp() {
        dirty[kInterp] = false;
        if (!loaded || stage.empty() || grid_z.data.empty()) return;
        const int64_t n = grid_z.dim(0), dim = grid_z.dim(1);
        const int a = std::min<int>(pick_a, static_cast<int>(n) - 1), b = std::min<int>(pick_b, static_cast<int>(n) - 1);
        const auto row = [&](int i) {
            return ganzoo::Tensor({1, dim}, std::vector<float>(grid_z.data.begin() + i * dim, grid_z.data.begin() + (i + 1) * dim));
        };
        const int64_t frames = settings.interp_frames;
        const ganzoo::Tensor z = ganzoo::interpolate(row(a), row(b), frames,
                                                     settings.slerp ? ganzoo::InterpolationMode::Slerp : ganzoo::InterpolationMode::Lerp);
        std::vector<int64_t> labels;
        if (!grid_labels.empty()) labels.assign(static_cast<size_t>(frames), grid_labels[static_cast<size_t>(a)]);
        std::map<std::string, std::vector<float>> codes;
        std::map<std::string, int64_t> sizes;
        for (const auto& [name, all] : grid_codes) {  // endpoint A's codes, the same along the strip
            const int64_t size = loaded->info().input(name)->size;
            sizes[name] = size;
            for (int64_t f = 0; f < frames; ++f) codes[name].insert(codes[name].end(), all.begin() + a * size, all.begin() + (a + 1) * size);
        }
        Job job;
        job.model = loaded->model;
        job.lo = loaded->model->info().range_lo;
        job.hi = loaded->model->info().range_hi;
        job.steps = batched_steps(stage, z, labels, codes, sizes, batch_size());
        submitted[kInterp] = worker.submit(kInterp, std::move(job));
    }

    // The held-out image, its translation and the cycle back: three images.
    void submit_cycle() {
        dirty[kCycle] = false;
        if (!loaded || !loaded->cycle) return;
        const ganzoo::ModelInfo& info = loaded->info();
        const ganzoo::Domain& d = info.domains[static_cast<size_t>(domain)];
        if (d.count == 0) return;
        example = std::clamp(example, 0, static_cast<int>(d.count) - 1);
        const float lo = info.range_lo, hi = info.range_hi;
        // The example as the core decodes it (docs/format.md), as `ganzoo translate --examples` reads it.
        const ganzoo::Tensor all = ganzoo::example_images(info, d);
        const int64_t per = info.channels * info.height * info.width;
        ganzoo::Tensor input({1, info.channels, info.height, info.width},
                             std::vector<float>(all.data.begin() + example * per, all.data.begin() + (example + 1) * per));
        const std::string there = domain == 0 ? "G_AB" : "G_BA", back = domain == 0 ? "G_BA" : "G_AB";
        Job job;
        job.model = loaded->model;
        job.lo = lo;
        job.hi = hi;
        auto translated = std::make_shared<ganzoo::Tensor>();
        job.steps.push_back([input](const ganzoo::Model&) { return input; });
        job.steps.push_back([input, there, translated](const ganzoo::Model& m) {
            *translated = m.run(there, {{"image", input}});
            return *translated;
        });
        job.steps.push_back([back, translated](const ganzoo::Model& m) { return m.run(back, {{"image", *translated}}); });
        submitted[kCycle] = worker.submit(kCycle, std::move(job));
    }

    void randomize() {
        settings.seed = ganzoo::splitmix64(settings.seed + 0x9e3779b97f4a7c15ULL) % 1000000;
        focus_edited = false;
        walk_t = 0;
        dirty[kGrid] = dirty[kInterp] = true;
        ImGui::MarkIniSettingsDirty();
    }

    void set_seed(uint64_t seed) {
        settings.seed = seed;
        focus_edited = false;
        walk_t = 0;
        dirty[kGrid] = dirty[kInterp] = true;
        ImGui::MarkIniSettingsDirty();
    }

    void save_cell(const Images& imgs, int i, const std::string& what) {
        if (i < 0 || i >= imgs.count) return;
        char name[256];
        std::string model = loaded ? loaded->model->info().name : "ganzoo";
        std::snprintf(name, sizeof name, "%s-%s-seed%llu-%d.png", model.c_str(), what.c_str(),
                      static_cast<unsigned long long>(settings.seed), i);
#ifdef __EMSCRIPTEN__
        js_download_png(name, imgs.image(i), imgs.width, imgs.height);
        status = std::string("downloaded ") + name;
#else
        const std::string path = save_dir + "/" + name;
        if (stbi_write_png(path.c_str(), imgs.width, imgs.height, 4, imgs.image(i), imgs.width * 4))
            status = "saved " + path;
        else
            error = "cannot write " + path;
#endif
    }

    // ---- frame -------------------------------------------------------------------------------
    void collect_results() {
        for (int s = 0; s < kSlots; ++s) {
            std::optional<Result> r = worker.take(Slot(s));
            if (!r || r->id != submitted[s]) continue;
            if (!r->error.empty()) {
                error = r->error;
                if (!script.empty()) fail("generation failed: " + r->error);
                continue;
            }
            const int cols = s == kGrid ? columns : r->images.count;
            if (s == kGrid) {
                ++generations;
                gen_ms_total = r->ms;
                gen_ms_per_image = r->images.count ? r->ms / r->images.count : 0;
                if (bench_left > 0 && bench_idle_left == 0) {
                    bench_gen_ms += r->ms;
                    bench_images += r->images.count;
                }
                dirty[kInterp] = true;  // its endpoints are grid cells
            }
            atlas[s].upload(std::move(r->images), cols);
        }
    }

    bool keys_free() const { return !ImGui::GetIO().WantTextInput; }

    void shortcuts() {
        if (!keys_free()) return;
        if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) randomize();
        if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) walking = !walking;
        if (ImGui::IsKeyPressed(GLFW_KEY_RIGHT)) set_seed(settings.seed + 1);
        if (ImGui::IsKeyPressed(GLFW_KEY_LEFT) && settings.seed > 0) set_seed(settings.seed - 1);
        if (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)) zoom_by(1);
        if (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)) zoom_by(-1);
        if (ImGui::IsKeyPressed(GLFW_KEY_PAGE_DOWN, false)) select(std::min(static_cast<int>(entries.size()) - 1, selected + 1));
        if (ImGui::IsKeyPressed(GLFW_KEY_PAGE_UP, false)) select(std::max(0, selected - 1));
        if (ImGui::IsKeyPressed(GLFW_KEY_H, false) || ImGui::IsKeyPressed(GLFW_KEY_F1, false)) show_help = !show_help;
        if (ImGui::IsKeyPressed(GLFW_KEY_I, false)) show_interp = !show_interp;
        if (ImGui::IsKeyPressed(GLFW_KEY_M, false)) show_card = !show_card;
        if (ImGui::IsKeyPressed(GLFW_KEY_S, false) && atlas[kGrid].ready()) save_cell(atlas[kGrid].images, focus, "cell");
    }

    int zoom() const { return settings.zoom > 0 ? settings.zoom : std::max(1, static_cast<int>(std::lround(2 * scale))); }
    void zoom_by(int d) {
        settings.zoom = std::clamp(zoom() + d, 1, 16);
        ImGui::MarkIniSettingsDirty();
    }

    void ui_menu() {
        if (!ImGui::BeginMainMenuBar()) return;
        if (ImGui::BeginMenu("View")) {
            ImGui::MenuItem("Model card", "M", &show_card);
            ImGui::MenuItem("Interpolation", "I", &show_interp);
            ImGui::MenuItem("Help", "H", &show_help);
            ImGui::EndMenu();
        }
        if (ImGui::MenuItem("Help")) show_help = !show_help;
        // Frame time (mean of the last 120 frames, and the worst) and the core's ms per image.
        double mean = 0, worst = 0;
        for (double f : frame_ms) mean += f, worst = std::max(worst, f);
        if (!frame_ms.empty()) mean /= static_cast<double>(frame_ms.size());
        char text[160];
        std::snprintf(text, sizeof text, "frame %.1f ms (max %.1f)  |  %.3f ms per image (%d in %.1f ms)", mean, worst,
                      gen_ms_per_image, atlas[kGrid].images.count, gen_ms_total);
        ImGui::SameLine(ImGui::GetWindowWidth() - ImGui::CalcTextSize(text).x - 16 * scale);
        ImGui::TextUnformatted(text);
        ImGui::EndMainMenuBar();
    }

    void ui_models(ImVec2 pos, ImVec2 size) {
        ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
        ImGui::Begin("Models");
        for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
            ImGui::PushID(i);
            if (ImGui::Selectable(entries[i].title.c_str(), i == selected)) select(i);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", entries[i].path.c_str());
            track("model:" + entries[i].title);
            ImGui::PopID();
        }
        if (entries.empty()) ImGui::TextDisabled("no models yet");
#ifndef __EMSCRIPTEN__
        ImGui::Separator();
        char buf[512];
        std::snprintf(buf, sizeof buf, "%s", settings.folder.c_str());
        ImGui::SetNextItemWidth(-70 * scale);
        if (ImGui::InputTextWithHint("##folder", "a folder of .safetensors", buf, sizeof buf)) settings.folder = buf;
        ImGui::SameLine();
        if (ImGui::Button("Scan") && !settings.folder.empty()) {
            scan_folder(settings.folder);
            ImGui::MarkIniSettingsDirty();
        }
#endif
        if (!status.empty()) ImGui::TextWrapped("%s", status.c_str());
        if (!error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", error.c_str());
        ImGui::End();
    }

    void ui_latent(ImVec2 pos, ImVec2 size) {
        ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
        ImGui::Begin("Latent");
        if (!loaded) {
            ImGui::TextDisabled("pick a model");
            ImGui::End();
            return;
        }
        if (loaded->stages.empty()) {
            ImGui::TextWrapped("This model translates images (no latent): see the samples window.");
            ImGui::End();
            return;
        }
        uint64_t seed = settings.seed;
        const uint64_t step = 1;
        ImGui::SetNextItemWidth(120 * scale);
        if (ImGui::InputScalar("seed", ImGuiDataType_U64, &seed, &step)) set_seed(seed);
        track("seed");
        ImGui::SameLine();
        if (ImGui::Button("Randomize")) randomize();
        track("Randomize");
        if (!grid_plan.row_input.empty())
            ImGui::Text("%lld rows of %lld: %s", static_cast<long long>(grid_plan.rows), static_cast<long long>(grid_plan.columns),
                        grid_plan.description.c_str());
        if (ImGui::SliderInt("images", &settings.count, 1, 256)) {
            focus = std::min(focus, settings.count - 1);
            dirty[kGrid] = true;
            ImGui::MarkIniSettingsDirty();
        }
        if (loaded->stages.size() > 1) {  // ProGAN: one net per resolution stage
            ImGui::SetNextItemWidth(160 * scale);
            if (ImGui::BeginCombo("resolution stage", stage.c_str())) {
                for (const auto& s : loaded->stages)
                    if (ImGui::Selectable(s.c_str(), s == stage)) {
                        stage = s;
                        dirty[kGrid] = true;
                    }
                ImGui::EndCombo();
            }
            track("stage");
        }
        const auto& info = loaded->model->info();
        if (info.num_classes > 0) {  // cGAN
            const std::string current = settings.klass < 0 ? "one row per class"
                                        : settings.klass < static_cast<int>(info.class_names.size()) ? info.class_names[static_cast<size_t>(settings.klass)]
                                                                                                    : std::to_string(settings.klass);
            ImGui::SetNextItemWidth(180 * scale);
            if (ImGui::BeginCombo("class", current.c_str())) {
                if (ImGui::Selectable("one row per class", settings.klass < 0)) settings.klass = -1, dirty[kGrid] = true;
                for (int k = 0; k < info.num_classes; ++k) {
                    const std::string name = k < static_cast<int>(info.class_names.size()) ? info.class_names[static_cast<size_t>(k)] : std::to_string(k);
                    if (ImGui::Selectable(name.c_str(), settings.klass == k)) settings.klass = k, dirty[kGrid] = true;
                }
                ImGui::EndCombo();
            }
            track("class");
        }
        for (const ganzoo::InputInfo* c : stage_codes()) {  // InfoGAN
            ImGui::PushID(c->name.c_str());
            if (c->kind == ganzoo::InputKind::Categorical) {
                int& choice = code_choice[c->name];
                const std::string current = choice < 0 ? "one row per value" : std::to_string(choice);
                ImGui::SetNextItemWidth(180 * scale);
                if (ImGui::BeginCombo((c->name + " (categorical)").c_str(), current.c_str())) {
                    if (ImGui::Selectable("one row per value", choice < 0)) choice = -1, dirty[kGrid] = true;
                    for (int k = 0; k < c->categories; ++k)
                        if (ImGui::Selectable(std::to_string(k).c_str(), choice == k)) choice = k, dirty[kGrid] = true;
                    ImGui::EndCombo();
                }
            } else {
                for (int d = 0; d < c->size; ++d) {
                    const std::string label = c->name + "[" + std::to_string(d) + "]";
                    if (ImGui::SliderFloat(label.c_str(), &code_values[c->name][static_cast<size_t>(d)], static_cast<float>(c->lo),
                                           static_cast<float>(c->hi)))
                        dirty[kGrid] = true;
                }
            }
            ImGui::PopID();
        }
        ImGui::Separator();
        if (ImGui::Checkbox("Random walk", &walking)) {}
        track("Walk");
        ImGui::SameLine();
        ImGui::SetNextItemWidth(100 * scale);
        if (ImGui::SliderFloat("speed", &settings.walk_speed, 0.05f, 3.0f, "%.2f rad/s")) ImGui::MarkIniSettingsDirty();
        ImGui::Separator();
        ImGui::Text("cell %d: first latent dimensions", focus);
        if (ImGui::SliderInt("sliders", &settings.z_sliders, 0, static_cast<int>(std::min<int64_t>(32, z_dim())))) ImGui::MarkIniSettingsDirty();
        if (focus_z.size() != static_cast<size_t>(z_dim())) refresh_focus();
        for (int d = 0; d < settings.z_sliders && d < static_cast<int>(focus_z.size()); ++d) {
            ImGui::PushID(d);
            char label[32];
            std::snprintf(label, sizeof label, "z[%d]", d);
            if (ImGui::SliderFloat(label, &focus_z[static_cast<size_t>(d)], -3.0f, 3.0f)) {
                focus_edited = true;
                walking = false;
                dirty[kGrid] = true;
            }
            ImGui::PopID();
        }
        if (focus_edited && ImGui::Button("Reset cell")) {
            focus_edited = false;
            refresh_focus();
            dirty[kGrid] = true;
        }
        ImGui::End();
    }

    void ui_grid(ImVec2 pos, ImVec2 size) {
        ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
        ImGui::Begin("Samples", nullptr, ImGuiWindowFlags_HorizontalScrollbar);
        int z = zoom();
        ImGui::SetNextItemWidth(120 * scale);
        if (ImGui::SliderInt("zoom", &z, 1, 16)) {
            settings.zoom = z;
            ImGui::MarkIniSettingsDirty();
        }
        ImGui::SameLine();
        if (worker.busy()) {
            ImGui::ProgressBar(worker.progress(kGrid), ImVec2(120 * scale, 0));
        } else if (loaded && !loaded->stages.empty()) {
            ImGui::Text("net %s, seed %llu", stage.c_str(), static_cast<unsigned long long>(settings.seed));
        }
        const Atlas& a = atlas[kGrid];
        if (a.ready()) {
            // Lower-resolution stages (ProGAN) are shown at the final size, pixels enlarged.
            const int up = std::max(1, static_cast<int>(loaded ? loaded->model->info().height / std::max(1, a.images.height) : 1));
            const ImVec2 cell(float(a.images.width * z * up), float(a.images.height * z * up));
            const float gap = std::max(1.0f, std::round(2 * scale));
            ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(gap, gap));
            ImVec2 grid_min(1e9f, 1e9f), grid_max(-1e9f, -1e9f);
            for (int i = 0; i < a.images.count; ++i) {
                if (i % a.columns) ImGui::SameLine();
                a.draw(i, cell);
                const ImVec2 mn = ImGui::GetItemRectMin(), mx = ImGui::GetItemRectMax();
                grid_min = ImVec2(std::min(grid_min.x, mn.x), std::min(grid_min.y, mn.y));
                grid_max = ImVec2(std::max(grid_max.x, mx.x), std::max(grid_max.y, mx.y));
                if (i == focus || i == pick_a || i == pick_b) {
                    const ImU32 col = i == focus ? IM_COL32(255, 200, 0, 255) : IM_COL32(80, 200, 255, 255);
                    ImGui::GetWindowDrawList()->AddRect(mn, mx, col, 0, 0, std::max(1.0f, scale));
                }
                if (ImGui::IsItemClicked(ImGuiMouseButton_Left)) {
                    focus = i;
                    focus_edited = false;
                    refresh_focus();
                }
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("cell %d (right-click: save, pick for interpolation)", i);
                ImGui::PushID(i);
                if (ImGui::BeginPopupContextItem("cell")) {
                    if (ImGui::MenuItem("Save PNG")) save_cell(a.images, i, "cell");
                    if (ImGui::MenuItem("Interpolate from here (A)")) pick_a = i, dirty[kInterp] = true;
                    if (ImGui::MenuItem("Interpolate to here (B)")) pick_b = i, dirty[kInterp] = true;
                    ImGui::EndPopup();
                }
                ImGui::PopID();
            }
            ImGui::PopStyleVar();
            tracked["grid"] = {grid_min, grid_max};
            if (ImGui::IsWindowHovered() && ImGui::GetIO().KeyCtrl && ImGui::GetIO().MouseWheel != 0)
                zoom_by(ImGui::GetIO().MouseWheel > 0 ? 1 : -1);
        } else if (loaded && loaded->cycle && loaded->stages.empty()) {
            ui_cycle();
        }
        ImGui::End();
    }

    void ui_interp(ImVec2 pos, ImVec2 size) {
        if (!show_interp || !loaded || loaded->stages.empty()) return;
        ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
        ImGui::Begin("Interpolation", &show_interp, ImGuiWindowFlags_HorizontalScrollbar);
        ImGui::Text("from cell %d (A) to cell %d (B): right-click a cell to pick", pick_a, pick_b);
        int mode = settings.slerp ? 1 : 0;
        if (ImGui::RadioButton("lerp", &mode, 0)) settings.slerp = false, dirty[kInterp] = true;
        ImGui::SameLine();
        if (ImGui::RadioButton("slerp", &mode, 1)) settings.slerp = true, dirty[kInterp] = true;
        ImGui::SameLine();
        ImGui::SetNextItemWidth(140 * scale);
        if (ImGui::SliderInt("frames", &settings.interp_frames, 2, 32)) dirty[kInterp] = true;
        const Atlas& a = atlas[kInterp];
        if (a.ready()) {
            const int z = zoom();
            ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(2, 2));
            for (int i = 0; i < a.images.count; ++i) {
                if (i) ImGui::SameLine();
                a.draw(i, ImVec2(float(a.images.width * z), float(a.images.height * z)));
                ImGui::PushID(i);
                if (ImGui::BeginPopupContextItem("frame")) {
                    if (ImGui::MenuItem("Save PNG")) save_cell(a.images, i, "interp");
                    ImGui::EndPopup();
                }
                ImGui::PopID();
            }
            ImGui::PopStyleVar();
        }
        ImGui::End();
    }

    // CycleGAN (in the samples window): a held-out image of domain A or B, G_AB or G_BA of it,
    // and the other generator on that (the cycle back).
    void ui_cycle() {
        const auto& domains = loaded->info().domains;
        ImGui::TextWrapped("%s translates images between domain %s and domain %s.", loaded->title.c_str(),
                           domain_title(domains[0]).c_str(), domain_title(domains[1]).c_str());
        for (int d = 0; d < 2; ++d) {
            if (d) ImGui::SameLine();
            if (ImGui::RadioButton(("domain " + domain_title(domains[static_cast<size_t>(d)])).c_str(), domain == d)) {
                domain = d;
                dirty[kCycle] = true;
            }
        }
        const int n = static_cast<int>(domains[static_cast<size_t>(domain)].count);
        ImGui::SetNextItemWidth(200 * scale);
        if (ImGui::SliderInt("held-out image", &example, 0, std::max(0, n - 1))) dirty[kCycle] = true;
        const Atlas& a = atlas[kCycle];
        if (a.ready() && a.images.count == 3) {
            const int z = zoom() * 2;
            const char* names[3] = {"input", "translated", "cycle back"};
            ImVec2 mn, mx;
            for (int i = 0; i < 3; ++i) {
                if (i) ImGui::SameLine();
                ImGui::BeginGroup();
                ImGui::TextUnformatted(names[i]);
                a.draw(i, ImVec2(float(a.images.width * z), float(a.images.height * z)));
                if (!i) mn = ImGui::GetItemRectMin();
                mx = ImGui::GetItemRectMax();
                ImGui::EndGroup();
            }
            tracked["cycle"] = {mn, mx};
        }
    }

    void ui_card(ImVec2 pos, ImVec2 size) {
        if (!show_card || !loaded) return;
        ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
        ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
        ImGui::Begin("Model card", &show_card);
        const auto& info = loaded->model->info();
        ImGui::Text("%s", loaded->title.c_str());
        ImGui::Text("family   %s", info.family.c_str());
        ImGui::Text("name     %s", info.name.c_str());
        ImGui::Text("dataset  %s, %lldx%lldx%lld", info.dataset.c_str(), static_cast<long long>(info.channels),
                    static_cast<long long>(info.height), static_cast<long long>(info.width));
        std::string nets;
        for (const auto& n : info.nets) nets += (nets.empty() ? "" : ", ") + n;
        ImGui::Text("nets     %s", nets.c_str());
        if (const ganzoo::TrainingRecord& t = info.training; t.present) {
            ImGui::Separator();
            if (!t.command.empty()) ImGui::TextWrapped("command  %s", t.command.c_str());
            if (t.epochs) ImGui::Text("epochs   %.2f", *t.epochs);
            if (t.steps) ImGui::Text("steps    %lld", static_cast<long long>(*t.steps));
            if (!t.device.empty()) ImGui::Text("device   %s", t.device.c_str());
            if (t.wall_time_s) ImGui::Text("time     %.0f s", *t.wall_time_s);
            if (!t.metrics.empty()) {
                ImGui::Text("metrics");
                for (const auto& m : t.metrics) {
                    const std::string value = m.number && !m.integer ? std::to_string(*m.number) : m.text;
                    ImGui::BulletText("%s: %s", m.name.c_str(), value.substr(0, 80).c_str());
                }
            } else {
                ImGui::TextDisabled("no metrics stored in the file");
            }
        }
        const json& manifest = selected >= 0 ? entries[static_cast<size_t>(selected)].manifest : json();
        if (manifest.contains("metrics") && manifest["metrics"].is_object()) {
            ImGui::Separator();
            ImGui::Text("metrics (models/manifest.json)");
            for (const auto& [k, v] : manifest["metrics"].items()) {
                if (k == "class_histogram" || k == "note") continue;
                const std::string value = v.is_number_float() ? std::to_string(v.get<double>()) : v.dump();
                ImGui::BulletText("%s: %s", k.c_str(), value.substr(0, 80).c_str());
            }
        }
        if (ImGui::Button("Verify")) {
            const auto c = loaded->model->verify();
            char line[256];
            std::snprintf(line, sizeof line, "%s (max diff %.3g, tolerance %.3g)", c.passed ? "check passed" : "check FAILED",
                          c.max_abs_diff, c.tolerance);
            loaded->verify = c.message.empty() ? line : std::string(line) + ": " + c.message;
        }
        if (!loaded->verify.empty()) {
            ImGui::SameLine();
            ImGui::TextWrapped("%s", loaded->verify.c_str());
        }
        ImGui::End();
    }

    void ui_help() {
        if (!show_help) return;
        ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
        ImGui::Begin("Help", &show_help, ImGuiWindowFlags_AlwaysAutoResize);
        static const char* keys[][2] = {
            {"R", "randomize the seed"},       {"Left / Right", "seed - 1 / seed + 1"},
            {"Space", "start / stop the random walk"}, {"+ / -, Ctrl+wheel", "zoom the grid"},
            {"Page Up / Down", "previous / next model"}, {"S", "save the selected cell as PNG"},
            {"I", "show / hide interpolation"}, {"M", "show / hide the model card"},
            {"H or F1", "show / hide this help"},
        };
        if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg)) {
            for (const auto& k : keys) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(k[0]);
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(k[1]);
            }
            ImGui::EndTable();
        }
        ImGui::Separator();
        ImGui::TextUnformatted("Left-click a cell: its latent goes to the sliders.\n"
                               "Right-click a cell: save it, or pick it as an interpolation end.");
        ImGui::End();
    }

    void build_ui() {
        tracked.clear();  // what this frame draws
        ui_menu();
        const ImVec2 d = ImGui::GetIO().DisplaySize;
        const float top = ImGui::GetFrameHeight(), s = scale;
        const float left_w = std::min(330 * s, d.x * 0.3f);
        ui_models(ImVec2(0, top), ImVec2(left_w, (d.y - top) * 0.3f));
        ui_latent(ImVec2(0, top + (d.y - top) * 0.3f), ImVec2(left_w, (d.y - top) * 0.7f));
        const float mid_w = d.x - left_w - std::min(300 * s, d.x * 0.25f);
        ui_grid(ImVec2(left_w, top), ImVec2(mid_w, (d.y - top) * 0.7f));
        ui_interp(ImVec2(left_w, top + (d.y - top) * 0.7f), ImVec2(mid_w, (d.y - top) * 0.3f));
        ui_card(ImVec2(left_w + mid_w, top), ImVec2(d.x - left_w - mid_w, d.y - top));
        ui_help();
        shortcuts();
    }

    // ---- script ------------------------------------------------------------------------------
    bool settled() const {
        if (loading >= 0 || worker.busy()) return false;
        for (int s = 0; s < kSlots; ++s)
            if (dirty[s]) return false;
        return true;
    }

    // Runs before ImGui::NewFrame (after the backend's input), so injected input goes through
    // ImGui's normal path.
    void run_script() {
        ImGuiIO& io = ImGui::GetIO();
        if (script.empty() && pending_click_release < 0 && pending_key_release < 0) return;
        // A scripted run ignores the real pointer (under Xvfb it rests mid-screen: tooltips).
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        io.MouseDown[0] = false;
        if (pending_click_release >= 0) {
            const auto& t = tracked[click_target];
            io.MousePos = ImVec2(0.5f * (t.min.x + t.max.x), 0.5f * (t.min.y + t.max.y));
            io.MouseDown[0] = pending_click_release > 0;
            --pending_click_release;
            return;
        }
        if (pending_key_release >= 0) {
            io.KeysDown[pending_key_release] = false;
            pending_key_release = -1;
            return;
        }
        if (script_wait_frames > 0) {
            --script_wait_frames;
            return;
        }
        while (!script.empty()) {
            const std::string cmd = script.front();
            const auto colon = cmd.find(':');
            const std::string op = cmd.substr(0, colon), arg = colon == std::string::npos ? "" : cmd.substr(colon + 1);
            if (op == "wait") {
                if (!settled()) return;
                script.pop_front();
                script_wait_frames = 2;  // the new textures drawn, then read back
                return;
            }
            script.pop_front();
            if (op == "frames") {
                script_wait_frames = std::max(0, std::atoi(arg.c_str()));
                return;
            } else if (op == "click") {
                if (!tracked.count(arg)) return fail("script: no widget '" + arg + "' on screen");
                click_target = arg;
                pending_click_release = 2;  // hover, press, release
                return;
            } else if (op == "key") {
                static const std::map<std::string, int> keys = {
                    {"R", GLFW_KEY_R}, {"SPACE", GLFW_KEY_SPACE}, {"LEFT", GLFW_KEY_LEFT}, {"RIGHT", GLFW_KEY_RIGHT},
                    {"H", GLFW_KEY_H}, {"F1", GLFW_KEY_F1}, {"I", GLFW_KEY_I}, {"M", GLFW_KEY_M},
                    {"PAGEDOWN", GLFW_KEY_PAGE_DOWN}, {"PAGEUP", GLFW_KEY_PAGE_UP}, {"PLUS", GLFW_KEY_EQUAL},
                    {"MINUS", GLFW_KEY_MINUS}};
                auto it = keys.find(arg);
                if (it == keys.end()) return fail("script: unknown key '" + arg + "'");
                io.KeysDown[it->second] = true;
                pending_key_release = it->second;
                return;
            } else if (op == "set") {
                if (!apply_setting(arg)) return fail("script: cannot set '" + arg + "'");
            } else if (op == "shot") {
                pending_shot = arg;  // read back once this frame is drawn
                return;
            } else if (op == "dump") {
#ifndef __EMSCRIPTEN__
                const Images& imgs = atlas[kGrid].images;
                if (imgs.count < 1 || !stbi_write_png(arg.c_str(), imgs.width, imgs.height, 4, imgs.image(0), imgs.width * 4))
                    return fail("script: cannot dump cell 0 to " + arg);
#endif
            } else if (op == "quit") {
                quit = true;
                return;
            } else {
                return fail("script: unknown command '" + cmd + "'");
            }
        }
    }

    bool apply_setting(const std::string& kv) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos) return false;
        const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
        char* end = nullptr;
        const long long n = std::strtoll(v.c_str(), &end, 10);
        const bool number = !v.empty() && *end == '\0';
        if (k == "seed" && number && n >= 0) return set_seed(static_cast<uint64_t>(n)), true;
        if (k == "count" && number && n >= 1 && n <= 256) return settings.count = int(n), dirty[kGrid] = true, true;
        if (k == "zoom" && number && n >= 1 && n <= 16) return settings.zoom = int(n), true;
        if (k == "class" && number) return settings.klass = int(n), dirty[kGrid] = true, true;
        if (k == "walk") return walking = v == "1", true;
        if (k == "stage" && loaded && std::count(loaded->stages.begin(), loaded->stages.end(), v))
            return stage = v, dirty[kGrid] = true, true;
        if (k == "domain" && loaded && loaded->cycle && (v == "0" || v == "1"))
            return domain = v == "1", dirty[kCycle] = true, true;
        if (k == "help") return show_help = v == "1", true;
        if (k == "model") {
            for (int i = 0; i < static_cast<int>(entries.size()); ++i)
                if (entries[i].title == v || entries[i].path == v ||
                    (entries[i].path.size() > v.size() && entries[i].path[entries[i].path.size() - v.size() - 1] == '/' &&
                     entries[i].path.compare(entries[i].path.size() - v.size(), v.size(), v) == 0))
                    return select(i), true;
            return false;
        }
        return false;
    }

#ifndef __EMSCRIPTEN__
    bool screenshot(const std::string& path, int width, int height) {
        std::vector<uint8_t> px(static_cast<size_t>(width) * height * 4);
        glPixelStorei(GL_PACK_ALIGNMENT, 1);
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
        std::vector<uint8_t> flipped(px.size());
        for (int y = 0; y < height; ++y)
            std::memcpy(&flipped[static_cast<size_t>(y) * width * 4], &px[static_cast<size_t>(height - 1 - y) * width * 4],
                        static_cast<size_t>(width) * 4);
        if (!stbi_write_png(path.c_str(), width, height, 4, flipped.data(), width * 4)) return false;
        std::ofstream f(path + ".json");
        f << widgets_json().dump(1) << "\n";
        return bool(f);
    }
#endif

    json widgets_json() const {
        json w = json::object();
        for (const auto& [name, t] : tracked) w[name] = {t.min.x, t.min.y, t.max.x - t.min.x, t.max.y - t.min.y};
        return {{"widgets", w},
                {"generations", generations},
                {"seed", settings.seed},
                {"model", loaded ? loaded->title : ""},
                {"busy", !settled()},
                {"frame", frame},
                {"scale", scale},
                {"grid", {{"count", grid_plan.request.count}, {"columns", grid_plan.columns}, {"rows", grid_plan.rows},
                          {"description", grid_plan.description}}}};
    }

    // ---- bench -------------------------------------------------------------------------------
    // Regenerates a 64-image grid bench_total times (a new seed each time) and records the frame
    // times while it runs: what the UI feels during generation.
    // First 60 frames with nothing generating: the baseline.
    void bench_frame(double ms) {
        if (bench_left <= 0 || !loaded) return;
        const bool idle = !worker.busy() && !dirty[kGrid] && loading < 0;
        if (bench_idle_left > 0) {
            if (idle) {
                bench_idle.push_back(ms);
                if (--bench_idle_left == 0) set_seed(settings.seed + 1);
            }
            return;
        }
        if (!idle) bench_frames.push_back(ms);
        if (idle) {
            --bench_left;
            if (bench_left == 0) return finish_bench();
            set_seed(settings.seed + 1);
        }
    }
    void finish_bench() {
        std::vector<double> f = bench_frames, idle = bench_idle;
        std::sort(f.begin(), f.end());
        std::sort(idle.begin(), idle.end());
        const auto pct = [&](double p) { return f.empty() ? 0.0 : f[std::min(f.size() - 1, static_cast<size_t>(p * (f.size() - 1) + 0.5))]; };
        bench_result = {{"grids", bench_total},
                        {"images_per_grid", settings.count},
                        {"frames", f.size()},
                        {"frame_median_ms", pct(0.5)},
                        {"frame_p95_ms", pct(0.95)},
                        {"frame_max_ms", f.empty() ? 0.0 : f.back()},
                        {"idle_frame_median_ms", idle.empty() ? 0.0 : idle[idle.size() / 2]},
                        {"ms_per_image", bench_images ? bench_gen_ms / bench_images : 0.0},
                        {"ms_per_grid", bench_total ? bench_gen_ms / bench_total : 0.0}};
        std::printf("studio bench: %s\n", bench_result.dump().c_str());
        std::fflush(stdout);
        if (script.empty()) quit = true;
    }
};

// ---------------------------------------------------------------------------------------------
// Settings in the ImGui .ini text: [GanzooStudio][Settings] then key=value lines.
// ---------------------------------------------------------------------------------------------
App* g_app = nullptr;

void settings_read_line(ImGuiContext*, ImGuiSettingsHandler*, void*, const char* line) {
    Settings& s = g_app->settings;
    std::string l(line);
    const auto eq = l.find('=');
    if (eq == std::string::npos) return;
    const std::string k = l.substr(0, eq), v = l.substr(eq + 1);
    if (k == "model") s.model = v;
    else if (k == "seed") s.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "count") s.count = std::clamp(std::atoi(v.c_str()), 1, 256);
    else if (k == "zoom") s.zoom = std::clamp(std::atoi(v.c_str()), 0, 16);
    else if (k == "z_sliders") s.z_sliders = std::clamp(std::atoi(v.c_str()), 0, 32);
    else if (k == "interp_frames") s.interp_frames = std::clamp(std::atoi(v.c_str()), 2, 32);
    else if (k == "class") s.klass = std::atoi(v.c_str());
    else if (k == "slerp") s.slerp = v == "1";
    else if (k == "walk_speed") s.walk_speed = std::clamp(static_cast<float>(std::atof(v.c_str())), 0.05f, 3.0f);
    else if (k == "folder") s.folder = v;
}

void settings_write_all(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
    const Settings& s = g_app->settings;
    out->appendf("[%s][Settings]\n", handler->TypeName);
    out->appendf("model=%s\nseed=%llu\ncount=%d\nzoom=%d\nz_sliders=%d\ninterp_frames=%d\nclass=%d\nslerp=%d\n",
                 s.model.c_str(), static_cast<unsigned long long>(s.seed), s.count, s.zoom, s.z_sliders,
                 s.interp_frames, s.klass, s.slerp ? 1 : 0);
    out->appendf("walk_speed=%.3f\nfolder=%s\n\n", s.walk_speed, s.folder.c_str());
}

void register_settings() {
    ImGuiSettingsHandler h;
    h.TypeName = "GanzooStudio";
    h.TypeHash = ImHashStr("GanzooStudio");
    h.ReadOpenFn = [](ImGuiContext*, ImGuiSettingsHandler*, const char* name) -> void* {
        return std::strcmp(name, "Settings") == 0 ? g_app : nullptr;
    };
    h.ReadLineFn = settings_read_line;
    h.WriteAllFn = settings_write_all;
    ImGui::GetCurrentContext()->SettingsHandlers.push_back(h);
}

std::string load_settings_text(const App& app) {
#ifdef __EMSCRIPTEN__
    (void)app;
    char* v = js_storage_get();
    if (!v) return "";
    std::string s(v);
    std::free(v);
    return s;
#else
    std::string s;
    if (!app.ini_path.empty()) App::read_text(app.ini_path, s);
    return s;
#endif
}

void save_settings_text(const App& app, const char* text) {
    if (!app.remember) return;
#ifdef __EMSCRIPTEN__
    (void)app;
    js_storage_set(text);
#else
    if (app.ini_path.empty()) return;
    const auto slash = app.ini_path.rfind('/');
    if (slash != std::string::npos) {
        std::string dir;  // mkdir -p
        for (size_t i = 1; i <= slash; ++i)
            if (app.ini_path[i] == '/' || i == slash) mkdir(app.ini_path.substr(0, i).c_str(), 0755);
    }
    const std::string tmp = app.ini_path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        f << text;
        if (!f) return;
    }
    std::rename(tmp.c_str(), app.ini_path.c_str());
#endif
}

// ---------------------------------------------------------------------------------------------
// Options (the command line natively, the URL's query in the browser: ?seed=7 == --seed 7).
// ---------------------------------------------------------------------------------------------
struct Options {
    std::vector<std::string> files;
    std::string models_dir, model, ini, script, screenshot;
    std::optional<uint64_t> seed;
    int width = 1280, height = 800, frames = 0, bench = 0;
    float scale = 0;
    bool remember = true;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "ganzoo-studio: %s (see the header of native/studio/studio.cpp for the options)\n", message.c_str());
#ifdef __EMSCRIPTEN__
    js_report_error(message.c_str());
    emscripten_force_exit(2);
#endif
    std::exit(2);
}

long long parse_int(const std::string& name, const std::string& v, long long lo, long long hi) {
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < lo || n > hi)
        usage_error("--" + name + " '" + v + "': expected a whole number " + std::to_string(lo) + ".." + std::to_string(hi));
    return n;
}

Options parse_options(const std::vector<std::string>& args) {
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) {
            o.files.push_back(a);
            continue;
        }
        const std::string name = a.substr(2);
        if (name == "no-remember") {
            o.remember = false;
            continue;
        }
        if (i + 1 >= args.size()) usage_error(a + " needs a value");
        const std::string v = args[++i];
        if (name == "models") o.models_dir = v;
        else if (name == "model") o.model = v;
        else if (name == "ini") o.ini = v;
        else if (name == "script") o.script = v;
        else if (name == "screenshot") o.screenshot = v;
        else if (name == "seed") o.seed = static_cast<uint64_t>(parse_int(name, v, 0, 1LL << 53));
        else if (name == "frames") o.frames = static_cast<int>(parse_int(name, v, 0, 1000000));
        else if (name == "bench") o.bench = static_cast<int>(parse_int(name, v, 1, 10000));
        else if (name == "scale") {
            char* end = nullptr;
            o.scale = std::strtof(v.c_str(), &end);
            if (*end != '\0' || !(o.scale >= 0.5f && o.scale <= 4.0f)) usage_error("--scale '" + v + "': expected 0.5..4");
        } else if (name == "size") {
            int w = 0, h = 0;
            char extra = 0;
            if (std::sscanf(v.c_str(), "%dx%d%c", &w, &h, &extra) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192)
                usage_error("--size '" + v + "': expected WxH, at least 320x240");
            o.width = w, o.height = h;
        } else {
            usage_error("unknown option " + a);
        }
    }
    return o;
}

#ifdef __EMSCRIPTEN__
std::string url_decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') out += ' ';
        else if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::strtol(s.substr(i + 1, 2).c_str(), nullptr, 16));
            i += 2;
        } else out += s[i];
    }
    return out;
}

std::vector<std::string> query_args() {
    char* q = js_query_string();
    std::string query(q);
    std::free(q);
    std::vector<std::string> args;
    if (!query.empty() && query[0] == '?') query.erase(0, 1);
    std::stringstream ss(query);
    for (std::string item; std::getline(ss, item, '&');) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        const std::string name = url_decode(item.substr(0, eq));
        args.push_back("--" + name);
        if (eq != std::string::npos && name != "no-remember") args.push_back(url_decode(item.substr(eq + 1)));
    }
    return args;
}
#endif

// ---------------------------------------------------------------------------------------------
App* g_main = nullptr;
Options g_options;

void start_model(App& app) {
    // The model named by --model (or the first file given), else the last one used, else the first.
    std::string want = g_options.model;
    if (want.empty() && !g_options.files.empty()) want = g_options.files.front();
    if (!want.empty()) {
        if (!app.apply_setting("model=" + want)) app.fail("--model '" + want + "': not in the model list");
        return;
    }
    for (int i = 0; i < static_cast<int>(app.entries.size()); ++i)
        if (app.entries[i].title == app.settings.model) return app.select(i);
    if (!app.entries.empty()) app.select(0);
}

#ifdef __EMSCRIPTEN__
void on_manifest(void*, void* data, int size) {
    g_main->add_manifest(std::string(static_cast<const char*>(data), static_cast<size_t>(size)), "models");
    for (const auto& f : g_options.files) g_main->add_entry(f, f);
    start_model(*g_main);
}
void on_manifest_error(void*) {
    for (const auto& f : g_options.files) g_main->add_entry(f, f);
    g_main->error = "could not fetch models/manifest.json";
    start_model(*g_main);
}
#endif

void frame_once() {
    App& app = *g_main;
    GLFWwindow* window = app.window;
#ifdef __EMSCRIPTEN__
    int cw = 0, ch = 0;
    float dpr = 1;
    js_canvas_size(&cw, &ch, &dpr);
    int ww = 0, wh = 0;
    glfwGetWindowSize(window, &ww, &wh);
    if (cw != ww || ch != wh) glfwSetWindowSize(window, cw, ch);
    if (g_options.scale == 0 && std::fabs(dpr - app.scale) > 0.01f) {  // rebuild fonts at the new ratio
        app.scale = dpr;
    }
#endif
    glfwPollEvents();
    const double frame_ms = ms_since(app.last_frame);
    app.last_frame = Clock::now();
    if (app.frame > 0) {
        app.frame_ms.push_back(frame_ms);
        if (app.frame_ms.size() > 120) app.frame_ms.pop_front();
        app.bench_frame(frame_ms);
    }
    ++app.frame;

#ifdef __EMSCRIPTEN__
    app.worker.pump(8.0);  // the browser's share of generation this frame
#endif
    app.collect_results();
    if (app.walking && app.loaded && !app.loaded->stages.empty()) {
        app.walk_t += app.settings.walk_speed * std::min(frame_ms, 100.0) / 1000.0;
        if (!app.worker.busy()) app.dirty[kGrid] = true;
    }
    if (app.dirty[kGrid] && !app.loaded) app.dirty[kGrid] = false;
    if (app.dirty[kGrid]) {
        app.submit_grid();
        if (!app.focus_edited) app.refresh_focus();
    }
    if (app.dirty[kInterp] && app.show_interp && !app.dirty[kGrid]) app.submit_interp();
    if (app.dirty[kInterp] && !app.show_interp) app.dirty[kInterp] = false;
    if (app.dirty[kCycle]) app.submit_cycle();

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    int fw = 0, fh = 0;
    glfwGetFramebufferSize(window, &fw, &fh);
    app.run_script();
    ImGui::NewFrame();
    app.build_ui();
    ImGui::Render();
    glViewport(0, 0, fw, fh);
    glClearColor(0.10f, 0.11f, 0.13f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (!app.pending_shot.empty()) {
#ifndef __EMSCRIPTEN__
        if (!app.screenshot(app.pending_shot, fw, fh)) app.fail("script: cannot write " + app.pending_shot);
#endif
        app.pending_shot.clear();
    }

    ImGuiIO& io = ImGui::GetIO();
    if (io.WantSaveIniSettings) {
        save_settings_text(app, ImGui::SaveIniSettingsToMemory());
        io.WantSaveIniSettings = false;
    }
#ifdef __EMSCRIPTEN__
    json state = app.widgets_json();
    if (!app.bench_result.is_null()) state["bench"] = app.bench_result;
    state["error"] = app.error;
    state["fb"] = {fw, fh};
    js_publish(state.dump().c_str());
    if (js_wants_cell() && app.atlas[kGrid].ready() && app.settled()) {
        const Images& imgs = app.atlas[kGrid].images;
        js_put_cell(imgs.image(0), imgs.width, imgs.height, app.generations);
    }
#endif
    glfwSwapBuffers(window);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __EMSCRIPTEN__
    (void)argc;
    (void)argv;
    g_options = parse_options(query_args());
#else
    g_options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
#endif
    static App app;
    g_app = g_main = &app;
    app.remember = g_options.remember;

    glfwSetErrorCallback([](int code, const char* text) { std::fprintf(stderr, "ganzoo-studio: GLFW error %d: %s\n", code, text); });
    if (!glfwInit()) {
        std::fprintf(stderr, "ganzoo-studio: cannot initialise GLFW (no display? run under xvfb-run)\n");
        return 1;
    }
#ifdef __EMSCRIPTEN__
    const char* glsl = "#version 300 es";
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    int cw = 0, ch = 0;
    float dpr = 1;
    js_canvas_size(&cw, &ch, &dpr);
    g_options.width = cw, g_options.height = ch;
#else
    const char* glsl = "#version 150";
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 2);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
#endif
    app.window = glfwCreateWindow(g_options.width, g_options.height, "ganzoo studio", nullptr, nullptr);
    if (!app.window) {
        std::fprintf(stderr, "ganzoo-studio: cannot open a window with OpenGL 3 (no display? run under xvfb-run)\n");
        glfwTerminate();
        return 1;
    }
    glfwMakeContextCurrent(app.window);
    // Benchmarks and scripted runs measure the app, not the display's refresh.
    glfwSwapInterval(g_options.bench || !g_options.script.empty() || !g_options.screenshot.empty() ? 0 : 1);

    // High DPI: fonts and sizes follow the monitor's content scale (the browser's devicePixelRatio).
#ifdef __EMSCRIPTEN__
    app.scale = g_options.scale > 0 ? g_options.scale : dpr;
#else
    float sx = 1, sy = 1;
    glfwGetWindowContentScale(app.window, &sx, &sy);
    app.scale = g_options.scale > 0 ? g_options.scale : std::max(1.0f, sx);
#endif

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the app loads and saves the text (file or localStorage)
    ImGui::StyleColorsDark();
    ImGui::GetStyle().ScaleAllSizes(app.scale);
    ImFontConfig font;
    font.SizePixels = std::round(13.0f * app.scale);
    io.Fonts->AddFontDefault(&font);
    register_settings();

#ifndef __EMSCRIPTEN__
    if (!g_options.ini.empty()) {
        app.ini_path = g_options.ini;
    } else {
        const char* xdg = std::getenv("XDG_CONFIG_HOME");
        const char* home = std::getenv("HOME");
        if (xdg && *xdg) app.ini_path = std::string(xdg) + "/ganzoo/studio.ini";
        else if (home && *home) app.ini_path = std::string(home) + "/.config/ganzoo/studio.ini";
    }
#endif
    const std::string ini = app.remember ? load_settings_text(app) : "";
    if (!ini.empty()) ImGui::LoadIniSettingsFromMemory(ini.c_str(), ini.size());
    if (g_options.seed) app.settings.seed = *g_options.seed;
    if (g_options.bench) {  // the grid alone: no interpolation strip regenerating beside it
        app.settings.count = 64;
        app.show_interp = false;
        app.bench_left = app.bench_total = g_options.bench;
    }

    ImGui_ImplGlfw_InitForOpenGL(app.window, true);
    ImGui_ImplOpenGL3_Init(glsl);

    // The script: --screenshot is shorthand for frames, the script, then a shot of the result.
    std::string script = g_options.script;
    if (!g_options.screenshot.empty())
        script = "frames:" + std::to_string(std::max(1, g_options.frames)) + ";wait" + (script.empty() ? "" : ";" + script) +
                 ";wait;shot:" + g_options.screenshot + ";quit";
    std::stringstream ss(script);
    for (std::string cmd; std::getline(ss, cmd, ';');)
        if (!cmd.empty()) app.script.push_back(cmd);

#ifdef __EMSCRIPTEN__
    emscripten_async_wget_data("models/manifest.json", nullptr, on_manifest, on_manifest_error);
    emscripten_set_main_loop(frame_once, 0, false);
    return 0;
#else
    const std::string dir = g_options.models_dir.empty() ? GANZOO_STUDIO_MODELS : g_options.models_dir;
    for (const auto& f : g_options.files) {
        const auto slash = f.rfind('/');
        app.add_entry(slash == std::string::npos ? f : f.substr(slash + 1), f);
    }
    app.scan_folder(dir);
    if (!app.settings.folder.empty()) app.scan_folder(app.settings.folder);
    if (!app.error.empty() && !g_options.models_dir.empty()) {
        std::fprintf(stderr, "ganzoo-studio: %s\n", app.error.c_str());
        return 1;
    }
    start_model(app);
    while (!app.quit && !glfwWindowShouldClose(app.window)) frame_once();
    if (ImGui::GetIO().WantSaveIniSettings || app.remember) save_settings_text(app, ImGui::SaveIniSettingsToMemory());
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(app.window);
    glfwTerminate();
    return app.exit_code;
#endif
}
