// `ganzoo train` (a family member through the shared loop, native/train) and
// `ganzoo train-classifier` (the classifier behind `ganzoo eval`).
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include "cli/commands/commands.hpp"
#include "metrics/classifier.hpp"
#include "train/files.hpp"
#include "train/trainer.hpp"

namespace ganzoo::cli {
namespace {

using nlohmann::json;

struct TrainOptions {
    std::string family, out, device, data, domains, config;
    bool print_config = false;
    int64_t epochs = 0, steps = 0, batch = 0, width = 0, z_dim = 0, threads = 0, limit = 0, labels = 0,
            checkpoint_every = 0, log_every = 0;
    uint64_t seed = 0;
    double lr = 0;
    bool resume = false;
    std::vector<std::string> settings;  // --set key=value
    std::string live;                    // --live [30s|N|2m]; used when live_option was given
    CLI::Option* live_option = nullptr;
    std::vector<std::string> faults;     // --fault (train/fault_plan.hpp): for tests and benchmarks
    dist::Options distributed;
    // The flags given on the command line, each with the recipe key it sets (only given ones
    // override the recipe).
    std::vector<std::pair<CLI::Option*, std::function<void(json&)>>> given;
    std::string command;  // the command line, recorded in config.json
};

// --config RUN/config.json: the run's member and every option it resolved to.
json read_run_config(const std::string& path, const std::string& family) {
    json config;
    try {
        const auto bytes = train::read_file(path, 1 << 24);
        config = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
        throw std::runtime_error("--config " + path + ": not a run's config.json (" + std::string(e.what()) + ")");
    }
    if (!config.is_object() || !config.contains("family") || !config["family"].is_string() || !config.contains("options") ||
        !config["options"].is_object())
        throw std::runtime_error("--config " + path + ": not a run's config.json (it needs \"family\" and \"options\")");
    if (!family.empty() && config["family"] != family)
        throw std::runtime_error("--config " + path + ": a '" + config["family"].get<std::string>() + "' run, not '" + family + "'");
    return config;
}

void run_train(const TrainOptions& o) {
    train::TrainRequest request;
    request.family = o.family;
    request.out = o.out;
    request.resume = o.resume;
    request.command = o.command;
    request.overrides = json::object();
    if (!o.config.empty()) {
        if (o.resume) throw std::runtime_error("--config starts a new run from another's options; --resume continues one (pass one)");
        const json config = read_run_config(o.config, o.family);
        request.family = config["family"].get<std::string>();
        request.overrides = config["options"];
    } else if (o.family.empty()) {
        throw CLI::RequiredError("model");
    }
    for (const auto& [option, apply] : o.given)
        if (option->count() > 0) apply(request.overrides);
    for (const auto& setting : o.settings) {
        const auto eq = setting.find('=');
        if (eq == std::string::npos || eq == 0) throw std::runtime_error("--set " + setting + ": expected key=value");
        const std::string value = setting.substr(eq + 1);
        json parsed = json::parse(value, nullptr, /*allow_exceptions=*/false);
        request.overrides[setting.substr(0, eq)] = parsed.is_discarded() ? json(value) : parsed;
    }
    if (request.resume && request.out.empty()) throw std::runtime_error("--resume needs --out RUN_DIR");
    if (o.print_config) {
        std::printf("%s\n", train::resolved_config(request).dump(2).c_str());
        return;
    }
    request.dist = o.distributed;
    request.faults = train::FaultPlan::parse(o.faults);
    if (o.live_option->count() > 0) request.live = train::parse_live(o.live);
    dist::check_options(o.distributed);  // bad flags: one line without a rank prefix
    train::TrainSummary summary;
    try {
        summary = train::run_training(request);
    } catch (const std::exception& e) {
        if (!o.distributed.distributed()) throw;
        // Name the rank, once: the process group's own errors already do.
        std::string message = e.what();
        if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) message = c10->what_without_backtrace();
        if (message.rfind("rank ", 0) != 0)
            message = "rank " + std::to_string(o.distributed.rank) + " of " + std::to_string(o.distributed.world_size) +
                      ": " + message;
        throw std::runtime_error(message);
    }
    if (summary.rank != 0) return;
    std::printf("trained %lld steps in %.1f s, %.1f images/s (%s, BLAS %s); run directory %s\n",
                static_cast<long long>(summary.steps), summary.wall_s, summary.images_per_s, summary.device.c_str(),
                summary.blas.c_str(), summary.run_dir.c_str());
    if (summary.world_size > 1 && summary.gradient_bytes_per_step == 0)  // only warm-up steps ran
        std::printf("data-parallel: %lld ranks (%s); the run was too short to time the all-reduce\n",
                    static_cast<long long>(summary.world_size), summary.backend.c_str());
    else if (summary.world_size > 1)
        std::printf("data-parallel: %lld ranks (%s), gradient all-reduce %.2f ms/step, %lld gradient bytes/step\n",
                    static_cast<long long>(summary.world_size), summary.backend.c_str(), summary.allreduce_ms_per_step,
                    static_cast<long long>(summary.gradient_bytes_per_step));
}

}  // namespace

