// Writes the committed seed corpus (tests/fuzz/corpus/<target>/): small valid inputs made by the
// project, from which libFuzzer mutates. Run by make_corpus.sh; the output is deterministic.
//   usage: make_corpus CORPUS_DIR
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ganzoo/error.hpp"
#include "test_models.hpp"

namespace fs = std::filesystem;
using namespace ganzoo;
using namespace ganzoo::testing;

namespace {

void write(const fs::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    std::printf("  %s (%zu bytes)\n", path.string().c_str(), bytes.size());
}

void model(const fs::path& dir, const std::string& name, const ModelFile& m) {
    try {
        m.load();
    } catch (const Error& e) {
        std::printf("  skipped %s: %s\n", name.c_str(), e.what());
        return;
    }
    write(dir / (name + ".safetensors"), m.bytes());
}

ModelFile tiny_linear() {  // z 3 -> linear -> reshape [1, 2, 2] -> tanh, with a golden check
    ModelFile m;
    m.doc = base_document({1, 2, 2}, {{"z", {{"dim", 3}, {"distribution", "normal"}}}});
    m.add_random("G.w", {4, 3}, 3, 0.5f);
    m.add_random("G.b", {4}, 4, 0.1f, DType::F16);
    m.doc["nets"]["G"] = {{"inputs", {"z"}},
                          {"ops",
                           {{{"op", "linear"}, {"weight", "G.w"}, {"bias", "G.b"}},
                            {{"op", "reshape"}, {"shape", {1, 2, 2}}},
                            {{"op", "tanh"}}}}};
    return m;
}

ModelFile tiny_conditional() {  // z 2 + one_hot(label, 3) -> linear -> [1, 2, 2] -> tanh
    ModelFile m;
    m.doc = base_document({1, 2, 2}, {{"z", {{"dim", 2}}}, {"label", {{"classes", 3}}}});
    m.doc["dataset"]["classes"] = {"a", "b", "c"};
    m.add_random("G.weight", {4, 5}, 12, 0.3f);
    m.doc["nets"]["G"] = {{"inputs", {"z", "label"}},
                          {"ops",
                           {{{"op", "one_hot"}, {"in", {"label"}}, {"out", "y"}, {"classes", 3}},
                            {{"op", "concat"}, {"in", {"z", "y"}}},
                            {{"op", "linear"}, {"weight", "G.weight"}},
                            {{"op", "reshape"}, {"shape", {1, 2, 2}}},
                            {{"op", "tanh"}}}}};
    return m;
}

std::vector<uint8_t> idx(std::vector<uint8_t> dims_magic, const std::vector<uint32_t>& dims, size_t values) {
    std::vector<uint8_t> b = dims_magic;
    for (uint32_t d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
    for (size_t i = 0; i < values; ++i) b.push_back(static_cast<uint8_t>(i * 37));
    return b;
}

std::vector<uint8_t> gzip(const std::vector<uint8_t>& in) {
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<uint8_t> out(in.size() + 64);
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void sink(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(context);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

// An image file with the fuzz target's leading channel byte.
std::vector<uint8_t> image(char kind, int w, int h, int comp, uint8_t channel_byte) {
    std::vector<uint8_t> pixels(size_t(w) * h * comp);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 53 + 7);
    std::vector<uint8_t> out{channel_byte};
    if (kind == 'p') stbi_write_png_to_func(sink, &out, w, h, comp, pixels.data(), w * comp);
    if (kind == 'b') stbi_write_bmp_to_func(sink, &out, w, h, comp, pixels.data());
    if (kind == 'j') stbi_write_jpg_to_func(sink, &out, w, h, comp, pixels.data(), 80);
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const fs::path root = argv[1];
    for (const char* t : {"model_load", "idx", "image"}) fs::create_directories(root / t);

    const fs::path models = root / "model_load";
    model(models, "tiny-linear", tiny_linear());
    ModelFile dcgan = dcgan_test_model(DType::F16);
    add_check(dcgan, 7, 2, 2e-2, 16);
    model(models, "dcgan-f16-check", dcgan);
    model(models, "tiny-conditional", tiny_conditional());
    for (const char* name : {"relu", "leaky_relu", "elu", "sigmoid", "tanh"})
        model(models, name, single_op_model({{"op", name}}, {{2, 2, 2}}));
    model(models, "add", single_op_model({{"op", "add"}}, {{2, 2}, {2, 2}}));
    model(models, "concat", single_op_model({{"op", "concat"}}, {{2, 2}, {3, 2}}));
    {  // ops with weights
        ModelFile m = single_op_model({{"op", "conv2d"}, {"weight", "w"}, {"bias", "b"}, {"stride", 1}, {"padding", 1}},
                                      {{1, 4, 4}});
        m.doc["dataset"]["image"] = {2, 4, 4};
        m.add_random("w", {2, 1, 3, 3}, 9, 0.5f);
        m.add_random("b", {2}, 10, 0.1f);
        model(models, "conv2d", m);
        ModelFile t = single_op_model({{"op", "conv_transpose2d"}, {"weight", "w"}, {"stride", 2}, {"padding", 1}},
                                      {{2, 3, 3}});
        t.add_random("w", {2, 1, 4, 4}, 11, 0.5f);
        model(models, "conv_transpose2d", t);
    }

    const fs::path idx_dir = root / "idx";
    const auto images = idx({0, 0, 8, 3}, {3, 4, 4}, 3 * 4 * 4);
    const auto labels = idx({0, 0, 8, 1}, {5}, 5);
    write(idx_dir / "images.idx3", images);
    write(idx_dir / "labels.idx1", labels);
    write(idx_dir / "images.idx3.gz", gzip(images));
    write(idx_dir / "labels.idx1.gz", gzip(labels));

    const fs::path image_dir = root / "image";
    write(image_dir / "grey.png", image('p', 4, 4, 1, 0));
    write(image_dir / "rgb.png", image('p', 3, 5, 3, 1));
    write(image_dir / "rgba.png", image('p', 4, 2, 4, 2));
    write(image_dir / "grey-alpha.png", image('p', 2, 2, 2, 2));
    write(image_dir / "rgb.bmp", image('b', 5, 3, 3, 0));
    write(image_dir / "grey.jpg", image('j', 8, 8, 1, 1));
    write(image_dir / "rgb.jpg", image('j', 8, 8, 3, 0));
    return 0;
}
