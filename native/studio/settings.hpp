// Settings remembered between runs: the studio's section of Dear ImGui's .ini text (the windows'
// places are in the same text), kept where the platform keeps it (a file, or localStorage).
#pragma once

#include <cstdint>
#include <string>

namespace ganzoo::studio {

struct Settings {
    std::string model;  // the last model's title
    uint64_t seed = 7;
    int count = 64, zoom = 0, z_sliders = 8, interp_frames = 10, klass = -1;
    bool slerp = true;
    float walk_speed = 0.6f;
    std::string folder;
};

// Adds the section [GanzooStudio][Settings] (key=value lines) to ImGui's .ini text: read into
// `settings` when the text is loaded, written from it when ImGui saves. Needs an ImGui context.
void register_settings(Settings& settings);

// The text's place (platform::settings_location) and whether it is read and written at all
// (--no-remember: neither).
struct SettingsStore {
    std::string location;
    bool remember = true;
    std::string load() const;
    void save(const char* text) const;
};

}  // namespace ganzoo::studio
