// `ganzoo project`: the latent whose image matches a target image (StyleGAN2's projector, on z),
// through the core's ganzoo::project (ganzoo/project.hpp), the code the WebAssembly build runs.
//   project FILE --target img.png [--steps N] [--seed S] [--starts K] [--label K] [--no-perceptual] [--threads N] -o DIR
// writes DIR/projection.json (what `sample FILE --z DIR/projection.json` draws again), DIR/result.png
// (the projected image, as `sample --z` writes it), DIR/compare.png (the target beside the result)
// and DIR/progress.png (the image along the optimisation). Files there are overwritten, as
// `sample -o` overwrites its grid. docs/projection.md.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <cstring>
#include <thread>

#include "cli/commands/commands.hpp"
#include "data/dataset.hpp"
#include "ganzoo/error.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/project.hpp"
#include "metrics/metrics.hpp"
#include "train/files.hpp"

namespace ganzoo::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kFormat = "ganzoo-projection";

struct ProjectCliOptions {
    std::string file, target, out, classifier;
    int64_t steps = 300, starts = 4, label = -1, scale = 4, threads = 0;
    int64_t search_keep = ProjectOptions{}.search_keep;
    double search_fraction = ProjectOptions{}.search_fraction;
    uint64_t seed = 0;
    double perceptual = ProjectWeights{}.perceptual;
    bool no_perceptual = false;
    std::vector<std::string> codes;
};

// The file's identity: FNV-1a 64 of its bytes (as `eval` names its classifier).
std::string file_id(const std::string& path) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const uint8_t b : train::read_file(path, UINT64_MAX, "a model")) h = (h ^ b) * 0x100000001b3ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

std::string shipped_classifier() {
    for (const std::string& candidate :
         {std::string("web/models/classifier.safetensors"), std::string(GANZOO_SOURCE_DIR) + "/web/models/classifier.safetensors"})
        if (fs::exists(candidate)) return candidate;
    throw std::runtime_error("project: no classifier at web/models/classifier.safetensors for the perceptual term: pass "
                             "--classifier FILE, or --no-perceptual");
}

// The target as the net's image: decoded (PNG/JPEG/BMP), converted to its channels, and, when its
// size differs, centre-cropped to its aspect ratio and area-averaged (as `translate` reads one).
Tensor read_target(const std::string& path, const std::vector<int64_t>& shape, float lo, float hi, json& record) {
    if (shape[0] != 1 && shape[0] != 3)
        throw std::runtime_error("project: the model's images have " + std::to_string(shape[0]) + " channels (1 or 3 can be read)");
    data::DecodedImage image;
    try {
        image = data::decode_image(train::read_file(path, 256ull << 20, "an image"), path, static_cast<int>(shape[0]));
    } catch (const std::exception& e) {  // missing, unreadable, not an image
        throw std::runtime_error(std::string("project: --target ") + e.what());
    }
    const bool resized = image.height != shape[1] || image.width != shape[2];
    if (resized)
        std::fprintf(stderr, "project: note: the target is %lldx%lld, the model draws %lldx%lld: centre-cropped to its aspect ratio and resized\n",
                     (long long)image.width, (long long)image.height, (long long)shape[2], (long long)shape[1]);
    const auto pixels = area_resize(image.pixels, shape[0], image.height, image.width, shape[1], shape[2]);
    Tensor x = Tensor::zeros({1, shape[0], shape[1], shape[2]});
    for (size_t i = 0; i < pixels.size(); ++i) x.data[i] = lo + (hi - lo) * static_cast<float>(pixels[i]) / 255.0f;
    record = {{"file", path}, {"width", image.width}, {"height", image.height}, {"resized", resized}};
    return x;
}

json loss_json(const ProjectLoss& l) {
    return {{"total", l.total}, {"pixel", l.pixel}, {"perceptual", l.perceptual}, {"prior", l.prior}};
}

// Images [n, C, H, W] side by side, enlarged.
void write_row(const std::string& path, const Tensor& images, const ModelInfo& info, int64_t scale) {
    write_grid_image(path, tile_grid(images, info.range_lo, info.range_hi, static_cast<int>(images.dim(0))), static_cast<int>(scale));
}

