#include "settings.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "imgui.h"
#include "imgui_internal.h"  // ImGuiSettingsHandler: the studio's own section of the .ini
#include "platform.hpp"

namespace ganzoo::studio {

namespace {

void read_line(ImGuiContext*, ImGuiSettingsHandler* handler, void*, const char* line) {
    Settings& s = *static_cast<Settings*>(handler->UserData);
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

void write_all(ImGuiContext*, ImGuiSettingsHandler* handler, ImGuiTextBuffer* out) {
    const Settings& s = *static_cast<const Settings*>(handler->UserData);
    out->appendf("[%s][Settings]\n", handler->TypeName);
    out->appendf("model=%s\nseed=%llu\ncount=%d\nzoom=%d\nz_sliders=%d\ninterp_frames=%d\nclass=%d\nslerp=%d\n",
                 s.model.c_str(), static_cast<unsigned long long>(s.seed), s.count, s.zoom, s.z_sliders,
                 s.interp_frames, s.klass, s.slerp ? 1 : 0);
    out->appendf("walk_speed=%.3f\nfolder=%s\n\n", s.walk_speed, s.folder.c_str());
}

}  // namespace

void register_settings(Settings& settings) {
    ImGuiSettingsHandler h;
    h.TypeName = "GanzooStudio";
    h.TypeHash = ImHashStr("GanzooStudio");
    h.ReadOpenFn = [](ImGuiContext*, ImGuiSettingsHandler* handler, const char* name) -> void* {
        return std::strcmp(name, "Settings") == 0 ? handler->UserData : nullptr;
    };
    h.ReadLineFn = read_line;
    h.WriteAllFn = write_all;
    h.UserData = &settings;
    ImGui::GetCurrentContext()->SettingsHandlers.push_back(h);
}

std::string SettingsStore::load() const { return remember ? platform::load_settings(location) : ""; }

void SettingsStore::save(const char* text) const {
    if (remember) platform::save_settings(location, text);
}

}  // namespace ganzoo::studio
