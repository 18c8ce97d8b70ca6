// The browser platform: Emscripten's GLFW on WebGL 2, the page's URL, localStorage, downloads,
// files fetched from the server, and window.studio for the page's tests.
#include "platform.hpp"

#include <emscripten.h>

#include <cstdio>
#include <cstdlib>
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

}  // namespace ganzoo::studio::platform
