// ganzoo core: the safetensors container, validated before any tensor storage is allocated.
#include "ganzoo/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "ganzoo/error.hpp"
#include "json_fields.hpp"

namespace ganzoo {

using detail::json;
using detail::shape_string;

const char* dtype_name(DType dtype) {
    return dtype == DType::F16 ? "F16" : "F32";
}
size_t dtype_size(DType dtype) {
    return dtype == DType::F16 ? 2 : 4;
}

// ---- IEEE binary16 <-> binary32 -------------------------------------------------------

static uint32_t float_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    const uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in float.
        const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
        return bits_float(sign | float_bits(magnitude));
    }
    if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // inf, nan
    return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t float_to_half(float f) {
    const uint32_t x = float_bits(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
    const uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u)  // nan: stays a (quiet) nan, keeping the top payload bits
        return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    if (magnitude >= 0x477ff000u)  // >= 65520 rounds (to even) past the largest half: inf
        return static_cast<uint16_t>(sign | 0x7c00u);
    if (magnitude < 0x38800000u) {
        // Below 2^-14: a half subnormal, units of 2^-24. value = m * 2^(e - 150).
        const uint32_t e = magnitude >> 23;
        const uint32_t shift = 126 - e;  // >= 14
        if (shift > 24) return sign;     // < 2^-25: rounds to zero
        const uint32_t m = (magnitude & 0x7fffffu) | 0x800000u;
        uint32_t q = m >> shift;
        const uint32_t rest = m & ((1u << shift) - 1);
        const uint32_t halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (q & 1u))) ++q;  // may carry into 2^-14
        return static_cast<uint16_t>(sign | q);
    }
    uint32_t h = (((magnitude >> 23) - 112) << 10) | ((magnitude & 0x7fffffu) >> 13);
    const uint32_t rest = magnitude & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // carry may bump the exponent
    return static_cast<uint16_t>(sign | h);
}

// ---- writing ----------------------------------------------------------------------------

