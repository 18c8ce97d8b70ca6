// IDX files (the MNIST container): a 4-byte magic {0, 0, dtype, ndims}, ndims big-endian
// u32 sizes, then the values. Only dtype 0x08 (unsigned byte) with 1 dimension (labels,
// magic 0x00000801) or 3 dimensions (images, 0x00000803) is accepted: that is all the
// trainer reads. Files may be gzip-compressed; that is detected from the magic 1f 8b,
// not from the name.
//
// Zero-sized dimensions are accepted here (an empty array is well-formed IDX: then the
// file holds exactly the header); load_fashion_mnist rejects an empty set.
#include "data/dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

namespace ganzoo::data {
namespace {

// Decompressed or plain, the whole file lives in memory: refuse anything larger.
constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 30;  // 1 GiB

std::string hex_byte(unsigned value) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
    return text;
}

std::string hex_magic(const uint8_t* b) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
    return text;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
    return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Inflates every gzip member of `in` (concatenated members are legal gzip, as gunzip
// reads them). A stream that ends early or is corrupt is an error, so is non-gzip data
// after the last member.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& in, const std::string& name) {
    std::vector<uint8_t> out;
    // The trailer's ISIZE (uncompressed size mod 2^32) is a good first guess.
    if (in.size() >= 18) {
        const uint8_t* t = in.data() + in.size() - 4;
        uint64_t isize = uint64_t{t[0]} | uint64_t{t[1]} << 8 | uint64_t{t[2]} << 16 |
                         uint64_t{t[3]} << 24;
        // A damaged trailer must not make us allocate 1 GiB: trust it up to 16x the input.
        const uint64_t plausible = std::min<uint64_t>(uint64_t{in.size()} * 16, kMaxIdxBytes);
        out.resize(static_cast<size_t>(std::max<uint64_t>(std::min(isize, plausible), 4096)));
    } else {
        out.resize(4096);
    }

    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        throw DataError(name + ": cannot start zlib's inflate");
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);

    size_t in_pos = 0, out_pos = 0;
    for (;;) {
        if (out_pos == out.size()) {
            if (out.size() >= kMaxIdxBytes)
                throw DataError(name + ": decompresses to more than 1 GiB (the limit for an IDX file)");
            out.resize(static_cast<size_t>(std::min<uint64_t>(uint64_t{out.size()} * 2, kMaxIdxBytes)));
        }
        // avail_in/avail_out are 32-bit: feed at most 1 GiB at a time.
        const size_t in_chunk = std::min<size_t>(in.size() - in_pos, size_t{1} << 30);
        const size_t out_chunk = std::min<size_t>(out.size() - out_pos, size_t{1} << 30);
        zs.next_in = const_cast<Bytef*>(in.data() + in_pos);
        zs.avail_in = static_cast<uInt>(in_chunk);
        zs.next_out = out.data() + out_pos;
        zs.avail_out = static_cast<uInt>(out_chunk);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        in_pos += in_chunk - zs.avail_in;
        out_pos += out_chunk - zs.avail_out;
        if (rc == Z_STREAM_END) {
            // Another gzip member may follow; anything else is garbage.
            if (in_pos == in.size()) break;
            if (in.size() - in_pos >= 2 && in[in_pos] == 0x1f && in[in_pos + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            throw DataError(name + ": " + std::to_string(in.size() - in_pos) +
                            " bytes of non-gzip data after the end of the gzip stream");
        }
        if (rc == Z_OK) continue;
        if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // output full: grow it
        if (rc == Z_BUF_ERROR && in_pos == in.size())
            throw DataError(name + ": truncated gzip stream (it ends after " +
                            std::to_string(out_pos) + " decompressed bytes)");
        throw DataError(name + ": corrupt gzip data (zlib: " +
                        (zs.msg ? std::string(zs.msg) : "error " + std::to_string(rc)) + ")");
    }
    out.resize(out_pos);
    return out;
}

uint32_t read_be32(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// The byte count of `dims` in full: three u32s can need 96 bits.
std::string byte_count(const std::vector<int64_t>& dims) {
    unsigned __int128 n = 1;
    for (int64_t d : dims) n *= static_cast<uint64_t>(d);
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(n % 10)));
        n /= 10;
    } while (n != 0);
    return digits;
}

