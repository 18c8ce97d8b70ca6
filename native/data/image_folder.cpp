// A folder of PNG/JPEG/BMP images, decoded with stb_image (compiled in stb_impl.cpp).
//
// Layout: either images directly in `dir` (unlabeled), or one subfolder per class
// (labeled; class index = position of the subfolder in name order; images are found
// recursively inside a class folder). Both at once is an error, so no image is silently
// dropped or mislabeled. Names starting with '.' are skipped (e.g. macOS "._x.png"), so
// are files with other extensions. The order is the sorted path order: deterministic.
// Alpha channels are dropped, not composited.
#include "data/dataset.hpp"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>

namespace ganzoo::data {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxResize = 4096;

bool is_hidden(const fs::path& path) {
    const std::string name = path.filename().string();
    return !name.empty() && name[0] == '.';
}

bool has_image_extension(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

bool is_folder(const fs::path& path) {
    std::error_code ec;
    return fs::is_directory(path, ec);
}

bool is_plain_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// Image files anywhere below `dir`, sorted.
std::vector<fs::path> images_below(const fs::path& dir) {
    std::vector<fs::path> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (is_hidden(it->path())) {
            if (it->is_directory(ec)) it.disable_recursion_pending();
            continue;
        }
        if (has_image_extension(it->path()) && is_plain_file(it->path())) files.push_back(it->path());
    }
    if (ec) throw DataError(dir.string() + ": cannot list the folder (" + ec.message() + ")");
    std::sort(files.begin(), files.end());
    return files;
}

std::string folder_name(const fs::path& dir) {
    std::error_code ec;
    fs::path path = fs::absolute(dir, ec).lexically_normal();
    if (path.has_filename()) return path.filename().string();
    return path.parent_path().filename().string();  // "dir/" normalises to a trailing slash
}

struct ImageInfo {
    int width = 0, height = 0, components = 0;
};

// stb_image 2.27 (Debian 12's libstb) trusts the code counts of a JPEG DHT segment: counts
// summing past 256 overflow its Huffman tables (found by tests/fuzz, regression input in
// tests/fuzz/regressions/image/). Before stb sees a JPEG, every FF C4 in it is read the way stb
// reads a DHT segment, and a table of more than 256 codes is refused. Conservative: a valid
// JPEG has no FF C4 outside its DHT segments (entropy-coded FF bytes are followed by 00).
void check_jpeg_tables(const uint8_t* b, size_t size, const std::string& name) {
    size_t soi = 0;  // stb takes any run of FF bytes before the D8 of the start-of-image marker
    while (soi < size && b[soi] == 0xFF) ++soi;
    if (soi == 0 || soi >= size || b[soi] != 0xD8) return;  // not a JPEG to stb
    for (size_t i = 0; i + 3 < size; ++i) {
        if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
        long remaining = static_cast<long>((size_t(b[i + 2]) << 8) | b[i + 3]) - 2;
        size_t p = i + 4;
        while (remaining > 0 && p < size) {
            size_t codes = 0;  // stb reads zeros past the end of the data: so does this
            for (size_t k = 1; k <= 16 && p + k < size; ++k) codes += b[p + k];
            if (codes > 256)
                throw DataError(name + ": corrupt JPEG (a Huffman table declares " + std::to_string(codes) +
                                " codes, at most 256)");
            p += 17 + codes;
            remaining -= static_cast<long>(17 + codes);
        }
    }
}

std::vector<uint8_t> read_image_file(const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) throw DataError(file.string() + ": cannot open");
    std::vector<uint8_t> bytes;
    uint8_t chunk[65536];
    for (size_t n; (n = std::fread(chunk, 1, sizeof chunk, f)) > 0;) bytes.insert(bytes.end(), chunk, chunk + n);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw DataError(file.string() + ": read failed");
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
        throw DataError(file.string() + ": " + std::to_string(bytes.size()) + " bytes is too large for an image");
    check_jpeg_tables(bytes.data(), bytes.size(), file.string());
    return bytes;
}

void check_side(const std::string& name, const ImageInfo& info) {
    if (info.width < 1 || info.height < 1 || info.width > kMaxImageSide || info.height > kMaxImageSide)
        throw DataError(name + ": image is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                        ", sides must be 1.." + std::to_string(kMaxImageSide));
}

ImageInfo probe(const fs::path& file) {
    ImageInfo info;
    const auto bytes = read_image_file(file);
    if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &info.width, &info.height,
                               &info.components))
        throw DataError(file.string() + ": not a decodable PNG/JPEG/BMP image (stb_image: " +
                        stbi_failure_reason() + ")");
    check_side(file.string(), info);
    return info;
}

// Decodes `file` to `channels` interleaved 8-bit channels, resized to size x size when
// size > 0, and stores it planar (CHW) at `out`.
void decode_into(const fs::path& file, int channels, int size, const ImageInfo& info, uint8_t* out) {
    int w = 0, h = 0, n = 0;
    const auto bytes = read_image_file(file);
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n, channels), stbi_image_free);
    if (!pixels)
        throw DataError(file.string() + ": not a decodable PNG/JPEG/BMP image (stb_image: " +
                        stbi_failure_reason() + ")");
    if (w != info.width || h != info.height)
        throw DataError(file.string() + ": decodes to " + std::to_string(w) + "x" + std::to_string(h) +
                        " but its header says " + std::to_string(info.width) + "x" +
                        std::to_string(info.height));
    const stbi_uc* source = pixels.get();
    std::vector<uint8_t> resized;
    if (size > 0 && (w != size || h != size)) {
        resized.resize(size_t(size) * size * channels);
        if (!stbir_resize_uint8(source, w, h, 0, resized.data(), size, size, 0, channels))
            throw DataError(file.string() + ": cannot resize " + std::to_string(w) + "x" +
                            std::to_string(h) + " to " + std::to_string(size) + "x" + std::to_string(size));
        source = resized.data();
        w = h = size;
    }
    const size_t plane = size_t(w) * h;
    for (int c = 0; c < channels; ++c)
        for (size_t p = 0; p < plane; ++p) out[c * plane + p] = source[p * channels + c];
}

}  // namespace

