// The studio's Dear ImGui windows (docs/studio.md, "Panels"), laid out on first use, and its
// keyboard shortcuts.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <GLFW/glfw3.h>  // the key codes

#include "app.hpp"
#include "card.hpp"
#include "platform.hpp"

namespace ganzoo::studio {

void App::track(const std::string& label) { tracked[label] = {ImGui::GetItemRectMin(), ImGui::GetItemRectMax()}; }

bool App::keys_free() const { return !ImGui::GetIO().WantTextInput; }

// Pressed this frame: seen by ImGui, or tapped between two frames (taps, from GLFW's callback).
bool App::pressed(int key, bool repeat) const {
    return ImGui::IsKeyPressed(key, repeat) || std::find(taps.begin(), taps.end(), key) != taps.end();
}

void App::shortcuts() {
    if (!keys_free()) return;
    if (pressed(GLFW_KEY_R, false)) randomize();
    if (pressed(GLFW_KEY_SPACE, false)) walking = !walking;
    if (pressed(GLFW_KEY_RIGHT)) set_seed(settings.seed + 1);
    if (pressed(GLFW_KEY_LEFT) && settings.seed > 0) set_seed(settings.seed - 1);
    if (pressed(GLFW_KEY_EQUAL) || pressed(GLFW_KEY_KP_ADD)) zoom_by(1);
    if (pressed(GLFW_KEY_MINUS) || pressed(GLFW_KEY_KP_SUBTRACT)) zoom_by(-1);
    if (pressed(GLFW_KEY_PAGE_DOWN, false)) select(std::min(static_cast<int>(entries.size()) - 1, selected + 1));
    if (pressed(GLFW_KEY_PAGE_UP, false)) select(std::max(0, selected - 1));
    if (pressed(GLFW_KEY_H, false) || pressed(GLFW_KEY_F1, false)) show_help = !show_help;
    if (pressed(GLFW_KEY_I, false)) show_interp = !show_interp;
    if (pressed(GLFW_KEY_M, false)) show_card = !show_card;
    if (pressed(GLFW_KEY_P, false)) show_project = !show_project;
    if (pressed(GLFW_KEY_S, false) && atlas[kGrid].ready()) save_cell(atlas[kGrid].images, focus, "cell");
}

void App::ui_menu() {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("View")) {
        ImGui::MenuItem("Model card", "M", &show_card);
        ImGui::MenuItem("Interpolation", "I", &show_interp);
        ImGui::MenuItem("Project", "P", &show_project);
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

void App::ui_models(ImVec2 pos, ImVec2 size) {
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
    if (!left_out.empty()) {  // files scanned that hold nothing to draw: named, with why, on hover
        ImGui::TextDisabled("%zu file%s not listed (hover: why)", left_out.size(), left_out.size() == 1 ? "" : "s");
        if (ImGui::IsItemHovered()) {
            std::string why;
            for (const auto& [path, reason] : left_out) why += (why.empty() ? "" : "\n") + path + ": " + reason;
            ImGui::SetTooltip("%s", why.c_str());
        }
    }
    if (platform::has_folders()) {  // natively: any folder of .safetensors, typed in
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
    }
    if (!status.empty()) ImGui::TextWrapped("%s", status.c_str());
    if (!error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", error.c_str());
    ImGui::End();
}

void App::ui_latent(ImVec2 pos, ImVec2 size) {
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
    // The truncation trick (as `ganzoo sample --trunc`): every z of the grid, the walk and the
    // interpolation scaled by psi toward 0 in the core; the z sliders below show z before it.
    if (ImGui::SliderFloat("truncation", &truncation, 0.0f, 1.0f, truncation == 1.0f ? "%.2f (off)" : "psi %.2f")) {
        truncation = std::clamp(std::round(truncation * 20.0f) / 20.0f, 0.0f, 1.0f);  // steps of 0.05
        dirty[kGrid] = dirty[kInterp] = true;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the truncation trick: z scaled by psi toward 0 (typical samples, less variety); 1 = off");
    track("truncation");
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

void App::ui_grid(ImVec2 pos, ImVec2 size) {
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

void App::ui_interp(ImVec2 pos, ImVec2 size) {
    if (!show_interp || !loaded || loaded->stages.empty()) return;
    ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
    ImGui::Begin("Interpolation", &show_interp, ImGuiWindowFlags_HorizontalScrollbar);
    if (proj.interp_from && proj.result) {
        ImGui::Text("from the projection (A) to cell %d (B, the focus cell)", focus);
        ImGui::SameLine();
        if (ImGui::SmallButton("cells")) proj.interp_from = false, dirty[kInterp] = true;
    } else {
        ImGui::Text("from cell %d (A) to cell %d (B): right-click a cell to pick", pick_a, pick_b);
    }
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
void App::ui_cycle() {
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

namespace {

// Rows of name and value in two columns; a row with a detail shows it on hover.
void card_table(const char* id, const std::vector<CardRow>& rows) {
    if (rows.empty() || !ImGui::BeginTable(id, 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) return;
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthFixed);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
    for (const CardRow& r : rows) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextDisabled("%s", r.name.c_str());
        ImGui::TableNextColumn();
        ImGui::TextWrapped("%s", r.value.c_str());
        if (!r.detail.empty() && ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.detail.c_str());
    }
    ImGui::EndTable();
}

}  // namespace

const json& App::manifest_entry() const {
    static const json none;
    return selected >= 0 && selected < static_cast<int>(entries.size()) ? entries[static_cast<size_t>(selected)].manifest : none;
}

const json& App::manifest_baseline() const {
    static const json none;
    return selected >= 0 && selected < static_cast<int>(entries.size()) ? entries[static_cast<size_t>(selected)].baseline : none;
}

void App::ui_card(ImVec2 pos, ImVec2 size) {
    if (!show_card || !loaded) return;
    ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
    ImGui::Begin("Model card", &show_card);
    const Card card = model_card(*loaded, manifest_entry(), manifest_baseline());
    ImGui::TextWrapped("%s", loaded->title.c_str());
    if (!card.notice.empty()) {  // below the project's baseline (the manifest's numbers)
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.7f, 0.3f, 1));
        ImGui::TextWrapped("%s", card.notice.c_str());
        ImGui::PopStyleColor();
        track("notice");
    }
    card_table("about", card.about);
    if (card.has_training) {
        ImGui::Separator();
        card_table("training", card.training);
        if (!card.file_metrics.empty()) {
            ImGui::Text("metrics (in the file)");
            card_table("file metrics", card.file_metrics);
        } else {
            ImGui::TextDisabled("no metrics stored in the file");
        }
    }
    if (!card.manifest_metrics.empty()) {
        ImGui::Separator();
        ImGui::Text("metrics (models/manifest.json)");
        card_table("manifest metrics", card.manifest_metrics);
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

void App::ui_help() {
    if (!show_help) return;
    ImGui::SetNextWindowPos(ImGui::GetMainViewport()->GetCenter(), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::Begin("Help", &show_help, ImGuiWindowFlags_AlwaysAutoResize);
    static const char* keys[][2] = {
        {"R", "randomize the seed"},       {"Left / Right", "seed - 1 / seed + 1"},
        {"Space", "start / stop the random walk"}, {"+ / -, Ctrl+wheel", "zoom the grid"},
        {"Page Up / Down", "previous / next model"}, {"S", "save the selected cell as PNG"},
        {"I", "show / hide interpolation"}, {"M", "show / hide the model card"},
        {"P", "show / hide the Project panel"},
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

namespace {

// "1:02:03" or "2:03"; "-" when unknown.
std::string duration(double s) {
    if (!(s >= 0) || !std::isfinite(s)) return "-";
    const long t = std::lround(s), h = t / 3600, m = t % 3600 / 60, sec = t % 60;
    char text[32];
    if (h) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", h, m, sec);
    else std::snprintf(text, sizeof text, "%ld:%02ld", m, sec);
    return text;
}

// "loss_d 0.123  loss_g 1.45" from a status.json object of numbers.
std::string values(const json& v) {
    std::string text;
    if (!v.is_object()) return text;
    for (const auto& [k, x] : v.items()) {
        char one[96];
        if (x.is_number()) std::snprintf(one, sizeof one, "%s %.4g", k.c_str(), x.get<double>());
        else std::snprintf(one, sizeof one, "%s %s", k.c_str(), x.dump().substr(0, 40).c_str());
        text += (text.empty() ? "" : "  ") + std::string(one);
    }
    return text;
}

}  // namespace

// The followed run (--follow): its state, progress, newest losses and the snapshot on screen.
void App::ui_live(ImVec2 pos, ImVec2 size) {
    ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
    ImGui::Begin("Live");
    const json& s = follow->status;
    ImGui::TextWrapped("%s", follow->title.c_str());
    const std::string state = follow->state();
    if (state.empty() || state == "missing" || state == "waiting") {
        ImGui::TextWrapped("%s", state.empty() ? "reading its status ..." : s.value("why", state).c_str());
    } else {
        ImGui::Text("state    %s", state.c_str());
        const auto number = [&](const char* k) { return s.contains(k) && s[k].is_number() ? s[k].get<double>() : -1.0; };
        if (number("step") >= 0)
            ImGui::Text("step     %.0f%s", number("step"), number("steps") > 0 ? (" / " + std::to_string(std::llround(number("steps")))).c_str() : "");
        if (number("epoch") >= 0)
            ImGui::Text("epoch    %.4g%s", number("epoch"), number("epochs") > 0 ? (" / " + std::to_string(std::llround(number("epochs")))).c_str() : "");
        if (state == "training") ImGui::Text("ETA      %s", duration(number("eta_s")).c_str());
        if (s.contains("losses")) ImGui::TextWrapped("losses   %s", values(s["losses"]).c_str());
        if (s.contains("signal") && !s["signal"].empty()) ImGui::TextWrapped("signal   %s", values(s["signal"]).c_str());
    }
    ImGui::Separator();
    if (!follow->newest) {
        ImGui::TextWrapped("waiting for the first snapshot");
    } else {
        const auto& steps = follow->newest->info().training.steps;
        const std::string of = steps ? " of step " + std::to_string(*steps) : "";
        ImGui::TextWrapped("snapshot%s (%d loaded%s)", of.c_str(), follow->snapshots,
                           selected == 0 ? ", on screen" : "; pick it in Models to see it");
    }
    if (!follow->problem.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.7f, 0.3f, 1));
        ImGui::TextWrapped("%s", follow->problem.c_str());
        ImGui::PopStyleColor();
    }
    ImGui::End();
}

void App::build_ui() {
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
    const float right_w = d.x - left_w - mid_w, live_h = follow ? (d.y - top) * 0.35f : 0;
    if (follow) ui_live(ImVec2(left_w + mid_w, top), ImVec2(right_w, live_h));
    const float card_h = (d.y - top - live_h) * 0.4f;
    ui_card(ImVec2(left_w + mid_w, top + live_h), ImVec2(right_w, card_h));
    ui_project(ImVec2(left_w + mid_w, top + live_h + card_h), ImVec2(right_w, d.y - top - live_h - card_h));
    ui_help();
    shortcuts();
}

}  // namespace ganzoo::studio
