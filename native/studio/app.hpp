// The studio's state and what it does, one platform-free struct. Its methods live by concern:
//   app.cpp      generation requests (the grid, interpolation, CycleGAN) and the per-frame update
//   models.cpp   the model list and loading a model
//   panels.cpp   the Dear ImGui windows and the shortcuts
//   project_panel.cpp  the Project panel: a target image onto the model's latent (ganzoo::project)
//   script.cpp   the scripted automation (what the tests drive), the state it reports, --bench
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "atlas.hpp"
#include "follow.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/project.hpp"
#include "imgui.h"
#include "imgui_internal.h"  // ImGui::MarkIniSettingsDirty: a setting changed, the .ini is saved
#include "loaded_model.hpp"
#include "options.hpp"
#include "settings.hpp"
#include "worker.hpp"

namespace ganzoo::studio {

using json = nlohmann::json;

struct ModelEntry {
    std::string title, path;  // path: a file (native) or a URL (web)
    json manifest;            // its manifest entry (metrics measured after export), if any
    bool live = false;        // the followed run's newest snapshot (--follow)
    json baseline;            // that manifest's "baseline" (the quality bar), if any
};

struct Tracked {
    ImVec2 min, max;
};

// A projection while it runs: what its progress callback (on the projector's thread) leaves for
// the UI, and the flag that stops it (the callback throws; the model changed, or a new run).
struct ProjectRun {
    std::mutex mu;
    int64_t done = 0, total = 0;
    double loss = 0;
    std::vector<float> image;   // the best row's image at the last step (C·H·W)
    std::vector<float> losses;  // that lowest loss, step by step
    bool fresh = false;         // image changed since the UI last drew it
    std::optional<ganzoo::ProjectResult> result;
    std::atomic<bool> cancel{false};
    // On the browser's Web Worker (platform::project_in_worker): its end, with the result or why not.
    bool in_worker = false, finished = false;
    std::string error;
};

// The Project panel's state (project_panel.cpp).
struct Projection {
    // The target as the model reads it: its channels × height × width, 8-bit (0 black); drawn on
    // by the canvas, replaced by a loaded file (converted as `ganzoo project --target` does).
    int channels = 0, height = 0, width = 0;
    std::vector<uint8_t> target;
    std::vector<uint8_t> projected_target;  // the target of the last projection started
    std::string path, note;  // the file typed in (or dropped); what loading it said
    bool target_loading = false;  // the browser is fetching and decoding a file (script target:)
    int steps = 300, starts = 4;
    uint64_t seed = 0;
    bool perceptual = true;
    // The classifier for the perceptual term: <models folder>/classifier.safetensors, read once.
    enum { kNotAsked, kFetching, kReady, kMissing } classifier_state = kNotAsked;
    std::shared_ptr<const ganzoo::Model> classifier;
    std::string classifier_note;
    std::shared_ptr<ProjectRun> run;  // the run on the projector (or the last one)
    uint64_t submitted = 0;
    bool running = false;
    std::string error;
    // The last result, for the model it was made with: its request (z, label, codes) and image.
    std::optional<ganzoo::ProjectResult> result;
    std::shared_ptr<const ganzoo::Model> result_model;
    bool used_classifier = false;
    Images live, done;  // the images shown: live during the run, the result after
    std::vector<float> losses;
    double loss = 0;
    int64_t steps_done = 0, steps_total = 0;
    bool interp_from = false;  // the interpolation strip runs from the projected z to the focus cell
    // The model the browser's projection worker holds, and its key there.
    std::shared_ptr<const ganzoo::Model> worker_model;
    std::string worker_key;
    uint64_t worker_serial = 0;
};

struct App {
    explicit App(Options o);

    Options options;
    float scale = 1.0f;  // UI scale: the monitor's content scale (desktop) or devicePixelRatio (web)
    Settings settings;
    SettingsStore store;

    std::vector<ModelEntry> entries;
    // Files of the folders scanned that are not listed (path, why): nothing the studio draws in
    // them (a classifier, a discriminator), or they do not load.
    std::vector<std::pair<std::string, std::string>> left_out;
    int selected = -1, loading = -1;
    std::optional<LoadedModel> loaded;
    std::string status, error;
    std::unique_ptr<Follow> follow;  // --follow RUN

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
    float truncation = 1.0f;  // psi, the truncation trick (GenerateRequest::truncation): 1 = off

    // Interpolation and CycleGAN
    int pick_a = 0, pick_b = 1;
    ganzoo::GridPlan grid_plan;  // the layout of the grid on screen
    ganzoo::Tensor grid_z;       // the latents of the grid on screen
    std::vector<int64_t> grid_labels;
    std::map<std::string, std::vector<float>> grid_codes;
    int domain = 0, example = 0;

    Worker worker;
    Worker projector;  // natively the projection's own thread (the browser's is a Web Worker: platform.hpp)
    Projection proj;
    Atlas atlas[kSlots];
    bool dirty[kSlots] = {};
    uint64_t submitted[kSlots] = {};
    int generations = 0;  // grid results shown
    double gen_ms_per_image = 0, gen_ms_total = 0;

