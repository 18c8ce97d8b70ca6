// The studio's generation requests and its per-frame update. Every image comes from the shared
// core (ganzoo::Model::generate / run, ganzoo::to_rgba8): seed S shows what `ganzoo sample
// --seed S` writes. Generation never runs on the UI's frame (worker.hpp).
#include "app.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ganzoo/latent.hpp"
#include "platform.hpp"

namespace ganzoo::studio {

App::App(Options o) : options(std::move(o)), worker(platform::has_threads()), projector(platform::has_threads()) {
    store.remember = options.remember;
    platform::on_image_file([this](const std::string& name, const uint8_t* rgba, int width, int height, const std::string& error) {
        on_image(name, rgba, width, height, error);
    });
}

void App::start() {
    store.location = platform::settings_location(options.ini);
    const std::string ini = store.load();
    if (!ini.empty()) ImGui::LoadIniSettingsFromMemory(ini.c_str(), ini.size());
    if (options.seed) settings.seed = *options.seed;
    if (options.help) show_help = true;  // the browser's ?help (natively --help has ended the program)
    if (options.bench) {  // the grid alone: no interpolation strip regenerating beside it
        settings.count = 64;
        show_interp = false;
        bench_left = bench_total = options.bench;
    }
    load_script();
    if (!options.follow.empty())
        follow = std::make_unique<Follow>(options.follow, [this](const LoadedModel& m) { on_snapshot(m); });
}

void App::fail(const std::string& message) {
    std::fprintf(stderr, "ganzoo-studio: %s\n", message.c_str());
    platform::report_error(message);
    exit_code = 1;
    quit = true;
}

void App::update() {
    const double ms = ms_since(last_frame);
    last_frame = Clock::now();
    if (frame > 0) {
        frame_ms.push_back(ms);
        if (frame_ms.size() > 120) frame_ms.pop_front();
        bench_frame(ms);
    }
    ++frame;

    if (follow) follow->tick();
    if (!worker.threaded()) worker.pump(8.0);  // the browser's share of generation this frame
    collect_results();
    collect_projection();
    if (walking && loaded && !loaded->stages.empty()) {
        walk_t += settings.walk_speed * std::min(ms, 100.0) / 1000.0;
        if (!worker.busy()) dirty[kGrid] = true;
    }
    if (dirty[kGrid] && !loaded) dirty[kGrid] = false;
    if (dirty[kGrid]) {
        submit_grid();
        if (!focus_edited) refresh_focus();
    }
    if (dirty[kInterp] && show_interp && !dirty[kGrid]) submit_interp();
    if (dirty[kInterp] && !show_interp) dirty[kInterp] = false;
    if (dirty[kCycle]) submit_cycle();
}

void App::end_frame(int fb_width, int fb_height) {
    if (!pending_shot.empty()) {
        if (!platform::screenshot(pending_shot, fb_width, fb_height, widgets_json().dump(1)))
            fail("script: cannot write " + pending_shot);
        pending_shot.clear();
    }
    ImGuiIO& io = ImGui::GetIO();
    if (io.WantSaveIniSettings) {
        store.save(ImGui::SaveIniSettingsToMemory());
        io.WantSaveIniSettings = false;
    }
    if (platform::publishes_state()) {
        json state = widgets_json();
        if (!bench_result.is_null()) state["bench"] = bench_result;
        state["error"] = error;
        state["fb"] = {fb_width, fb_height};
        platform::publish_state(state.dump());
    }
    if (platform::wants_cell() && atlas[kGrid].ready() && settled()) {
        const Images& imgs = atlas[kGrid].images;
        platform::put_cell(imgs.image(0), imgs.width, imgs.height, generations);
    }
}

// The grid as the settings ask for it, laid out by the core's planner (ganzoo/grid.hpp) as
// `ganzoo sample` lays it out: one row per class (cGAN, no class picked) or per value of a
// categorical code (InfoGAN, no value picked), else count samples of the seed.
ganzoo::GridPlan App::plan() const {
    ganzoo::GridRequest g;
    g.net = stage;
    g.seed = settings.seed;
    g.count = settings.count;
    if (settings.klass >= 0 && loaded->info().num_classes > 0) g.label = settings.klass;
    for (const ganzoo::InputInfo* c : stage_codes()) {
        const auto choice = code_choice.find(c->name);
        if (c->kind == ganzoo::InputKind::Categorical) {
            if (choice != code_choice.end() && choice->second >= 0) g.codes[c->name] = {static_cast<float>(choice->second)};
        } else {
            g.codes[c->name] = code_values.at(c->name);
        }
    }
    return ganzoo::plan_grid(loaded->info(), g);
}

// Latents of the grid: the plan's (sample latent_index[i] of the seed), moved along the random
// walk's ellipse, the focus cell's edited dimensions on top.
ganzoo::Tensor App::grid_latents(const ganzoo::GridPlan& p) const {
    const int64_t n = static_cast<int64_t>(p.latent_index.size()), dim = z_dim();
    ganzoo::Tensor z = ganzoo::Tensor::zeros({n, dim});
    const uint64_t other_seed = ganzoo::splitmix64(settings.seed ^ 0x57a1c0deULL);
    const float c = static_cast<float>(std::cos(walk_t)), s = static_cast<float>(std::sin(walk_t));
    for (int64_t i = 0; i < n; ++i) {
        ganzoo::Tensor base = ganzoo::normal_latents(settings.seed, p.latent_index[static_cast<size_t>(i)], 1, dim);
        if (walk_t != 0) {
            const ganzoo::Tensor other = ganzoo::normal_latents(other_seed, p.latent_index[static_cast<size_t>(i)], 1, dim);
            for (size_t j = 0; j < base.data.size(); ++j) base.data[j] = c * base.data[j] + s * other.data[j];
        }
        std::copy(base.data.begin(), base.data.end(), z.data.begin() + i * dim);
    }
    if (focus_edited && focus < n && static_cast<int64_t>(focus_z.size()) == dim)
        std::copy(focus_z.begin(), focus_z.end(), z.data.begin() + focus * dim);
    return z;
}

void App::refresh_focus() {
    const int64_t dim = z_dim();
    if (dim <= 0 || stage.empty()) return;
    const ganzoo::GridPlan p = plan();
    const ganzoo::Tensor z = grid_latents(p);
    if (focus >= static_cast<int>(p.latent_index.size())) focus = 0;
    focus_z.assign(z.data.begin() + focus * dim, z.data.begin() + (focus + 1) * dim);
}

namespace {

// Splits per-sample inputs into batches of `batch` samples: one core call each; the core scales
// every z by `truncation` (1: not at all), after the interpolation as `ganzoo interpolate --trunc`.
std::vector<Step> batched_steps(const std::string& net, const ganzoo::Tensor& z, const std::vector<int64_t>& labels,
                                const std::map<std::string, std::vector<float>>& codes,
                                const std::map<std::string, int64_t>& code_sizes, int64_t batch, float truncation) {
    std::vector<Step> steps;
    const int64_t n = z.dim(0), dim = z.dim(1);
    for (int64_t b0 = 0; b0 < n; b0 += batch) {
        const int64_t b1 = std::min(n, b0 + batch);
        ganzoo::GenerateRequest r;
        r.net = net;
        r.count = b1 - b0;
        r.truncation = truncation;
        r.z = ganzoo::Tensor({b1 - b0, dim}, std::vector<float>(z.data.begin() + b0 * dim, z.data.begin() + b1 * dim));
        if (!labels.empty()) r.labels.assign(labels.begin() + b0, labels.begin() + b1);
        for (const auto& [name, values] : codes) {
            const int64_t size = code_sizes.at(name);
            r.codes[name].assign(values.begin() + b0 * size, values.begin() + b1 * size);
        }
        steps.push_back([r](const ganzoo::Model& m) { return m.generate(r); });
    }
    return steps;
}

}  // namespace

// Batch size per core call: larger on a worker thread (off the UI), small enough in the browser
// that one call fits a frame's budget.
int64_t App::batch_size() const { return worker.threaded() ? 16 : 4; }

void App::submit_grid() {
    dirty[kGrid] = false;
    if (!loaded || stage.empty()) return;
    grid_plan = plan();
    const ganzoo::GenerateRequest& r = grid_plan.request;
    const int64_t n = r.count;
    columns = static_cast<int>(grid_plan.columns);
    grid_z = grid_latents(grid_plan);
    // Per-sample labels and codes (the plan gives one for all where they do not vary).
    grid_labels.clear();
    for (int64_t i = 0; i < n && !r.labels.empty(); ++i)
        grid_labels.push_back(r.labels[r.labels.size() == 1 ? 0 : static_cast<size_t>(i)]);
    grid_codes.clear();
    std::map<std::string, int64_t> sizes;
    for (const auto& [name, values] : r.codes) {
        const int64_t size = loaded->info().input(name)->size;
        sizes[name] = size;
        auto& all = grid_codes[name];
        for (int64_t i = 0; i < n; ++i) {
            const auto from = values.begin() + (static_cast<int64_t>(values.size()) == size ? 0 : i * size);
            all.insert(all.end(), from, from + size);
        }
    }
    Job job;
    job.model = loaded->model;
    job.lo = loaded->model->info().range_lo;
    job.hi = loaded->model->info().range_hi;
    job.steps = batched_steps(stage, grid_z, grid_labels, grid_codes, sizes, batch_size(), truncation);
    submitted[kGrid] = worker.submit(kGrid, std::move(job));
}

void App::submit_interp() {
    dirty[kInterp] = false;
    if (!loaded || stage.empty() || grid_z.data.empty()) return;
    const int64_t n = grid_z.dim(0), dim = grid_z.dim(1);
    const int a = std::min<int>(pick_a, static_cast<int>(n) - 1), b = std::min<int>(pick_b, static_cast<int>(n) - 1);
    const auto row = [&](int i) {
        return ganzoo::Tensor({1, dim}, std::vector<float>(grid_z.data.begin() + i * dim, grid_z.data.begin() + (i + 1) * dim));
    };
    const int64_t frames = settings.interp_frames;
    // From the projection (the Project panel's z, label and codes) to the focus cell, or between
    // two cells; endpoint A's label and codes hold along the strip.
    const bool projected = proj.interp_from && proj.result && proj.result_model == loaded->model;
    const ganzoo::Tensor from = projected ? *proj.result->request.z : row(a);
    const ganzoo::Tensor z = ganzoo::interpolate(from, row(projected ? std::min<int>(focus, static_cast<int>(n) - 1) : b), frames,
                                                 settings.slerp ? ganzoo::InterpolationMode::Slerp : ganzoo::InterpolationMode::Lerp);
    std::vector<int64_t> labels;
    std::map<std::string, std::vector<float>> codes;
    std::map<std::string, int64_t> sizes;
    if (projected) {
        const ganzoo::GenerateRequest& r = proj.result->request;
        if (!r.labels.empty()) labels.assign(static_cast<size_t>(frames), r.labels.front());
        for (const auto& [name, values] : r.codes) {
            if (!loaded->info().net(stage)->takes(name)) continue;
            sizes[name] = static_cast<int64_t>(values.size());
            for (int64_t f = 0; f < frames; ++f) codes[name].insert(codes[name].end(), values.begin(), values.end());
        }
    } else {
        if (!grid_labels.empty()) labels.assign(static_cast<size_t>(frames), grid_labels[static_cast<size_t>(a)]);
        for (const auto& [name, all] : grid_codes) {
            const int64_t size = loaded->info().input(name)->size;
            sizes[name] = size;
            for (int64_t f = 0; f < frames; ++f) codes[name].insert(codes[name].end(), all.begin() + a * size, all.begin() + (a + 1) * size);
        }
    }
    Job job;
    job.model = loaded->model;
    job.lo = loaded->model->info().range_lo;
    job.hi = loaded->model->info().range_hi;
    job.steps = batched_steps(stage, z, labels, codes, sizes, batch_size(), truncation);
    submitted[kInterp] = worker.submit(kInterp, std::move(job));
}

// The held-out image, its translation and the cycle back: three images.
void App::submit_cycle() {
    dirty[kCycle] = false;
    if (!loaded || !loaded->cycle) return;
    const ganzoo::ModelInfo& info = loaded->info();
    const ganzoo::Domain& d = info.domains[static_cast<size_t>(domain)];
    if (d.count == 0) return;
    example = std::clamp(example, 0, static_cast<int>(d.count) - 1);
    const float lo = info.range_lo, hi = info.range_hi;
    // The example as the core decodes it (docs/format.md), as `ganzoo translate --examples` reads it.
    const ganzoo::Tensor all = ganzoo::example_images(info, d);
    const int64_t per = info.channels * info.height * info.width;
    ganzoo::Tensor input({1, info.channels, info.height, info.width},
                         std::vector<float>(all.data.begin() + example * per, all.data.begin() + (example + 1) * per));
    const std::string there = domain == 0 ? "G_AB" : "G_BA", back = domain == 0 ? "G_BA" : "G_AB";
    Job job;
    job.model = loaded->model;
    job.lo = lo;
    job.hi = hi;
    auto translated = std::make_shared<ganzoo::Tensor>();
    job.steps.push_back([input](const ganzoo::Model&) { return input; });
    job.steps.push_back([input, there, translated](const ganzoo::Model& m) {
        *translated = m.run(there, {{"image", input}});
        return *translated;
    });
    job.steps.push_back([back, translated](const ganzoo::Model& m) { return m.run(back, {{"image", *translated}}); });
    submitted[kCycle] = worker.submit(kCycle, std::move(job));
}

void App::collect_results() {
    for (int s = 0; s < kSlots; ++s) {
        std::optional<Result> r = worker.take(Slot(s));
        if (!r || r->id != submitted[s]) continue;
        if (!r->error.empty()) {
            error = r->error;
            if (!script.empty()) fail("generation failed: " + r->error);
            continue;
        }
        const int cols = s == kGrid ? columns : r->images.count;
        if (s == kGrid) {
            ++generations;
            gen_ms_total = r->ms;
            gen_ms_per_image = r->images.count ? r->ms / r->images.count : 0;
            if (bench_left > 0 && bench_idle_left == 0) {
                bench_gen_ms += r->ms;
                bench_images += r->images.count;
            }
            dirty[kInterp] = true;  // its endpoints are grid cells
        }
        atlas[s].upload(std::move(r->images), cols);
    }
}

void App::randomize() {
    settings.seed = ganzoo::splitmix64(settings.seed + 0x9e3779b97f4a7c15ULL) % 1000000;
    focus_edited = false;
    walk_t = 0;
    dirty[kGrid] = dirty[kInterp] = true;
    ImGui::MarkIniSettingsDirty();
}

void App::set_seed(uint64_t seed) {
    settings.seed = seed;
    focus_edited = false;
    walk_t = 0;
    dirty[kGrid] = dirty[kInterp] = true;
    ImGui::MarkIniSettingsDirty();
}

void App::save_cell(const Images& imgs, int i, const std::string& what) {
    if (i < 0 || i >= imgs.count) return;
    char name[256];
    std::string model = loaded ? loaded->model->info().name : "ganzoo";
    std::snprintf(name, sizeof name, "%s-%s-seed%llu-%d.png", model.c_str(), what.c_str(),
                  static_cast<unsigned long long>(settings.seed), i);
    std::string message;
    (platform::save_image(name, imgs.image(i), imgs.width, imgs.height, message) ? status : error) = message;
}

int App::zoom() const { return settings.zoom > 0 ? settings.zoom : std::max(1, static_cast<int>(std::lround(2 * scale))); }

void App::zoom_by(int d) {
    settings.zoom = std::clamp(zoom() + d, 1, 16);
    ImGui::MarkIniSettingsDirty();
}

}  // namespace ganzoo::studio
