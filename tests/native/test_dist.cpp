// Data-parallel training (native/dist, docs/distributed.md) through the ganzoo binary, as users
// run it: 2 ranks on localhost over Gloo equal one process with the doubled batch, and a rank
// that dies or stops answering makes the others exit with a clear error instead of hanging.
//   native.dist_equivalence: test_dist "[equivalence]"     native.dist_dead_rank: test_dist "[dead_rank]"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "train/trainer.hpp"

// LibTorch pulls in glog, whose CHECK macro would shadow Catch's: Catch comes last.
#undef CHECK
#include <catch2/catch.hpp>

namespace fs = std::filesystem;

namespace {

const std::string kGanzoo = GANZOO_BIN;

std::string fresh_dir(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("ganzoo-dist-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir.string();
}

std::string text_of(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(fd);
    return ntohs(a.sin_port);
}

// Starts ganzoo with `args`, stdout and stderr to `log`.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<std::string> all{kGanzoo};
        all.insert(all.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : all) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(kGanzoo.c_str(), argv.data());
        std::_Exit(127);
    }
    return pid;
}

struct Exit {
    bool finished = false;  // false: still running after the wait
    int code = -1;          // exit status, or -signal
    double seconds = 0;
};

Exit wait_for(pid_t pid, double limit_s) {
    const auto start = std::chrono::steady_clock::now();
    Exit e;
    for (;;) {
        int status = 0;
        e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            e.finished = true;
            e.code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            return e;
        }
        if (e.seconds > limit_s) return e;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

int run(const std::vector<std::string>& args, const std::string& log) {
    const pid_t pid = spawn(args, log);
    const Exit e = wait_for(pid, 300);
    if (!e.finished) kill_and_reap(pid);
    INFO(text_of(log));
    REQUIRE(e.finished);
    return e.code;
}

std::map<std::string, torch::Tensor> parameters_of(const std::string& path) {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    std::map<std::string, torch::Tensor> out;
    for (const auto& key : archive.keys()) {
        torch::Tensor t;
        archive.read(key, t);
        out[key] = t;
    }
    return out;
}

// The largest relative difference ‖a − b‖₂ / ‖b‖₂ over each network's whole parameter vector
// ("G", "D"), printing every tensor's largest absolute and relative difference on the way. Per
// tensor is too strict a measure: Adam divides by √v, so where a gradient element is ~0 (the
// layer norm's shift in WGAN-GP's critic) float summation noise becomes an O(lr) step, and
// such a tensor can differ by 1e-3 relative while its network agrees to 1e-7.
double compare(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b,
               const std::string& what) {
    REQUIRE(a.size() == b.size());
    REQUIRE(!a.empty());
    std::map<std::string, std::pair<double, double>> networks;  // name → (‖a − b‖², ‖b‖²)
    for (const auto& [name, ta] : a) {
        REQUIRE(b.count(name) == 1);
        const auto& tb = b.at(name);
        REQUIRE(ta.sizes() == tb.sizes());
        const auto da = ta.to(torch::kDouble), db = tb.to(torch::kDouble);
        const double diff2 = (da - db).pow(2).sum().item<double>(), norm2 = db.pow(2).sum().item<double>();
        std::printf("  %-22s %-12s max |diff| %.3e  relative %.3e\n", what.c_str(), name.c_str(),
                    (da - db).abs().max().item<double>(), norm2 > 0 ? std::sqrt(diff2 / norm2) : std::sqrt(diff2));
        auto& net = networks[name.substr(0, name.find('.'))];
        net.first += diff2;
        net.second += norm2;
    }
    double worst = 0;
    for (const auto& [net, sums] : networks) {
        const double rel = std::sqrt(sums.first / sums.second);
        std::printf("  %-22s %-12s relative %.3e (whole network)\n", what.c_str(), net.c_str(), rel);
        worst = std::max(worst, rel);
    }
    return worst;
}

// K steps of `model` on 2 ranks × batch b (ganzoo launch) and on 1 process × 2b, same seed.
void check_equivalence(const std::string& model, const std::vector<std::string>& options, int64_t b) {
    const auto dir = fresh_dir(model);
    std::vector<std::string> common{"train", model, "--limit", "256", "--threads", "1", "--device", "cpu", "--seed", "3"};
    common.insert(common.end(), options.begin(), options.end());

    // Every rank writes its final parameters (the fault plan's parameters:DIR).
    auto dist = common;
    for (const std::string& a : {std::string("--batch"), std::to_string(b), std::string("--dist-timeout"), std::string("60"),
                                 std::string("--fault"), "parameters:" + dir + "/dist-params", std::string("--out"), dir + "/dist"})
        dist.push_back(a);
    dist.insert(dist.begin(), {"launch", "-n", "2"});
    REQUIRE(run(dist, dir + "/dist.log") == 0);

    auto single = common;
    for (const std::string& a : {std::string("--batch"), std::to_string(2 * b), std::string("--fault"),
                                 "parameters:" + dir + "/single-params", std::string("--out"), dir + "/single"})
        single.push_back(a);
    REQUIRE(run(single, dir + "/single.log") == 0);

    const auto rank0 = parameters_of(dir + "/dist-params/rank0.pt");
    const auto rank1 = parameters_of(dir + "/dist-params/rank1.pt");
    const auto one = parameters_of(dir + "/single-params/rank0.pt");
    std::printf("%s: 2 ranks x batch %lld vs 1 process x batch %lld\n", model.c_str(), static_cast<long long>(b),
                static_cast<long long>(2 * b));
    const double ranks = compare(rank0, rank1, "rank 0 vs rank 1");
    const double versus_single = compare(rank0, one, "rank 0 vs single 2b");
    std::printf("%s: worst relative difference: ranks %.3e, vs single process %.3e (tolerance 1e-5)\n", model.c_str(), ranks,
                versus_single);
    CHECK(ranks <= 1e-5);
    CHECK(versus_single <= 1e-5);

    // Only rank 0 wrote the run directory; it records the process group and its figures.
    const auto summary = text_of(dir + "/dist/summary.json");
    CHECK(summary.find("\"world_size\": 2") != std::string::npos);
    CHECK(summary.find("\"backend\": \"gloo\"") != std::string::npos);
    CHECK(fs::exists(dir + "/dist/checkpoints/latest.pt"));
    CHECK(text_of(dir + "/dist/log.csv").find("allreduce_ms") != std::string::npos);
    fs::remove_all(dir);
}

}  // namespace

