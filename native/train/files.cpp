#include "train/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unordered_map>

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

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISLNK(mode)) return "a symbolic link";
    return "not a regular file";
}

// What a rename may replace: nothing, or a regular file. A rename over /dev/null, a FIFO or a
// symlink would put a PNG where they were; a symlink to a regular file is followed (the write
// lands in that file, the link stays). Returns the path to write to.
std::string replaceable_target(const std::string& path) {
    if (path.empty()) throw std::runtime_error("the output path is empty");
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return path;
        throw file_error(path, "cannot inspect");
    }
    if (S_ISREG(st.st_mode)) return path;
    if (!S_ISLNK(st.st_mode))
        throw std::runtime_error(path + ": is " + file_kind(st.st_mode) + ", not a regular file; refusing to replace it");
    std::error_code error;
    const auto target = std::filesystem::canonical(path, error);
    if (error) throw std::runtime_error(path + ": a symbolic link to nothing (" + error.message() + "); refusing to replace it");
    if (::stat(target.c_str(), &st) != 0) throw file_error(target.string(), "cannot inspect");
    if (!S_ISREG(st.st_mode))
        throw std::runtime_error(path + ": a symbolic link to " + file_kind(st.st_mode) + " (" + target.string() +
                                 "); refusing to replace it");
    return target.string();
}

}  // namespace

void check_output_path(const std::string& path) { replaceable_target(path); }

namespace {

// A stale path.tmp that is not a regular file (a FIFO would block the open) is not ours to remove.
void check_temporary(const std::string& temporary) {
    struct stat st{};
    if (::lstat(temporary.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw std::runtime_error(temporary + ": is " + file_kind(st.st_mode) + ", in the way of the temporary file; remove it");
}

void write_all(int fd, const std::vector<uint8_t>& bytes, const std::string& temporary, bool sync) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw file_error(temporary, "write failed");
        done += static_cast<size_t>(n);
    }
    if (sync && ::fsync(fd) != 0) throw file_error(temporary, "fsync failed");
}

}  // namespace

void commit_file(const std::string& temporary, const std::string& path, bool sync) {
    try {
        const std::string target = replaceable_target(path);
        if (sync) fsync_path(temporary, O_RDONLY);
        if (std::rename(temporary.c_str(), target.c_str()) != 0) throw file_error(target, "cannot rename " + temporary);
        auto parent = std::filesystem::path(target).parent_path();
        if (sync) fsync_path(parent.empty() ? "." : parent.string(), O_RDONLY | O_DIRECTORY);
    } catch (...) {
        ::unlink(temporary.c_str());  // never left behind (it would be in the way of the next run)
        throw;
    }
}

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes, bool sync) {
    const std::string target = replaceable_target(path);
    const std::string temporary = target + ".tmp";
    check_temporary(temporary);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) throw file_error(temporary, "cannot create");
    try {
        write_all(fd, bytes, temporary, sync);
    } catch (...) {
        ::close(fd);
        ::unlink(temporary.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const auto error = file_error(temporary, "write failed");
        ::unlink(temporary.c_str());
        throw error;
    }
    commit_file(temporary, target, sync);
}

void write_text_atomically(const std::string& path, const std::string& text, bool sync) {
    write_file_atomically(path, std::vector<uint8_t>(text.begin(), text.end()), sync);
}

std::vector<uint8_t> read_file_prefix(
    const std::string& path, uint64_t max_bytes, const std::string& what,
    const std::function<uint64_t(const uint8_t* prefix, size_t prefix_size, uint64_t file_size)>& needed) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw file_error(path, "cannot open");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    // Only a regular file has a size to check: /dev/zero would be read until memory ran out.
    struct stat st{};
    if (::fstat(fd, &st) != 0) throw file_error(path, "cannot inspect");
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(path + ": is " + file_kind(st.st_mode) + ", not a regular file");
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_bytes)
        throw std::runtime_error(path + ": " + std::to_string(size) + " bytes, more than " + what + " can be (" +
                                 std::to_string(max_bytes) + " bytes)");
    std::vector<uint8_t> bytes;
    size_t done = 0;
    for (;;) {
        const uint64_t want = std::min(needed(bytes.data(), done, size), size);
        if (want <= done) break;
        bytes.resize(static_cast<size_t>(want));
        while (done < bytes.size()) {
            const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw file_error(path, "read failed");
            if (n == 0) break;  // shrunk while being read
            done += static_cast<size_t>(n);
        }
        if (done < bytes.size()) break;
    }
    bytes.resize(done);
    return bytes;
}

std::vector<uint8_t> read_file(const std::string& path, uint64_t max_bytes, const std::string& what) {
    return read_file_prefix(path, max_bytes, what, [](const uint8_t*, size_t, uint64_t size) { return size; });
}

