// `ganzoo sample` and `ganzoo interpolate`: images through the inference core, laid out by the
// core's grid planner (ganzoo/grid.hpp), exactly as the studio and the web page lay them out.
//   sample FILE [--seed S] [-n N]              a grid of samples 0..N-1 of seed S
//   sample FILE --seeds 0-63,100 [--outdir D]  samples of many seeds: one grid, or one file each
//   sample FILE --z DIR/projection.json        the one image `ganzoo project` found (its z, label, codes)
//   interpolate FILE --from 7:0 --to 7:1       a walk between two samples (seed:index), as a
//                                              strip, and as an animated GIF with --gif
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "train/files.hpp"

namespace ganzoo::cli {
namespace {

constexpr int64_t kMaxImages = 4096;  // one command's images, as -n's range

struct SampleOptions {
    std::string file, out = "grid.png", sweep, net = "G", seeds, outdir, z;
    uint64_t seed = 0;
    int64_t count = 0, first = 0, label = -1, columns = 0, scale = 1;  // count 0: 64, or 1 per seed
    float trunc = 1.0f;
    std::vector<std::string> codes;
};

struct InterpolateOptions {
    std::string file, out, mode = "slerp", net = "G", from = "0", to = "1", gif;
    int64_t steps = 10, label = -1, from_label = -1, to_label = -1, scale = 1, fps = 12;
    float trunc = 1.0f;
    bool slerp = false, lerp = false;
    std::vector<std::string> codes;
};

// A label or code the request leaves out and the net cannot do without: the core's message, and
// the flag that gives it.
void check_inputs(const ModelInfo& info, const GenerateRequest& request) {
    if (const auto missing = find_missing_input(info, request))
        throw std::runtime_error(missing->message + " (pass " +
                                 (missing->input->kind == InputKind::Label ? "--label K"
                                                                           : "--code " + missing->input->name + "=V") +
                                 ")");
}

// "12" -> 12: a seed or an index written out in full (no sign, no spaces, at most 2^64 - 1).
uint64_t whole_number(const std::string& text, const std::string& what) {
    if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
        throw std::runtime_error(what + ": '" + text + "' is not a whole number");
    errno = 0;
    const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
    if (errno == ERANGE) throw std::runtime_error(what + ": " + text + " is over 2^64 - 1");
    return v;
}

// --seeds 0-63,100,200-210: seeds and inclusive ranges, in the order given.
std::vector<uint64_t> parse_seed_list(const std::string& text) {
    const std::string what = "--seeds " + text;
    std::vector<uint64_t> seeds;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');) {
        const auto dash = item.find('-');
        const uint64_t lo = whole_number(item.substr(0, dash), what);
        const uint64_t hi = dash == std::string::npos ? lo : whole_number(item.substr(dash + 1), what);
        if (hi < lo) throw std::runtime_error(what + ": " + item + " runs from high to low (write " + std::to_string(hi) + "-" + std::to_string(lo) + ")");
        if (hi - lo >= static_cast<uint64_t>(kMaxImages) || seeds.size() + (hi - lo + 1) > static_cast<uint64_t>(kMaxImages))
            throw std::runtime_error(what + ": more than " + std::to_string(kMaxImages) + " seeds");
        for (uint64_t s = lo;; ++s) {
            seeds.push_back(s);
            if (s == hi) break;
        }
    }
    if (seeds.empty()) throw std::runtime_error(what + ": no seeds (expected e.g. 0-63,100,200-210)");
    return seeds;
}

// --from 7:1 -> the latent of sample 1 of seed 7; "7" is sample 0. The page's interpolation
// endpoints are the same (seed, index) pairs.
Tensor endpoint_latent(const std::string& text, const std::string& flag, int64_t dim) {
    const auto colon = text.find(':');
    const uint64_t seed = whole_number(text.substr(0, colon), flag);
    const uint64_t index = colon == std::string::npos ? 0 : whole_number(text.substr(colon + 1), flag + " (the sample index)");
    if (index > (uint64_t{1} << 62)) throw std::runtime_error(flag + ": sample index " + std::to_string(index) + " is over 2^62");
    return normal_latents(seed, static_cast<int64_t>(index), 1, dim);
}

std::string seed_name(uint64_t seed) {
    char name[32];
    std::snprintf(name, sizeof name, "seed%04llu", static_cast<unsigned long long>(seed));
    return name;
}

// Images [n, C, H, W] gathered from `parts` by (part, image) pairs, in order.
Tensor gather(const std::vector<Tensor>& parts, const std::vector<std::pair<size_t, int64_t>>& picks) {
    const Tensor& first = parts.front();
    const int64_t per = first.numel() / first.dim(0);
    Tensor out = Tensor::zeros({static_cast<int64_t>(picks.size()), first.dim(1), first.dim(2), first.dim(3)});
    for (size_t i = 0; i < picks.size(); ++i)
        std::copy_n(parts[picks[i].first].data.begin() + picks[i].second * per, per, out.data.begin() + static_cast<int64_t>(i) * per);
    return out;
}

// --seeds / --outdir: every seed planned as its own grid (its samples first..first+n-1, one row
// per class or code value where the grid planner makes rows), then written one file per image,
// or tiled into one grid: rows as planned, the seeds side by side.
void run_seeds(const Model& model, const SampleOptions& o, GridRequest g) {
    const ModelInfo& info = model.info();
    if (!o.sweep.empty()) throw std::runtime_error("--sweep draws one grid of one seed: leave out --seeds and --outdir");
    const std::vector<uint64_t> seeds = o.seeds.empty() ? std::vector<uint64_t>{o.seed} : parse_seed_list(o.seeds);
    const int64_t per = o.count > 0 ? o.count : 1;
    g.count = per;
    g.columns = per;
    std::vector<GridPlan> plans;
    std::vector<Tensor> images;
    for (const uint64_t seed : seeds) {
        g.seed = seed;
        plans.push_back(plan_grid(info, g));
        if (plans.size() == 1) check_inputs(info, plans[0].request);
        if (static_cast<int64_t>(plans.size()) * plans[0].request.count > kMaxImages)
            throw std::runtime_error(std::to_string(seeds.size()) + " seeds x " + std::to_string(plans[0].request.count) +
                                     " images each: over " + std::to_string(kMaxImages) + " images");
    }
    for (const GridPlan& plan : plans) images.push_back(model.generate(plan.request));
    const GridPlan& shape = plans.front();
    const int64_t cells = shape.request.count;
    const std::string rows = shape.row_input.empty() ? "" : shape.row_input == "label" ? "class" : shape.row_input;
    if (!o.outdir.empty()) {
        int64_t written = 0;
        for (size_t s = 0; s < seeds.size(); ++s)
            for (int64_t i = 0; i < cells; ++i) {
                const int64_t index = shape.latent_index[static_cast<size_t>(i)];
                std::string name = seed_name(seeds[s]) + (index != 0 ? "-" + std::to_string(index) : "");
                if (!rows.empty()) name += "-" + rows + std::to_string(i / shape.columns);
                write_grid_image(o.outdir + "/" + name + ".png", tile_grid(gather(images, {{s, i}}), info.range_lo, info.range_hi, 1),
                                 static_cast<int>(o.scale));
                ++written;
            }
        std::printf("wrote %lld images of %s to %s: seed%s.png%s, %zu seed(s) x %lld sample(s)%s\n", static_cast<long long>(written),
                    printable(info.name).c_str(), o.outdir.c_str(), seeds.size() == 1 ? seed_name(seeds[0]).substr(4).c_str() : "NNNN",
                    per > 1 ? " (-INDEX for sample INDEX > 0)" : "", seeds.size(), static_cast<long long>(per),
                    rows.empty() ? "" : (", -" + rows + "K: one per " + (rows == "class" ? "class" : "value of " + rows)).c_str());
        return;
    }
    // One grid: the planned rows, each seed's columns side by side; or every image in order, square.
    std::vector<std::pair<size_t, int64_t>> picks;
    int64_t columns = o.columns;
    if (!rows.empty()) {
        for (int64_t r = 0; r < shape.rows; ++r)
            for (size_t s = 0; s < seeds.size(); ++s)
                for (int64_t c = 0; c < shape.columns; ++c) picks.emplace_back(s, r * shape.columns + c);
        columns = static_cast<int64_t>(seeds.size()) * shape.columns;
    } else {
        for (size_t s = 0; s < seeds.size(); ++s)
            for (int64_t i = 0; i < cells; ++i) picks.emplace_back(s, i);
        if (columns <= 0) columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(picks.size()))));
    }
    write_grid_image(o.out, tile_grid(gather(images, picks), info.range_lo, info.range_hi, static_cast<int>(columns)),
                     static_cast<int>(o.scale));
    std::printf("wrote %s: %zu images of %s, %zu seed(s) x %lld%s\n", o.out.c_str(), picks.size(), printable(info.name).c_str(),
                seeds.size(), static_cast<long long>(cells), rows.empty() ? "" : (" (one row per " + rows + ")").c_str());
}

