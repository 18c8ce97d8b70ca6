// What differs between the desktop (platform_glfw.cpp) and the browser (platform_web.cpp). CMake
// compiles one of the two; every other file of the studio is the same source on both.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct GLFWwindow;

namespace ganzoo::studio::platform {

// ---- arguments -------------------------------------------------------------------------------
// The options as words: natively the command line, in the browser the URL's query
// (?seed=7&no-remember == --seed 7 --no-remember).
std::vector<std::string> arguments(int argc, char** argv);
// Ends the program after a bad option (the browser also stops the page's runtime).
[[noreturn]] void exit(int code);
// --help: natively the usage on stdout, and the program ends with status 0; in the browser
// (?help) it goes to the console and the studio starts (with its Help window open).
void usage(const char* text);
// An error the user must see. Natively stderr already has it; the page shows it too.
void report_error(const std::string& message);
// Generation off the UI's frame: natively a worker thread, in the browser (no threads in this
// build) steps run on the main thread within a time budget each frame.
bool has_threads();

// ---- the window: canvas size and DPI ---------------------------------------------------------
// Sets GLFW's hints for the GL context; returns the GLSL version line of ImGui's renderer.
const char* gl_hints();
// The window's first size: natively the one asked for (--size); in the browser the canvas's.
void first_window_size(int& width, int& height);
// The UI scale the display asks for: the monitor's content scale, or devicePixelRatio.
float display_scale(GLFWwindow* window);
// Once a frame: the browser fits the window to the canvas (the page's CSS size × devicePixelRatio)
// and returns that ratio; natively the window is the user's and nothing is returned.
std::optional<float> fit_window(GLFWwindow* window);

// ---- storage: the settings text --------------------------------------------------------------
// Where the settings live: natively --ini, else $XDG_CONFIG_HOME/ganzoo/studio.ini, else
// ~/.config/ganzoo/studio.ini ("" when there is no home); in the browser localStorage.
std::string settings_location(const std::string& ini_option);
std::string load_settings(const std::string& location);  // "" when there is nothing yet
void save_settings(const std::string& location, const char* text);

// ---- files: models and training runs -------------------------------------------------------
// A file's bytes, or why not. Natively `where` is a path and `done` runs before fetch returns; in
// the browser a URL, fetched in the background, `done` running on the main thread later.
using Fetched = std::function<void(const std::string* bytes, const std::string& error)>;
void fetch(const std::string& where, Fetched done);
// Natively: the names in a folder (nullopt when it cannot be opened), and the default models
// folder. The browser has no folders: has_folders() is false, its models come from the server.
bool has_folders();
std::optional<std::vector<std::string>> list_folder(const std::string& dir);
std::string models_folder(const std::string& option);

// A training run written by `ganzoo train --live` (docs/live.md): natively its folder, in the
// browser its id under `ganzoo serve` (runs/ID/live/...).
// Why `run` cannot name a run ("" when it can: natively a folder not made yet is fine).
std::string run_problem(const std::string& run);
std::string run_title(const std::string& run);
std::string snapshot_location(const std::string& run);  // its live/latest.safetensors
// The run's live/status.json as `ganzoo serve` answers it: before there is one,
// {"state": "missing"|"waiting", "why": ...} (natively made up the same way). `done` as for fetch.
void fetch_run_status(const std::string& run, Fetched done);
// What identifies the snapshot there now ("" when there is none): natively its device, inode,
// size and modification time (the trainer renames each new one over the last: one stat a poll);
// the browser cannot stat a URL, so there it is the `snapshot` entry of the status the server
// sent (`status_text`: step, bytes, the seconds it took).
std::string snapshot_identity(const std::string& run, const std::string& status_text);

// ---- the Project panel in the browser: image files, and a Web Worker for the projection ------
// Natively both are the studio's own: a path decoded by stb (`ganzoo project --target`'s reader)
// and ganzoo::Projector on a thread. In the browser (no threads in this build, no file paths):
// the browser decodes an image file the user picks or drops on the page (or the script fetches)
// into RGBA, and a Web Worker runs the projection: web/ganzoo-project-worker.js, the worker and
// projection core that the page's m.project() runs, so the page never blocks and the z is the
// CLI's.
//
// Decoded image files arrive here: name, RGBA pixels (width × height × 4), or an error.
using ImageFile = std::function<void(const std::string& name, const uint8_t* rgba, int width, int height, const std::string& error)>;
// Browser: `handler` gets every image file dropped on the page or picked (natively GLFW's drop
// callback gives paths instead, and nothing is called).
void on_image_file(ImageFile handler);
// Browser: opens the browser's file picker for an image (true); natively false.
bool pick_image();
// Browser: fetches the URL and decodes it, then calls `done` (as on_image_file's handler) later.
// Natively false, and `done` is not called (the studio decodes paths itself).
bool fetch_image(const std::string& url, ImageFile done);

// True where projections run on the Web Worker below (the browser).
bool projects_in_worker();
struct WorkerProjection {
    std::string model_key;   // names the model in the worker: its bytes are sent with the first job
    std::shared_ptr<const std::string> model_bytes;
    std::string classifier;  // the classifier's location, "" for none (no perceptual term)
    std::vector<float> target;  // [C, H, W] in the model's range
    std::string request;     // JSON as m.project() sends it: seed, steps, starts, label, weights
};
// After each step: steps done, all steps, the lowest loss, that row's image (C·H·W floats).
using WorkerStep = std::function<void(int64_t done, int64_t total, double loss, const float* image, size_t size)>;
// At the end: the result as JSON (wasm/project_bindings.cpp's gp_result) with its image, or the
// error (result empty).
using WorkerDone = std::function<void(const std::string& result, const float* image, size_t size, const std::string& error)>;
// Starts a projection on the worker (starting the worker first if needed). One at a time: a
// running one is stopped first, and its callbacks never run.
void project_in_worker(WorkerProjection job, WorkerStep step, WorkerDone done);
// Stops the running projection: the worker is terminated mid-step (the next job starts a new one).
void cancel_worker_projection();
// The worker forgets a model sent under this key (a model no longer shown).
void release_in_worker(const std::string& model_key);

// ---- images out ------------------------------------------------------------------------------
// Saves one image as `name`: natively a PNG in the current folder, in the browser a download.
// True with what happened in `message`, false with the error in it.
bool save_image(const std::string& name, const uint8_t* rgba, int width, int height, std::string& message);
// The script's outputs (shot:, dump:): PNG files natively. The browser has no files (its test
// reads the canvas and window.studio instead): nothing is written there, and they succeed.
bool write_png(const std::string& path, const uint8_t* rgba, int width, int height);
// The script's text outputs (zdump:): natively the file PATH; in the browser window.studioText[PATH].
bool write_text(const std::string& path, const std::string& text);
// The framebuffer just drawn as a PNG, and `state` (JSON text) in PATH.json beside it.
bool screenshot(const std::string& path, int width, int height, const std::string& state);

// ---- the page's view of the app (the browser test reads it) ----------------------------------
bool publishes_state();  // natively nobody listens, and the state is not built
void publish_state(const std::string& json);
// Script commands the page sends while the app runs (window.studioCommands, a ';'-separated
// string, taken once: the browser tests draw with the mouse, then script the rest); natively none.
std::string take_commands();
// Grid cell 0's pixels as the core made them, when the page asks for them.
bool wants_cell();
void put_cell(const uint8_t* rgba, int width, int height, int generation);

}  // namespace ganzoo::studio::platform
