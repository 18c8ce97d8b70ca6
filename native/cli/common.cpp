#include "cli/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "ganzoo/error.hpp"
#include "ganzoo/safetensors.hpp"
#include "train/files.hpp"

namespace fs = std::filesystem;

namespace ganzoo::cli {

std::string Invocation::command_line() const {
    std::string command = "ganzoo";
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    return command;
}

std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        const bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F;
        if (c < 0x20 || c == 0x7F || c1) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c1 ? next : c);
            out += hex;
            i += c1 ? 1 : 0;
        } else {
            out += text[i];
        }
    }
    return out;
}

CLI::Validator seed_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            const std::string most = std::to_string(UINT64_MAX);
            const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
            const std::string trimmed = digits ? text.substr(std::min(text.find_first_not_of('0'), text.size() - 1)) : text;
            if (!digits || trimmed.size() > most.size() || (trimmed.size() == most.size() && trimmed > most))
                return "a seed is a whole number 0.." + most + ", got '" + text + "'";
            return {};
        },
        "SEED", "seed");
}

CLI::Validator label_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            return !text.empty() && text[0] == '-' ? "a class index is 0 or more, got " + text : std::string();
        },
        "K", "label");
}

uint64_t max_model_bytes(const LoadLimits& limits) {
    return 8 + limits.max_header_bytes + limits.max_total_elements * 4;
}

// Reads the header and the tensors alone: padding after the last tensor is never read.
Model load_model_file(const std::string& path) {
    try {
        const auto bytes = train::read_file_prefix(path, max_model_bytes(), "a model",
                                                   [](const uint8_t* prefix, size_t prefix_size, uint64_t file_size) {
                                                       return safetensors_extent(prefix, prefix_size, file_size);
                                                   });
        return Model::load(bytes.data(), bytes.size());
    } catch (const Error& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

std::string output_path(const std::string& path) {
    const auto parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    return path;
}

std::string checked_net(const Model& model, const std::string& net) {
    const auto& nets = model.info().nets;
    if (std::find(nets.begin(), nets.end(), net) != nets.end()) return net;
    std::string known;
    for (const auto& n : nets) known += (known.empty() ? "" : ", ") + n;
    throw std::runtime_error("--net " + net + ": the file has no such net (it has " + known + ")");
}

std::map<std::string, std::vector<float>> parse_codes(const ModelInfo& info, const std::string& net,
                                                      const std::vector<std::string>& options) {
    std::vector<const InputInfo*> declared;
    for (const InputInfo* c : info.conditions(net))
        if (c->kind == InputKind::Categorical || c->kind == InputKind::Continuous) declared.push_back(c);
    std::map<std::string, std::vector<float>> codes;
    for (const std::string& option : options) {
        const auto eq = option.find('=');
        const std::string name = option.substr(0, eq);
        const auto it = std::find_if(declared.begin(), declared.end(), [&](const InputInfo* c) { return c->name == name; });
        if (eq == std::string::npos || it == declared.end()) {
            std::string known;
            for (const InputInfo* c : declared) known += (known.empty() ? "" : ", ") + c->name;
            throw std::runtime_error("--code '" + option + "': expected NAME=V[,V...] with NAME one of the model's codes (" +
                                     (known.empty() ? "it has none" : known) + ")");
        }
        std::vector<float> values;
        std::stringstream list(option.substr(eq + 1));
        for (std::string item; std::getline(list, item, ',');) {
            char* end = nullptr;
            const float v = std::strtof(item.c_str(), &end);
            if (item.empty() || *end != '\0' || !std::isfinite(v))
                throw std::runtime_error("--code " + name + ": '" + item + "' is not a number");
            values.push_back(v);
        }
        if (static_cast<int64_t>(values.size()) != (*it)->size)
            throw std::runtime_error("--code " + name + ": takes " + std::to_string((*it)->size) + " value(s), got " +
                                     std::to_string(values.size()));
        codes[name] = values;
    }
    return codes;
}

std::string generator_net(const Model& model, const std::string& path, const std::string& net) {
    const ModelInfo& info = model.info();
    if (info.translates() && std::find(info.nets.begin(), info.nets.end(), net) == info.nets.end())
        throw std::runtime_error(path + " is an image-to-image model (" + info.family +
                                 "): it translates images and does not sample them; try: ganzoo translate " + path +
                                 " --examples -o grid.png");
    return checked_net(model, net);
}

std::string lower_extension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

std::string image_format(const std::string& path) {
    train::check_output_path(path);  // a device or a FIFO is named as such, whatever its name
    const std::string ext = lower_extension(path);
    if (ext == ".png" || ext.empty()) return "png";  // no extension: PNG, the default it always was
    if (ext == ".jpg" || ext == ".jpeg") return "jpeg";
    throw std::runtime_error(path + ": write a .png or a .jpg (.jpeg) image, not " + ext);
}

namespace {

void check_image_size(int64_t width, int64_t height) {
    constexpr int64_t kMaxPngPixels = int64_t{1} << 26;
    if (width * height > kMaxPngPixels)
        throw std::runtime_error("the PNG would be " + std::to_string(width) + "x" + std::to_string(height) + " pixels (" +
                                 std::to_string(width * height * 4 >> 20) + " MiB of RGBA), over the limit of " +
                                 std::to_string(kMaxPngPixels) + " pixels (" + std::to_string(kMaxPngPixels * 4 >> 20) +
                                 " MiB); lower --count or --scale");
}

}  // namespace

void check_grid_image(int64_t count, int64_t columns, const std::vector<int64_t>& image_shape, int scale) {
    if (count < 1 || columns < 1 || image_shape.size() != 3) return;
    // tile_grid's layout (ganzoo/image.hpp): min(columns, count) columns, 2-pixel gaps.
    const int64_t cols = std::min(columns, count), rows = (count + cols - 1) / cols, gap = 2;
    check_image_size((cols * image_shape[2] + (cols - 1) * gap) * scale, (rows * image_shape[1] + (rows - 1) * gap) * scale);
}

void write_grid_image(const std::string& path, const Grid& grid, int scale) {
    const std::string format = image_format(path);
    check_image_size(int64_t{grid.width} * scale, int64_t{grid.height} * scale);
    if (format == "png") train::write_png(output_path(path), enlarge_grid(grid, scale));
    else train::write_jpeg(output_path(path), enlarge_grid(grid, scale));
}

}  // namespace ganzoo::cli