    // Frame timing
    std::deque<double> frame_ms;
    Clock::time_point last_frame = Clock::now();
    int frame = 0;

    // UI
    bool show_help = false, show_card = true, show_interp = true, show_project = true;
    std::map<std::string, Tracked> tracked;

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

    // ---- app.cpp -------------------------------------------------------------------------------
    // After the ImGui context exists: the remembered settings, then the options over them.
    void start();
    void fail(const std::string& message);  // a one-line error; a scripted run ends with status 1
    void update();                          // once a frame, before ImGui's: results in, jobs out
    void end_frame(int fb_width, int fb_height);  // after rendering: screenshot, settings, state
    int64_t z_dim() const { return loaded ? loaded->model->info().z_dim : 0; }
    std::vector<const ganzoo::InputInfo*> stage_codes() const { return net_codes(loaded->info(), stage); }
    ganzoo::GridPlan plan() const;
    ganzoo::Tensor grid_latents(const ganzoo::GridPlan& p) const;
    void refresh_focus();
    int64_t batch_size() const;
    void submit_grid();
    void submit_interp();
    void submit_cycle();
    void collect_results();
    void randomize();
    void set_seed(uint64_t seed);
    void save_cell(const Images& imgs, int i, const std::string& what);
    int zoom() const;
    void zoom_by(int d);

    // ---- models.cpp ----------------------------------------------------------------------------
    // Lists the models and starts loading the first one. False: the folder --models names cannot
    // be read (the error is printed).
    bool find_models();
    void add_entry(const std::string& title, const std::string& path, const json& manifest = json(),
                   const json& baseline = json());
    void add_manifest(const std::string& text, const std::string& dir);
    void scan_folder(const std::string& dir);
    bool listed(const std::string& path) const;
    void start_model();
    void select(int index);
    void on_model_error(int index, const std::string& message);
    void on_model_bytes(int index, const std::string& bytes);
    // Puts `m` on screen as entry `index`. keep_view: the same entry reloaded (a new snapshot of
    // the followed run), the seed, class, codes, stage, picks and images kept until the new ones
    // arrive; else a new model, its view reset.
    void show_model(int index, LoadedModel m, bool keep_view);
    void on_snapshot(const LoadedModel& m);

    // ---- panels.cpp ----------------------------------------------------------------------------
    void build_ui();
    void track(const std::string& label);
    bool keys_free() const;
    void shortcuts();
    bool pressed(int key, bool repeat = true) const;
    // Keys pressed since the last frame, from GLFW's key callback (main.cpp). Dear ImGui 1.86
    // reads io.KeysDown once a frame, so a tap pressed and released between two frames (during a
    // slow frame) would never show as pressed to it; the shortcuts read these too.
    std::vector<int> taps;
    void ui_menu();
    void ui_models(ImVec2 pos, ImVec2 size);
    void ui_latent(ImVec2 pos, ImVec2 size);
    void ui_grid(ImVec2 pos, ImVec2 size);
    void ui_interp(ImVec2 pos, ImVec2 size);
    void ui_cycle();
    void ui_card(ImVec2 pos, ImVec2 size);
    const json& manifest_entry() const;  // the manifest's entry of the model on screen, or null
    const json& manifest_baseline() const;  // its manifest's baseline, or null
    void ui_help();
    void ui_live(ImVec2 pos, ImVec2 size);

    // ---- project_panel.cpp ---------------------------------------------------------------------
    void ui_project(ImVec2 pos, ImVec2 size);
    void fetch_classifier();
    // The target for the model on screen: a blank canvas of its size unless one of that size is there.
    void fit_target();
    // Reads an image file as the target: natively decoded here (false with proj.note saying why);
    // in the browser fetched and decoded by the page, arriving later through on_image.
    bool load_target(const std::string& path);
    void on_drop(const std::string& path);  // a file dropped on the window (natively)
    // An image the browser decoded (dropped on the page, picked, or fetched): RGBA, or the error.
    void on_image(const std::string& name, const uint8_t* rgba, int width, int height, const std::string& error);
    // The target from CHW pixels in the model's channels, as `ganzoo project --target` reads a file.
    void set_target(const std::string& name, const std::vector<uint8_t>& pixels, int64_t height, int64_t width);
    bool start_worker_projection(const ganzoo::Tensor& target, bool perceptual);
    // Starts a projection of the target (false with proj.error saying why it cannot).
    bool start_projection();
    void stop_projection();  // the model changed: the run stops, its result is dropped
    void collect_projection();
    json projection_json() const;  // z, label, codes and losses of the last result (zdump:, state)

    // ---- script.cpp ----------------------------------------------------------------------------
    void load_script();  // --script, with --screenshot's shorthand around it
    void queue_commands(const std::string& text);  // ';'-separated script commands, after the rest
    bool settled() const;
    void run_script();
    bool apply_setting(const std::string& kv);
    int follow_reached(const std::string& what) const;  // 1 yes, 0 not yet, -1 not a condition
    json widgets_json() const;
    void bench_frame(double ms);
    void finish_bench();
};

}  // namespace ganzoo::studio
