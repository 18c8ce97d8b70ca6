// ganzoo_make_studio_models DIR: small files in the shapes of the members whose real weights are
// not shipped yet, for the studio's panels (tests/studio/studio_test.py):
//   DIR/progan-test.safetensors    nets G_4x4, G_8x8 and G (28x28), each fed z (resolution stages)
//   DIR/cyclegan-test.safetensors  nets G_AB and G_BA on "image" [1, 28, 28], no z, and
//                                  inputs.image.examples: two held-out images per domain
//                                  (docs/format.md, "Image-to-image models")
// Random weights: what the studio is tested for is that it finds and runs what the file declares.
#include <cstdio>
#include <fstream>
#include <string>

#include "../core/test_models.hpp"

using ganzoo::testing::base_document;
using ganzoo::testing::ModelFile;

namespace {

bool write(const ModelFile& m, const std::string& path) {
    const std::vector<uint8_t> bytes = m.bytes();
    m.load();  // the core accepts it
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
    return true;
}

// z 16 -> linear -> reshape [1, side, side] -> tanh, as net `name`.
void add_stage(ModelFile& m, const std::string& name, int64_t side, uint32_t seed) {
    m.add_random(name + ".weight", {side * side, 16}, seed, 0.4f);
    m.doc["nets"][name] = {{"inputs", {"z"}},
                           {"ops",
                            {{{"op", "linear"}, {"weight", name + ".weight"}},
                             {{"op", "reshape"}, {"shape", {1, side, side}}},
                             {{"op", "tanh"}}}}};
}

// image -> conv2d 3x3 (padding 1) -> tanh, as net `name`.
void add_translator(ModelFile& m, const std::string& name, uint32_t seed) {
    m.add_random(name + ".weight", {1, 1, 3, 3}, seed, 0.6f);
    m.add_random(name + ".bias", {1}, seed + 1, 0.2f);
    m.doc["nets"][name] = {{"inputs", {"image"}},
                           {"ops",
                            {{{"op", "conv2d"}, {"weight", name + ".weight"}, {"bias", name + ".bias"}, {"stride", 1}, {"padding", 1}},
                             {{"op", "tanh"}}}}};
}

// A 28x28 test picture: a filled square or a ring, per domain, shifted per example.
std::vector<int> picture(bool ring, int shift) {
    std::vector<int> px(28 * 28, 0);
    for (int y = 0; y < 28; ++y)
        for (int x = 0; x < 28; ++x) {
            const int dx = x - 14 - shift, dy = y - 14 + shift;
            const int r2 = dx * dx + dy * dy;
            const bool on = ring ? (r2 > 36 && r2 < 100) : (std::abs(dx) < 7 && std::abs(dy) < 7);
            px[static_cast<size_t>(y * 28 + x)] = on ? 230 : 20;
        }
    return px;
}

}  // namespace

int main(int argc, char** argv) {
    const char* usage = "usage: ganzoo_make_studio_models DIR\n"
                        "Writes DIR/progan-test.safetensors and DIR/cyclegan-test.safetensors: small files in\n"
                        "the shapes of ProGAN (resolution stages) and CycleGAN (G_AB, G_BA, held-out examples).\n";
    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::fputs(usage, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        std::fprintf(stderr, "%s", usage);
        return 2;
    }
    const std::string dir = argv[1];
    try {
        ModelFile progan;
        progan.doc = base_document({1, 28, 28}, {{"z", {{"dim", 16}, {"distribution", "normal"}}}});
        progan.doc["family"] = "progan";
        progan.doc["name"] = "progan-test";
        add_stage(progan, "G_4x4", 4, 31);
        add_stage(progan, "G_8x8", 8, 32);
        add_stage(progan, "G", 28, 33);

        ModelFile cycle;
        cycle.doc = base_document({1, 28, 28}, {{"image", {{"shape", {1, 28, 28}}}}});
        cycle.doc["dataset"]["classes"] = {"square", "ring"};
        cycle.doc["family"] = "cyclegan";
        cycle.doc["name"] = "cyclegan-test";
        add_translator(cycle, "G_AB", 41);
        add_translator(cycle, "G_BA", 43);
        cycle.doc["inputs"]["image"]["domains"] = {{"A", "square"}, {"B", "ring"}};
        cycle.doc["inputs"]["image"]["examples"] = {
            {"A", {{"class", "square"}, {"split", "test"}, {"pixels", {picture(false, 0), picture(false, 3)}}}},
            {"B", {{"class", "ring"}, {"split", "test"}, {"pixels", {picture(true, 0), picture(true, -3)}}}}};
        cycle.doc["training"] = {{"command", "make_studio_models"}, {"epochs", 0}, {"metrics", {{"cycle_l1", 0.5}}}};

        if (!write(progan, dir + "/progan-test.safetensors") || !write(cycle, dir + "/cyclegan-test.safetensors")) return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_studio_models: %s\n", e.what());
        return 1;
    }
    return 0;
}