void run_project(const ProjectCliOptions& o) {
    // Outputs first: a directory that cannot be made or written is refused before the work.
    const std::string json_path = o.out + "/projection.json", result_path = o.out + "/result.png",
                      compare_path = o.out + "/compare.png", progress_path = o.out + "/progress.png";
    try {
        fs::create_directories(o.out);
    } catch (const fs::filesystem_error& e) {
        throw std::runtime_error("project: cannot make the output directory " + o.out + ": " + e.code().message());
    }
    if (!fs::is_directory(o.out)) throw std::runtime_error("project: -o " + o.out + " is not a directory");
    for (const std::string& p : {json_path, result_path, compare_path, progress_path}) train::check_output_path(p);
    {
        const std::string probe = o.out + "/.ganzoo-write-test";
        std::FILE* f = std::fopen(probe.c_str(), "wb");
        if (!f) throw std::runtime_error("project: cannot write into " + o.out + " (" + std::strerror(errno) + ")");
        std::fclose(f);
        fs::remove(probe);
    }

    const Model model = load_model_file(o.file);
    const ModelInfo& info = model.info();
    if (info.translates())
        throw std::runtime_error("project: " + o.file + " translates images (CycleGAN: nets G_AB, G_BA) and has no latent z to "
                                 "project onto; `ganzoo translate` runs it");
    ProjectOptions po;
    po.net = info.default_net();
    po.seed = o.seed;
    po.steps = o.steps;
    po.starts = o.starts;
    po.threads = o.threads > 0 ? o.threads : std::max<int64_t>(1, std::thread::hardware_concurrency());
    po.search_keep = o.search_keep;
    po.search_fraction = o.search_fraction;
    if (o.label >= 0) po.label = o.label;
    po.codes = parse_codes(info, po.net, o.codes);
    po.weights.perceptual = o.no_perceptual ? 0.0 : o.perceptual;
    const NetInfo* net = info.net(po.net);
    if (!net || !net->takes("z")) throw std::runtime_error("project: net '" + po.net + "' of " + o.file + " takes no latent z");
    if (o.label >= 0 && info.num_classes <= 0) throw std::runtime_error("project: --label: " + o.file + " takes no label");
    if (o.label >= info.num_classes && info.num_classes > 0)
        throw std::runtime_error("project: --label " + std::to_string(o.label) + " is outside 0.." + std::to_string(info.num_classes - 1));

    json target_record;
    const Tensor target = read_target(o.target, net->output_shape, info.range_lo, info.range_hi, target_record);

    std::unique_ptr<Model> classifier;
    std::string classifier_file;
    if (po.weights.perceptual > 0) {
        classifier_file = o.classifier.empty() ? shipped_classifier() : o.classifier;
        classifier = std::make_unique<Model>(load_model_file(classifier_file));
    }
    const auto start = std::chrono::steady_clock::now();
    ProjectResult r;
    try {
        r = project(model, target, po, classifier.get());
    } catch (const Error& e) {
        const std::string m = e.what();
        throw std::runtime_error(m + (m.rfind("project: the classifier", 0) == 0 ? " (pass --no-perceptual)" : ""));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // The classifier's verdict on the target and the result (cropped as `eval` crops): whether the
    // projection kept the class, and their feature distance (the perceptual term, unweighted).
    json classes = nullptr;
    double feature_mse = -1;
    if (classifier) {
        const metrics::Classifier judge(load_model_file(classifier_file));
        const ModelInfo& ci = judge.model().info();
        const int64_t my = metrics::crop_margin(target.dim(2), ci.height), mx = metrics::crop_margin(target.dim(3), ci.width);
        if (my >= 0 && mx >= 0) {
            Tensor both = Tensor::zeros({2, target.dim(1), target.dim(2), target.dim(3)});
            std::copy(target.data.begin(), target.data.end(), both.data.begin());
            std::copy(r.image.data.begin(), r.image.data.end(), both.data.begin() + static_cast<int64_t>(target.data.size()));
            const metrics::Classifier::Output out = judge.classify(metrics::centre_crop(both, my, mx));
            feature_mse = (out.features.row(1) - out.features.row(0)).squaredNorm() / static_cast<double>(out.features.cols());
            auto verdict = [&](int i) {
                const int k = out.predicted[static_cast<size_t>(i)];
                return json{{"class", k}, {"name", k < static_cast<int>(ci.class_names.size()) ? ci.class_names[k] : ""},
                            {"probability", out.probabilities(i, k)}};
            };
            classes = {{"target", verdict(0)}, {"result", verdict(1)}};
        }
    }

    json codes = json::object();
    for (const auto& [name, values] : r.request.codes) codes[name] = values;
    json candidates = json::array();
    for (const auto& c : r.candidates) {
        json j = {{"loss", c.loss}, {"steps", c.steps}};
        if (r.candidates.size() > 1) j["losses"] = c.losses;  // the search's curves
        if (c.label) j["label"] = *c.label;
        for (const auto& [name, v] : c.categories) j[name] = v;
        candidates.push_back(j);
    }
    json doc = {{"format", kFormat},
                {"version", 1},
                {"model", {{"file", fs::path(o.file).filename().string()}, {"id", file_id(o.file)}, {"name", info.name}, {"family", info.family}}},
                {"net", r.request.net},
                {"z", r.request.z->data},
                {"codes", codes},
                {"seed", o.seed},
                {"steps", o.steps},
                {"starts", o.starts},
                {"start", r.start},
                {"learning_rate", po.learning_rate},
                {"weights", {{"pixel", po.weights.pixel}, {"perceptual", po.weights.perceptual}, {"prior", po.weights.prior}}},
                {"classifier", classifier ? json{{"file", classifier_file}, {"id", file_id(classifier_file)}} : json(nullptr)},
                {"target", target_record},
                {"loss", {{"initial", loss_json(r.initial)}, {"final", loss_json(r.final)}, {"pixel_mse", r.final.pixel / po.weights.pixel},
                          {"feature_mse", feature_mse >= 0 ? json(feature_mse) : json(nullptr)}}},
                {"classes", classes},
                {"search", {{"keep", po.search_keep}, {"fraction", po.search_fraction}}},
                {"candidates", candidates},
                {"evaluations", r.evaluations},
                {"snapshot_steps", r.snapshot_steps},
                {"losses", r.losses}};  // no timing: two runs write the same file
    if (!r.request.labels.empty()) doc["label"] = r.request.labels.front();
    const std::string text = doc.dump(1) + "\n";
    train::write_file_atomically(json_path, std::vector<uint8_t>(text.begin(), text.end()));
    write_grid_image(result_path, tile_grid(r.image, info.range_lo, info.range_hi, 1), 1);
    Tensor pair = Tensor::zeros({2, target.dim(1), target.dim(2), target.dim(3)});
    std::copy(target.data.begin(), target.data.end(), pair.data.begin());
    std::copy(r.image.data.begin(), r.image.data.end(), pair.data.begin() + static_cast<int64_t>(target.data.size()));
    write_row(compare_path, pair, info, o.scale);
    write_row(progress_path, r.snapshots, info, o.scale);

    // How the search went: "best of 10; 2 kept after step 60" when it was cut.
    int64_t dropped = 0, cut = 0;
    for (const auto& c : r.candidates)
        if (c.steps < o.steps) ++dropped, cut = c.steps;
    const std::string search = dropped ? "; " + std::to_string(r.candidates.size() - static_cast<size_t>(dropped)) + " kept after step " +
                                             std::to_string(cut) : "";
    std::string chosen;
    if (!r.request.labels.empty())
        chosen = ", label " + std::to_string(r.request.labels.front()) +
                 (o.label >= 0 ? "" : " (best of " + std::to_string(r.candidates.size()) + search + ")");
    for (const InputInfo* c : info.conditions(r.request.net))
        if (c->kind == InputKind::Categorical && !po.codes.count(c->name))
            chosen += ", " + c->name + " " + std::to_string(static_cast<long long>(r.request.codes.at(c->name).front())) + " (best of " +
                      std::to_string(c->categories) + (r.request.labels.empty() ? search : "") + ")";
    if (!classes.is_null())
        chosen += "; classified " + classes["target"]["name"].get<std::string>() + " -> " + classes["result"]["name"].get<std::string>();
    std::printf("projected %s onto %s in %.1f s (%lld threads): loss %.4g -> %.4g (pixel MSE %.4g%s), start %lld of %lld%s; wrote %s/{projection.json,result.png,compare.png,progress.png}\n",
                printable(o.target).c_str(), printable(info.name).c_str(), seconds,
                static_cast<long long>(std::min<int64_t>(po.threads, static_cast<int64_t>(r.candidates.size()) * o.starts)), r.initial.total, r.final.total,
                r.final.pixel / po.weights.pixel,
                classifier ? (", perceptual " + std::to_string(r.final.perceptual).substr(0, 8)).c_str() : ", no perceptual term",
                static_cast<long long>(r.start), static_cast<long long>(o.starts), chosen.c_str(), printable(o.out).c_str());
}

}  // namespace

