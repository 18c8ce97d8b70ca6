// `ganzoo translate`: image-to-image models (CycleGAN) through the inference core, on any image
// or on the held-out examples the file stores (its ModelInfo's domains).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <tuple>

#include "cli/commands/commands.hpp"
#include "data/dataset.hpp"
#include "ganzoo/image.hpp"
#include "train/files.hpp"

namespace ganzoo::cli {
namespace {

struct TranslateOptions {
    std::string file, input, direction = "AB", out = "translated.png";
    bool examples = false;
    int64_t scale = 1;
};

// Rows x, G_AB(x), G_BA(G_AB(x)) of every example of A, then the same from B.
void translate_examples(const Model& model, const TranslateOptions& o) {
    const ModelInfo& info = model.info();
    const Domain &da = *info.domain("A"), &db = *info.domain("B");
    if (da.count == 0 || db.count == 0)
        throw std::runtime_error("the model stores no example images (inputs.image.examples." +
                                 std::string(da.count == 0 ? "A" : "B") + ".pixels)");
    const Tensor a = example_images(info, da), b = example_images(info, db);
    const float lo = info.range_lo, hi = info.range_hi;
    const int64_t columns = std::max(a.dim(0), b.dim(0)), per = info.channels * info.height * info.width;
    // Six rows of `columns`: a short domain's row is padded with the range's low end.
    Tensor grid = Tensor::zeros({6 * columns, info.channels, info.height, info.width});
    std::fill(grid.data.begin(), grid.data.end(), lo);
    int64_t row = 0;
    for (const auto& [x, there, back] : {std::tuple{&a, "G_AB", "G_BA"}, std::tuple{&b, "G_BA", "G_AB"}}) {
        const Tensor y = model.translate(*x, there);
        const Tensor z = model.translate(y, back);
        for (const Tensor* t : {static_cast<const Tensor*>(x), &y, &z})
            std::copy(t->data.begin(), t->data.end(), grid.data.begin() + (row++) * columns * per);
    }
    write_grid_image(o.out, tile_grid(grid, lo, hi, static_cast<int>(columns)), static_cast<int>(o.scale));
    std::printf("wrote %s: rows %s, G_AB, G_BA(G_AB); %s, G_BA, G_AB(G_BA) (%lld held-out images each)\n", o.out.c_str(),
                printable(da.class_name).c_str(), printable(db.class_name).c_str(), (long long)columns);
}

// An image of any size and colour becomes the model's input: converted to its channels, centre-
// cropped to its aspect ratio, then resized by area averaging (ganzoo/image.hpp, area_resize).
void translate_input(const Model& model, const TranslateOptions& o) {
    const ModelInfo& info = model.info();
    if (info.channels != 1 && info.channels != 3)
        throw std::runtime_error("translate: the model's images have " + std::to_string(info.channels) +
                                 " channels (1 or 3 can be read)");
    data::DecodedImage image;
    try {
        image = data::decode_image(train::read_file(o.input), o.input, static_cast<int>(info.channels));
    } catch (const data::DataError& e) {
        throw std::runtime_error(std::string("translate: ") + e.what());
    }
    const auto pixels = area_resize(image.pixels, info.channels, image.height, image.width, info.height, info.width);
    const float lo = info.range_lo, hi = info.range_hi;
    Tensor x = Tensor::zeros({1, info.channels, info.height, info.width});
    for (size_t i = 0; i < pixels.size(); ++i) x.data[i] = lo + (hi - lo) * static_cast<float>(pixels[i]) / 255.0f;
    const bool ab = o.direction == "AB";
    const Tensor y = model.translate(x, ab ? "G_AB" : "G_BA");
    write_grid_image(o.out, tile_grid(y, lo, hi, 1), static_cast<int>(o.scale));
    std::printf("wrote %s: %s -> %s (%lldx%lld input as %lldx%lld)\n", o.out.c_str(),
                printable(info.domains[ab ? 0 : 1].class_name).c_str(), printable(info.domains[ab ? 1 : 0].class_name).c_str(),
                (long long)image.width, (long long)image.height, (long long)info.width, (long long)info.height);
}

void run_translate(const TranslateOptions& o) {
    if (o.examples == !o.input.empty()) throw std::runtime_error("translate: give either --input IMAGE or --examples");
    image_format(o.out);
    const Model model = load_model_file(o.file);
    if (!model.info().translates())
        throw std::runtime_error("translate: " + o.file +
                                 " is not an image-to-image model (it has no inputs.image.domains and nets G_AB, G_BA)");
    if (o.examples) translate_examples(model, o);
    else translate_input(model, o);
}

}  // namespace

void add_translate(CLI::App& app) {
    auto* cmd = app.add_subcommand("translate", "translate images with an image-to-image model (CycleGAN) through the inference core");
    auto o = std::make_shared<TranslateOptions>();
    cmd->add_option("file", o->file, "a ganzoo .safetensors file with nets G_AB and G_BA")->required()->check(CLI::ExistingFile);
    cmd->add_option("--input", o->input, "a PNG/JPEG/BMP image (any size and colour: converted to the model's shape)");
    cmd->add_option("--direction", o->direction, "AB (default: G_AB, domain A to B) or BA")->check(CLI::IsMember({"AB", "BA"}));
    cmd->add_flag("--examples", o->examples,
                  "the stored held-out images instead: rows x, G_AB(x), G_BA(G_AB(x)) for domain A, then the same from B");
    cmd->add_option("--scale", o->scale, "enlarge the image N times (nearest neighbour)")->check(CLI::Range(1, 16));
    cmd->add_option("-o,--output", o->out, "image file: .png, or .jpg/.jpeg for JPEG");
    cmd->callback([o] { run_translate(*o); });
}

}  // namespace ganzoo::cli
