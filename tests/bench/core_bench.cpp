// core_bench MODEL.safetensors [--runs N] [--batches 1,64]: median ms of Model::generate at each
// batch size with the core as built: natively, or with em++ for node (the wasm preset's
// ganzoo_core_bench target: node --no-experimental-fetch build/wasm/wasm/ganzoo_core_bench.js
// MODEL). When the core is built with GANZOO_PROFILE (that target's is), also where the time
// goes: each op's median ms per call and its share of their sum. A benchmark driver, not a test.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ganzoo/error.hpp"
#include "ganzoo/model.hpp"

#ifdef GANZOO_PROFILE
#include <map>
#include <utility>
namespace ganzoo::graph {
std::map<std::pair<int, std::string>, double> take_op_profile();  // shared/src/graph_run.cpp
}
#endif

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL.safetensors [--runs N] [--batches 1,64]\n", argv[0]);
        return 2;
    }
    int runs = 15;
    std::vector<int64_t> batches = {1, 64};
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--batches")) {
            batches.clear();
            std::stringstream s(argv[i + 1]);
            for (std::string b; std::getline(s, b, ',');) batches.push_back(std::atoll(b.c_str()));
        }
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        const ganzoo::Model model = ganzoo::Model::load(bytes.data(), bytes.size());
        for (int64_t batch : batches) {
            ganzoo::GenerateRequest req;
            req.count = batch;
            std::vector<double> t;
            double checksum = 0;
            // Warm-up: at least 3 calls and 1 s (under node, wasm starts in V8's baseline tier).
            const auto warm = std::chrono::steady_clock::now();
            for (int i = 0; i < 3 || ms_since(warm) < 1000; ++i) {
                req.seed = static_cast<uint64_t>(1000 + i);
                model.generate(req);
            }
#ifdef GANZOO_PROFILE
            ganzoo::graph::take_op_profile();
#endif
#ifdef GANZOO_PROFILE
            std::map<std::pair<int, std::string>, std::vector<double>> op_ms;
#endif
            for (int i = 0; i < runs; ++i) {
                req.seed = static_cast<uint64_t>(100 + i);
                const auto t0 = std::chrono::steady_clock::now();
                const ganzoo::Tensor out = model.generate(req);
                t.push_back(ms_since(t0));
                checksum += out.data[out.data.size() / 2];
#ifdef GANZOO_PROFILE
                for (const auto& [op, ms] : ganzoo::graph::take_op_profile()) op_ms[op].push_back(ms);
#endif
            }
            std::sort(t.begin(), t.end());
            std::printf("batch %3lld: median %8.3f ms  min %8.3f ms  (%d runs after warm-up; checksum %.6g)\n",
                        static_cast<long long>(batch), t[t.size() / 2], t.front(), runs, checksum);
#ifdef GANZOO_PROFILE
            // Medians per op: a rare slow call (a page fault, another process) moves a mean.
            std::map<std::pair<int, std::string>, double> medians;
            double total = 0;
            for (auto& [op, ms] : op_ms) {
                std::sort(ms.begin(), ms.end());
                total += medians[op] = ms[ms.size() / 2];
            }
            for (const auto& [op, ms] : medians)
                std::printf("    op %2d %-18s %8.3f ms  %5.1f%%\n", op.first, op.second.c_str(), ms, 100.0 * ms / total);
            std::printf("    (sum of the ops' medians %.3f ms; the rest of generate(): latents, checks, copies)\n", total);
#endif
        }
    } catch (const ganzoo::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
