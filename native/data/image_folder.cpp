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
#include <cctype>
#include <filesystem>
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

ImageInfo probe(const fs::path& file) {
    ImageInfo info;
    if (!stbi_info(file.c_str(), &info.width, &info.height, &info.components))
        throw DataError(file.string() + ": not a decodable PNG/JPEG/BMP image (stb_image: " +
                        stbi_failure_reason() + ")");
    return info;
}

// Decodes `file` to `channels` interleaved 8-bit channels, resized to size x size when
// size > 0, and stores it planar (CHW) at `out`.
void decode_into(const fs::path& file, int channels, int size, const ImageInfo& info, uint8_t* out) {
    int w = 0, h = 0, n = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load(file.c_str(), &w, &h, &n, channels),
                                                      stbi_image_free);
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
