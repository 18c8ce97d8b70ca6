// libFuzzer target: ganzoo::Model::load over arbitrary bytes (safetensors container, graph JSON,
// tensor bounds, shape inference). A file that loads is also verified and sampled once, so the
// ops run on whatever shapes the fuzzer found acceptable. Any ganzoo::Error is a correct answer.
#include <cstddef>
#include <cstdint>

#include "ganzoo/error.hpp"
#include "ganzoo/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ganzoo::LoadLimits limits;  // tighter than the defaults: keep each run small and fast
    limits.max_header_bytes = 1 << 20;
    limits.max_total_elements = 1 << 20;
    limits.max_image_side = 64;
    limits.max_batch = 8;
    limits.max_activation_elements = 1 << 20;
    try {
        const auto model = ganzoo::Model::load(data, size, limits);
        model.verify();
        ganzoo::GenerateRequest request;
        request.count = 2;
        if (model.info().num_classes > 0) request.labels = {1};
        if (!model.info().nets.empty()) request.net = model.info().nets.front();
        model.generate(request);
    } catch (const ganzoo::Error&) {
    }
    return 0;
}
