// The browser platform: Emscripten's GLFW on WebGL 2, the page's URL, localStorage, downloads,
// files fetched from the server, and window.studio for the page's tests.
#include "platform.hpp"

#include <emscripten.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>

#include <GLFW/glfw3.h>
#include <nlohmann/json.hpp>

namespace ganzoo::studio::platform {

namespace {

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
EM_JS(char*, js_take_commands, (), {
    const s = window.studioCommands || "";
    window.studioCommands = "";
    const n = lengthBytesUTF8(s) + 1, p = _malloc(n);
    stringToUTF8(s, p, n);
    return p;
});
EM_JS(void, js_put_text, (const char* path, const char* text), {
    (window.studioText = window.studioText || {})[UTF8ToString(path)] = UTF8ToString(text);
});
EM_JS(void, js_report_error, (const char* text), {
    console.error(UTF8ToString(text));
    document.body.dataset.error = UTF8ToString(text);
});

// Image files: decoded by the browser (colour values as stored, no colour management), drawn
// on an OffscreenCanvas and read back as RGBA, then handed to studio_image_file (token 0: a drop
// or a pick; > 0: a fetch_image request).
EM_JS(void, js_install_image_files, (), {
    if (Module.studioImage) return;
    const toHeap = (s) => { const n = lengthBytesUTF8(s) + 1, p = _malloc(n); stringToUTF8(s, p, n); return p; };
    const report = (token, name, rgba, w, h, error) => {
        const np = toHeap(name), ep = error ? toHeap(error) : 0;
        let p = 0;
        if (rgba) { p = _malloc(rgba.length); HEAPU8.set(rgba, p); }
        try { _studio_image_file(token, np, p, w, h, ep); } finally { _free(np); if (ep) _free(ep); if (p) _free(p); }
    };
    Module.studioImageError = (token, name, error) => report(token, name, null, 0, 0, error);
    Module.studioImage = (token, name, blob) => {
        createImageBitmap(blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"}).then((b) => {
            const c = new OffscreenCanvas(b.width, b.height), ctx = c.getContext("2d");
            ctx.drawImage(b, 0, 0);
            report(token, name, ctx.getImageData(0, 0, b.width, b.height).data, b.width, b.height, "");
        }).catch((e) => Module.studioImageError(token, name, "not an image the browser can decode (" + (e && e.message ? e.message : e) + ")"));
    };
    const canvas = Module.canvas;
    canvas.addEventListener("dragover", (e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
    canvas.addEventListener("drop", (e) => {
        e.preventDefault();
        const f = e.dataTransfer && e.dataTransfer.files[0];
        if (f) Module.studioImage(0, f.name, f);
    });
});
// The picker opens within the click's transient activation (the ImGui button was clicked a frame ago).
EM_JS(void, js_pick_image, (), {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = "image/*";
    input.addEventListener("change", () => { if (input.files[0]) Module.studioImage(0, input.files[0].name, input.files[0]); });
    input.click();
});
EM_JS(void, js_fetch_image, (int token, const char* where), {
    const url = UTF8ToString(where), name = url.split("/").pop();
    fetch(url).then((r) => {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.blob();
    }).then((b) => Module.studioImage(token, name, b))
      .catch((e) => Module.studioImageError(token, name, "could not fetch " + url + " (" + (e && e.message ? e.message : e) + ")"));
});

// The projection's Web Worker: web/ganzoo-project-worker.js, the worker behind m.project() (its
// protocol: {id, type: 'project', model, bytes?, classifier, image: {floats}, request} -> {id, step}
// per step, then {id, ok, result | error}). A model's bytes go with its first job; `sent` keys the
// ones the worker holds. On a cross-origin isolated page the worker takes the threaded core, as
// m.project() does. Cancel terminates the worker: a step in the core cannot be interrupted.
EM_JS(void, js_project_start, (int job, const char* key, const unsigned char* bytes, int size, const char* classifier,
                               const float* target, int count, const char* request), {
    const P = Module.studioProjector || (Module.studioProjector = {worker: null, sent: {}, job: 0});
    const toHeap = (s) => { const n = lengthBytesUTF8(s) + 1, p = _malloc(n); stringToUTF8(s, p, n); return p; };
    const floatsToHeap = (f) => { const p = _malloc(Math.max(4, f.length * 4)); HEAPF32.set(f, p >> 2); return p; };
    const finish = (id, result, floats, error) => {
        const rp = toHeap(result), ep = toHeap(error), fp = floats ? floatsToHeap(floats) : 0;
        try { _studio_project_done(id, rp, fp, floats ? floats.length : 0, ep); } finally { _free(rp); _free(ep); if (fp) _free(fp); }
    };
    if (!P.worker) {
        const url = new URL("ganzoo-project-worker.js", document.baseURI);
        if (self.crossOriginIsolated === true) url.searchParams.set("threads", "1");
        P.worker = new Worker(url, {type: "module", name: "ganzoo-project"});
        P.sent = {};
        P.worker.onmessage = (e) => {
            const d = e.data;
            if (d.id !== P.job) return;
            if (P.key) P.sent[P.key] = true;
            if (d.step) {
                const p = floatsToHeap(d.step.image);
                try { _studio_project_step(d.id, d.step.done, d.step.total, d.step.loss, p, d.step.image.length); } finally { _free(p); }
            } else if (d.ok) {
                const r = Object.assign({}, d.result), floats = r.floats;
                delete r.floats;
                delete r.target;
                finish(d.id, JSON.stringify(r), floats, "");
            } else {
                if (P.key) delete P.sent[P.key];
                finish(d.id, "", null, d.error || "the projection failed");
            }
        };
        P.worker.onerror = (e) => {
            e.preventDefault();
            const id = P.job;
            P.worker.terminate();
            P.worker = null;
            finish(id, "", null, "the projection worker failed (" + (e.message || "could not load web/ganzoo-project-worker.js") + ")");
        };
    }
    const k = UTF8ToString(key), msg = {id: job, type: "project", model: k,
        classifier: classifier ? new URL(UTF8ToString(classifier), document.baseURI).href : null,
        image: {floats: HEAPF32.slice(target >> 2, (target >> 2) + count)}, request: JSON.parse(UTF8ToString(request))};
    if (!P.sent[k]) msg.bytes = HEAPU8.slice(bytes, bytes + size).buffer;
    P.job = job;
    P.key = k;
    P.worker.postMessage(msg, msg.bytes ? [msg.bytes] : []);
});
EM_JS(void, js_project_cancel, (), {
    const P = Module.studioProjector;
    if (!P || !P.worker) return;
    P.worker.terminate();
    P.worker = null;
    P.sent = {};
    P.job = 0;
});
EM_JS(void, js_project_release, (const char* key), {
    const P = Module.studioProjector, k = UTF8ToString(key);
    if (!P || !P.worker || !P.sent[k]) return;
    delete P.sent[k];
    P.worker.postMessage({id: -1, type: "release", model: k});
});

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

}  // namespace

std::vector<std::string> arguments(int, char**) {
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
        if (eq != std::string::npos && name != "no-remember" && name != "help") args.push_back(url_decode(item.substr(eq + 1)));
    }
    return args;
}

void exit(int code) {
    emscripten_force_exit(code);
    std::exit(code);
}

void usage(const char* text) { std::fputs(text, stdout); }  // stdout is the console

void report_error(const std::string& message) { js_report_error(message.c_str()); }

bool has_threads() { return false; }

const char* gl_hints() {
    glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    return "#version 300 es";
}

void first_window_size(int& width, int& height) {
    float dpr = 1;
    js_canvas_size(&width, &height, &dpr);
}

float display_scale(GLFWwindow*) {
    int w = 0, h = 0;
    float dpr = 1;
    js_canvas_size(&w, &h, &dpr);
    return dpr;
}

std::optional<float> fit_window(GLFWwindow* window) {
    int cw = 0, ch = 0, ww = 0, wh = 0;
    float dpr = 1;
    js_canvas_size(&cw, &ch, &dpr);
    glfwGetWindowSize(window, &ww, &wh);
    if (cw != ww || ch != wh) glfwSetWindowSize(window, cw, ch);
    return dpr;
}

std::string settings_location(const std::string&) { return "localStorage"; }

std::string load_settings(const std::string&) {
    char* v = js_storage_get();
    if (!v) return "";
    std::string s(v);
    std::free(v);
    return s;
}

void save_settings(const std::string&, const char* text) { js_storage_set(text); }

void fetch(const std::string& where, Fetched done) {
    struct Request {
        std::string url;
        Fetched done;
    };
    emscripten_async_wget_data(
        where.c_str(), new Request{where, std::move(done)},
        [](void* arg, void* data, int size) {
            std::unique_ptr<Request> r(static_cast<Request*>(arg));
            const std::string bytes(static_cast<const char*>(data), static_cast<size_t>(size));
            r->done(&bytes, "");
        },
        [](void* arg) {
            std::unique_ptr<Request> r(static_cast<Request*>(arg));
            r->done(nullptr, "could not fetch " + r->url);
        });
}

bool has_folders() { return false; }
std::optional<std::vector<std::string>> list_folder(const std::string&) { return std::nullopt; }
std::string models_folder(const std::string&) { return "models"; }

// The ids `ganzoo serve` gives its runs (the folder's name: letters, digits, '-' and '_').
std::string run_problem(const std::string& run) {
    const bool ok = !run.empty() && run.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == std::string::npos;
    return ok ? "" : "expected a run id of ganzoo serve (letters, digits, '-' and '_': /api/runs.json lists them)";
}

std::string run_title(const std::string& run) { return run; }
std::string snapshot_location(const std::string& run) { return "runs/" + run + "/live/latest.safetensors"; }
void fetch_run_status(const std::string& run, Fetched done) { fetch("runs/" + run + "/live/status.json", std::move(done)); }

std::string snapshot_identity(const std::string&, const std::string& status_text) {
    const nlohmann::json s = nlohmann::json::parse(status_text, nullptr, false);
    return s.is_object() && s.contains("snapshot") && s["snapshot"].is_object() ? s["snapshot"].dump() : "";
}

bool save_image(const std::string& name, const uint8_t* rgba, int width, int height, std::string& message) {
    js_download_png(name.c_str(), rgba, width, height);
    message = "downloaded " + name;
    return true;
}

bool write_png(const std::string&, const uint8_t*, int, int) { return true; }
bool write_text(const std::string& path, const std::string& text) {
    js_put_text(path.c_str(), text.c_str());
    return true;
}
std::string take_commands() {
    char* text = js_take_commands();
    std::string out(text);
    std::free(text);
    return out;
}
bool screenshot(const std::string&, int, int, const std::string&) { return true; }

bool publishes_state() { return true; }
void publish_state(const std::string& json) { js_publish(json.c_str()); }
bool wants_cell() { return js_wants_cell() != 0; }
void put_cell(const uint8_t* rgba, int width, int height, int generation) { js_put_cell(rgba, width, height, generation); }

// ---- image files and the projection's worker ----------------------------------------------------
namespace {
ImageFile g_image_handler;
std::map<int, ImageFile> g_image_fetches;  // fetch_image's requests by token
int g_next_image = 1;
struct WorkerJob {
    int id = 0;
    WorkerStep step;
    WorkerDone done;
} g_job;
int g_next_job = 1;
}  // namespace

void on_image_file(ImageFile handler) {
    g_image_handler = std::move(handler);
    js_install_image_files();
}

bool pick_image() {
    js_install_image_files();
    js_pick_image();
    return true;
}

bool fetch_image(const std::string& url, ImageFile done) {
    js_install_image_files();
    const int token = g_next_image++;
    g_image_fetches[token] = std::move(done);
    js_fetch_image(token, url.c_str());
    return true;
}

bool projects_in_worker() { return true; }

void project_in_worker(WorkerProjection job, WorkerStep step, WorkerDone done) {
    g_job = WorkerJob{g_next_job++, std::move(step), std::move(done)};
    const std::string& bytes = job.model_bytes ? *job.model_bytes : std::string();
    js_project_start(g_job.id, job.model_key.c_str(), reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()),
                     job.classifier.empty() ? nullptr : job.classifier.c_str(), job.target.data(), static_cast<int>(job.target.size()),
                     job.request.c_str());
}

