// ganzoo core: reading and writing the safetensors container (bytes only, no file I/O).
//
// Layout: u64 little-endian N, N bytes of JSON header, then raw tensor bytes.
// Header: {"name": {"dtype": "F16"|"F32", "shape": [...], "data_offsets": [b, e]}, ...,
//          "__metadata__": {"key": "string value", ...}}
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ganzoo/limits.hpp"

namespace ganzoo {

enum class DType { F16, F32 };

const char* dtype_name(DType dtype);  // "F16" / "F32"
size_t dtype_size(DType dtype);       // 2 / 4

// One tensor to write: values are always given as float and stored as `dtype`.
struct TensorToWrite {
    std::string name;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<float> values;  // size == product(shape)
};

// Serializes tensors (in the given order, contiguous offsets) and string metadata.
std::vector<uint8_t> write_safetensors(const std::vector<TensorToWrite>& tensors,
                                       const std::map<std::string, std::string>& metadata);

// A parsed tensor, converted to float (F16 is widened exactly).
struct StoredTensor {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<float> values;
};

struct Safetensors {
    std::map<std::string, StoredTensor> tensors;
    std::map<std::string, std::string> metadata;
};

// Parses and validates a whole safetensors file held in memory. Validation happens
// before any tensor storage is allocated: header length vs. file size, JSON
// well-formedness, dtype, shape, offsets in bounds / contiguous / non-overlapping,
// bytes == product(shape) * dtype size, and the limits. Throws ganzoo::Error.
Safetensors read_safetensors(const uint8_t* bytes, size_t size, const LoadLimits& limits = {});

// How many leading bytes of a file of `file_size` bytes read_safetensors needs: the length
// prefix, the header and the tensor data up to the last tensor's end. Nothing after that is
// looked at, so a reader can fetch just this much. `prefix` holds the file's first `prefix_size`
// bytes; while they do not yet hold the whole header, the answer is the bytes needed to get it
// (call again once they are read). Throws ganzoo::Error for anything read_safetensors would
// refuse in the header, with the same message.
uint64_t safetensors_extent(const uint8_t* prefix, size_t prefix_size, uint64_t file_size,
                            const LoadLimits& limits = {});

// IEEE half <-> float (round to nearest even), exposed for tests.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

}  // namespace ganzoo
