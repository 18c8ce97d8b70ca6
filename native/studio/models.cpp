// The model list and loading a model: natively the files given, the models folder (its
// manifest's titles first, then every other .safetensors in it) and the folder scanned last time;
// in the browser (no folders) the server's models/manifest.json, then the files named in the URL.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "app.hpp"
#include "platform.hpp"

namespace studio {

bool App::find_models() {
    const std::string dir = platform::models_folder(options.models_dir);
    if (!platform::has_folders()) {
        platform::fetch(dir + "/manifest.json", [this, dir](const std::string* bytes, const std::string&) {
            if (bytes) add_manifest(*bytes, dir);
            for (const auto& f : options.files) add_entry(f, f);
            if (!bytes) error = "could not fetch " + dir + "/manifest.json";
            start_model();
        });
        return true;
    }
    for (const auto& f : options.files) {
        const auto slash = f.rfind('/');
        add_entry(slash == std::string::npos ? f : f.substr(slash + 1), f);
    }
    scan_folder(dir);
    if (!settings.folder.empty()) scan_folder(settings.folder);
    if (!error.empty() && !options.models_dir.empty()) {
        std::fprintf(stderr, "ganzoo-studio: %s\n", error.c_str());
        return false;
    }
    start_model();
    return true;
}

void App::add_entry(const std::string& title, const std::string& path, const json& manifest) {
    for (const auto& e : entries)
        if (e.path == path) return;
    entries.push_back({title, path, manifest});
}

void App::add_manifest(const std::string& text, const std::string& dir) {
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

// The shipped manifest's titles first, then every other .safetensors in the folder.
void App::scan_folder(const std::string& dir) {
    platform::fetch(dir + "/manifest.json", [&](const std::string* bytes, const std::string&) {
        if (bytes) add_manifest(*bytes, dir);
    });
    const auto names = platform::list_folder(dir);
    if (!names) {
        error = "cannot open folder " + dir;
        return;
    }
    std::vector<std::string> files;
    for (const std::string& name : *names)
        if (name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0) files.push_back(name);
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add_entry(f, dir + "/" + f);
}

// The model named by --model (or the first file given), else the last one used, else the first.
void App::start_model() {
    std::string want = options.model;
    if (want.empty() && !options.files.empty()) want = options.files.front();
    if (!want.empty()) {
        if (!apply_setting("model=" + want)) fail("--model '" + want + "': not in the model list");
        return;
    }
    for (int i = 0; i < static_cast<int>(entries.size()); ++i)
        if (entries[i].title == settings.model) return select(i);
    if (!entries.empty()) select(0);
}

void App::select(int index) {
    if (index < 0 || index >= static_cast<int>(entries.size())) return;
    loading = index;
    error.clear();
    status = "loading " + entries[index].title + " ...";
    platform::fetch(entries[index].path, [this, index](const std::string* bytes, const std::string& why) {
        if (bytes) on_model_bytes(index, *bytes);
        else on_model_error(index, why);
    });
}

void App::on_model_error(int index, const std::string& message) {
    if (index != loading) return;
    loading = -1;
    status.clear();
    error = message;
    if (!script.empty()) fail(message);
}

void App::on_model_bytes(int index, const std::string& bytes) {
    if (index != loading) return;
    try {
        auto model = std::make_shared<const ganzoo::Model>(
            ganzoo::Model::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
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

}  // namespace studio
