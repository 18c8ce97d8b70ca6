// `ganzoo eval`: a model's metrics (metrics/evaluate.hpp) as a table, or one JSON object, and
// optionally one line of RUN/metrics.jsonl.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "metrics/evaluate.hpp"
#include "train/files.hpp"
#include "train/report.hpp"

namespace fs = std::filesystem;

namespace ganzoo::cli {
namespace {

using nlohmann::json;

struct EvalCommandOptions {
    std::string file, classifier_file, run_dir;
    metrics::EvalOptions eval;
    bool as_json = false;
};

// The classifier: the given path, else the shipped one (from the working directory or the source tree).
std::string classifier_path(const std::string& given) {
    if (!given.empty()) return given;
    for (const std::string& candidate :
         {std::string("web/models/classifier.safetensors"), std::string(GANZOO_SOURCE_DIR) + "/web/models/classifier.safetensors"})
        if (fs::exists(candidate)) return candidate;
    throw std::runtime_error("eval: no classifier at web/models/classifier.safetensors: train one with "
                             "`ganzoo train-classifier` or pass --classifier FILE");
}

// A progress bar on a terminal, else one line per finished stage.
void show_progress(bool tty, const std::string& stage, int64_t done, int64_t total) {
    if (!tty) {
        if (done == total) std::fprintf(stderr, "eval: %s %lld/%lld\n", stage.c_str(), (long long)done, (long long)total);
        return;
    }
    const int width = 30, filled = static_cast<int>(width * done / std::max<int64_t>(1, total));
    std::fprintf(stderr, "\r%-9s [%s%s] %lld/%lld", stage.c_str(), std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), (long long)done, (long long)total);
    if (done == total) std::fprintf(stderr, "\n");
}

// The StyleGAN2 habit: every evaluation one JSON line in the run; report.html shows the latest.
void append_to_run(const std::string& run_dir, const std::string& file, const std::string& family, const json& metrics) {
    const std::string path = run_dir + "/metrics.jsonl";
    std::string lines;
    if (fs::exists(path)) {
        const auto bytes = train::read_file(path);
        lines.assign(bytes.begin(), bytes.end());
        if (!lines.empty() && lines.back() != '\n') lines += '\n';
    }
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    const json line = {{"time", stamp}, {"model", file}, {"family", family}, {"metrics", metrics}};
    train::write_text_atomically(path, lines + line.dump() + "\n");
    train::write_report(run_dir, run_dir);
    std::fprintf(stderr, "eval: appended to %s, rewrote %s/report.html\n", path.c_str(), run_dir.c_str());
}

void run_eval(EvalCommandOptions& o) {
    const Model model = load_model_file(o.file);
    const metrics::Classifier classifier(load_model_file(classifier_path(o.classifier_file)));
    const bool tty = ::isatty(2);
    o.eval.progress = [tty](const std::string& stage, int64_t done, int64_t total) { show_progress(tty, stage, done, total); };
    const metrics::EvalResult result = metrics::evaluate(model, classifier, o.eval);
    const json r = metrics::to_json(result);
    if (!o.run_dir.empty()) append_to_run(o.run_dir, o.file, model.info().family, r);
    if (o.as_json) std::printf("%s\n", r.dump().c_str());
    else std::fputs(metrics::eval_text(result, printable).c_str(), stdout);
}

}  // namespace

void add_eval(CLI::App& app) {
    auto* cmd = app.add_subcommand("eval", "a model's metrics: FD-FMNIST (classifier features, not Inception), IS, "
                                           "class histogram, the member's own metric");
    auto o = std::make_shared<EvalCommandOptions>();
    cmd->add_option("file", o->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    cmd->add_option("--classifier", o->classifier_file, "the classifier (default web/models/classifier.safetensors)");
    cmd->add_option("-n,--count", o->eval.count, "generated images, and train images for the floor (default 10000)")
        ->check(CLI::Range(2, 60000));
    cmd->add_option("--seed", o->eval.seed, "latent seed of the generated images (default 1)")->check(seed_validator());
    cmd->add_option("--data", o->eval.data, "the real images (default fashion-mnist: its test split)");
    cmd->add_flag("--json", o->as_json, "print one JSON object instead of the table");
    cmd->add_option("--swd-images", o->eval.swd_images,
                    "images per set for the sliced Wasserstein distance (default 4096, at most -n; 0: no SWD)")
        ->check(CLI::Range(int64_t(0), int64_t(60000)));
    cmd->add_option("--swd-per-image", o->eval.swd_per_image, "SWD descriptors (7x7 neighbourhoods) per image per level (default 8)")
        ->check(CLI::Range(int64_t(1), int64_t(1024)));
    cmd->add_option("--run", o->run_dir, "also append the result as one JSON line to RUN/metrics.jsonl and refresh RUN/report.html")
        ->check(CLI::ExistingDirectory);
    cmd->callback([o] { run_eval(*o); });
}

}  // namespace ganzoo::cli
