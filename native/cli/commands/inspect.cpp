// `ganzoo models`, `info`, `verify` and `report`: what the family is, what a file holds, whether
// it still reproduces its golden case, and a run's report page.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "models/family.hpp"
#include "train/report.hpp"

namespace fs = std::filesystem;

namespace ganzoo::cli {
namespace {

struct FileOptions {
    std::string file;  // a model file (info, verify) or a run directory (report)
};

void run_info(const FileOptions& o) {
    const Model model = load_model_file(o.file);
    std::cout << document_summary(model.info()) << "\n";
}

void run_verify(const FileOptions& o) {
    const Model model = load_model_file(o.file);
    const auto check = model.verify();
    std::printf("%s: %s (max diff %.3g, tolerance %.3g) %s\n", o.file.c_str(), check.passed ? "ok" : "FAILED",
                check.max_abs_diff, check.tolerance, printable(check.message).c_str());
    if (!check.passed) throw std::runtime_error("verification failed");
}

void run_report(const FileOptions& o) {
    if (!fs::is_regular_file(o.file + "/log.csv"))
        throw std::runtime_error(o.file + ": no log.csv (not a run directory, or a run that has not trained a step)");
    train::write_report(o.file, o.file);
    std::printf("wrote %s/report.html\n", o.file.c_str());
}

}  // namespace

void add_models(CLI::App& app) {
    auto* models = app.add_subcommand("models", "list the family members");
    models->callback([] {
        for (const auto& f : models::families()) std::printf("%-15s %s\n", f.name.c_str(), f.title.c_str());
    });
}

void add_inspect(CLI::App& app) {
    auto* info = app.add_subcommand("info", "print a model file's description");
    auto io = std::make_shared<FileOptions>();
    info->add_option("file", io->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    info->callback([io] { run_info(*io); });
    auto* report = app.add_subcommand("report", "rewrite a run directory's report.html (curves and grids)");
    auto ro = std::make_shared<FileOptions>();
    report->add_option("run", ro->file, "run directory")->required()->check(CLI::ExistingDirectory);
    report->callback([ro] { run_report(*ro); });
    auto* verify = app.add_subcommand("verify", "re-run the golden case the exporter stored in the file");
    auto vo = std::make_shared<FileOptions>();
    verify->add_option("file", vo->file, "a ganzoo .safetensors file")->required()->check(CLI::ExistingFile);
    verify->callback([vo] { run_verify(*vo); });
}

}  // namespace ganzoo::cli
