// Each LoadLimits limit refuses a hostile file before allocating what the file claims:
// this executable replaces operator new to record the largest single allocation and the bytes
// allocated in all while a refused load runs. Tensor values and activations are std::vectors,
// so they would show up here.
// GCC cannot see that the replaced operator new below is malloc-based and warns on the free().
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "ganzoo/error.hpp"
#include "ganzoo/safetensors.hpp"
#include "test_models.hpp"

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0}, g_total{0};
}  // namespace

void* operator new(size_t size) {
    if (g_tracking.load(std::memory_order_relaxed)) {
        g_total += size;
        size_t seen = g_largest.load();
        while (size > seen && !g_largest.compare_exchange_weak(seen, size)) {
        }
    }
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

using namespace ganzoo;
using namespace ganzoo::testing;
using Catch::Matchers::Contains;

namespace {

struct Allocations {
    size_t largest = 0, total = 0;
    std::string error;
};

// Runs `load` with allocation tracking on; it must throw ganzoo::Error.
template <typename Load>
Allocations refused(Load load) {
    Allocations a;
    g_largest = 0;
    g_total = 0;
    g_tracking = true;
    try {
        load();
        a.error = "<no error>";
    } catch (const Error& e) {
        a.error = e.what();
    }
    g_tracking = false;
    a.largest = g_largest;
    a.total = g_total;
    std::printf("  %s\n  largest allocation %zu bytes, %zu bytes in all\n", a.error.c_str(), a.largest, a.total);
    return a;
}

std::string entry(const std::string& name, int64_t elements, int64_t offset) {
    return "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": [" + std::to_string(elements) +
           "], \"data_offsets\": [" + std::to_string(offset) + ", " + std::to_string(offset + 4 * elements) + "]}";
}

}  // namespace

TEST_CASE("limit: header bytes are refused before the header is copied or parsed") {
    const std::string header = R"({"__metadata__": {"k": ")" + std::string(1 << 20, 'x') + "\"}}";
    const auto file = raw_file(header, 0);
    LoadLimits limits;
    limits.max_header_bytes = 4096;
    const auto a = refused([&] { read_safetensors(file.data(), file.size(), limits); });
    CHECK_THAT(a.error, Contains("over the limit of 4096 bytes"));
    CHECK(a.largest < 4096);
    CHECK(a.total < 64 * 1024);
}

TEST_CASE("limit: a header length beyond the file is refused without allocating it") {
    auto file = raw_file("{}", 0);
    file[5] = 1;  // claims a 2^40-byte header
    const auto a = refused([&] { read_safetensors(file.data(), file.size()); });
    CHECK_THAT(a.error, Contains("exceeds"));
    CHECK(a.largest < 4096);
}

TEST_CASE("limit: too many tensors are refused before any tensor storage is allocated") {
    constexpr int kTensors = 20, kElements = 65536;  // 5 MiB of data, 256 KiB per tensor
    std::string header = "{";
    for (int i = 0; i < kTensors; ++i)
        header += (i ? ", " : "") + entry("t" + std::to_string(i), kElements, int64_t(i) * kElements * 4);
    header += "}";
    const auto file = raw_file(header, size_t(kTensors) * kElements * 4);
    LoadLimits limits;
    limits.max_tensors = 4;
    const auto a = refused([&] { read_safetensors(file.data(), file.size(), limits); });
    CHECK_THAT(a.error, Contains("20 tensors") && Contains("limit of 4"));
    CHECK(a.largest < kElements * sizeof(float));          // not one tensor's values
    CHECK(a.total < size_t(kTensors) * kElements * 4 / 2);  // far from all of them
}

TEST_CASE("limit: total elements are refused before the values are allocated") {
    constexpr int64_t kElements = 1 << 20;  // one 4 MiB tensor
    const auto file = raw_file("{" + entry("big", kElements, 0) + "}", size_t(kElements) * 4);
    LoadLimits limits;
    limits.max_total_elements = 1000;
    const auto a = refused([&] { read_safetensors(file.data(), file.size(), limits); });
    CHECK_THAT(a.error, Contains("tensor 'big'") && Contains("limit of 1000"));
    CHECK(a.largest < 64 * 1024);
    CHECK(a.total < 256 * 1024);
}

TEST_CASE("limit: the total-elements limit holds through Model::load too") {
    ModelFile m = dcgan_test_model();
    const auto bytes = m.bytes();
    LoadLimits limits;
    limits.max_total_elements = 1000;
    const auto a = refused([&] { Model::load(bytes.data(), bytes.size(), limits); });
    CHECK_THAT(a.error, Contains("limit of 1000"));
    CHECK(a.largest < 1000 * sizeof(float));
}

TEST_CASE("limit: a huge declared image is refused before any activation is allocated") {
    ModelFile m = dcgan_test_model();
    m.doc["dataset"]["image"] = {1, 40000, 40000};  // 6.4 GB per generated image
    const auto bytes = m.bytes();
    const auto a = refused([&] { Model::load(bytes.data(), bytes.size()); });
    CHECK_THAT(a.error, Contains("dataset.image[1] (height) is 40000, expected 1..1024"));
    CHECK(a.largest < bytes.size());  // nothing beyond the file's own tensors
}

TEST_CASE("limit: a batch over max_batch is refused before its latents are drawn") {
    ModelFile m = dcgan_test_model();
    const Model model = m.load();
    GenerateRequest request;
    request.count = int64_t(1) << 40;
    const auto a = refused([&] { model.generate(request); });
    CHECK_THAT(a.error, Contains("4096"));
    CHECK(a.largest < 64 * 1024);
}

// A document nested deeper than the limit is refused: a 1.6 MB file whose ganzoo document held a
// 30,000-deep array loaded, and `ganzoo info` printed it as 1.8 GB of indentation.
TEST_CASE("limit: a ganzoo document nested deeper than max_json_depth is refused") {
    ModelFile m = dcgan_test_model();
    auto with_nested = [&m](size_t levels) {
        std::string text = m.doc.dump();
        text.insert(text.size() - 1, ",\"extra\":" + std::string(levels, '[') + std::string(levels, ']'));
        return write_safetensors(m.tensors, {{"ganzoo", text}});
    };
    const auto deep = with_nested(30000);
    const auto a = refused([&] { Model::load(deep.data(), deep.size()); });
    CHECK_THAT(a.error, Contains("ganzoo metadata: the document nests deeper than 32 levels"));
    const auto at_limit = with_nested(31);  // inside the document's own object: 32 levels
    CHECK_NOTHROW(Model::load(at_limit.data(), at_limit.size()));
}