std::vector<uint8_t> write_safetensors(const std::vector<TensorToWrite>& tensors,
                                       const std::map<std::string, std::string>& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::set<std::string> names;
    uint64_t offset = 0;
    for (const TensorToWrite& t : tensors) {
        if (t.name.empty() || t.name == "__metadata__")
            throw Error("write_safetensors: invalid tensor name '" + t.name + "'");
        if (!names.insert(t.name).second)
            throw Error("write_safetensors: tensor '" + t.name + "' is given twice");
        int64_t count = 0;
        if (!detail::checked_product(t.shape, count))
            throw Error("write_safetensors: tensor '" + t.name + "' has an invalid shape " +
                        shape_string(t.shape));
        if (static_cast<uint64_t>(count) != t.values.size())
            throw Error("write_safetensors: tensor '" + t.name + "' has " + std::to_string(t.values.size()) +
                        " values, shape " + shape_string(t.shape) + " needs " + std::to_string(count));
        const uint64_t bytes = static_cast<uint64_t>(count) * dtype_size(t.dtype);
        header[t.name] = {
            {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("write_safetensors: cannot encode the header: ") + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');  // keeps the tensor data 8-byte aligned

    std::vector<uint8_t> out(8 + text.size() + offset);
    const uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
    std::memcpy(out.data() + 8, text.data(), text.size());
    uint8_t* data = out.data() + 8 + text.size();
    for (const TensorToWrite& t : tensors) {
        for (float v : t.values) {
            if (t.dtype == DType::F16) {
                const uint16_t h = float_to_half(v);
                data[0] = static_cast<uint8_t>(h);
                data[1] = static_cast<uint8_t>(h >> 8);
                data += 2;
            } else {
                const uint32_t u = float_bits(v);
                for (int i = 0; i < 4; ++i) data[i] = static_cast<uint8_t>(u >> (8 * i));
                data += 4;
            }
        }
    }
    return out;
}

// ---- reading ----------------------------------------------------------------------------

namespace {

struct Entry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0, count = 0;
};

[[noreturn]] void fail_tensor(const std::string& name, const std::string& what) {
    throw Error("safetensors: tensor '" + name + "': " + what);
}

std::map<std::string, std::string> parse_metadata(const json& value) {
    if (!value.is_object())
        throw Error("safetensors: __metadata__ must be an object of strings, got " +
                    detail::json_excerpt(value));
    std::map<std::string, std::string> metadata;
    for (const auto& item : value.items()) {
        if (!item.value().is_string())
            throw Error("safetensors: __metadata__ '" + item.key() + "' must be a string, got " +
                        detail::json_excerpt(item.value()));
        metadata[item.key()] = item.value().get<std::string>();
    }
    return metadata;
}

Entry parse_entry(const std::string& name, const json& value, uint64_t data_size) {
    Entry e;
    e.name = name;
    if (!value.is_object()) fail_tensor(name, "entry must be an object, got " + detail::json_excerpt(value));
    for (const char* field : {"dtype", "shape", "data_offsets"})
        if (!value.contains(field)) fail_tensor(name, std::string("missing '") + field + "'");

    const json& dtype = value["dtype"];
    if (!dtype.is_string()) fail_tensor(name, "dtype must be a string");
    const std::string dtype_text = dtype.get<std::string>();
    if (dtype_text == "F32")
        e.dtype = DType::F32;
    else if (dtype_text == "F16")
        e.dtype = DType::F16;
    else
        fail_tensor(name, "dtype '" + dtype_text + "' is not supported (F16 or F32)");

    const json& shape = value["shape"];
    if (!shape.is_array()) fail_tensor(name, "shape must be an array of integers");
    uint64_t count = 1;
    bool overflow = false, has_zero = false;
    for (const json& d : shape) {
        int64_t dim = 0;
        if (!detail::as_int64(d, dim))
            fail_tensor(name, "shape " + detail::json_excerpt(shape) + " must hold integers");
        if (dim < 0) fail_tensor(name, "shape " + detail::json_excerpt(shape) + " has a negative dimension");
        e.shape.push_back(dim);
        // Beyond 2^60 elements nothing is valid, and the byte count could overflow.
        if (dim == 0)
            has_zero = true;
        else if (count > (uint64_t{1} << 60) / static_cast<uint64_t>(dim))
            overflow = true;
        else
            count *= static_cast<uint64_t>(dim);
    }
    if (has_zero)
        count = 0;
    else if (overflow)
        fail_tensor(name, "shape " + shape_string(e.shape) + " has too many elements (overflow)");
    e.count = count;

    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !detail::as_uint64(offsets[0], e.begin) ||
        !detail::as_uint64(offsets[1], e.end))
        fail_tensor(name,
                    "data_offsets must be two non-negative integers, got " + detail::json_excerpt(offsets));
    const std::string range = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
    if (e.begin > e.end) fail_tensor(name, range + " begin after end");
    if (e.end > data_size)
        fail_tensor(name, range + " end beyond the data area of " + std::to_string(data_size) + " bytes");
    const uint64_t needed = count * dtype_size(e.dtype);
    if (e.end - e.begin != needed)
        fail_tensor(name, range + " hold " + std::to_string(e.end - e.begin) + " bytes, shape " +
                              shape_string(e.shape) + " " + dtype_text + " needs " + std::to_string(needed));
    return e;
}

}  // namespace

namespace {

// The length prefix: checked against the file's size and the limit.
uint64_t header_length(const uint8_t* bytes, uint64_t file_size, const LoadLimits& limits) {
    if (file_size < 8)
        throw Error("safetensors: file is " + std::to_string(file_size) +
                    " bytes, shorter than the 8-byte header length");
    uint64_t header_size = 0;
    for (int i = 0; i < 8; ++i) header_size |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    const uint64_t after_length = file_size - 8;
    if (header_size > after_length)
        throw Error("safetensors: header length " + std::to_string(header_size) + " exceeds the " +
                    std::to_string(after_length) + " bytes after it (truncated or not a safetensors file)");
    if (header_size > limits.max_header_bytes)
        throw Error("safetensors: header length " + std::to_string(header_size) + " is over the limit of " +
                    std::to_string(limits.max_header_bytes) + " bytes");
    return header_size;
}

struct Header {
    uint64_t size = 0;             // JSON bytes after the length prefix
    std::vector<Entry> entries;    // validated against the data area and each other
    std::map<std::string, std::string> metadata;
};

// Everything the header says, validated against a file of `file_size` bytes; `bytes` holds at
// least the length prefix and the header.
Header read_header(const uint8_t* bytes, uint64_t file_size, const LoadLimits& limits) {
    Header result;
    result.size = header_length(bytes, file_size, limits);
    const uint8_t* header_begin = bytes + 8;
    json header;
    try {
        header = detail::parse_json({reinterpret_cast<const char*>(header_begin), static_cast<size_t>(result.size)});
    } catch (const json::exception& e) {
        throw Error(std::string("safetensors: header is not well-formed JSON: ") + e.what());
    }
    if (!header.is_object())
        throw Error("safetensors: header must be a JSON object, got " + detail::json_excerpt(header));

    const uint64_t tensor_count = header.size() - (header.contains("__metadata__") ? 1 : 0);
    if (tensor_count > limits.max_tensors)
        throw Error("safetensors: " + std::to_string(tensor_count) + " tensors, over the limit of " +
                    std::to_string(limits.max_tensors));

    const uint64_t data_size = file_size - 8 - result.size;
    std::vector<Entry>& entries = result.entries;
    entries.reserve(static_cast<size_t>(tensor_count));
    uint64_t total = 0;
    for (const auto& item : header.items()) {
        if (item.key() == "__metadata__") {
            result.metadata = parse_metadata(item.value());
            continue;
        }
        entries.push_back(parse_entry(item.key(), item.value(), data_size));
        total += entries.back().count;  // each count <= 2^60: no overflow over <= max_tensors
        if (total > limits.max_total_elements)
            throw Error("safetensors: tensor '" + item.key() + "' brings the total to " +
                        std::to_string(total) + " elements, over the limit of " +
                        std::to_string(limits.max_total_elements));
    }

    std::vector<const Entry*> by_offset;
    for (const Entry& e : entries)
        if (e.end > e.begin) by_offset.push_back(&e);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
    for (size_t i = 1; i < by_offset.size(); ++i)
        if (by_offset[i]->begin < by_offset[i - 1]->end)
            fail_tensor(by_offset[i]->name, "data_offsets [" + std::to_string(by_offset[i]->begin) + ", " +
                                                std::to_string(by_offset[i]->end) + "] overlap tensor '" +
                                                by_offset[i - 1]->name + "' [" +
                                                std::to_string(by_offset[i - 1]->begin) + ", " +
                                                std::to_string(by_offset[i - 1]->end) + "]");
    return result;
}

}  // namespace

uint64_t safetensors_extent(const uint8_t* prefix, size_t prefix_size, uint64_t file_size,
                            const LoadLimits& limits) {
    if (prefix_size < 8 && file_size >= 8) return 8;
    const uint64_t header_size = header_length(prefix, file_size, limits);
    if (prefix_size < 8 + header_size) return 8 + header_size;
    uint64_t end = 0;
    for (const Entry& e : read_header(prefix, file_size, limits).entries) end = std::max(end, e.end);
    return 8 + header_size + end;
}

Safetensors read_safetensors(const uint8_t* bytes, size_t size, const LoadLimits& limits) {
    Header header = read_header(bytes, size, limits);
    const uint8_t* data = bytes + 8 + header.size;
    Safetensors result;
    result.metadata = std::move(header.metadata);
    const std::vector<Entry>& entries = header.entries;

    // Everything checked: now allocate and convert.
    for (const Entry& e : entries) {
        StoredTensor t;
        t.dtype = e.dtype;
        t.shape = e.shape;
        t.values.resize(static_cast<size_t>(e.count));
        const uint8_t* p = data + e.begin;
        for (float& v : t.values) {
            if (e.dtype == DType::F16) {
                v = half_to_float(static_cast<uint16_t>(p[0] | (p[1] << 8)));
                p += 2;
            } else {
                v = bits_float(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                               static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24);
                p += 4;
            }
        }
        result.tensors.emplace(e.name, std::move(t));
    }
    return result;
}

}  // namespace ganzoo