std::string describe(const std::vector<int64_t>& dims) {
    std::string text = std::to_string(dims[0]);
    if (dims.size() == 3)
        text += " images of " + std::to_string(dims[1]) + "x" + std::to_string(dims[2]);
    else
        text += " labels";
    return text + " (" + byte_count(dims) + " bytes)";
}

// Validates the header of plain IDX bytes and returns the dims and the header size.
size_t check_plain_idx(const uint8_t* data, size_t size, const std::string& name, std::vector<int64_t>& dims) {
    if (size < 4)
        throw DataError(name + ": not an IDX file: " + std::to_string(size) +
                        " bytes, shorter than the 4-byte magic");
    if (data[0] != 0 || data[1] != 0)
        throw DataError(name + ": not an IDX file: magic " + hex_magic(data) +
                        " (expected 0x00000803 for images or 0x00000801 for labels)");
    if (data[2] != 0x08)
        throw DataError(name + ": unsupported IDX dtype " + hex_byte(data[2]) + " in magic " +
                        hex_magic(data) + " (expected 0x08 = unsigned byte)");
    const unsigned ndims = data[3];
    if (ndims != 1 && ndims != 3)
        throw DataError(name + ": IDX magic " + hex_magic(data) + " has " + std::to_string(ndims) +
                        " dimensions (expected 0x00000803 = 3-d images or 0x00000801 = 1-d labels)");
    const size_t header = 4 + 4 * size_t{ndims};
    if (size < header)
        throw DataError(name + ": truncated IDX header: magic " + hex_magic(data) + " needs " +
                        std::to_string(header) + " header bytes but the file holds " +
                        std::to_string(size));

    uint64_t expected = 1;
    for (unsigned i = 0; i < ndims; ++i) {
        const uint32_t dim = read_be32(data + 4 + 4 * i);
        dims.push_back(dim);
        // Saturate instead of overflowing (three u32s can exceed 2^64).
        expected = (dim != 0 && expected > kMaxIdxBytes / dim) ? kMaxIdxBytes + 1 : expected * dim;
    }
    if (expected > kMaxIdxBytes)
        throw DataError(name + ": header says " + describe(dims) +
                        ", more than the 1 GiB limit for an IDX file");
    const uint64_t held = size - header;
    if (held < expected)
        throw DataError(name + ": truncated: header says " + describe(dims) +
                        " but the file holds " + std::to_string(held));
    if (held > expected)
        throw DataError(name + ": trailing data: header says " + describe(dims) +
                        " but the file holds " + std::to_string(held));
    return header;
}

// Plain IDX bytes to an array, reusing the buffer for the values (no copy of the pixels).
IdxArray parse_plain_idx(std::vector<uint8_t>&& bytes, const std::string& name) {
    IdxArray array;
    const size_t header = check_plain_idx(bytes.data(), bytes.size(), name, array.dims);
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
    array.values = std::move(bytes);
    return array;
}

IdxArray parse_owned(std::vector<uint8_t>&& bytes, const std::string& name) {
    if (is_gzip(bytes)) return parse_plain_idx(gunzip(bytes, name), name);
    return parse_plain_idx(std::move(bytes), name);
}

}  // namespace

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& name) {
    if (is_gzip(bytes)) return parse_plain_idx(gunzip(bytes, name), name);
    IdxArray array;
    const size_t header = check_plain_idx(bytes.data(), bytes.size(), name, array.dims);
    array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
    return array;
}

IdxArray read_idx_file(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) throw DataError(path + ": cannot open (" + std::strerror(errno) + ")");
    if (std::fseek(file.get(), 0, SEEK_END) != 0)
        throw DataError(path + ": cannot seek (" + std::strerror(errno) + ")");
    const long size = std::ftell(file.get());
    if (size < 0) throw DataError(path + ": cannot tell its size (" + std::strerror(errno) + ")");
    if (static_cast<uint64_t>(size) > kMaxIdxBytes)
        throw DataError(path + ": " + std::to_string(size) + " bytes, more than the 1 GiB limit for an IDX file");
    std::rewind(file.get());
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    if (size > 0 && std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size())
        throw DataError(path + ": read error (" + std::strerror(errno) + ")");
    return parse_owned(std::move(bytes), path);
}

}  // namespace ganzoo::data
