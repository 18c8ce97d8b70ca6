// The desktop platform: GLFW + OpenGL 3.2 core, files on disk, a worker thread, PNGs by stb.
#include "platform.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <GLFW/glfw3.h>
#include <nlohmann/json.hpp>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

namespace ganzoo::studio::platform {

namespace {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace

std::vector<std::string> arguments(int argc, char** argv) { return std::vector<std::string>(argv + 1, argv + argc); }

void exit(int code) { std::exit(code); }

void usage(const char* text) {
    std::fputs(text, stdout);
    std::fflush(stdout);
    std::exit(0);
}

void report_error(const std::string&) {}

bool has_threads() { return true; }

const char* gl_hints() {
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 2);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    return "#version 150";
}

void first_window_size(int&, int&) {}

float display_scale(GLFWwindow* window) {
    float sx = 1, sy = 1;
    glfwGetWindowContentScale(window, &sx, &sy);
    return std::max(1.0f, sx);
}

std::optional<float> fit_window(GLFWwindow*) { return std::nullopt; }

std::string settings_location(const std::string& ini_option) {
    if (!ini_option.empty()) return ini_option;
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) return std::string(xdg) + "/ganzoo/studio.ini";
    if (home && *home) return std::string(home) + "/.config/ganzoo/studio.ini";
    return "";
}

std::string load_settings(const std::string& location) {
    std::string s;
    if (!location.empty()) read_file(location, s);
    return s;
}

// Written beside the file, then renamed over it (its folders made first).
void save_settings(const std::string& location, const char* text) {
    if (location.empty()) return;
    const auto slash = location.rfind('/');
    if (slash != std::string::npos) {
        for (size_t i = 1; i <= slash; ++i)
            if (location[i] == '/' || i == slash) mkdir(location.substr(0, i).c_str(), 0755);
    }
    const std::string tmp = location + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        f << text;
        if (!f) return;
    }
    std::rename(tmp.c_str(), location.c_str());
}

void fetch(const std::string& where, Fetched done) {
    std::string bytes;
    if (!read_file(where, bytes)) return done(nullptr, "cannot read " + where);
    done(&bytes, "");
}

bool has_folders() { return true; }

std::optional<std::vector<std::string>> list_folder(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (!d) return std::nullopt;
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) names.push_back(e->d_name);
    closedir(d);
    return names;
}

std::string models_folder(const std::string& option) { return option.empty() ? GANZOO_STUDIO_MODELS : option; }

std::string run_problem(const std::string& run) {
    struct stat st{};
    if (run.empty()) return "expected a run folder (ganzoo train ... --live --out RUN)";
    if (::stat(run.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return "not a folder (expected the run's, ganzoo train --out RUN)";
    return "";
}

std::string run_title(const std::string& run) {
    std::string title = run;
    while (title.size() > 1 && title.back() == '/') title.pop_back();
    return title;
}

std::string snapshot_location(const std::string& run) { return run_title(run) + "/live/latest.safetensors"; }

// The answers `ganzoo serve` gives (native/serve/server.cpp) before a run has a status.
void fetch_run_status(const std::string& run, Fetched done) {
    const auto answer = [](const char* state, const char* why) { return nlohmann::json{{"state", state}, {"why", why}}.dump(); };
    struct stat st{};
    std::string text;
    if (::stat(run.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        text = answer("missing", "the run folder is not there (yet, or any more)");
    else if (!read_file(run_title(run) + "/live/status.json", text))
        text = answer("waiting", "no live/status.json yet: the run has not started, or trains without --live");
    done(&text, "");
}

std::string snapshot_identity(const std::string& run, const std::string&) {
    struct stat st{};
    if (::stat(snapshot_location(run).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

bool save_image(const std::string& name, const uint8_t* rgba, int width, int height, std::string& message) {
    const std::string path = "./" + name;
    const bool ok = write_png(path, rgba, width, height);
    message = (ok ? "saved " : "cannot write ") + path;
    return ok;
}

bool write_png(const std::string& path, const uint8_t* rgba, int width, int height) {
    return stbi_write_png(path.c_str(), width, height, 4, rgba, width * 4) != 0;
}

bool screenshot(const std::string& path, int width, int height, const std::string& state) {
    std::vector<uint8_t> px(static_cast<size_t>(width) * height * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    std::vector<uint8_t> flipped(px.size());
    for (int y = 0; y < height; ++y)
        std::memcpy(&flipped[static_cast<size_t>(y) * width * 4], &px[static_cast<size_t>(height - 1 - y) * width * 4],
                    static_cast<size_t>(width) * 4);
    if (!write_png(path, flipped.data(), width, height)) return false;
    std::ofstream f(path + ".json");
    f << state << "\n";
    return bool(f);
}

bool write_text(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    return bool(f);
}
std::string take_commands() { return {}; }

// Natively the studio reads image files itself (paths, stb) and projects on a thread of its own.
void on_image_file(ImageFile) {}
bool pick_image() { return false; }
bool fetch_image(const std::string&, ImageFile) { return false; }
bool projects_in_worker() { return false; }
void project_in_worker(WorkerProjection, WorkerStep, WorkerDone done) {
    done("", nullptr, 0, "projections run on the studio's own thread natively");
}
void cancel_worker_projection() {}
void release_in_worker(const std::string&) {}

bool publishes_state() { return false; }
void publish_state(const std::string&) {}
bool wants_cell() { return false; }
void put_cell(const uint8_t*, int, int, int) {}

}  // namespace ganzoo::studio::platform