void add_train(CLI::App& app, const Invocation& invocation) {
    auto* cmd = app.add_subcommand("train", "train a family member (see `ganzoo models`)");
    auto o = std::make_shared<TrainOptions>();
    o->command = invocation.command_line();
    cmd->add_option("model", o->family, "family member, e.g. dcgan (`ganzoo models MEMBER` lists its recipe keys)");
    cmd->add_option("--config", o->config, "train with a run's resolved options: RUN/config.json (flags and --set still override)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--print-config", o->print_config, "print the options this command resolves to, as JSON, and stop");
    cmd->add_option("--out,-o", o->out, "run directory (default runs/<model>-<time>)");
    cmd->add_flag("--resume", o->resume, "continue the run in --out from its newest checkpoint");
    struct Int { const char* flag; int64_t* value; const char* key; const char* help; };
    const Int ints[] = {{"--epochs", &o->epochs, "epochs", "passes over the data"},
                        {"--steps", &o->steps, "steps", "stop after this many steps (overrides --epochs)"},
                        {"--batch", &o->batch, "batch", "images per step"},
                        {"--width", &o->width, "width", "base channel count of the networks"},
                        {"--z-dim", &o->z_dim, "z_dim", "latent dimensions"},
                        {"--threads", &o->threads, "threads", "CPU threads (0 = all cores)"},
                        {"--limit", &o->limit, "limit", "use only the first N training images (0 = all)"},
                        {"--labels", &o->labels, "labels", "improved-dcgan: semi-supervised, N labelled images (N/K per class)"},
                        {"--checkpoint-every", &o->checkpoint_every, "checkpoint_every", "steps between checkpoints"},
                        {"--log-every", &o->log_every, "log_every", "steps between progress lines off a terminal"}};
    for (const auto& i : ints) {
        auto* option = cmd->add_option(i.flag, *i.value, i.help);
        const std::string key = i.key;
        int64_t* value = i.value;
        o->given.push_back({option, [key, value](json& j) { j[key] = *value; }});
    }
    TrainOptions* p = o.get();  // the lambdas live in *o: a raw pointer, no cycle
    o->given.push_back({cmd->add_option("--seed", o->seed, "seed of weights, batches and noise")->check(seed_validator()),
                        [p](json& j) { j["seed"] = p->seed; }});
    o->given.push_back({cmd->add_option("--lr", o->lr, "learning rate"), [p](json& j) { j["lr"] = p->lr; }});
    o->given.push_back({cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N"),
                        [p](json& j) { j["device"] = p->device; }});
    o->given.push_back({cmd->add_option("--data", o->data, "fashion-mnist (default) or a folder of images"),
                        [p](json& j) { j["data"] = p->data; }});
    o->given.push_back({cmd->add_option("--domains", o->domains, "CycleGAN: the two classes A,B to translate between (names or indices)"),
                        [p](json& j) { j["domains"] = p->domains; }});
    cmd->add_option("--set", o->settings, "any recipe option as key=value (JSON value), e.g. --set beta1=0.5");
    dist::Options& d = o->distributed;
    cmd->add_option("--world-size", d.world_size, "data-parallel processes in all (docs/distributed.md; default 1)");
    cmd->add_option("--rank", d.rank, "this process's rank, 0 .. world-size - 1 (rank 0 writes the run directory)");
    cmd->add_option("--master", d.master, "rank 0's ADDR:PORT, where the ranks meet (TCPStore)");
    cmd->add_option("--dist-timeout", d.timeout_s, "seconds before a missing or silent rank is an error (default 300)");
    cmd->add_option("--rendezvous-timeout", d.rendezvous_timeout_s,
                    "seconds the ranks wait for each other to start (default: --dist-timeout)");
    cmd->add_option("--dist-backend", d.backend, "auto (NCCL on CUDA when built with it, else Gloo), gloo or nccl");
    cmd->add_option("--bucket-mb", d.bucket_mb, "gradients are all-reduced in flat buckets of this many MiB (default 25)");
    o->live_option = cmd->add_option("--live", o->live,
                                     "write live/latest.safetensors and live/status.json for ganzoo serve and the "
                                     "studio's --follow: every 30 s, or every N steps (--live 500) or seconds "
                                     "(--live 45s, --live 2m)")
                         ->expected(0, 1);
    cmd->add_option("--fault", o->faults, "")->group("");  // not in the help
    cmd->callback([o] { run_train(*o); });
}

void add_train_classifier(CLI::App& app, const Invocation& invocation) {
    auto* cmd = app.add_subcommand("train-classifier",
                                   "train the Fashion-MNIST classifier that `ganzoo eval` measures samples with");
    auto o = std::make_shared<metrics::ClassifierOptions>();
    o->command = invocation.command_line();
    cmd->add_option("-o,--output", o->output, "the classifier file (default web/models/classifier.safetensors)");
    cmd->add_option("--epochs", o->epochs, "passes over the train split (default 6)")->check(CLI::Range(1, 1000));
    cmd->add_option("--batch", o->batch, "images per step (default 128)")->check(CLI::Range(1, 65536));
    cmd->add_option("--lr", o->lr, "Adam's initial learning rate, decayed linearly to 0 (default 2e-3)");
    cmd->add_option("--seed", o->seed, "seed of weights, batches and flips")->check(seed_validator());
    cmd->add_option("--threads", o->threads, "LibTorch threads (default: all cores)")->check(CLI::Range(0, 1024));
    cmd->add_option("--data", o->data, "fashion-mnist (default) or a folder of images, one subfolder per class");
    cmd->add_option("--limit", o->limit, "train on the first N images only (smoke tests)");
    cmd->callback([o] {
        const auto r = metrics::train_classifier(*o);
        std::printf("wrote %s: test accuracy %.2f%% after %lld steps, %.0f s\n", o->output.c_str(),
                    100.0 * r.test_accuracy, static_cast<long long>(r.steps), r.wall_s);
    });
}

}  // namespace ganzoo::cli
