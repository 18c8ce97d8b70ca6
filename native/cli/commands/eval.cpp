// `ganzoo eval`: a model's metrics (metrics/evaluate.hpp) as a table, or one JSON object, and
// optionally one line of RUN/metrics.jsonl.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
    bool as_json = false, write = false, no_cache = false;
};

// Where eval keeps the reference statistics: $XDG_CACHE_HOME/ganzoo, else ~/.cache/ganzoo.
std::string cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') return std::string(xdg) + "/ganzoo";
    if (const char* home = std::getenv("HOME"); home && *home == '/') return std::string(home) + "/.cache/ganzoo";
    return {};
}

// FNV-1a, 64 bits: the classifier's identity in the cache key (a retrained classifier is another file).
std::string fnv1a_hex(const std::vector<uint8_t>& bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

// --write: the metrics go into the file's own metadata (training.metrics), where `info`, the
// studio's model card and the page read them. Only the header changes: the tensors' bytes, and so
// the golden check, stay as they were; the rewritten file is loaded and verified before it
// replaces the old one.
void write_metrics_into(const std::string& path, const json& metrics) {
    const auto bytes = train::read_file(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0 && bytes.size() >= 8; --i) n = n << 8 | bytes[static_cast<size_t>(i)];
    if (bytes.size() < 8 || n > bytes.size() - 8) throw std::runtime_error(path + ": not a safetensors file");
    json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
    json document = json::parse(header.at("__metadata__").at("ganzoo").get<std::string>());
    document["training"]["metrics"] = metrics;
    header["__metadata__"]["ganzoo"] = document.dump();
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // the data stays 8-byte aligned
    std::vector<uint8_t> out(8);
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n), bytes.end());
    const Model check = Model::load(out.data(), out.size());
    const CheckResult verified = check.verify();
    if (!verified.passed) throw std::runtime_error(path + ": the rewritten file fails its check (" + verified.message + "); not written");
    train::write_file_atomically(path, out);
    std::fprintf(stderr, "eval: wrote the metrics into %s (training.metrics; core check %s)\n", path.c_str(),
                 printable(verified.message).c_str());
}

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
    train::write_report(run_dir);
    std::fprintf(stderr, "eval: appended to %s, rewrote %s/report.html\n", path.c_str(), run_dir.c_str());
}

void run_eval(EvalCommandOptions& o) {
    const Model model = load_model_file(o.file);
    const std::string classifier_file = classifier_path(o.classifier_file);
    const metrics::Classifier classifier(load_model_file(classifier_file));
    if (const std::string dir = cache_dir(); !o.no_cache && !dir.empty()) {
        o.eval.classifier_id = fnv1a_hex(train::read_file(classifier_file));
        o.eval.floor_cache = dir + "/eval-floor-" + o.eval.classifier_id + "-" +
                             fnv1a_hex(std::vector<uint8_t>(o.eval.data.begin(), o.eval.data.end())).substr(0, 8) + "-" +
                             std::to_string(o.eval.count) + "-" + std::to_string(o.eval.seed) + "-" +
                             std::to_string(o.eval.swd_images) + "-" + std::to_string(o.eval.swd_per_image) + ".json";
    }
    const bool tty = ::isatty(2);
    o.eval.progress = [tty](const std::string& stage, int64_t done, int64_t total) { show_progress(tty, stage, done, total); };
    const metrics::EvalResult result = metrics::evaluate(model, classifier, o.eval);
    if (result.floor_cached)
        std::fprintf(stderr, "eval: the test split's statistics and the train-vs-test floor from the cache %s (--no-cache recomputes them)\n",
                     o.eval.floor_cache.c_str());
    const json r = metrics::to_json(result);
    if (!o.run_dir.empty()) append_to_run(o.run_dir, o.file, model.info().family, r);
    if (o.write) write_metrics_into(o.file, r);
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
    cmd->add_flag("--no-cache", o->no_cache, "recompute the reference statistics (test split, train-vs-test floor) "
                                             "instead of reading them from ~/.cache/ganzoo");
    cmd->add_flag("--write", o->write, "also store the metrics in the file's metadata (training.metrics), for info, "
                                       "the studio and the page; the weights and the golden check are untouched");
    cmd->callback([o] { run_eval(*o); });
}

}  // namespace ganzoo::cli