DecodedImage decode_image(const std::vector<uint8_t>& bytes, const std::string& name, int channels) {
    if (channels != 0 && channels != 1 && channels != 3)
        throw DataError(name + ": channels must be 0 (as stored), 1 or 3, not " + std::to_string(channels));
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
        throw DataError(name + ": " + std::to_string(bytes.size()) + " bytes is too large for an image");
    const int length = static_cast<int>(bytes.size());
    check_jpeg_tables(bytes.data(), bytes.size(), name);
    ImageInfo info;
    if (!stbi_info_from_memory(bytes.data(), length, &info.width, &info.height, &info.components))
        throw DataError(name + ": not a decodable PNG/JPEG/BMP image (stb_image: " + stbi_failure_reason() + ")");
    check_side(name, info);
    if (channels == 0) channels = info.components <= 2 ? 1 : 3;
    int w = 0, h = 0, n = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(bytes.data(), length, &w, &h, &n, channels),
                                                      stbi_image_free);
    if (!pixels)
        throw DataError(name + ": not a decodable PNG/JPEG/BMP image (stb_image: " + stbi_failure_reason() + ")");
    if (w != info.width || h != info.height)
        throw DataError(name + ": decodes to " + std::to_string(w) + "x" + std::to_string(h) +
                        " but its header says " + std::to_string(info.width) + "x" + std::to_string(info.height));
    DecodedImage image;
    image.channels = channels;
    image.height = h;
    image.width = w;
    image.pixels.resize(size_t(channels) * w * h);
    const size_t plane = size_t(w) * h;
    for (int c = 0; c < channels; ++c)
        for (size_t p = 0; p < plane; ++p) image.pixels[c * plane + p] = pixels.get()[p * channels + c];
    return image;
}

ImageDataset load_image_folder(const std::string& dir_text, int channels, int resize_to) {
    if (channels != 0 && channels != 1 && channels != 3)
        throw DataError(dir_text + ": channels must be 0 (automatic), 1 or 3, not " + std::to_string(channels));
    if (resize_to < 0 || resize_to > kMaxResize)
        throw DataError(dir_text + ": resize size " + std::to_string(resize_to) + " outside 0.." +
                        std::to_string(kMaxResize));
    const fs::path dir(dir_text);
    if (!is_folder(dir))
        throw DataError(dir_text + ": not an image folder (no such directory)");

    // One pass over the top level: class subfolders and loose images.
    std::vector<fs::path> class_dirs, loose_images;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& path = it->path();
        if (is_hidden(path)) continue;
        if (is_folder(path))
            class_dirs.push_back(path);
        else if (has_image_extension(path) && is_plain_file(path))
            loose_images.push_back(path);
    }
    if (ec) throw DataError(dir_text + ": cannot list the folder (" + ec.message() + ")");
    std::sort(class_dirs.begin(), class_dirs.end());
    std::sort(loose_images.begin(), loose_images.end());

    ImageDataset dataset;
    dataset.name = folder_name(dir);
    std::vector<fs::path> files;
    std::vector<int64_t> labels;
    if (class_dirs.empty()) {
        files = std::move(loose_images);
    } else {
        if (!loose_images.empty())
            throw DataError(loose_images.front().string() + ": an image beside class subfolders in " +
                            dir_text + " (put every image in a class subfolder, or remove the subfolders)");
        for (size_t k = 0; k < class_dirs.size(); ++k) {
            std::vector<fs::path> members = images_below(class_dirs[k]);
            if (members.empty())
                throw DataError(class_dirs[k].string() + ": class folder holds no PNG/JPEG/BMP images");
            dataset.class_names.push_back(class_dirs[k].filename().string());
            for (auto& file : members) {
                files.push_back(std::move(file));
                labels.push_back(static_cast<int64_t>(k));
            }
        }
    }
    if (files.empty()) throw DataError(dir_text + ": no PNG/JPEG/BMP images in the folder");

    // Headers first: the channel count and the common size are known before decoding.
    std::vector<ImageInfo> infos;
    infos.reserve(files.size());
    bool all_grey = true;
    for (const auto& file : files) {
        infos.push_back(probe(file));
        const ImageInfo& info = infos.back();
        all_grey = all_grey && info.components <= 2;  // grey or grey + alpha
        if (resize_to == 0 && (info.width != infos.front().width || info.height != infos.front().height))
            throw DataError(file.string() + ": image is " + std::to_string(info.width) + "x" +
                            std::to_string(info.height) + " but " + files.front().string() + " is " +
                            std::to_string(infos.front().width) + "x" + std::to_string(infos.front().height) +
                            " (all images must share one size, or pass a resize size)");
    }
    if (channels == 0) channels = all_grey ? 1 : 3;

    dataset.count = static_cast<int64_t>(files.size());
    dataset.channels = channels;
    dataset.height = resize_to > 0 ? resize_to : infos.front().height;
    dataset.width = resize_to > 0 ? resize_to : infos.front().width;
    const size_t image_bytes = size_t(dataset.channels) * dataset.height * dataset.width;
    dataset.pixels.resize(image_bytes * files.size());
    for (size_t i = 0; i < files.size(); ++i)
        decode_into(files[i], channels, resize_to, infos[i], dataset.pixels.data() + i * image_bytes);
    dataset.labels = std::move(labels);
    return dataset;
}

}  // namespace ganzoo::data
