// core_forward MODEL.safetensors: loads a model, re-runs its stored check, generates seed 7
// count 5 and prints a few values, the mean and the L2 norm with %.9g. Built natively and with
// em++ by tests/wasm/run.sh, which compares the two outputs.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "ganzoo/error.hpp"
#include "ganzoo/model.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s MODEL.safetensors\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    try {
        const ganzoo::Model model = ganzoo::Model::load(bytes.data(), bytes.size());
        const ganzoo::CheckResult check = model.verify();
        std::printf("# %s\n", check.message.c_str());
        ganzoo::GenerateRequest req;
        req.seed = 7;
        req.count = 5;
        const ganzoo::Tensor out = model.generate(req);
        double sum = 0, squares = 0;
        for (float v : out.data) {
            sum += v;
            squares += double(v) * v;
        }
        const size_t step = out.data.size() / 8;
        for (size_t k = 0; k < 8; ++k)
            std::printf("value[%zu] %.9g\n", k * step + 100, out.data[k * step + 100]);
        std::printf("mean %.9g\n", sum / static_cast<double>(out.data.size()));
        std::printf("l2 %.9g\n", std::sqrt(squares));
        std::printf("# check max |diff| %.3g\n", check.max_abs_diff);
        return check.passed ? 0 : 3;
    } catch (const ganzoo::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
