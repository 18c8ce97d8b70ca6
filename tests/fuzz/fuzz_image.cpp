// libFuzzer target: ganzoo::data::decode_image, the stb_image PNG/JPEG/BMP path the image-folder
// reader decodes every file with. The first byte picks the channel conversion (0, 1 or 3).
#include <cstddef>
#include <cstdint>

#include "data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const int kChannels[3] = {0, 1, 3};
    try {
        ganzoo::data::decode_image(std::vector<uint8_t>(data + 1, data + size), "fuzz.png", kChannels[data[0] % 3]);
    } catch (const ganzoo::data::DataError&) {
    }
    return 0;
}
