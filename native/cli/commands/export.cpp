// `ganzoo export`: a run's generator (and the member's other nets) as one ganzoo .safetensors
// file, checked at once through the inference core against the golden case LibTorch computed.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "exporter/exporter.hpp"
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
    exporter::RunExportOptions how;
    how.dtype = o.dtype == "f32" ? DType::F32 : DType::F16;
    how.name = o.name;
    how.raw = o.raw;
    if (fs::exists(o.run + "/summary.json")) {
        const auto bytes = train::read_file(o.run + "/summary.json");
        const auto summary = json::parse(bytes.begin(), bytes.end(), nullptr, false);
        if (!summary.is_discarded() && summary.contains("device") && summary["device"].is_string())
            how.device = summary["device"];
    }
    // The averaged generator when the run keeps one (unless --raw): the grids showed it too.
    const auto bytes = exporter::export_run(*loaded.family, loaded.average.get(), loaded.config, loaded.step,
                                         loaded.wall_s, how);
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