GenerateRequest read_projection(const std::string& model_file, const Model& model, const std::string& path) {
    const ModelInfo& info = model.info();
    json doc;
    try {
        const auto bytes = train::read_file(path, 64ull << 20, "a projection");
        doc = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
        throw std::runtime_error("--z " + path + ": not JSON (" + std::string(e.what()) + ")");
    }
    auto bad = [&](const std::string& what) { return std::runtime_error("--z " + path + ": " + what); };
    if (!doc.is_object() || doc.value("format", json()) != kFormat)
        throw bad(std::string("not a projection (\"format\": \"") + kFormat + "\" expected; `ganzoo project` writes one)");
    if (doc.value("version", json()) != 1) throw bad("projection version " + doc.value("version", json()).dump() + " (1 is read)");
    try {
        const std::string id = doc.at("model").at("id").get<std::string>();
        if (id != file_id(model_file))
            throw bad("projected with another model file (" + printable(doc["model"].value("file", "?")) + ", id " + printable(id) +
                      "); " + model_file + " is id " + file_id(model_file));
        GenerateRequest req;
        req.net = checked_net(model, doc.at("net").get<std::string>());
        const auto z = doc.at("z").get<std::vector<float>>();
        if (static_cast<int64_t>(z.size()) != info.z_dim)
            throw bad("z has " + std::to_string(z.size()) + " values, the model takes " + std::to_string(info.z_dim));
        req.z = Tensor({1, info.z_dim}, z);
        if (doc.contains("label")) req.labels = {doc.at("label").get<int64_t>()};
        for (const auto& [name, values] : doc.at("codes").items()) req.codes[name] = values.get<std::vector<float>>();
        for (const float v : z)
            if (!std::isfinite(v)) throw bad("z holds a value that is not finite");
        model.generate(GenerateRequest{req});  // the core's checks, with its message, before anything is written
        return req;
    } catch (const json::exception& e) {
        throw bad(std::string("a field is missing or of another type (") + e.what() + ")");
    } catch (const Error& e) {
        throw bad(e.what());
    }
}