uint32_t crc32(const uint8_t* data, size_t size) {
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

namespace {

constexpr char kCheckpointMagic[8] = {'G', 'Z', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kEnvelopeBytes = 24;

uint64_t read_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

void write_le(uint8_t* p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

std::string hex32(uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "%08x", v);
    return text;
}

}  // namespace

std::vector<uint8_t> seal_checkpoint(const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> out(kEnvelopeBytes + payload.size(), 0);
    std::memcpy(out.data(), kCheckpointMagic, 8);
    write_le(out.data() + 8, payload.size(), 8);
    write_le(out.data() + 16, crc32(payload.data(), payload.size()), 4);
    if (!payload.empty()) std::memcpy(out.data() + kEnvelopeBytes, payload.data(), payload.size());
    return out;
}

std::vector<uint8_t> open_checkpoint(std::vector<uint8_t> bytes, const std::string& path) {
    const bool sealed = bytes.size() >= 8 && std::memcmp(bytes.data(), kCheckpointMagic, 8) == 0;
    if (!sealed) {
        // A LibTorch zip from before checksums: nothing could tell a flipped byte in it.
        if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K')
            throw std::runtime_error(path + ": a checkpoint without the GZCKPT01 checksum envelope (written before "
                                     "checksums), so a damaged byte could not be told; it is refused");
        throw std::runtime_error(path + ": not a ganzoo checkpoint (" + std::to_string(bytes.size()) +
                                 " bytes, no GZCKPT01 envelope); it is corrupt or not a checkpoint");
    }
    if (bytes.size() < kEnvelopeBytes)
        throw std::runtime_error(path + ": checkpoint truncated (" + std::to_string(bytes.size()) +
                                 " bytes, shorter than its 24-byte envelope)");
    const uint64_t length = read_le(bytes.data() + 8, 8);
    const auto stored = static_cast<uint32_t>(read_le(bytes.data() + 16, 4));
    if (length != bytes.size() - kEnvelopeBytes)
        throw std::runtime_error(path + ": checkpoint truncated or padded (" +
                                 std::to_string(bytes.size() - kEnvelopeBytes) + " payload bytes, envelope says " +
                                 std::to_string(length) + ")");
    const uint32_t actual = crc32(bytes.data() + kEnvelopeBytes, length);
    if (actual != stored)
        throw std::runtime_error(path + ": checkpoint checksum mismatch (CRC-32 " + hex32(actual) + ", stored " +
                                 hex32(stored) + "); the file is corrupt");
    bytes.erase(bytes.begin(), bytes.begin() + kEnvelopeBytes);
    return bytes;
}

RunLock::RunLock(const std::string& dir) {
    const std::string path = dir + "/train.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw file_error(path, "cannot open the run directory's lock");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        char text[32] = {};
        const ssize_t n = ::pread(fd_, text, sizeof text - 1, 0);
        ::close(fd_);
        std::string pid = n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string("unknown");
        pid.erase(pid.find_last_not_of(" \n") + 1);
        if (error == EWOULDBLOCK)
            throw std::runtime_error(dir + " is in use by another ganzoo train (PID " + pid +
                                     "); wait for it to end, or choose another --out");
        errno = error;
        throw file_error(path, "cannot lock");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        const auto error = file_error(path, "cannot write the lock's PID");
        ::close(fd_);
        throw error;
    }
}

RunLock::~RunLock() {
    if (fd_ >= 0) ::close(fd_);
}

void write_png(const std::string& path, const Grid& grid) {
    std::vector<uint8_t> png;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<uint8_t>*>(context);
        out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    if (!stbi_write_png_to_func(append, &png, grid.width, grid.height, 4, grid.rgba.data(), grid.width * 4))
        throw std::runtime_error(path + ": PNG encoding failed for a " + std::to_string(grid.width) + "x" + std::to_string(grid.height) + " image (out of memory)");
    write_file_atomically(path, png);
}

void write_jpeg(const std::string& path, const Grid& grid, int quality) {
    std::vector<uint8_t> rgb(static_cast<size_t>(grid.width) * grid.height * 3);
    for (size_t i = 0, n = rgb.size() / 3; i < n; ++i)
        std::copy_n(grid.rgba.begin() + static_cast<std::ptrdiff_t>(4 * i), 3, rgb.begin() + static_cast<std::ptrdiff_t>(3 * i));
    std::vector<uint8_t> jpeg;
    auto append = [](void* context, void* data, int size) {
        auto* out = static_cast<std::vector<uint8_t>*>(context);
        out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    if (!stbi_write_jpg_to_func(append, &jpeg, grid.width, grid.height, 3, rgb.data(), quality))
        throw std::runtime_error(path + ": JPEG encoding failed for a " + std::to_string(grid.width) + "x" +
                                 std::to_string(grid.height) + " image");
    write_file_atomically(path, jpeg);
}

namespace {

// GIF's variable-width LZW (GIF89a spec, appendix F), codes packed least significant bit first
// into sub-blocks of at most 255 bytes.
class LzwWriter {
public:
    explicit LzwWriter(std::vector<uint8_t>& out) : out_(out) {}

    void encode(const std::vector<uint8_t>& indices) {
        out_.push_back(kMinCodeSize);
        reset();
        put(kClear);
        int current = -1;
        for (const uint8_t index : indices) {
            if (current < 0) {
                current = index;
                continue;
            }
            const uint32_t key = static_cast<uint32_t>(current) << 8 | index;
            const auto found = table_.find(key);
            if (found != table_.end()) {
                current = found->second;
                continue;
            }
            put(current);
            table_.emplace(key, ++max_code_);
            if (max_code_ >= (1 << width_)) ++width_;
            if (max_code_ == 4095) {  // the table is full: start over
                put(kClear);
                reset();
            }
            current = index;
        }
        if (current >= 0) put(current);
        put(kClear + 1);  // end of information
        if (bit_count_ > 0) block_.push_back(static_cast<uint8_t>(bits_));
        flush_block(true);
        out_.push_back(0);  // block terminator
    }

private:
    static constexpr int kMinCodeSize = 8, kClear = 256;

    void reset() {
        table_.clear();
        width_ = kMinCodeSize + 1;
        max_code_ = kClear + 1;
    }
    void put(int code) {
        bits_ |= static_cast<uint32_t>(code) << bit_count_;
        bit_count_ += width_;
        while (bit_count_ >= 8) {
            block_.push_back(static_cast<uint8_t>(bits_ & 0xff));
            bits_ >>= 8;
            bit_count_ -= 8;
            flush_block(false);
        }
    }
    void flush_block(bool all) {
        if (block_.size() < 255 && !(all && !block_.empty())) return;
        out_.push_back(static_cast<uint8_t>(block_.size()));
        out_.insert(out_.end(), block_.begin(), block_.end());
        block_.clear();
    }

    std::vector<uint8_t>& out_;
    std::unordered_map<uint32_t, int> table_;
    std::vector<uint8_t> block_;
    uint32_t bits_ = 0;
    int bit_count_ = 0, width_ = kMinCodeSize + 1, max_code_ = kClear + 1;
};

void put16(std::vector<uint8_t>& out, int v) {
    out.push_back(static_cast<uint8_t>(v & 0xff));
    out.push_back(static_cast<uint8_t>(v >> 8 & 0xff));
}

}  // namespace

void write_gif(const std::string& path, const std::vector<Grid>& frames, int delay_cs) {
    if (frames.empty()) throw std::runtime_error(path + ": a GIF needs at least one frame");
    const int w = frames[0].width, h = frames[0].height;
    if (w < 1 || h < 1 || w > 65535 || h > 65535)
        throw std::runtime_error(path + ": a GIF frame is at most 65535x65535 pixels, not " + std::to_string(w) + "x" +
                                 std::to_string(h));
    bool grey = true;
    for (const Grid& f : frames) {
        if (f.width != w || f.height != h) throw std::runtime_error(path + ": GIF frames must all have one size");
        for (size_t i = 0; grey && i + 3 < f.rgba.size(); i += 4)
            grey = f.rgba[i] == f.rgba[i + 1] && f.rgba[i] == f.rgba[i + 2];
    }
    std::vector<uint8_t> out{'G', 'I', 'F', '8', '9', 'a'};
    put16(out, w);
    put16(out, h);
    out.push_back(0xf7);  // a global colour table of 256 entries, 8 bits per primary
    out.push_back(0);     // background colour
    out.push_back(0);     // no aspect ratio
    for (int i = 0; i < 256; ++i) {
        if (grey) {
            out.insert(out.end(), 3, static_cast<uint8_t>(i));
        } else {  // 3-3-2: each level spread over 0..255
            out.push_back(static_cast<uint8_t>((i >> 5) * 255 / 7));
            out.push_back(static_cast<uint8_t>((i >> 2 & 7) * 255 / 7));
            out.push_back(static_cast<uint8_t>((i & 3) * 255 / 3));
        }
    }
    // NETSCAPE2.0: loop forever.
    const uint8_t loop[] = {0x21, 0xff, 0x0b, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 0x03, 0x01, 0, 0, 0};
    out.insert(out.end(), std::begin(loop), std::end(loop));
    std::vector<uint8_t> indices(static_cast<size_t>(w) * h);
    for (const Grid& f : frames) {
        const uint8_t control[] = {0x21, 0xf9, 0x04, 0x00};  // graphic control: no transparency
        out.insert(out.end(), std::begin(control), std::end(control));
        put16(out, std::clamp(delay_cs, 0, 65535));
        out.push_back(0);
        out.push_back(0);
        out.push_back(0x2c);  // image descriptor: the whole canvas, no local table, not interlaced
        put16(out, 0);
        put16(out, 0);
        put16(out, w);
        put16(out, h);
        out.push_back(0);
        for (size_t i = 0; i < indices.size(); ++i) {
            const uint8_t* p = &f.rgba[4 * i];
            indices[i] = grey ? p[0]
                              : static_cast<uint8_t>((p[0] * 7 + 127) / 255 << 5 | (p[1] * 7 + 127) / 255 << 2 |
                                                     (p[2] * 3 + 127) / 255);
        }
        LzwWriter(out).encode(indices);
    }
    out.push_back(0x3b);  // trailer
    write_file_atomically(path, out);
}

}  // namespace ganzoo::train
