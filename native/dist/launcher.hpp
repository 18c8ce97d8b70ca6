// `ganzoo launch -n N train ...`: N local ranks of one program, started and watched together.
// No LibTorch here: the ranks meet through c10d themselves (data_parallel.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ganzoo::dist {

struct LaunchPlan {
    std::string program;             // what each rank executes, e.g. /proc/self/exe
    std::string argv0;               // its argv[0]
    std::vector<std::string> args;   // the arguments every rank shares
    int64_t ranks = 2;
    std::string endpoint;            // ADDR:PORT of rank 0, passed as --master
    double grace_s = 30;             // after a rank fails, the others get this long before SIGKILL
};

// A free TCP port on 127.0.0.1 (bound, read back and released).
int free_loopback_port();

// Starts rank r as `argv0 args... --world-size N --rank r --master ENDPOINT`, with LOCAL_RANK and
// LOCAL_WORLD_SIZE in its environment, then waits for all. SIGINT and SIGTERM are passed on to
// every rank. When one fails, the rest get grace_s to stop by themselves, then SIGKILL; the error
// (std::runtime_error) names the rank that failed first, preferring a rank killed by a signal (the
// cause) over one that exited because its peer was gone, and the others after it.
void launch_local(const LaunchPlan& plan);

}  // namespace ganzoo::dist
