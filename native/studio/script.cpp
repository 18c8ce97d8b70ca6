// The scripted automation (what the tests and the docs' screenshots drive): --script CMDS, or
// ?script=CMDS in the browser, commands separated by ';' run one after the other between frames:
//   wait            until no generation is pending and its images are on screen
//   frames:N        render N frames
//   click:LABEL     a left click on a tracked widget (Randomize, Walk, ...), through ImGui's input
//   key:NAME        a key press (R, SPACE, LEFT, RIGHT, H, ...), through ImGui's input
//   set:NAME=V      seed, count, zoom, class, model (a name from the model list), stage, domain,
//                   walk, help, truncation (psi, 0..1 as its slider; 1 = off)
//   shot:PNG        (native) the framebuffer as PNG, and PNG.json with the tracked widgets' rects
//   dump:PNG        (native) grid cell 0's pixels as the core made them (to_rgba8), 1:1
//   strip:PNG       (native) the interpolation's frames as the core made them, side by side, 1:1
//   follow:WHAT     (--follow) until the followed run has: snapshots=N loaded, failures=N loads
//                   failed, state=S in its status (missing, waiting, training, finished, ...)
//   target:PATH     the Project panel's target: an image file (in the browser a URL, fetched and
//                   decoded by the page; `wait` waits for it), read as `ganzoo project --target` reads it
//   project:K=V,..  a projection of the target, options steps, seed, starts, perceptual (0/1);
//                   `wait` waits for its end
//   zdump:JSON      the last projection's z, label, codes and losses (as projection.json has them)
//                   and the target's pixels (in the browser: window.studioText[JSON])
//   quit            exit 0
// Any command that cannot run (unknown widget, model that fails to load) exits with status 1.
// Also here: the state the tests read (PNG.json, window.studio) and the --bench measurement.
#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include <GLFW/glfw3.h>  // the key codes

#include "app.hpp"
#include "card.hpp"
#include "platform.hpp"

namespace ganzoo::studio {

// --screenshot is shorthand for frames, the script, then a shot of the result.
void App::load_script() {
    std::string text = options.script;
    if (!options.screenshot.empty())
        text = "frames:" + std::to_string(std::max(1, options.frames)) + ";wait" + (text.empty() ? "" : ";" + text) +
               ";wait;shot:" + options.screenshot + ";quit";
    queue_commands(text);
}

void App::queue_commands(const std::string& text) {
    std::stringstream ss(text);
    for (std::string cmd; std::getline(ss, cmd, ';');)
        if (!cmd.empty()) script.push_back(cmd);
}

bool App::settled() const {
    if (loading >= 0 || worker.busy() || projector.busy() || proj.running || proj.target_loading) return false;
    for (int s = 0; s < kSlots; ++s)
        if (dirty[s]) return false;
    return true;
}

// Runs before ImGui::NewFrame (after the backend's input), so injected input goes through
// ImGui's normal path.
void App::run_script() {
    if (const std::string sent = platform::take_commands(); !sent.empty()) queue_commands(sent);
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
        if (op == "follow") {
            const int reached = follow_reached(arg);
            if (reached < 0) return fail("script: cannot wait for 'follow:" + arg + "' (needs --follow; snapshots=N, failures=N or state=S)");
            if (!reached) return;
            script.pop_front();
            continue;
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
            const Images& imgs = atlas[kGrid].images;
            if (imgs.count < 1 || !platform::write_png(arg, imgs.image(0), imgs.width, imgs.height))
                return fail("script: cannot dump cell 0 to " + arg);
        } else if (op == "strip") {
            const Images& imgs = atlas[kInterp].images;
            const size_t row = static_cast<size_t>(imgs.width) * 4, all = row * static_cast<size_t>(imgs.count);
            std::vector<uint8_t> side(all * static_cast<size_t>(imgs.height));
            for (int i = 0; i < imgs.count; ++i)
                for (int y = 0; y < imgs.height; ++y)
                    std::copy_n(imgs.image(i) + static_cast<size_t>(y) * row, row, side.data() + static_cast<size_t>(y) * all + static_cast<size_t>(i) * row);
            if (imgs.count < 1 || !platform::write_png(arg, side.data(), imgs.width * imgs.count, imgs.height))
                return fail("script: cannot write the interpolation strip to " + arg);
        } else if (op == "target") {
            proj.path = arg;
            if (!load_target(arg)) return fail("script: target '" + arg + "': " + proj.note);
        } else if (op == "project") {
            std::stringstream kvs(arg);
            for (std::string kv; std::getline(kvs, kv, ',');) {
                const auto eq = kv.find('=');
                const std::string k = kv.substr(0, eq);
                const long long v = eq == std::string::npos ? -1 : std::atoll(kv.c_str() + eq + 1);
                if (k == "steps" && v >= 1) proj.steps = int(v);
                else if (k == "seed" && v >= 0) proj.seed = static_cast<uint64_t>(v);
                else if (k == "starts" && v >= 1 && v <= 64) proj.starts = int(v);
                else if (k == "perceptual" && (v == 0 || v == 1)) proj.perceptual = v == 1;
                else if (!kv.empty()) return fail("script: project: cannot set '" + kv + "'");
            }
            if (!start_projection()) return fail("script: project: " + proj.error);
        } else if (op == "zdump") {
            json j = projection_json();
            if (!j.contains("z")) return fail("script: cannot dump the projection to " + arg + " (none yet)");
            j["target"] = proj.projected_target;  // the 8-bit pixels it was projected from
            if (!platform::write_text(arg, j.dump(1) + "\n")) return fail("script: cannot dump the projection to " + arg);
        } else if (op == "quit") {
            quit = true;
            return;
        } else {
            return fail("script: unknown command '" + cmd + "'");
        }
    }
}