TEST_CASE("2 Gloo ranks x batch b = 1 process x batch 2b: WGAN-GP (gradient penalty, n_critic 5, no batch norm)",
          "[equivalence]") {
    // The generator without batch norm: a sample's output depends on its own z only (batch
    // norm couples the samples of a rank's shard; docs/distributed.md).
    check_equivalence("wgan-gp", {"--steps", "12", "--width", "4", "--z-dim", "8", "--set", "generator_norm=\"none\""}, 8);
}

TEST_CASE("2 Gloo ranks x batch b = 1 process x batch 2b: BEGAN (k_t moved by the global batch's losses)",
          "[equivalence]") {
    check_equivalence("began", {"--steps", "6", "--width", "4", "--z-dim", "8"}, 4);
}

TEST_CASE("a rank that dies or stops answering makes the other exit non-zero with one clear line, in bounded time",
          "[dead_rank]") {
    const auto dir = fresh_dir("dead");
    // The fault plan makes rank 1 die or hang at the start of step 4.
    auto rank_args = [&](int64_t rank, int port, const std::string& timeout, const std::string& kind) {
        return std::vector<std::string>{"train", "wgan-gp", "--steps", "50", "--limit", "256", "--batch", "8",
                                        "--width", "4", "--z-dim", "8", "--threads", "1", "--device", "cpu",
                                        "--world-size", "2", "--rank", std::to_string(rank), "--master",
                                        "127.0.0.1:" + std::to_string(port), "--dist-timeout", timeout,
                                        "--rendezvous-timeout", "120", "--fault", kind + ":1:4", "--out", dir + "/" + kind};
    };
    for (const std::string kind : {"die", "hang"}) {
        INFO(kind);
        const int port = free_port();
        // A crash closes rank 1's sockets (Gloo notices at once); a hang leaves them open, and
        // only the timeout (3 s here) ends the wait.
        const std::string timeout = kind == "die" ? "60" : "3";
        const pid_t r0 = spawn(rank_args(0, port, timeout, kind), dir + "/" + kind + "-0.log");
        const pid_t r1 = spawn(rank_args(1, port, timeout, kind), dir + "/" + kind + "-1.log");
        const Exit e0 = wait_for(r0, 90);
        const Exit e1 = wait_for(r1, kind == "die" ? 10 : 0);
        if (!e0.finished) kill_and_reap(r0);
        if (!e1.finished) kill_and_reap(r1);
        const auto log0 = text_of(dir + "/" + kind + "-0.log");
        std::printf("%s: rank 0 exited %d after %.1f s: %s", kind.c_str(), e0.code, e0.seconds,
                    log0.substr(log0.rfind("ganzoo: error") == std::string::npos ? 0 : log0.rfind("ganzoo: error")).c_str());
        INFO(log0);
        REQUIRE(e0.finished);
        CHECK(e0.code == 1);
        CHECK(log0.find("ganzoo: error: rank 0 of 2: ") != std::string::npos);
        CHECK(log0.find("failed: ") != std::string::npos);
        CHECK(log0.find("all-reduce") != std::string::npos);  // in training, not at the rendezvous
        if (kind == "die") {
            CHECK(e1.code == -SIGKILL);
            CHECK(e0.seconds < 60);
        } else {
            CHECK(log0.find("Timed out") != std::string::npos);
            CHECK(e0.seconds < 45);  // 3 s timeout + start-up on a loaded machine
        }
    }

    // Through `ganzoo launch`: the dead rank's status is reported, the survivor stops by itself.
    const auto log = dir + "/launch.log";
    const pid_t launch = spawn({"launch", "-n", "2", "--grace", "30", "train", "wgan-gp", "--steps", "50", "--limit", "256",
                                "--batch", "8", "--width", "4", "--z-dim", "8", "--threads", "1", "--device", "cpu",
                                "--dist-timeout", "60", "--fault", "die:1:4", "--out", dir + "/launch"},
                               log);
    const Exit e = wait_for(launch, 120);
    if (!e.finished) kill_and_reap(launch);
    const auto text = text_of(log);
    INFO(text);
    REQUIRE(e.finished);
    CHECK(e.code == 1);
    CHECK(text.find("launch: rank 1 of 2 was killed by signal 9") != std::string::npos);
    CHECK(text.find("ganzoo: error: rank 0 of 2: ") != std::string::npos);
    fs::remove_all(dir);
}