void run_sample(const SampleOptions& o) {
    if (o.outdir.empty()) image_format(o.out);
    const Model model = load_model_file(o.file);
    const ModelInfo& info = model.info();
    if (!o.z.empty()) {  // exactly the projected image: its inputs, one sample, no truncation
        const GenerateRequest request = read_projection(o.file, model, o.z);
        write_grid_image(o.out, tile_grid(model.generate(request), info.range_lo, info.range_hi, 1), static_cast<int>(o.scale));
        std::printf("wrote %s: the image of %s's inputs (net %s)\n", o.out.c_str(), o.z.c_str(), request.net.c_str());
        return;
    }
    GridRequest g;
    g.net = generator_net(model, o.file, o.net);
    g.seed = o.seed;
    g.first_index = o.first;
    g.count = o.count > 0 ? o.count : 64;
    g.columns = o.columns;
    g.truncation = o.trunc;
    if (o.label >= 0) g.label = o.label;
    g.codes = parse_codes(info, g.net, o.codes);
    g.sweep = o.sweep;
    if (!o.seeds.empty() || !o.outdir.empty()) return run_seeds(model, o, g);
    const GridPlan plan = plan_grid(info, g);
    check_inputs(info, plan.request);
    if (const NetInfo* net = info.net(plan.request.net.empty() ? info.default_net() : plan.request.net))
        check_grid_image(plan.request.count, plan.columns, net->output_shape, static_cast<int>(o.scale));
    const Tensor images = model.generate(plan.request);
    write_grid_image(o.out, tile_grid(images, info.range_lo, info.range_hi, static_cast<int>(plan.columns)),
                     static_cast<int>(o.scale));
    std::printf("wrote %s: %lld samples of %s, seed %llu%s%s\n", o.out.c_str(), static_cast<long long>(plan.request.count),
                printable(info.name).c_str(), static_cast<unsigned long long>(o.seed),
                plan.description.empty() ? "" : (" (" + plan.description + ")").c_str(),
                o.trunc != 1.0f ? (", truncation " + std::to_string(o.trunc).substr(0, 4)).c_str() : "");
}

