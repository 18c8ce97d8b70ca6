#include "dist/launcher.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace ganzoo::dist {
namespace {

// The signal launch received (SIGINT, SIGTERM), to pass on to the ranks.
std::sig_atomic_t volatile g_launch_signal = 0;
void on_launch_signal(int signal) { g_launch_signal = signal; }

}  // namespace

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("launch: cannot open a socket to find a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("launch: cannot find a free loopback port (pass --master ADDR:PORT)");
    return ntohs(address.sin_port);
}

void launch_local(const LaunchPlan& plan) {
    const int64_t count = plan.ranks;
    std::vector<pid_t> pids;
    for (int64_t rank = 0; rank < count; ++rank) {
        std::vector<std::string> args{plan.argv0};
        args.insert(args.end(), plan.args.begin(), plan.args.end());
        for (const std::string& extra : {std::string("--world-size"), std::to_string(count), std::string("--rank"),
                                         std::to_string(rank), std::string("--master"), plan.endpoint})
            args.push_back(extra);
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("launch: fork failed for rank " + std::to_string(rank));
        if (pid == 0) {
            ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
            ::setenv("LOCAL_WORLD_SIZE", std::to_string(count).c_str(), 1);
            std::vector<char*> cargs;
            for (auto& a : args) cargs.push_back(a.data());
            cargs.push_back(nullptr);
            ::execv(plan.program.c_str(), cargs.data());
            std::perror("ganzoo launch: exec");
            std::_Exit(127);
        }
        pids.push_back(pid);
    }
    std::signal(SIGINT, on_launch_signal);
    std::signal(SIGTERM, on_launch_signal);
    using clock = std::chrono::steady_clock;
    int64_t alive = count, failed_rank = -1;
    std::string failure;
    bool failure_by_signal = false, signalled = false;  // signalled: launch itself sent a signal
    std::vector<std::string> also;  // the other ranks that failed
    clock::time_point deadline{};
    while (alive > 0) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            const auto rank = std::find(pids.begin(), pids.end(), pid) - pids.begin();
            if (rank >= count) continue;
            pids[rank] = 0;
            --alive;
            const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            if (!ok) {
                const bool by_signal = WIFSIGNALED(status);
                const std::string what = by_signal ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                   : "exited with status " + std::to_string(WEXITSTATUS(status));
                // The cause first: a rank killed by a signal, over one that exited with an
                // error because its peer was gone (both can be reaped in either order).
                if (failed_rank < 0 || (by_signal && !failure_by_signal && !signalled)) {
                    if (failed_rank >= 0) also.push_back("rank " + std::to_string(failed_rank) + " " + failure);
                    failed_rank = rank;
                    failure = what;
                    failure_by_signal = by_signal;
                } else {
                    also.push_back("rank " + std::to_string(rank) + " " + what);
                }
                if (deadline == clock::time_point{})
                    deadline = clock::now() + std::chrono::milliseconds(static_cast<int64_t>(plan.grace_s * 1000));
            }
            continue;
        }
        if (pid < 0 && errno != EINTR) break;
        if (const int signal = g_launch_signal) {
            g_launch_signal = 0;
            signalled = true;
            for (const pid_t p : pids)
                if (p > 0) ::kill(p, signal);
        }
        if (failed_rank >= 0 && clock::now() > deadline) {
            signalled = true;
            for (const pid_t p : pids)
                if (p > 0) ::kill(p, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (failed_rank >= 0) {
        std::string others;
        for (const auto& a : also) others += (others.empty() ? " (then " : ", ") + a;
        throw std::runtime_error("launch: rank " + std::to_string(failed_rank) + " of " + std::to_string(count) + " " +
                                 failure + (others.empty() ? "" : others + ")"));
    }
}

}  // namespace ganzoo::dist
