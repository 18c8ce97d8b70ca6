// libFuzzer target: ganzoo::data::parse_idx (IDX header, dimensions, gzip members) over arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        ganzoo::data::parse_idx(std::vector<uint8_t>(data, data + size), "fuzz.idx");
    } catch (const ganzoo::data::DataError&) {
    }
    return 0;
}
