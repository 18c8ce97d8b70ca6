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
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>

namespace ganzoo::data {

void clear_stb_failure_reason();  // stb_impl.cpp

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

// stb_image 2.27 (Debian 12's libstb) trusts two things in a JPEG that a crafted file breaks (found
// by tests/fuzz and by reading stb around its findings; inputs in tests/fuzz/regressions/image/):
//  - the code counts of a DHT segment: a table of more than 256 codes overflows its Huffman arrays,
//    and the 256th code collides with its "not in the fast table" mark (index 255), which trips an
//    assertion (or, with asserts off, decodes the wrong bits). Real tables hold at most 162 (AC) or
//    16 (DC) codes, so more than 255 is refused;
//  - that the Huffman tables a scan decodes with were defined: it reads whatever memory held (the
//    assertion again). A scan that uses a table no DHT segment before it defines is refused.
// check_jpeg walks the segments the way stb walks them. Where the walk does not reach the
// end-of-image marker (a corrupt or truncated file, where stb's path is harder to follow), every
// FF C4 anywhere in the file is also read as a DHT segment: conservative, costing only such files.
// stb_impl.cpp zero-fills what stb allocates, so an undefined table that stb still reaches
// decodes zeros, the same way every time.
class JpegReader {
public:
    JpegReader(const uint8_t* bytes, size_t size, size_t at = 0) : b_(bytes), size_(size), p_(at) {}
    int u8() {  // past the end stb reads zeros: so does this
        const int v = p_ < size_ ? b_[p_] : 0;
        ++p_;
        return v;
    }
    int u16() {
        const int hi = u8();
        return (hi << 8) | u8();
    }
    void skip(long n) { p_ += static_cast<size_t>(std::max(n, 0L)); }
    bool at_end() const { return p_ >= size_; }
    static constexpr int kNoMarker = 0xFF;
    int marker() {  // stb's get_marker: FF, any run of FF fill bytes, the marker byte
        int x = u8();
        if (x != 0xFF) return kNoMarker;
        while (x == 0xFF) x = u8();
        return x;
    }
    // Moves past entropy-coded data: stb's bit reader stops at the first FF (after any FF fill)
    // followed by neither 00 (a stuffed FF data byte) nor a restart marker D0..D7.
    void skip_entropy_coded_data() {
        while (p_ < size_) {
            if (b_[p_] != 0xFF) {
                ++p_;
                continue;
            }
            size_t q = p_ + 1;
            while (q < size_ && b_[q] == 0xFF) ++q;
            if (q < size_ && (b_[q] == 0x00 || (b_[q] >= 0xD0 && b_[q] <= 0xD7))) {
                p_ = q + 1;
                continue;
            }
            return;
        }
    }

private:
    const uint8_t* b_;
    size_t size_, p_;
};

struct HuffmanTables {
    bool defined[2][4] = {};  // [DC = 0, AC = 1][table id]
};

// A DHT segment, the reader just past its marker, read the way stb reads it. False where stb
// refuses the segment (and stops).
bool read_dht(JpegReader& r, HuffmanTables& tables, const std::string& name) {
    long remaining = r.u16() - 2L;
    while (remaining > 0) {
        const int q = r.u8(), table_class = q >> 4, id = q & 15;
        if (table_class > 1 || id > 3) return false;
        long codes = 0;
        for (int length = 1; length <= 16; ++length) codes += r.u8();
        if (codes > 255)
            throw DataError(name + ": corrupt JPEG (a Huffman table declares " + std::to_string(codes) +
                            " codes, at most 255 are supported)");
        r.skip(codes);  // the symbols
        tables.defined[table_class][id] = true;
        remaining -= 17 + codes;
    }
    return remaining == 0;
}

// DRI, DQT, DHT, APPn and COM segments, as stb's process_marker reads them. False where stb stops.
bool read_segment(JpegReader& r, int marker, HuffmanTables& tables, const std::string& name) {
    if (marker == 0xDD) {  // DRI: restart interval
        if (r.u16() != 4) return false;
        r.skip(2);
        return true;
    }
    if (marker == 0xC4) return read_dht(r, tables, name);
    if (marker == 0xDB) {  // DQT: tables of 64 8- or 16-bit values
        long remaining = r.u16() - 2L;
        while (remaining > 0) {
            const int q = r.u8(), precision = q >> 4;
            if (precision > 1 || (q & 15) > 3) return false;
            r.skip(precision ? 128 : 64);
            remaining -= precision ? 129 : 65;
        }
        return remaining == 0;
    }
    if ((marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE) {  // APPn, COM: skipped
        const long length = r.u16();
        if (length < 2) return false;
        r.skip(length - 2);
        return true;
    }
    return false;  // stb: "unknown marker"
}

// A scan header, the reader just past its marker: refuses a scan that decodes with an undefined
// Huffman table. False where stb refuses the header.
bool check_scan(JpegReader& r, const std::vector<int>& component_ids, bool progressive,
                const HuffmanTables& tables, int scan, const std::string& name) {
    const int length = r.u16(), count = r.u8();
    if (count < 1 || count > 4 || count > static_cast<int>(component_ids.size()) || length != 6 + 2 * count)
        return false;
    int dc[4] = {}, ac[4] = {};
    for (int i = 0; i < count; ++i) {
        const int id = r.u8(), q = r.u8();
        if (std::find(component_ids.begin(), component_ids.end(), id) == component_ids.end()) return false;
        dc[i] = q >> 4;
        ac[i] = q & 15;
        if (dc[i] > 3 || ac[i] > 3) return false;
    }
    const int spectral_start = r.u8(), spectral_end = r.u8(), approximation = r.u8();
    const int high = approximation >> 4, low = approximation & 15;
    if (progressive ? spectral_start > 63 || spectral_end > 63 || spectral_start > spectral_end || high > 13 || low > 13
                    : spectral_start != 0 || high != 0 || low != 0)
        return false;
    // Baseline scans decode DC and AC; progressive ones DC (first pass only) or AC.
    const bool uses_dc = !progressive || (spectral_start == 0 && high == 0);
    const bool uses_ac = !progressive || spectral_start > 0;
    for (int i = 0; i < count; ++i) {
        const auto refuse = [&](const char* kind, int id) {
            throw DataError(name + ": corrupt JPEG (scan " + std::to_string(scan) + " decodes with " + kind +
                            " Huffman table " + std::to_string(id) + ", which no DHT segment before it defines)");
        };
        if (uses_dc && !tables.defined[0][dc[i]]) refuse("DC", dc[i]);
        if (uses_ac && !tables.defined[1][ac[i]]) refuse("AC", ac[i]);
    }
    return true;
}

// Walks a JPEG from its start-of-image marker as stb does. True when there is nothing more to
// check: not a JPEG to stb, or the walk reached the end-of-image marker.
bool walk_jpeg(const uint8_t* b, size_t size, const std::string& name) {
    JpegReader r(b, size);
    if (r.marker() != 0xD8) return true;  // not a JPEG to stb
    HuffmanTables tables;
    // Segments up to the frame header; stb skips stray bytes between them.
    int m = r.marker();
    while (m != 0xC0 && m != 0xC1 && m != 0xC2) {
        if (!read_segment(r, m, tables, name)) return false;
        m = r.marker();
        while (m == JpegReader::kNoMarker) {
            if (r.at_end()) return false;
            m = r.marker();
        }
    }
    const bool progressive = m == 0xC2;
    const int frame_length = r.u16();
    r.skip(5);  // precision, height, width
    const int components = r.u8();
    if ((components != 1 && components != 3 && components != 4) || frame_length != 8 + 3 * components) return false;
    std::vector<int> component_ids;
    for (int i = 0; i < components; ++i) {
        component_ids.push_back(r.u8());
        r.skip(2);  // sampling factors, quantization table
    }
    // Scans and the segments between them (no stray bytes here), up to the end of the image.
    for (int scan = 1;;) {
        m = r.marker();
        if (m == 0xD9) return true;
        if (m == 0xDA) {
            if (!check_scan(r, component_ids, progressive, tables, scan++, name)) return false;
            r.skip_entropy_coded_data();
        } else if (m == 0xDC) {  // DNL: number of lines
            if (r.u16() != 4) return false;
            r.skip(2);
        } else if (!read_segment(r, m, tables, name)) {
            return false;
        }
    }
}

// Throws on a JPEG that stb_image 2.27 would decode with broken Huffman tables (see above).
void check_jpeg(const uint8_t* b, size_t size, const std::string& name) {
    if (walk_jpeg(b, size, name)) return;
    HuffmanTables ignored;
    for (size_t i = 0; i + 1 < size; ++i) {
        if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
        JpegReader r(b, size, i + 2);
        read_dht(r, ignored, name);
    }
}

uint32_t read_u32_be(const uint8_t* b) {
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

// stb_image 2.27 and PNG chunks (found by tests/fuzz; regression inputs in
// tests/fuzz/regressions/image/):
//  - it makes room for an IDAT chunk's claimed length before reading the chunk: a 100-byte file
//    whose chunk claims 2 GiB allocates 2 GiB, then fails. A chunk (before IEND) whose data runs
//    past the end of the file is refused first: stb cannot decode such a file either;
//  - it allocates the compressed-data buffer at the first IDAT chunk with data, but copies every
//    IDAT chunk into it: an empty one before that copies 0 bytes to a null pointer (memcpy(NULL,
//    p, 0), undefined behaviour). Empty IDAT chunks carry no data and stb checks no CRC, so they
//    are dropped from a copy of the file: such a PNG decodes as if they were not there.
// Chunks are walked the way stb walks them (length, type, data, CRC) from the signature to IEND.
// Returns true, with the copy in `repaired`, when empty IDAT chunks were dropped.
bool check_png(const std::vector<uint8_t>& bytes, const std::string& name, std::vector<uint8_t>& repaired) {
    static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    const uint8_t* b = bytes.data();
    const size_t size = bytes.size();
    if (size < 8 || !std::equal(kSignature, kSignature + 8, b)) return false;
    // stb refuses sides over 2^24 (and w x h x 4 over 2^30) as "too large", then tries its other
    // formats and reports "unknown image type": the sides are checked here from IHDR first.
    if (size >= 24 && std::equal(b + 12, b + 16, "IHDR")) {
        const uint32_t width = read_u32_be(b + 16), height = read_u32_be(b + 20);
        if (width < 1 || height < 1 || width > uint32_t{kMaxImageSide} || height > uint32_t{kMaxImageSide})
            throw DataError(name + ": image is " + std::to_string(width) + "x" + std::to_string(height) +
                            ", sides must be 1.." + std::to_string(kMaxImageSide));
    }
    std::vector<std::pair<size_t, size_t>> keep;  // [begin, end) ranges of the file to keep
    size_t kept_from = 0;
    for (size_t p = 8; p + 8 <= size;) {
        const uint64_t length = read_u32_be(b + p);
        const uint8_t* type = b + p + 4;
        if (std::equal(type, type + 4, "IEND")) break;  // stb reads no further
        if (length > size - (p + 8))
            throw DataError(name + ": corrupt PNG (a chunk at byte " + std::to_string(p) + " claims " +
                            std::to_string(length) + " bytes of data, the file has " +
                            std::to_string(size - (p + 8)) + " after it: truncated?)");
        const size_t next = static_cast<size_t>(p + 12 + length);  // the CRC follows the data
        if (length == 0 && std::equal(type, type + 4, "IDAT")) {
            keep.emplace_back(kept_from, p);
            kept_from = std::min(next, size);
        }
        p = next;
    }
    if (keep.empty()) return false;
    keep.emplace_back(kept_from, size);
    repaired.clear();
    for (const auto& [begin, end] : keep) repaired.insert(repaired.end(), b + begin, b + end);
    return true;
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
    check_jpeg(bytes.data(), bytes.size(), file.string());
    std::vector<uint8_t> repaired;
    if (check_png(bytes, file.string(), repaired)) return repaired;
    return bytes;
}

// Why stb_image failed. It keeps its last reason until the next failure, and some failures set
// none: every stb call here is preceded by clear_stb_failure_reason().
std::string stb_failure() {
    const char* reason = stbi_failure_reason();
    return std::string("not a decodable PNG/JPEG/BMP image (stb_image: ") +
           (reason && *reason ? reason : "corrupt data") + ")";
}

void check_side(const std::string& name, const ImageInfo& info) {
    if (info.width < 1 || info.height < 1 || info.width > kMaxImageSide || info.height > kMaxImageSide)
        throw DataError(name + ": image is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                        ", sides must be 1.." + std::to_string(kMaxImageSide));
}

ImageInfo probe(const fs::path& file) {
    ImageInfo info;
    const auto bytes = read_image_file(file);
    clear_stb_failure_reason();
    if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &info.width, &info.height,
                               &info.components))
        throw DataError(file.string() + ": " + stb_failure());
    check_side(file.string(), info);
    return info;
}

// Decodes `file` to `channels` interleaved 8-bit channels, resized to size x size when
// size > 0, and stores it planar (CHW) at `out`.
void decode_into(const fs::path& file, int channels, int size, const ImageInfo& info, uint8_t* out) {
    int w = 0, h = 0, n = 0;
    const auto bytes = read_image_file(file);
    clear_stb_failure_reason();
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &n, channels), stbi_image_free);
    if (!pixels)
        throw DataError(file.string() + ": " + stb_failure());
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
    check_jpeg(bytes.data(), bytes.size(), name);
    std::vector<uint8_t> repaired;
    const std::vector<uint8_t>& input = check_png(bytes, name, repaired) ? repaired : bytes;
    const int length = static_cast<int>(input.size());
    ImageInfo info;
    clear_stb_failure_reason();
    if (!stbi_info_from_memory(input.data(), length, &info.width, &info.height, &info.components))
        throw DataError(name + ": " + stb_failure());
    check_side(name, info);
    if (channels == 0) channels = info.components <= 2 ? 1 : 3;
    int w = 0, h = 0, n = 0;
    clear_stb_failure_reason();
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(input.data(), length, &w, &h, &n, channels),
                                                      stbi_image_free);
    if (!pixels)
        throw DataError(name + ": " + stb_failure());
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
                            " (all images must share one size: resize them first)");
    }
    if (channels == 0) channels = all_grey ? 1 : 3;

    dataset.count = static_cast<int64_t>(files.size());
    dataset.channels = channels;
    dataset.height = resize_to > 0 ? resize_to : infos.front().height;
    dataset.width = resize_to > 0 ? resize_to : infos.front().width;
    const size_t image_bytes = size_t(dataset.channels) * dataset.height * dataset.width;
    const uint64_t total = uint64_t{image_bytes} * files.size();
    if (total > kMaxFolderBytes)
        throw DataError(dir_text + ": " + std::to_string(files.size()) + " images of " + std::to_string(dataset.channels) +
                        "x" + std::to_string(dataset.height) + "x" + std::to_string(dataset.width) + " decode to " +
                        std::to_string(total) + " bytes, over the limit of " + std::to_string(kMaxFolderBytes) +
                        " (4x that as floats in training); use fewer or smaller images");
    dataset.pixels.resize(image_bytes * files.size());
    for (size_t i = 0; i < files.size(); ++i)
        decode_into(files[i], channels, resize_to, infos[i], dataset.pixels.data() + i * image_bytes);
    dataset.labels = std::move(labels);
    return dataset;
}

}  // namespace ganzoo::data
