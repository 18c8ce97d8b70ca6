// `ganzoo export`: a run's generator (and the member's other nets) as one ganzoo .safetensors
// file, checked at once through the inference core against the golden case LibTorch computed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "export/exporter.hpp"
#include "train/files.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;

namespace ganzoo::cli {
namespace {

using nlohmann::json;

struct ExportCommandOptions {
    std::string run, out, dtype = "f16", name;
    bool raw = false;  // the live generator, not the average
};

void run_export(const ExportCommandOptions& o) {
    auto loaded = train::load_run(o.run);
    const auto& config = loaded.config;
    const auto& options = config.at("options");
    const int64_t world = config.contains("distributed") ? config["distributed"].value("world_size", int64_t{1}) : 1;
    const auto steps_per_epoch =
        std::max<int64_t>(1, config.at("dataset").at("count").get<int64_t>() / (options.at("batch").get<int64_t>() * world));
    train::ExportOptions eo;
    eo.dtype = o.dtype == "f32" ? DType::F32 : DType::F16;
    eo.family = config.at("family");
    eo.name = o.name.empty() ? eo.family + "-" + config.at("dataset").at("name").get<std::string>() : o.name;
    eo.dataset = config.at("dataset");
    eo.dataset.erase("count");
    eo.training = {{"command", config.value("command", "")},
                   {"epochs", static_cast<double>(loaded.step) / steps_per_epoch},
                   {"steps", loaded.step},
                   {"batch", options.at("batch")},
                   {"device", options.value("device", "auto")},
                   {"wall_time_s", loaded.wall_s},
                   {"commit", config.value("commit", "unknown")},
                   {"metrics", json::object()}};
    if (fs::exists(o.run + "/summary.json")) {
        const auto bytes = train::read_file(o.run + "/summary.json");
        const auto summary = json::parse(bytes.begin(), bytes.end(), nullptr, false);
        if (!summary.is_discarded() && summary.contains("device")) eo.training["device"] = summary["device"];
    }
    // The averaged generator when the run keeps one (unless --raw): the grids showed it too.
    eo.training["generator"] = loaded.average && !o.raw ? "average" : "live";
    if (loaded.average) eo.training["ema"] = loaded.average->settings().decay;
    const auto applied = loaded.average && !o.raw ? loaded.average->apply(train::average_refresh_seed(options)) : nullptr;
    const auto bytes = train::export_model(*loaded.family, eo);
    train::write_file_atomically(output_path(o.out), bytes);
    const auto model = Model::load(bytes.data(), bytes.size());
    const auto check = model.verify();
    std::printf("wrote %s (%s, %.2f MB, step %lld); core check: %s (max diff %.2e)\n", o.out.c_str(), o.dtype.c_str(),
                bytes.size() / 1e6, static_cast<long long>(loaded.step), check.passed ? "passed" : "FAILED",
                check.max_abs_diff);
    if (!check.passed) throw std::runtime_error("the exported file does not reproduce LibTorch: " + check.message);
}

}  // namespace

void add_export(CLI::App& app) {
    auto* cmd = app.add_subcommand("export", "write a run's generator as a ganzoo .safetensors file");
    auto o = std::make_shared<ExportCommandOptions>();
    cmd->add_option("run", o->run, "run directory")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--output", o->out, "output file")->required();
    cmd->add_flag("--raw", o->raw, "export the live generator, not the average (when the run keeps one: recipe key ema)");
    cmd->add_option("--dtype", o->dtype, "f16 (default) or f32")->check(CLI::IsMember({"f16", "f32"}));
    cmd->add_option("--name", o->name, "model name (default <family>-<dataset>)");
    cmd->callback([o] { run_export(*o); });
}

}  // namespace ganzoo::cli
