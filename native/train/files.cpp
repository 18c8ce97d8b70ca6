#include "train/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb_image_write.h>

namespace ganzoo::train {
namespace {

std::runtime_error file_error(const std::string& path, const std::string& what) {
    return std::runtime_error(path + ": " + what + " (" + std::strerror(errno) + ")");
}

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) throw file_error(path, "cannot open for fsync");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw file_error(path, "fsync failed");
}

}  // namespace

void commit_file(const std::string& temporary, const std::string& path) {
    fsync_path(temporary, O_RDONLY);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) throw file_error(path, "cannot rename " + temporary);
    auto parent = std::filesystem::path(path).parent_path();
    fsync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw file_error(temporary, "cannot create");
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) throw file_error(temporary, "write failed");
    }
    commit_file(temporary, path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
    write_file_atomically(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw file_error(path, "cannot open");
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw file_error(path, "read failed");
    return bytes;
}

void write_png(const std::string& path, const Grid& grid) {
    std::vector<uint8_t> png;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<uint8_t>*>(context);
        out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    if (!stbi_write_png_to_func(append, &png, grid.width, grid.height, 4, grid.rgba.data(), grid.width * 4))
        throw std::runtime_error(path + ": PNG encoding failed");
    write_file_atomically(path, png);
}

}  // namespace ganzoo::train