void run_interpolate(const InterpolateOptions& o) {
    const std::string out = o.out.empty() && o.gif.empty() ? "strip.png" : o.out;
    if (!out.empty()) image_format(out);
    if (!o.gif.empty() && lower_extension(o.gif) != ".gif")
        throw std::runtime_error("--gif " + o.gif + ": the animation is a GIF; name it NAME.gif");
    const Model model = load_model_file(o.file);
    const ModelInfo& info = model.info();
    GenerateRequest request;
    request.net = generator_net(model, o.file, o.net);
    const int64_t dim = info.z_dim;
    if (dim <= 0) throw std::runtime_error("interpolate: this model takes no latent z");
    const auto m = parse_interpolation_mode(o.lerp ? "lerp" : o.slerp ? "slerp" : o.mode);
    const Tensor walk = interpolate(endpoint_latent(o.from, "--from", dim), endpoint_latent(o.to, "--to", dim), o.steps, m);
    request.truncation = o.trunc;
    request.codes = parse_codes(info, request.net, o.codes);

    // The label: one class (--label), a walk between two (--from-label/--to-label: the class
    // mixture moves with the latent), or, left out, one row per class.
    const bool mixes = o.from_label >= 0 || o.to_label >= 0;
    bool takes_label = false;
    for (const InputInfo* c : info.conditions(request.net)) takes_label = takes_label || c->kind == InputKind::Label;
    if ((o.label >= 0 || mixes) && !takes_label)
        throw std::runtime_error(std::string(o.label >= 0 ? "--label" : "--from-label/--to-label") + ": this model takes no label");
    if (mixes && (o.from_label < 0 || o.to_label < 0)) throw std::runtime_error("give both --from-label A and --to-label B");
    for (const int64_t l : {o.label, o.from_label, o.to_label})
        if (l >= info.num_classes)
            throw std::runtime_error("label " + std::to_string(l) + " is outside [0, " + std::to_string(info.num_classes) + ")");
    const int64_t rows = takes_label && o.label < 0 && !mixes ? info.num_classes : 1;
    request.count = rows * o.steps;
    request.z = Tensor::zeros({request.count, dim});
    for (int64_t r = 0; r < rows; ++r) std::copy(walk.data.begin(), walk.data.end(), request.z->data.begin() + r * o.steps * dim);
    if (o.label >= 0) request.labels = {o.label};
    if (rows > 1)
        for (int64_t i = 0; i < request.count; ++i) request.labels.push_back(i / o.steps);
    if (mixes) {
        const int64_t k = info.num_classes;
        request.label_weights.assign(static_cast<size_t>(o.steps * k), 0.0f);
        for (int64_t i = 0; i < o.steps; ++i) {
            const float t = static_cast<float>(i) / static_cast<float>(o.steps - 1);
            request.label_weights[static_cast<size_t>(i * k + o.from_label)] += 1.0f - t;
            request.label_weights[static_cast<size_t>(i * k + o.to_label)] += t;
        }
    }
    check_inputs(info, request);
    const Tensor images = model.generate(request);
    const std::string what = std::to_string(o.steps) + " steps from " + o.from + " to " + o.to + " (" +
                             (m == InterpolationMode::Slerp ? "slerp" : "lerp") +
                             (mixes ? ", class " + std::to_string(o.from_label) + " to " + std::to_string(o.to_label) : "") +
                             (rows > 1 ? ", one row per class" : "") + ")";
    if (!out.empty()) {
        write_grid_image(out, tile_grid(images, info.range_lo, info.range_hi, static_cast<int>(o.steps)), static_cast<int>(o.scale));
        std::printf("wrote %s: %s\n", out.c_str(), what.c_str());
    }
    if (!o.gif.empty()) {
        // A frame per step (the column of every row), played there and back so that it loops smoothly.
        const int64_t per = info.channels * info.height * info.width;
        std::vector<Grid> frames;
        for (int64_t step = 0; step < o.steps; ++step) {
            Tensor column = Tensor::zeros({rows, info.channels, info.height, info.width});
            for (int64_t r = 0; r < rows; ++r)
                std::copy_n(images.data.begin() + (r * o.steps + step) * per, per, column.data.begin() + r * per);
            frames.push_back(enlarge_grid(tile_grid(column, info.range_lo, info.range_hi, 1), static_cast<int>(o.scale)));
        }
        for (int64_t step = o.steps - 2; step > 0; --step) frames.push_back(frames[static_cast<size_t>(step)]);
        const int64_t pixels = int64_t{frames[0].width} * frames[0].height * static_cast<int64_t>(frames.size());
        if (pixels > (int64_t{1} << 26)) throw std::runtime_error("--gif: " + std::to_string(frames.size()) + " frames of " +
                                                                  std::to_string(frames[0].width) + "x" + std::to_string(frames[0].height) +
                                                                  " pixels are over 64 Mi pixels; lower --steps or --scale");
        train::write_gif(output_path(o.gif), frames, static_cast<int>(std::lround(100.0 / static_cast<double>(o.fps))));
        std::printf("wrote %s: %zu frames at %lld per second, there and back: %s\n", o.gif.c_str(), frames.size(),
                    static_cast<long long>(o.fps), what.c_str());
    }
}

