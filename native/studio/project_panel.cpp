// The Project panel (docs/studio.md, "Project"): a target image, loaded from a file (natively typed
// in; in the browser picked), dropped on the window or drawn on an enlarged canvas, projected onto
// the model's latent by the core's ganzoo::project (ganzoo/project.hpp: the code `ganzoo project`
// and the web page run, so a seed gives the CLI's z bit for bit), on a worker of its own (natively
// a thread; in the browser the page's projection Web Worker): the image and the loss converge live
// while the grid stays responsive. The projected z then feeds the interpolation strip (from
// it to the focus cell).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app.hpp"
#include "ganzoo/image.hpp"
#include "platform.hpp"
#ifdef GANZOO_STUDIO_DECODE
#include "data/dataset.hpp"  // PNG/JPEG/BMP, as `ganzoo project --target` decodes them
#endif

namespace ganzoo::studio {

namespace {

// The net projected onto and its image shape [C, H, W]: the model's default net (ProGAN's final G).
const ganzoo::NetInfo* projected_net(const LoadedModel& m) {
    const ganzoo::NetInfo* net = m.info().net(m.info().default_net());
    return net && net->takes("z") && net->output_shape.size() == 3 ? net : nullptr;
}

// Draws C×H×W 8-bit pixels (or RGBA when rgba) as rects of `px` pixels at the cursor: no texture.
void draw_pixels(ImDrawList* dl, ImVec2 at, float px, int channels, int height, int width, const uint8_t* data, bool rgba) {
    const size_t plane = static_cast<size_t>(height) * width;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const size_t i = static_cast<size_t>(y) * width + x;
            int r, g, b;
            if (rgba) r = data[i * 4], g = data[i * 4 + 1], b = data[i * 4 + 2];
            else if (channels == 3) r = data[i], g = data[plane + i], b = data[2 * plane + i];
            else r = g = b = data[i];
            const ImVec2 a(at.x + x * px, at.y + y * px);
            dl->AddRectFilled(a, ImVec2(a.x + px, a.y + px), IM_COL32(r, g, b, 255));
        }
}

// The result the projection worker sends (wasm/project_bindings.cpp's gp_result JSON, and the
// image's floats) as project() returns it natively.
ganzoo::ProjectResult result_from_worker(const json& j, const float* image, size_t size, const std::vector<int64_t>& shape) {
    ganzoo::ProjectResult r;
    r.request.net = j.at("net").get<std::string>();
    std::vector<float> z = j.at("z").get<std::vector<float>>();
    const int64_t dim = static_cast<int64_t>(z.size());
    r.request.z = ganzoo::Tensor({1, dim}, std::move(z));
    if (!j.at("label").is_null()) r.request.labels = {j["label"].get<int64_t>()};
    r.request.codes = j.at("codes").get<std::map<std::string, std::vector<float>>>();
    r.image = ganzoo::Tensor::zeros(shape);
    if (!image || size != r.image.data.size())
        throw std::runtime_error("an image of " + std::to_string(size) + " values, not " + std::to_string(r.image.data.size()));
    std::copy(image, image + size, r.image.data.begin());
    const auto loss = [](const json& l) {
        ganzoo::ProjectLoss x;
        x.total = l.at("total").get<double>(), x.pixel = l.at("pixel").get<double>();
        x.perceptual = l.at("perceptual").get<double>(), x.prior = l.at("prior").get<double>();
        return x;
    };
    r.initial = loss(j.at("loss").at("initial"));
    r.final = loss(j.at("loss").at("final"));
    r.losses = j.at("losses").get<std::vector<double>>();
    r.snapshot_steps = j.value("snapshot_steps", std::vector<int64_t>{});
    r.start = j.at("start").get<int64_t>();
    for (const json& c : j.at("candidates")) {
        ganzoo::ProjectResult::Candidate k;
        for (const auto& [key, v] : c.items()) {
            if (key == "loss") k.loss = v.get<double>();
            else if (key == "steps") k.steps = v.get<int64_t>();
            else if (key == "losses") k.losses = v.get<std::vector<double>>();
            else if (key == "label") k.label = v.get<int64_t>();
            else k.categories[key] = v.get<int64_t>();  // a categorical code's value, by the code's name
        }
        r.candidates.push_back(std::move(k));
    }
    return r;
}

// The panel's state as a new run of `steps` starts (on the projector's thread or the worker).
void begin_run(Projection& proj, std::shared_ptr<ProjectRun> run, int64_t steps) {
    proj.run = std::move(run);
    proj.running = true;
    proj.live = Images{};
    proj.done = Images{};
    proj.losses.clear();
    proj.steps_done = 0;
    proj.steps_total = steps;
}

}  // namespace