void add_project(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "project", "find the latent whose image matches a target image (StyleGAN2's projector, on z) through the inference core");
    auto o = std::make_shared<ProjectCliOptions>();
    cmd->add_option("file", o->file, "a ganzoo .safetensors file with a generator of z (not CycleGAN)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--target", o->target, "the image to match: PNG/JPEG/BMP, converted to the model's channels; another size is "
                                           "centre-cropped to the aspect ratio and resized (a note says so)")
        ->required();
    cmd->add_option("--steps", o->steps, "Adam steps (default 300)")->check(CLI::Range(int64_t{1}, int64_t{100000}));
    cmd->add_option("--seed", o->seed, "the starting latents are samples 0..K-1 of this seed")->check(seed_validator());
    cmd->add_option("--starts", o->starts, "starting latents, optimised side by side; the best final loss wins (default 4)")
        ->check(CLI::Range(int64_t{1}, int64_t{64}));
    cmd->add_option("--label", o->label, "conditional models: project within this class (default: every class tried, the best kept)")
        ->check(label_validator());
    cmd->add_option("--code", o->codes, "NAME=V[,V...]: hold a code fixed (InfoGAN; default: the categorical code searched, "
                                        "continuous codes optimised)");
    auto* np = cmd->add_flag("--no-perceptual", o->no_perceptual, "pixel MSE and the prior only, no classifier-feature term");
    cmd->add_option("--perceptual", o->perceptual, "the classifier-feature term's weight (default 0.05)")
        ->check(CLI::Range(0.0, 1000.0))
        ->excludes(np);
    cmd->add_option("--classifier", o->classifier, "the classifier for the perceptual term (default web/models/classifier.safetensors)")
        ->check(CLI::ExistingFile)
        ->excludes(np);
    cmd->add_option("--threads", o->threads, "evaluate the starts and candidates in slices on N threads (default 0: every core); "
                                             "the projection is the same for any N")
        ->check(CLI::Range(int64_t{0}, int64_t{256}));
    cmd->add_option("--search-keep", o->search_keep,
                    "the label/categorical-code search: after the first --search-fraction of the steps only the K candidates with the "
                    "lowest loss go on (default 2; 0: every candidate runs every step)")
        ->check(CLI::Range(int64_t{0}, int64_t{1024}));
    cmd->add_option("--search-fraction", o->search_fraction, "where the search is cut, as a fraction of the steps, in (0, 1] (default 0.2)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--scale", o->scale, "enlarge compare.png and progress.png N times (default 4)")->check(CLI::Range(1, 16));
    cmd->add_option("-o,--output", o->out, "the output directory: projection.json, result.png, compare.png, progress.png "
                                           "(overwritten when there)")
        ->required();
    cmd->callback([o] { run_project(*o); });
}

}  // namespace ganzoo::cli