void cancel_worker_projection() {
    g_job = WorkerJob{};
    js_project_cancel();
}

void release_in_worker(const std::string& model_key) { js_project_release(model_key.c_str()); }

}  // namespace ganzoo::studio::platform

// Called by the JavaScript above.
extern "C" {

EMSCRIPTEN_KEEPALIVE void studio_image_file(int token, const char* name, const uint8_t* rgba, int width, int height, const char* error) {
    using namespace ganzoo::studio::platform;
    ImageFile handler;
    if (token == 0) handler = g_image_handler;
    else if (auto it = g_image_fetches.find(token); it != g_image_fetches.end()) {
        handler = std::move(it->second);
        g_image_fetches.erase(it);
    }
    if (handler) handler(name, rgba, width, height, error ? error : "");
}

EMSCRIPTEN_KEEPALIVE void studio_project_step(int id, int done, int total, double loss, const float* image, int size) {
    using namespace ganzoo::studio::platform;
    if (id == g_job.id && g_job.step) g_job.step(done, total, loss, image, static_cast<size_t>(size));
}

EMSCRIPTEN_KEEPALIVE void studio_project_done(int id, const char* result, const float* image, int size, const char* error) {
    using namespace ganzoo::studio::platform;
    if (id != g_job.id || !g_job.done) return;
    WorkerDone done = std::move(g_job.done);  // the callback may start the next job
    g_job = WorkerJob{};
    done(result, image, static_cast<size_t>(size), error);
}

}  // extern "C"

