// `ganzoo models`, `info`, `verify` and `report`: what the family is, what a file holds, whether
// it still reproduces its golden case, and a run's report page.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "models/family.hpp"
#include "models/recipe_docs.hpp"
#include "train/trainer.hpp"
#include "train/report.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

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
    train::write_report(o.file);
    std::printf("wrote %s/report.html\n", o.file.c_str());
}

struct ModelsOptions {
    std::string member, shipped;
};

// The recipe keys a training command sets: --set KEY=VALUE, and the flags that stand for keys
// (--width 32 -> width, --z-dim -> z_dim). Values as written.
std::map<std::string, std::string> keys_set_by(const std::string& command) {
    std::vector<std::string> words;
    std::istringstream in(command);
    for (std::string w; in >> w;) words.push_back(w);
    std::map<std::string, std::string> keys;
    for (size_t i = 0; i + 1 < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "--set") {
            const std::string& kv = words[++i];
            const auto eq = kv.find('=');
            if (eq != std::string::npos) keys[kv.substr(0, eq)] = kv.substr(eq + 1);
        } else if (w.rfind("--", 0) == 0 && w != "--out" && w != "--resume" && words[i + 1].rfind("--", 0) != 0) {
            std::string key = w.substr(2);
            std::replace(key.begin(), key.end(), '-', '_');
            keys[key] = words[++i];
        }
    }
    return keys;
}

// web/models/MEMBER.safetensors in the working directory, or in the checkout the binary was
// built in (build/native/bin/ganzoo -> ../../../web/models).
std::string find_shipped(const std::string& member) {
    const std::string name = "web/models/" + member + ".safetensors";
    if (fs::is_regular_file(name)) return name;
    std::error_code error;
    const fs::path exe = fs::read_symlink("/proc/self/exe", error);
    if (!error) {
        const fs::path beside = exe.parent_path().parent_path().parent_path().parent_path() / name;
        if (fs::is_regular_file(beside, error)) return beside.string();
    }
    return {};
}

std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

void run_models(const ModelsOptions& o) {
    const auto family = models::make_family(o.member);  // refuses an unknown name, listing the known
    std::string title;
    for (const auto& f : models::families())
        if (f.name == o.member) title = f.title;
    const models::MemberDoc* doc = models::member_doc(o.member);
    std::printf("%s\n", title.c_str());
    if (doc) std::printf("paper:   %s\n         %s\n", doc->paper.c_str(), doc->link.c_str());
    std::printf("page:    docs/members/%s.md\n", o.member.c_str());

    const std::string shipped = o.shipped.empty() ? find_shipped(o.member) : o.shipped;
    std::map<std::string, std::string> trained;
    std::string command;
    if (!shipped.empty()) {
        const Model model = load_model_file(shipped);
        command = model.info().training.command;
        trained = keys_set_by(command);
    }
    const json cpu = family->defaults(false), cuda = family->defaults(true), loop = train::loop_defaults();
    auto table = [&](const char* heading, const std::vector<std::string>& keys) {
        std::printf("\n%s\n  %-18s %-22s %-12s %-18s %s\n", heading, "key", "default (cpu/cuda)", "shipped", "range", "meaning");
        for (const std::string& key : keys) {
            const json& d = cpu.contains(key) ? cpu[key] : loop[key];
            std::string def = value_text(d);
            if (cuda.contains(key) && cuda[key] != d) def += " / " + value_text(cuda[key]);
            const auto t = trained.find(key);
            const models::RecipeKeyDoc* k = models::recipe_key_doc(o.member, key);
            std::printf("  %-18s %-22s %-12s %-18s %s\n", key.c_str(), def.c_str(), t == trained.end() ? "" : t->second.c_str(),
                        k ? k->range.c_str() : "", k ? k->meaning.c_str() : "(undocumented)");
        }
    };
    std::vector<std::string> own, shared;
    for (const auto& [key, value] : cpu.items())
        if (!loop.contains(key)) own.push_back(key);
    for (const auto& [key, value] : loop.items()) shared.push_back(key);
    table(("recipe keys of " + o.member + " (ganzoo train " + o.member + " --set KEY=VALUE)").c_str(), own);
    table("the training loop's keys (flags such as --epochs and --batch set them too; a member may change the default)",
          shared);
    if (shipped.empty())
        std::printf("\nshipped: no web/models/%s.safetensors found here (pass --shipped FILE)\n", o.member.c_str());
    else
        std::printf("\nshipped: %s\n  trained with: %s\n", shipped.c_str(), printable(command).c_str());
}

}  // namespace

void add_models(CLI::App& app) {
    auto* models = app.add_subcommand("models", "list the family members, or one member's paper and recipe keys");
    auto o = std::make_shared<ModelsOptions>();
    models->add_option("member", o->member, "a member: print its paper, its recipe keys (default, range, meaning) and the "
                                            "values its shipped model was trained with");
    models->add_option("--shipped", o->shipped, "the shipped model to compare with (default: web/models/MEMBER.safetensors "
                                                "here or beside the ganzoo binary's checkout)")
        ->check(CLI::ExistingFile);
    models->callback([o] {
        if (o->member.empty()) {
            for (const auto& f : models::families()) std::printf("%-15s %s\n", f.name.c_str(), f.title.c_str());
            return;
        }
        run_models(*o);
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