void App::fetch_classifier() {
    if (proj.classifier_state != Projection::kNotAsked) return;
    proj.classifier_state = Projection::kFetching;
    const std::string where = platform::models_folder(options.models_dir) + "/classifier.safetensors";
    platform::fetch(where, [this, where](const std::string* bytes, const std::string& why) {
        if (bytes) {
            try {
                proj.classifier = std::make_shared<const ganzoo::Model>(
                    ganzoo::Model::load(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()));
                proj.classifier_state = Projection::kReady;
                return;
            } catch (const std::exception& e) {
                proj.classifier_note = where + ": " + e.what();
            }
        } else {
            proj.classifier_note = "no classifier at " + where + (why.empty() ? "" : " (" + why + ")");
        }
        proj.classifier_state = Projection::kMissing;
        proj.classifier_note += ": the loss is pixel MSE + prior only";
    });
}

void App::fit_target() {
    if (!loaded) return;
    const ganzoo::NetInfo* net = projected_net(*loaded);
    if (!net) return;
    fetch_classifier();
    const int c = static_cast<int>(net->output_shape[0]), h = static_cast<int>(net->output_shape[1]),
              w = static_cast<int>(net->output_shape[2]);
    if (c == proj.channels && h == proj.height && w == proj.width && !proj.target.empty()) return;
    proj.channels = c, proj.height = h, proj.width = w;
    proj.target.assign(static_cast<size_t>(c) * h * w, 0);
    proj.note.clear();
}

void App::set_target(const std::string& name, const std::vector<uint8_t>& pixels, int64_t height, int64_t width) {
    // As `ganzoo project --target` reads it: centre-cropped to the model's aspect ratio and
    // area-averaged to its size when that differs.
    proj.target = ganzoo::area_resize(pixels, proj.channels, height, width, proj.height, proj.width);
    char line[160];
    std::snprintf(line, sizeof line, "%lldx%lld%s", static_cast<long long>(width), static_cast<long long>(height),
                  height != proj.height || width != proj.width ? ", cropped and resized" : "");
    const auto slash = name.find_last_of('/');
    proj.note = "loaded " + (slash == std::string::npos ? name : name.substr(slash + 1)) + " (" + line + ")";
}

bool App::load_target(const std::string& path) {
    fit_target();
    if (proj.target.empty()) return proj.note = "pick a model with a latent first", false;
#ifdef GANZOO_STUDIO_DECODE
    bool ok = false;
    platform::fetch(path, [&](const std::string* bytes, const std::string& why) {
        if (!bytes) return void(proj.note = "cannot read " + path + (why.empty() ? "" : ": " + why));
        try {
            if (proj.channels != 1 && proj.channels != 3) throw std::runtime_error("the model's images are neither grey nor RGB");
            const auto image = data::decode_image(std::vector<uint8_t>(bytes->begin(), bytes->end()), path, proj.channels);
            set_target(path, image.pixels, image.height, image.width);
            ok = true;
        } catch (const std::exception& e) {
            proj.note = e.what();
        }
    });
    return ok;
#else
    // The browser: the page fetches and decodes it; on_image takes it from there.
    if (!platform::fetch_image(path, [this](const std::string& name, const uint8_t* rgba, int width, int height, const std::string& error) {
            on_image(name, rgba, width, height, error);
        }))
        return proj.note = "reading " + path + ": this build reads no image files", false;
    proj.target_loading = true;
    proj.note = "loading " + path + " ...";
    return true;
#endif
}

