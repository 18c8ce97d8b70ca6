// The model list and loading a model: natively the files given, the models folder (its
// manifest's titles first, then every other .safetensors in it) and the folder scanned last time;
// in the browser (no folders) the server's models/manifest.json, then the files named in the URL.
// A followed run (--follow) comes first, as "Live: RUN".
#include <algorithm>
#include <cstdio>
#include <memory>

#include "app.hpp"
#include "platform.hpp"

namespace ganzoo::studio {

bool App::find_models() {
    if (follow) entries.push_back({follow->title, follow->location, json(), true, json()});
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

void App::add_entry(const std::string& title, const std::string& path, const json& manifest, const json& baseline) {
    if (!listed(path)) entries.push_back({title, path, manifest, false, baseline});
}

void App::add_manifest(const std::string& text, const std::string& dir) {
    const json m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.contains("models")) {
        error = "models/manifest.json is not a ganzoo manifest";
        return;
    }
    const json baseline = m.contains("baseline") && m["baseline"].is_object() ? m["baseline"] : json();
    for (const auto& e : m["models"]) {
        if (!e.contains("file")) continue;
        const std::string file = e["file"];
        add_entry(e.value("title", file), dir + "/" + file, e, baseline);
    }
}

// The shipped manifest's titles first, then every other .safetensors in the folder that holds
// something the studio draws (the core's ModelInfo says so: nothing_to_draw); the others, and
// files that do not load, are not listed but named in left_out with why.
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
    for (const auto& f : files) {
        const std::string path = dir + "/" + f;
        if (listed(path)) continue;
        std::string why;
        platform::fetch(path, [&](const std::string* bytes, const std::string& error) {
            if (!bytes) {
                why = error;
                return;
            }
            try {
                const auto model = ganzoo::Model::load(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
                why = nothing_to_draw(model.info());
            } catch (const std::exception& e) {
                why = e.what();
            }
        });
        left_out.erase(std::remove_if(left_out.begin(), left_out.end(), [&](const auto& l) { return l.first == path; }),
                       left_out.end());
        if (why.empty()) add_entry(f, path);
        else left_out.emplace_back(path, why);
    }
}

bool App::listed(const std::string& path) const {
    return std::any_of(entries.begin(), entries.end(), [&](const ModelEntry& e) { return e.path == path; });
}

// The model named by --model (or the first file given), else the followed run, else the last one
// used, else the first.
void App::start_model() {
    std::string want = options.model;
    if (want.empty() && !options.files.empty()) want = options.files.front();
    if (!want.empty()) {
        if (!apply_setting("model=" + want)) fail("--model '" + want + "': not in the model list");
        return;
    }
    if (follow) return select(0);
    for (int i = 0; i < static_cast<int>(entries.size()); ++i)
        if (entries[i].title == settings.model) return select(i);
    if (!entries.empty()) select(0);
}

void App::select(int index) {
    if (index < 0 || index >= static_cast<int>(entries.size())) return;
    loading = index;
    error.clear();
    status = "loading " + entries[index].title + " ...";
    if (entries[index].live) {  // the followed run: its newest snapshot, once there is one
        if (follow->newest) return show_model(index, *follow->newest, false);
        status = "waiting for the first snapshot of " + follow->run;
        return;
    }
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
        LoadedModel m = describe(std::move(model), entries[index].title, entries[index].path);
        if (platform::projects_in_worker()) m.bytes = std::make_shared<const std::string>(bytes);
        show_model(index, std::move(m), false);
    } catch (const std::exception& e) {
        return on_model_error(index, entries[index].title + ": " + e.what());
    }
}

// A new snapshot of the followed run: shown in place when its entry is on screen (or waits for
// it); otherwise kept in `follow->newest` until the entry is picked.
void App::on_snapshot(const LoadedModel& m) {
    const int live = entries.empty() || !entries[0].live ? -1 : 0;
    if (live < 0) return;
    if (loading == live) show_model(live, m, false);
    else if (selected == live && loading < 0) show_model(live, m, true);
}

void App::show_model(int index, LoadedModel m, bool keep_view) {
    const bool same_kind = keep_view && loaded && loaded->cycle == m.cycle && loaded->stages.empty() == m.stages.empty();
    const std::string old_stage = stage;
    const auto old_values = code_values;
    const auto old_choice = code_choice;
    // Images of the model on screen until now must never be shown for this one: its grid (or
    // strip, or translation) still generating is dropped, and every slot is asked for anew below.
    worker.cancel();
    loaded = std::move(m);
    loading = -1;
    selected = index;
    status.clear();
    if (!entries[index].live) {  // a run's snapshot is not a model to come back to next time
        settings.model = entries[index].title;
        ImGui::MarkIniSettingsDirty();
    }
    const auto& stages = loaded->stages;
    stage = stages.empty() ? "" : keep_view && std::count(stages.begin(), stages.end(), old_stage) ? old_stage : stages.back();
    code_values.clear();
    code_choice.clear();
    for (const auto& s : stages)
        for (const ganzoo::InputInfo* c : net_codes(loaded->info(), s)) {
            code_values[c->name] = c->default_values.empty() ? std::vector<float>(static_cast<size_t>(c->size), 0.0f)
                                                             : c->default_values;
            code_choice[c->name] = -1;
            const auto v = old_values.find(c->name);
            const auto k = old_choice.find(c->name);
            if (keep_view && v != old_values.end() && v->second.size() == code_values[c->name].size())
                code_values[c->name] = v->second;
            if (keep_view && k != old_choice.end() && k->second < c->categories) code_choice[c->name] = k->second;
        }
    const int64_t classes = loaded->model->info().num_classes;
    if (settings.klass >= classes) settings.klass = -1;
    if (!keep_view) {
        domain = 0;
        example = 0;
        focus = 0;
        walking = false;
        pick_a = 0;
        pick_b = 1;
    }
    if (!keep_view || focus_z.size() != static_cast<size_t>(z_dim())) focus_edited = false;
    for (int s = 0; s < kSlots; ++s) {
        if (!same_kind) atlas[s].images = Images{};
        dirty[s] = s != kProject;  // a projection is asked for by the user, never redone
    }
    // A projection belongs to the weights it ran on: any new model (a new snapshot too) stops it.
    stop_projection();
    fit_target();
}

}  // namespace ganzoo::studio
