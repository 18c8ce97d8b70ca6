// ganzoo: the command line. Training goes through LibTorch (native/train); sampling and
// interpolation go through the inference core (shared/), exactly as the web page does. Each
// command lives in native/cli/commands/; this file dispatches and reports errors.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/commands/commands.hpp"
#include "dist/data_parallel.hpp"
#include "train/trainer.hpp"

namespace {

using namespace ganzoo;

// Every failure is one line on stderr: "ganzoo: error: what failed".
void report_error(std::string message) {
    for (char& c : message)
        if (c == '\n' || c == '\r') c = ' ';
    while (!message.empty() && message.back() == ' ') message.pop_back();
    std::cerr << "ganzoo: error: " << cli::printable(message) << std::endl;
}

// LibTorch's OpenMP threads spin while they wait. With anything else running on the machine
// that makes training steps ~10x slower here (382 vs ~30 images/s measured on 2 cores with a
// compiler running beside it). libgomp reads OMP_WAIT_POLICY once, when it is loaded, before
// main(): so when the user has not chosen a policy, choose PASSIVE and start again.
void prefer_passive_openmp(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

// After a process group existed, destructors may wait on peers that are gone: leave at once.
int leave(int code) {
    if (dist::process_group_created()) {
        std::cout.flush();
        std::cerr.flush();
        std::_Exit(code);
    }
    return code;
}

// CLI11 would answer "A subcommand is required" to a misspelt command: name it instead.
bool known_command(const CLI::App& app, const char* name) {
    std::string known;
    bool found = false;
    for (const auto* sub : app.get_subcommands({})) {
        known += (known.empty() ? "" : ", ") + sub->get_name();
        found = found || sub->get_name() == name;
    }
    if (!found) report_error("unknown command '" + std::string(name) + "' (commands: " + known + ")");
    return found;
}

}  // namespace

int main(int argc, char** argv) {
    prefer_passive_openmp(argv);
    // A peer rank that dies mid-send must give a clear "all-reduce failed" (EPIPE from Gloo's
    // socket), not kill this rank by SIGPIPE: the rehearsal on a fresh Debian (docs/fresh-check.md)
    // caught rank 0 "killed by signal 13". Python ignores SIGPIPE too, so PyTorch ranks see the same.
    std::signal(SIGPIPE, SIG_IGN);
    const cli::Invocation invocation{argc, argv};
    CLI::App app{"ganzoo: train GANs with LibTorch, run them anywhere through one small core"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ganzoo 0.1.0");
    cli::add_models(app);
    cli::add_train(app, invocation);
    cli::add_export(app);
    cli::add_sample(app);
    cli::add_inspect(app);
    cli::add_launch(app, invocation);
    cli::add_train_classifier(app, invocation);
    cli::add_eval(app);
    cli::add_translate(app);
    cli::add_serve(app);
    cli::add_project(app);
    try {
        if (argc > 1 && argv[1][0] != '-' && !known_command(app, argv[1])) return 2;
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Usage errors: one line and exit status 2 (CLI11 would add a second line and use its own codes).
        report_error(std::string(e.what()) + " (see ganzoo --help)");
        return 2;
    } catch (const train::Interrupted& e) {
        // The trainer printed where it stopped and how to continue: no error line.
        return leave(128 + e.signal);
    } catch (const c10::Error& e) {
        report_error(e.what_without_backtrace());
        return leave(1);
    } catch (const std::exception& e) {
        report_error(e.what());
        return leave(1);
    }
    return 0;
}
