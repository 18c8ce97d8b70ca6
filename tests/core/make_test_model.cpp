// ganzoo_make_test_model OUT.safetensors [f16]: writes the DCGAN-shaped test model (random
// weights) with a golden check from the naive reference, for the wasm parity test.
#include <cstdio>
#include <cstring>
#include <fstream>

#include "test_models.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s OUT.safetensors [f16]\n", argv[0]);
        return 2;
    }
    const bool f16 = argc > 2 && std::strcmp(argv[2], "f16") == 0;
    ganzoo::testing::ModelFile m =
        ganzoo::testing::dcgan_test_model(f16 ? ganzoo::DType::F16 : ganzoo::DType::F32);
    ganzoo::testing::add_check(m, 20240601, 4, f16 ? 2e-2 : 1e-4);
    const std::vector<uint8_t> bytes = m.bytes();
    std::ofstream out(argv[1], std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", argv[1]);
        return 1;
    }
    std::printf("wrote %s (%zu bytes)\n", argv[1], bytes.size());
    return 0;
}
