// ganzoo CLI: what the commands share (native/cli/commands/): the invocation, terminal-safe
// text, argument validators, model files and output paths.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ganzoo/image.hpp"
#include "ganzoo/model.hpp"

namespace ganzoo::cli {

// The process as started: main's argc/argv (the command line is recorded in runs and files;
// launch re-executes the binary with it).
struct Invocation {
    int argc = 0;
    char** argv = nullptr;
    std::string command_line() const;  // "ganzoo train dcgan ..."
};

// Text from a file (or the command line) made safe for a terminal: control characters, C0 and
// C1 (U+0080..U+009F, whose CSI starts escape sequences as ESC [ does), and DEL are written as
// \xNN, so a model named "\x1b]0;..." cannot retitle, recolour or clear the terminal.
std::string printable(const std::string& text);

// Seeds are whole numbers 0..2^64-1 written out in full: CLI11 alone would wrap -1 to 2^64-1,
// clamp 2^64 and read "" as 0.
CLI::Validator seed_validator();
// --label K: a class index; -1 used to mean "every class" silently (which K exist, the file says).
CLI::Validator label_validator();

// The largest file the core's limits let through (the header, then every value as F32): a
// larger one is refused by its size, before any of it is read.
uint64_t max_model_bytes(const LoadLimits& limits = {});
// A model file through the core; errors name the file.
Model load_model_file(const std::string& path);

// `path`, its parent folders created.
std::string output_path(const std::string& path);

// --net NAME: one of the file's graphs (ProGAN keeps one per resolution: G, G_4x4, ...).
std::string checked_net(const Model& model, const std::string& net);

// --code NAME=V[,V...] -> one sample's values for each named code of `net`.
std::map<std::string, std::vector<float>> parse_codes(const ModelInfo& info, const std::string& net,
                                                      const std::vector<std::string>& options);

// --net of sample/interpolate: the net named (checked_net), after refusing an image-to-image
// model (CycleGAN, which has no G) with the `translate` command that it takes instead.
std::string generator_net(const Model& model, const std::string& path, const std::string& net);

// The extension of `path`, lower-cased (".png", ".gif"), or "" when it has none.
std::string lower_extension(const std::string& path);

// The image file a path names by its extension: "png" (.png, or none) or "jpeg" (.jpg, .jpeg); any other is
// refused with the two it may be (a PNG written under .jpg was silently what -o out.jpg gave),
// after the checks of train::check_output_path.
std::string image_format(const std::string& path);

// A grid as a PNG or a JPEG (by the path's extension), enlarged `scale` times (nearest neighbour).
// The size is checked first: at most 64 Mi pixels, 256 MiB of RGBA (stb needs about as much again
// to encode it); -n 4096 --scale 16 would be 30718x30718, 3.5 GiB, and ended in "PNG encoding failed".
// Refuses, before anything is generated, a grid of `count` images of `image_shape` ([C, H, W]) in
// `columns` columns whose PNG at `scale` would be over write_grid_image's limit.
void check_grid_image(int64_t count, int64_t columns, const std::vector<int64_t>& image_shape, int scale);
void write_grid_image(const std::string& path, const Grid& grid, int scale);

}  // namespace ganzoo::cli