// --from/--to: SEED or SEED:INDEX, checked while parsing (a usage error, exit 2).
CLI::Validator endpoint_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const auto colon = text.find(':');
            const std::string seed = text.substr(0, colon), index = colon == std::string::npos ? "0" : text.substr(colon + 1);
            auto whole = [](const std::string& s) {
                return !s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos;
            };
            if (!whole(seed) || !whole(index))
                return "a seed is a whole number, with an optional :INDEX of its sample (7, 7:1), got '" + text + "'";
            return {};
        },
        "SEED[:INDEX]", "endpoint");
}

CLI::Validator truncation_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            char* end = nullptr;
            const float v = std::strtof(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !(v >= 0.0f && v <= 2.0f))
                return "'" + text + "' is not a truncation psi in 0..2 (1 = off, 0.7 is typical)";
            return {};
        },
        "PSI", "truncation");
}

}  // namespace

void add_sample(CLI::App& app) {
    auto* cmd = app.add_subcommand("sample", "generate a grid of samples, or one image per seed, through the inference core");
    auto o = std::make_shared<SampleOptions>();
    cmd->add_option("file", o->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    auto* seed = cmd->add_option("--seed", o->seed, "latent seed (sample i of seed S is the same everywhere)")->check(seed_validator());
    cmd->add_option("--seeds", o->seeds, "many seeds, e.g. 0-63,100,200-210: their samples side by side, or one file each with --outdir")
        ->excludes(seed);
    cmd->add_option("--outdir", o->outdir, "write one PNG per seed and sample, named seedNNNN[-INDEX][-classK].png, instead of a grid");
    cmd->add_option("-n,--count", o->count, "number of samples (default 64; with --seeds or --outdir, per seed, default 1)")
        ->check(CLI::Range(int64_t{1}, kMaxImages));
    cmd->add_option("--first", o->first, "index of the first sample")->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
    cmd->add_option("--trunc", o->trunc, "the truncation trick: every z scaled by PSI toward its mean (1 = off; 0.7 trades variety for typical samples)")
        ->check(truncation_validator());
    cmd->add_option("--label", o->label, "class for conditional models (default: one row per class)")->check(label_validator());
    cmd->add_option("--code", o->codes, "NAME=V[,V...]: a code's values (InfoGAN; default: rows of the categorical code, 0 for the rest)");
    cmd->add_option("--sweep", o->sweep, "NAME[:INDEX]: the columns sweep a continuous code over its range");
    cmd->add_option("--columns", o->columns, "grid columns (default: square; 10 for one row per class)")->check(CLI::Range(1, 4096));
    cmd->add_option("--scale", o->scale, "enlarge the images N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("--net", o->net, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    cmd->add_option("-o,--output", o->out, "the grid: .png (default grid.png), or .jpg/.jpeg for JPEG");
    auto* z = cmd->add_option("--z", o->z, "DIR/projection.json of `ganzoo project`: draw exactly that image (its z, label and codes)")
                  ->check(CLI::ExistingFile);
    for (const char* other : {"--seed", "--seeds", "--outdir", "-n", "--first", "--trunc", "--label", "--code", "--sweep", "--columns", "--net"})
        z->excludes(cmd->get_option(other));
    cmd->callback([o] { run_sample(*o); });

    auto* icmd = app.add_subcommand("interpolate", "a walk between two samples through the inference core: a strip, or an animated GIF");
    auto i = std::make_shared<InterpolateOptions>();
    icmd->add_option("file", i->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    icmd->add_option("--from", i->from, "the first endpoint: SEED (its sample 0) or SEED:INDEX, as the page's 7:0")
        ->check(endpoint_validator());
    icmd->add_option("--to", i->to, "the last endpoint: SEED or SEED:INDEX (default 1)")->check(endpoint_validator());
    icmd->add_option("--steps", i->steps, "images in the strip, endpoints included")->check(CLI::Range(2, 256));
    auto* mode_option = icmd->add_option("--mode", i->mode, "slerp (default) or lerp")->check(CLI::IsMember({"lerp", "slerp"}));
    auto* slerp_flag = icmd->add_flag("--slerp", i->slerp, "same as --mode slerp");
    icmd->add_flag("--lerp", i->lerp, "same as --mode lerp")->excludes(slerp_flag)->excludes(mode_option);
    slerp_flag->excludes(mode_option);
    icmd->add_option("--trunc", i->trunc, "the truncation trick: every z scaled by PSI (1 = off)")->check(truncation_validator());
    auto* label = icmd->add_option("--label", i->label, "conditional models: walk within this class (default: one row per class)")
                      ->check(label_validator());
    icmd->add_option("--from-label", i->from_label, "conditional models: walk from this class (with --to-label)")
        ->check(label_validator())->excludes(label);
    icmd->add_option("--to-label", i->to_label, "... to this class: the class mixture moves with the latent")
        ->check(label_validator())->excludes(label);
    icmd->add_option("--code", i->codes, "NAME=V[,V...]: a code's values (InfoGAN; default 0)");
    icmd->add_option("--scale", i->scale, "enlarge the images N times (nearest neighbour)")->check(CLI::Range(1, 16));
    icmd->add_option("--net", i->net, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    icmd->add_option("-o,--output", i->out, "the strip: .png (default strip.png unless only --gif is asked), or .jpg/.jpeg");
    icmd->add_option("--gif", i->gif, "also write the walk as an animated GIF, there and back, looping (NAME.gif; --scale 4 to share)");
    icmd->add_option("--fps", i->fps, "the GIF's frames per second (default 12)")->check(CLI::Range(1, 50));
    icmd->callback([i] { run_interpolate(*i); });
}

}  // namespace ganzoo::cli
