// `ganzoo serve RUN... [--port P] [--host H] [--web DIR]`: the page over HTTP, with a live view
// of the runs named (their live/ snapshots, written by `ganzoo train --live`).
#include "cli/commands/commands.hpp"

#include <signal.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "serve/server.hpp"

namespace ganzoo::cli {

namespace {

struct ServeCommand {
    std::vector<std::string> runs;
    std::string web = GANZOO_SOURCE_DIR "/web";
    std::string host = "127.0.0.1";
    int port = 8000;
};

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop = true; }

bool loopback(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.compare(0, 4, "127.") == 0;
}

void run_serve(const ServeCommand& command) {
    serve::Options options;
    options.runs = command.runs;
    options.web_root = command.web;
    options.host = command.host;
    options.port = command.port;
    serve::Server server(options);
    struct sigaction action{};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    if (!loopback(command.host))
        std::fprintf(stderr,
                     "ganzoo serve: warning: listening on %s: anyone who can reach this machine can read these "
                     "runs' logs and weights (the default, 127.0.0.1, keeps them local; see README, \"Watch it learn\")\n",
                     command.host.c_str());
    const bool v6 = command.host.find(':') != std::string::npos;
    const std::string shown = v6 ? "[" + command.host + "]" : command.host;
    for (const auto& run : server.site().runs())
        std::printf("ganzoo serve: run '%s' from %s\n", run.id.c_str(), run.dir.c_str());
    std::printf("serving on http://%s:%d/ (Ctrl-C stops)\n", shown.c_str(), server.port());
    std::fflush(stdout);
    server.run(g_stop);
}

}  // namespace

void add_serve(CLI::App& app) {
    auto command = std::make_shared<ServeCommand>();
    auto* cmd = app.add_subcommand(
        "serve", "serve the web page with a live view of training runs (ganzoo train --live) on 127.0.0.1");
    cmd->add_option("runs", command->runs, "run directories to watch (they may not exist yet)");
    cmd->add_option("--port", command->port, "port; 0 picks a free one")->check(CLI::Range(0, 65535));
    cmd->add_option("--host", command->host, "address to listen on; other than 127.0.0.1 exposes the runs (a warning)");
    cmd->add_option("--web", command->web, "the page's folder")->check(CLI::ExistingDirectory);
    cmd->callback([command] { run_serve(*command); });
}

}  // namespace ganzoo::cli