bool App::apply_setting(const std::string& kv) {
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
    if (k == "truncation") {
        char* after = nullptr;
        const float psi = std::strtof(v.c_str(), &after);
        if (v.empty() || *after != '\0' || !(psi >= 0.0f && psi <= 1.0f)) return false;
        return truncation = psi, dirty[kGrid] = dirty[kInterp] = true, true;
    }
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

int App::follow_reached(const std::string& what) const {
    const auto eq = what.find('=');
    if (!follow || eq == std::string::npos) return -1;
    const std::string k = what.substr(0, eq), v = what.substr(eq + 1);
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    const bool number = !v.empty() && *end == '\0';
    if (k == "snapshots" && number) return follow->snapshots >= n;
    if (k == "failures" && number) return follow->failures >= n;
    if (k == "state" && !v.empty()) return follow->state() == v;
    return -1;
}

json App::widgets_json() const {
    json w = json::object();
    for (const auto& [name, t] : tracked) w[name] = {t.min.x, t.min.y, t.max.x - t.min.x, t.max.y - t.min.y};
    json state = {{"widgets", w},
            {"generations", generations},
            {"seed", settings.seed},
            {"truncation", truncation},
            {"model", loaded ? loaded->title : ""},
            {"busy", !settled()},
            {"frame", frame},
            {"scale", scale},
            {"grid", {{"count", grid_plan.request.count}, {"columns", grid_plan.columns}, {"rows", grid_plan.rows},
                      {"description", grid_plan.description}}}};
    json models = json::array(), unlisted = json::array();
    for (const ModelEntry& e : entries) models.push_back(e.title);
    for (const auto& [path, why] : left_out) unlisted.push_back({{"path", path}, {"why", why}});
    state["models"] = models;
    json p = projection_json();
    p.erase("z");  // dumped by zdump:, not in every state
    p.erase("losses");
    state["projection"] = p;
    if (loaded) {  // the model card's text, as the window shows it
        const Card card = model_card(*loaded, manifest_entry(), manifest_baseline());
        const auto rows = [](const std::vector<CardRow>& rs) {
            json out = json::array();
            for (const CardRow& r : rs) out.push_back({r.name, r.value});
            return out;
        };
        state["card"] = {{"about", rows(card.about)}, {"training", rows(card.training)},
                         {"file_metrics", rows(card.file_metrics)}, {"manifest_metrics", rows(card.manifest_metrics)},
                         {"notice", card.notice}};
    }
    state["left_out"] = unlisted;
    if (follow)
        state["follow"] = {{"run", follow->run}, {"state", follow->state()}, {"step", follow->status.value("step", json())},
                           {"snapshots", follow->snapshots}, {"failures", follow->failures}, {"problem", follow->problem},
                           {"on_screen", selected == 0 && loaded.has_value()}};
    return state;
}

// --bench: regenerates a 64-image grid bench_total times (a new seed each time) and records the
// frame times while it runs: what the UI feels during generation. First 60 frames with nothing
// generating: the baseline.
void App::bench_frame(double ms) {
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

void App::finish_bench() {
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

}  // namespace ganzoo::studio
