// ganzoo core: limits checked before allocation, so a hostile file cannot exhaust memory.
#pragma once

#include <cstdint>

namespace ganzoo {

struct LoadLimits {
    uint64_t max_header_bytes = 16u << 20;        // JSON header of the safetensors file
    uint64_t max_tensors = 4096;                  // entries in the header
    uint64_t max_total_elements = 256ull << 20;   // summed over all tensors
    int64_t max_image_side = 1024;                // declared image height/width
    int64_t max_batch = 4096;                     // samples in one generate() call
    uint64_t max_activation_elements = 512ull << 20;  // largest intermediate value of a run
    uint64_t max_json_depth = 32;                 // nesting of the ganzoo document (a model needs 7)
};

}  // namespace ganzoo