void App::on_image(const std::string& name, const uint8_t* rgba, int width, int height, const std::string& error) {
    proj.target_loading = false;
    show_project = true;
    fit_target();
    std::string why = error;
    if (why.empty() && proj.target.empty()) why = "pick a model with a latent first";
    if (why.empty() && proj.channels != 1 && proj.channels != 3) why = "the model's images are neither grey nor RGB";
    if (why.empty() && (!rgba || width < 1 || height < 1)) why = "an empty image";
    if (!why.empty()) {
        proj.note = name + ": " + why;
        if (!script.empty()) fail("target " + proj.note);
        return;
    }
    // The model's channels as stb_image converts (what `ganzoo project --target` decodes with):
    // grey = (77 R + 150 G + 29 B) >> 8, alpha dropped.
    const size_t plane = static_cast<size_t>(width) * static_cast<size_t>(height);
    std::vector<uint8_t> pixels(plane * static_cast<size_t>(proj.channels));
    for (size_t i = 0; i < plane; ++i) {
        const uint8_t* p = rgba + 4 * i;
        if (proj.channels == 1) pixels[i] = static_cast<uint8_t>((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
        else for (int c = 0; c < 3; ++c) pixels[c * plane + i] = p[c];
    }
    set_target(name, pixels, height, width);
}

void App::on_drop(const std::string& path) {
    proj.path = path;
    show_project = true;
    load_target(path);
}

bool App::start_projection() {
    proj.error.clear();
    if (!loaded || loaded->stages.empty() || !projected_net(*loaded))
        return proj.error = "this model has no latent to project onto", false;
    fit_target();
    if (proj.classifier_state == Projection::kFetching) return proj.error = "the classifier is still loading", false;
    stop_projection();
    const ganzoo::ModelInfo& info = loaded->info();
    const float lo = info.range_lo, hi = info.range_hi;
    proj.projected_target = proj.target;
    ganzoo::Tensor target = ganzoo::Tensor::zeros({1, proj.channels, proj.height, proj.width});
    for (size_t i = 0; i < proj.target.size(); ++i)  // as `ganzoo project` scales its target
        target.data[i] = lo + (hi - lo) * static_cast<float>(proj.target[i]) / 255.0f;
    ganzoo::ProjectOptions po;
    po.seed = proj.seed;
    po.steps = std::clamp(proj.steps, 1, 100000);
    po.starts = std::clamp(proj.starts, 1, 64);
    po.threads = std::max(1u, std::thread::hardware_concurrency());  // the same z on any count
    std::shared_ptr<const ganzoo::Model> classifier = proj.perceptual ? proj.classifier : nullptr;
    if (!classifier) po.weights.perceptual = 0;
    proj.used_classifier = classifier != nullptr;
    if (platform::projects_in_worker()) return start_worker_projection(target, classifier != nullptr);
    auto run = std::make_shared<ProjectRun>();
    const size_t per = proj.target.size();
    Job job;
    job.model = loaded->model;
    job.lo = lo;
    job.hi = hi;
    // Natively on the projector's thread: one job step per Adam step (ganzoo::Projector), then one
    // for the result, so a new job or Cancel takes effect between steps. The same steps as
    // project()'s, so the z is the CLI's.
    struct Run {
        ganzoo::ProjectOptions options;
        ganzoo::Tensor target;
        std::shared_ptr<const ganzoo::Model> classifier;
        std::optional<ganzoo::Projector> projector;
        ganzoo::ProjectProgress progress;
    };
    auto state = std::make_shared<Run>(Run{po, target, classifier, std::nullopt, {}});
    state->progress = [run, per](int64_t done, int64_t total, double loss, const float* image) {
        if (run->cancel) throw std::runtime_error("projection cancelled");
        std::lock_guard<std::mutex> lock(run->mu);
        run->done = done, run->total = total, run->loss = loss;
        run->image.assign(image, image + per);
        run->losses.push_back(static_cast<float>(loss));
        run->fresh = true;
    };
    const std::vector<int64_t> none{0, proj.channels, proj.height, proj.width};
    for (int64_t i = 0; i < po.steps; ++i)
        job.steps.push_back([state, none](const ganzoo::Model& m) {
            if (!state->projector) state->projector.emplace(m, state->target, state->options, state->classifier.get());
            state->projector->step(state->progress);
            return ganzoo::Tensor::zeros(none);  // no image yet: the live view reads run->image
        });
    job.steps.push_back([state, run](const ganzoo::Model&) {
        ganzoo::ProjectResult r = state->projector->result();
        ganzoo::Tensor image = r.image;
        std::lock_guard<std::mutex> lock(run->mu);
        run->result = std::move(r);
        return image;
    });
    begin_run(proj, run, po.steps);
    proj.submitted = projector.submit(kProject, std::move(job));
    return true;
}

// The browser: the projection runs on a Web Worker (platform::project_in_worker: the worker and
// core of the page's m.project()), with the same request as m.project() sends, so the z is the
// CLI's; its steps and result come back as messages, which update the run as the thread natively.
bool App::start_worker_projection(const ganzoo::Tensor& target, bool perceptual) {
    if (!loaded->bytes) return proj.error = "the model's file was not kept for the projection worker", false;
    if (proj.worker_model != loaded->model) {  // the worker holds one model of the studio at a time
        if (!proj.worker_key.empty()) platform::release_in_worker(proj.worker_key);
        proj.worker_model = loaded->model;
        proj.worker_key = "studio-model-" + std::to_string(++proj.worker_serial);
    }
    const int64_t steps = std::clamp(proj.steps, 1, 100000), starts = std::clamp(proj.starts, 1, 64);
    json request = {{"seed", std::to_string(proj.seed)}, {"steps", steps}, {"starts", starts}, {"label", nullptr},
                    {"weights", json::object()}};
    if (!perceptual) request["weights"]["perceptual"] = 0.0;
    auto run = std::make_shared<ProjectRun>();
    run->in_worker = true;
    platform::WorkerProjection job;
    job.model_key = proj.worker_key;
    job.model_bytes = loaded->bytes;
    if (perceptual) job.classifier = platform::models_folder(options.models_dir) + "/classifier.safetensors";
    job.target = target.data;
    job.request = request.dump();
    const std::vector<int64_t> shape = target.shape;
    platform::project_in_worker(
        std::move(job),
        [run](int64_t done, int64_t total, double loss, const float* image, size_t size) {
            std::lock_guard<std::mutex> lock(run->mu);
            run->done = done, run->total = total, run->loss = loss;
            run->image.assign(image, image + size);
            run->losses.push_back(static_cast<float>(loss));
            run->fresh = true;
        },
        [run, shape](const std::string& result, const float* image, size_t size, const std::string& error) {
            std::lock_guard<std::mutex> lock(run->mu);
            run->finished = true;
            if (!error.empty()) return void(run->error = error);
            try {
                run->result = result_from_worker(json::parse(result), image, size, shape);
            } catch (const std::exception& e) {
                run->error = std::string("the projection worker's result: ") + e.what();
            }
        });
    begin_run(proj, run, steps);
    return true;
}

void App::stop_projection() {
    if (proj.run && proj.run->in_worker && proj.running) platform::cancel_worker_projection();
    if (proj.run) proj.run->cancel = true;
    projector.cancel();
    proj.run.reset();
    proj.running = false;
    proj.result.reset();
    proj.result_model.reset();
    proj.live = proj.done = Images{};
    proj.losses.clear();
    proj.steps_done = 0;
    if (proj.interp_from) dirty[kInterp] = true;
    proj.interp_from = false;
}

void App::collect_projection() {
    if (!proj.running || !proj.run || !loaded) return;
    {
        std::lock_guard<std::mutex> lock(proj.run->mu);
        if (proj.run->fresh) {
            proj.run->fresh = false;
            const ganzoo::Tensor image({1, proj.channels, proj.height, proj.width}, proj.run->image);
            proj.live.width = proj.width, proj.live.height = proj.height, proj.live.count = 1;
            proj.live.rgba = ganzoo::to_rgba8(image, loaded->info().range_lo, loaded->info().range_hi);
            proj.losses = proj.run->losses;
            proj.loss = proj.run->loss;
            proj.steps_done = proj.run->done;
        }
    }
    if (proj.run->in_worker) {
        std::lock_guard<std::mutex> lock(proj.run->mu);
        if (!proj.run->finished) return;
        proj.running = false;
        if (!proj.run->error.empty()) {
            proj.error = proj.run->error;
            if (!script.empty()) fail("projection failed: " + proj.error);
            return;
        }
        proj.result = std::move(proj.run->result);
        proj.result_model = loaded->model;
        proj.done.width = proj.width, proj.done.height = proj.height, proj.done.count = 1;
        proj.done.rgba = ganzoo::to_rgba8(proj.result->image, loaded->info().range_lo, loaded->info().range_hi);
        proj.losses = proj.run->losses;
        proj.steps_done = proj.run->done;
        if (proj.interp_from) dirty[kInterp] = true;
        return;
    }
    std::optional<Result> r = projector.take(kProject);
    if (!r || r->id != proj.submitted) return;
    proj.running = false;
    if (!r->error.empty()) {
        proj.error = r->error;
        if (!script.empty()) fail("projection failed: " + r->error);
        return;
    }
    std::lock_guard<std::mutex> lock(proj.run->mu);
    proj.result = std::move(proj.run->result);
    proj.result_model = loaded->model;
    proj.done = std::move(r->images);
    proj.losses = proj.run->losses;
    proj.steps_done = proj.run->done;
    if (proj.interp_from) dirty[kInterp] = true;
}

json App::projection_json() const {
    json j = {{"running", proj.running}, {"steps_done", proj.steps_done}, {"steps", proj.steps_total},
              {"classifier", proj.classifier_state == Projection::kReady}, {"classifier_note", proj.classifier_note},
              {"note", proj.note}, {"error", proj.error}, {"interpolating", proj.interp_from}};
    if (!proj.result) return j;
    const ganzoo::ProjectResult& r = *proj.result;
    json codes = json::object();
    for (const auto& [name, values] : r.request.codes) codes[name] = values;
    j["z"] = r.request.z->data;
    j["codes"] = codes;
    if (!r.request.labels.empty()) j["label"] = r.request.labels.front();
    j["net"] = r.request.net;
    j["start"] = r.start;
    j["perceptual"] = proj.used_classifier;
    j["loss"] = {{"initial", r.initial.total}, {"final", r.final.total}, {"pixel", r.final.pixel}};
    j["losses"] = r.losses;
    return j;
}

void App::ui_project(ImVec2 pos, ImVec2 size) {
    if (!show_project) return;
    ImGui::SetNextWindowPos(pos, ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(size, ImGuiCond_FirstUseEver);
    ImGui::Begin("Project", &show_project);
    if (!loaded || loaded->stages.empty() || !projected_net(*loaded)) {
        ImGui::TextWrapped(loaded ? "This model has no latent z to project onto." : "pick a model");
        ImGui::End();
        return;
    }
    fit_target();
    const ImGuiStyle& style = ImGui::GetStyle();
    // Two images side by side: the target (a canvas) and the projection, as wide as the window allows.
    const float avail = ImGui::GetContentRegionAvail().x;
    const float side = std::clamp(std::floor((avail - style.ItemSpacing.x) / 2), 56 * scale, 168 * scale);
    const float px = std::max(1.0f, std::floor(side / static_cast<float>(std::max(proj.width, proj.height))));
    const ImVec2 box(px * proj.width, px * proj.height);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImU32 frame = ImGui::GetColorU32(ImGuiCol_Border);

    ImGui::BeginGroup();
    ImGui::TextDisabled("target (draw)");
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton("canvas", box, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
    track("canvas");
    const bool paint = ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left);
    const bool erase = ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Right);
    if (paint || erase) {  // a soft round brush of radius ~1.5 target pixels; right button erases
        const ImVec2 m = ImGui::GetIO().MousePos;
        const float cx = (m.x - at.x) / px, cy = (m.y - at.y) / px;
        const size_t plane = static_cast<size_t>(proj.height) * proj.width;
        for (int y = std::max(0, int(cy) - 2); y <= std::min(proj.height - 1, int(cy) + 2); ++y)
            for (int x = std::max(0, int(cx) - 2); x <= std::min(proj.width - 1, int(cx) + 2); ++x) {
                const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
                const float v = std::clamp(1.8f - d, 0.0f, 1.0f);
                if (v <= 0) continue;
                for (int c = 0; c < proj.channels; ++c) {
                    uint8_t& p = proj.target[c * plane + static_cast<size_t>(y) * proj.width + x];
                    p = paint ? std::max<uint8_t>(p, static_cast<uint8_t>(255 * v)) : std::min<uint8_t>(p, static_cast<uint8_t>(255 * (1 - v)));
                }
            }
    }
    draw_pixels(dl, at, px, proj.channels, proj.height, proj.width, proj.target.data(), false);
    dl->AddRect(ImVec2(at.x - 1, at.y - 1), ImVec2(at.x + box.x + 1, at.y + box.y + 1), frame);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("left: draw, right: erase");
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const Images& shown = proj.running || proj.done.count == 0 ? proj.live : proj.done;
    ImGui::TextDisabled(proj.running ? "projecting ..." : proj.result ? "projection" : "projection (none yet)");
    const ImVec2 at2 = ImGui::GetCursorScreenPos();
    ImGui::Dummy(box);
    track("projection");
    if (shown.count > 0) draw_pixels(dl, at2, px, 4, shown.height, shown.width, shown.rgba.data(), true);
    dl->AddRect(ImVec2(at2.x - 1, at2.y - 1), ImVec2(at2.x + box.x + 1, at2.y + box.y + 1), frame);
    ImGui::EndGroup();

    if (ImGui::Button("Clear")) {
        std::fill(proj.target.begin(), proj.target.end(), 0);
        proj.note.clear();
    }
    track("Clear");
    if (platform::has_folders()) {  // natively: a file typed in (or dropped on the window)
        ImGui::SameLine();
        char buf[512];
        std::snprintf(buf, sizeof buf, "%s", proj.path.c_str());
        ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Load").x - style.FramePadding.x * 2 - style.ItemSpacing.x);
        const bool enter = ImGui::InputTextWithHint("##target", "an image file, or drop one here", buf, sizeof buf,
                                                    ImGuiInputTextFlags_EnterReturnsTrue);
        proj.path = buf;
        ImGui::SameLine();
        if ((ImGui::Button("Load") || enter) && !proj.path.empty()) load_target(proj.path);
        track("Load");
    } else {  // the browser: the file picker, or a file dropped on the page
        ImGui::SameLine();
        if (ImGui::Button("Open image...")) platform::pick_image();
        track("Open image");
        ImGui::SameLine();
        ImGui::TextDisabled(proj.target_loading ? "loading ..." : "or drop one");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("an image file dropped anywhere on the page becomes the target");
    }
    if (!proj.note.empty()) {  // wrapped: a long file name stays readable
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
        ImGui::TextWrapped("%s", proj.note.c_str());
        ImGui::PopStyleColor();
    }

    ImGui::Separator();
    const float field = 90 * scale;
    ImGui::SetNextItemWidth(field);
    ImGui::InputInt("steps", &proj.steps, 50, 100);
    proj.steps = std::clamp(proj.steps, 1, 100000);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(field);
    ImGui::InputInt("starts", &proj.starts, 1, 4);
    proj.starts = std::clamp(proj.starts, 1, 64);
    const uint64_t one = 1;
    ImGui::SetNextItemWidth(field);
    ImGui::InputScalar("seed##project", ImGuiDataType_U64, &proj.seed, &one);
    ImGui::SameLine();
    if (proj.classifier_state == Projection::kReady) {
        ImGui::Checkbox("perceptual", &proj.perceptual);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("the classifier's features in the loss (weight 0.05), as `ganzoo project`");
    } else {
        ImGui::TextDisabled(proj.classifier_state == Projection::kFetching ? "(classifier loading)" : "(no perceptual term)");
    }
    if (proj.classifier_state == Projection::kMissing) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.7f, 0.3f, 1));
        ImGui::TextWrapped("%s", proj.classifier_note.c_str());
        ImGui::PopStyleColor();
    }
    if (proj.running) {
        if (ImGui::Button("Cancel")) stop_projection();
        track("Cancel");
        ImGui::SameLine();
        char over[48];
        std::snprintf(over, sizeof over, "%lld / %lld", static_cast<long long>(proj.steps_done), static_cast<long long>(proj.steps_total));
        ImGui::ProgressBar(proj.steps_total ? float(proj.steps_done) / float(proj.steps_total) : 0.0f, ImVec2(-1, 0), over);
    } else {
        if (ImGui::Button("Project")) start_projection();
        track("Project");
        if (loaded->info().num_classes > 0) {
            ImGui::SameLine();
            ImGui::TextDisabled("every class tried, the best 2 go on");
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("after 20 %% of the steps the 2 classes with the lowest loss go on and the rest stop, "
                                  "as `ganzoo project` searches (docs/projection.md)");
        }
    }
    if (!proj.error.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", proj.error.c_str());
    if (!proj.losses.empty()) {
        char text[96];
        std::snprintf(text, sizeof text, "loss %.4g (step %lld)", proj.losses.back(), static_cast<long long>(proj.steps_done));
        ImGui::PlotLines("##loss", proj.losses.data(), static_cast<int>(proj.losses.size()), 0, text, 0.0f, FLT_MAX,
                         ImVec2(ImGui::GetContentRegionAvail().x, 56 * scale));
        track("loss");
    }
    if (proj.result) {
        const ganzoo::ProjectResult& r = *proj.result;
        std::string found = "start " + std::to_string(r.start);
        if (!r.request.labels.empty()) {
            const int64_t k = r.request.labels.front();
            const auto& names = loaded->info().class_names;
            found += ", class " + (k < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(k)] : std::to_string(k));
        }
        for (const auto& [name, v] : r.request.codes)
            if (const ganzoo::InputInfo* c = loaded->info().input(name); c && c->kind == ganzoo::InputKind::Categorical && !v.empty())
                found += ", " + name + " " + std::to_string(static_cast<long long>(v.front()));
        ImGui::TextWrapped("loss %.4g -> %.4g; %s", r.initial.total, r.final.total, found.c_str());
        if (ImGui::Button(proj.interp_from ? "Interpolating to the focus cell" : "Interpolate to the focus cell")) {
            proj.interp_from = true;
            show_interp = true;
            dirty[kInterp] = true;
        }
        track("Interpolate from projection");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("the interpolation strip from the projected z to cell %d (the yellow one)", focus);
        ImGui::SameLine();
        if (ImGui::Button("Save")) save_cell(proj.done, 0, "projection");
    }
    ImGui::End();
}

}  // namespace ganzoo::studio
