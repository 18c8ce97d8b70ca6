// `ganzoo launch -n N train ...`: N local ranks of the same training command (the process
// launcher is native/dist/launcher.hpp), on a free loopback port unless --master says otherwise.
#include <memory>
#include <stdexcept>

#include "cli/commands/commands.hpp"
#include "dist/data_parallel.hpp"
#include "dist/launcher.hpp"

namespace ganzoo::cli {
namespace {

struct LaunchOptions {
    int64_t count = 2;
    std::string master;
    double grace = 30;
    std::vector<std::string> rest;  // `train MODEL [options]`, each rank's command
};

void run_launch(const LaunchOptions& o, const Invocation& invocation) {
    if (o.rest.empty() || o.rest[0] != "train")
        throw std::runtime_error("launch: expected `ganzoo launch -n N train MODEL [options]`" +
                                 (o.rest.empty() ? std::string() : ", got '" + o.rest[0] + "'"));
    for (const auto& arg : o.rest)
        for (const char* own : {"--world-size", "--rank", "--master"})
            if (arg == own || arg.rfind(std::string(own) + "=", 0) == 0)
                throw std::runtime_error(std::string("launch: ") + own +
                                         " is set by launch for each rank; leave it out of the train options");
    dist::LaunchPlan plan;
    plan.program = "/proc/self/exe";
    plan.argv0 = invocation.argv[0];
    plan.args = o.rest;
    plan.ranks = o.count;
    plan.endpoint = o.master.empty() ? "127.0.0.1:" + std::to_string(dist::free_loopback_port()) : o.master;
    plan.grace_s = o.grace;
    dist::Options check;
    check.world_size = o.count;
    check.master = plan.endpoint;
    dist::check_options(check);
    dist::launch_local(plan);
}

}  // namespace

void add_launch(CLI::App& app, const Invocation& invocation) {
    auto* cmd = app.add_subcommand("launch", "run N local ranks of `ganzoo train` (data-parallel; docs/distributed.md)");
    auto o = std::make_shared<LaunchOptions>();
    cmd->add_option("-n,--nproc", o->count, "ranks to start on this machine")->check(CLI::Range(1, 1024));
    cmd->add_option("--master", o->master, "ADDR:PORT where the ranks meet (default 127.0.0.1 and a free port)");
    cmd->add_option("--grace", o->grace, "seconds the other ranks get to stop by themselves after one fails, then SIGKILL")
        ->check(CLI::Range(0.0, 86400.0));
    cmd->prefix_command();  // everything from `train` on is the command each rank runs
    cmd->callback([cmd, o, invocation] {
        o->rest = cmd->remaining();
        run_launch(*o, invocation);
    });
}

}  // namespace ganzoo::cli
