// `ganzoo sample` and `ganzoo interpolate`: images through the inference core, laid out by the
// core's grid planner (ganzoo/grid.hpp), exactly as the studio and the web page lay them out.
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "ganzoo/grid.hpp"
#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"

namespace ganzoo::cli {
namespace {

struct SampleOptions {
    std::string file, out = "grid.png", sweep, net = "G";
    uint64_t seed = 0;
    int64_t count = 64, first = 0, label = -1, columns = 0, scale = 1;
    std::vector<std::string> codes;
};

struct InterpolateOptions {
    std::string file, out = "strip.png", mode = "slerp", net = "G";
    uint64_t from = 0, to = 1;
    int64_t steps = 10, label = -1, scale = 1;
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

void run_sample(const SampleOptions& o) {
    const Model model = load_model_file(o.file);
    const ModelInfo& info = model.info();
    GridRequest g;
    g.net = checked_net(model, o.net);
    g.seed = o.seed;
    g.first_index = o.first;
    g.count = o.count;
    g.columns = o.columns;
    if (o.label >= 0) g.label = o.label;
    g.codes = parse_codes(info, g.net, o.codes);
    g.sweep = o.sweep;
    const GridPlan plan = plan_grid(info, g);
    check_inputs(info, plan.request);
    const Tensor images = model.generate(plan.request);
    write_grid_png(o.out, tile_grid(images, info.range_lo, info.range_hi, static_cast<int>(plan.columns)),
                   static_cast<int>(o.scale));
    std::printf("wrote %s: %lld samples of %s, seed %llu%s\n", o.out.c_str(), static_cast<long long>(plan.request.count),
                printable(info.name).c_str(), static_cast<unsigned long long>(o.seed),
                plan.description.empty() ? "" : (" (" + plan.description + ")").c_str());
}

void run_interpolate(const InterpolateOptions& o) {
    const Model model = load_model_file(o.file);
    const ModelInfo& info = model.info();
    const int64_t dim = info.z_dim;
    if (dim <= 0) throw std::runtime_error("interpolate: this model takes no latent z");
    const auto m = parse_interpolation_mode(o.lerp ? "lerp" : o.slerp ? "slerp" : o.mode);
    GenerateRequest request;
    request.net = checked_net(model, o.net);
    request.count = o.steps;
    request.z = interpolate(normal_latents(o.from, 0, 1, dim), normal_latents(o.to, 0, 1, dim), o.steps, m);
    if (o.label >= 0 && info.num_classes == 0) throw std::runtime_error("--label: this model takes no label");
    if (o.label >= 0) request.labels = {o.label};
    request.codes = parse_codes(info, request.net, o.codes);
    check_inputs(info, request);
    const Tensor images = model.generate(request);
    write_grid_png(o.out, tile_grid(images, info.range_lo, info.range_hi, static_cast<int>(o.steps)),
                   static_cast<int>(o.scale));
    std::printf("wrote %s: %lld steps from seed %llu to seed %llu (%s)\n", o.out.c_str(), static_cast<long long>(o.steps),
                static_cast<unsigned long long>(o.from), static_cast<unsigned long long>(o.to),
                m == InterpolationMode::Slerp ? "slerp" : "lerp");
}

}  // namespace

void add_sample(CLI::App& app) {
    auto* cmd = app.add_subcommand("sample", "generate a grid of samples through the inference core");
    auto o = std::make_shared<SampleOptions>();
    cmd->add_option("file", o->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--seed", o->seed, "latent seed (sample i of seed S is the same everywhere)")->check(seed_validator());
    cmd->add_option("-n,--count", o->count, "number of samples")->check(CLI::Range(1, 4096));
    cmd->add_option("--first", o->first, "index of the first sample")->check(CLI::Range(int64_t{0}, int64_t{1} << 62));
    cmd->add_option("--label", o->label, "class for conditional models (default: one row per class)")->check(label_validator());
    cmd->add_option("--code", o->codes, "NAME=V[,V...]: a code's values (InfoGAN; default: rows of the categorical code, 0 for the rest)");
    cmd->add_option("--sweep", o->sweep, "NAME[:INDEX]: the columns sweep a continuous code over its range");
    cmd->add_option("--columns", o->columns, "grid columns (default: square; 10 for one row per class)")->check(CLI::Range(1, 4096));
    cmd->add_option("--scale", o->scale, "enlarge the PNG N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("--net", o->net, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    cmd->add_option("-o,--output", o->out, "PNG file");
    cmd->callback([o] { run_sample(*o); });

    auto* icmd = app.add_subcommand("interpolate", "a strip of samples between two seeds, through the inference core");
    auto i = std::make_shared<InterpolateOptions>();
    icmd->add_option("file", i->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    icmd->add_option("--from", i->from, "seed of the first endpoint (its sample 0)")->check(seed_validator());
    icmd->add_option("--to", i->to, "seed of the last endpoint (its sample 0)")->check(seed_validator());
    icmd->add_option("--steps", i->steps, "images in the strip, endpoints included")->check(CLI::Range(2, 256));
    auto* mode_option = icmd->add_option("--mode", i->mode, "slerp (default) or lerp")->check(CLI::IsMember({"lerp", "slerp"}));
    auto* slerp_flag = icmd->add_flag("--slerp", i->slerp, "same as --mode slerp");
    icmd->add_flag("--lerp", i->lerp, "same as --mode lerp")->excludes(slerp_flag)->excludes(mode_option);
    slerp_flag->excludes(mode_option);
    icmd->add_option("--label", i->label, "class for conditional models (required by them)")->check(label_validator());
    icmd->add_option("--code", i->codes, "NAME=V[,V...]: a code's values (InfoGAN; default 0)");
    icmd->add_option("--scale", i->scale, "enlarge the PNG N times (nearest neighbour)")->check(CLI::Range(1, 16));
    icmd->add_option("--net", i->net, "the graph to run (default G; ProGAN also has G_4x4, G_8x8, G_16x16)");
    icmd->add_option("-o,--output", i->out, "PNG file");
    icmd->callback([i] { run_interpolate(*i); });
}

}  // namespace ganzoo::cli
