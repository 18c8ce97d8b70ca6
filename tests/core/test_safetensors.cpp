// The safetensors container: half <-> float, round trips, and one test per malformed-file case.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "ganzoo/error.hpp"
#include "ganzoo/safetensors.hpp"
#include "test_models.hpp"

using namespace ganzoo;
using ganzoo::testing::raw_file;
using Catch::Matchers::Contains;

namespace {

std::string read_error(const std::vector<uint8_t>& file, const LoadLimits& limits = {}) {
    try {
        read_safetensors(file.data(), file.size(), limits);
    } catch (const Error& e) {
        std::printf("  error: %s\n", e.what());
        return e.what();
    }
    return "<no error>";
}

float bits_to_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

}  // namespace

// ---- half <-> float --------------------------------------------------------------------------

TEST_CASE("float_to_half: known bit patterns") {
    CHECK(float_to_half(0.0f) == 0x0000);
    CHECK(float_to_half(-0.0f) == 0x8000);
    CHECK(float_to_half(1.0f) == 0x3c00);
    CHECK(float_to_half(-2.0f) == 0xc000);
    CHECK(float_to_half(0.5f) == 0x3800);
    CHECK(float_to_half(0.1f) == 0x2e66);
    CHECK(float_to_half(65504.0f) == 0x7bff);  // largest half
    CHECK(float_to_half(65519.0f) == 0x7bff);  // below the halfway point
    CHECK(float_to_half(65520.0f) == 0x7c00);  // halfway rounds to even: inf
    CHECK(float_to_half(1e6f) == 0x7c00);
    CHECK(float_to_half(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
    CHECK(float_to_half(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
    CHECK(float_to_half(std::ldexp(1.0f, -25)) == 0x0000);  // halfway to it: ties to even (0)
    CHECK(float_to_half(std::ldexp(1.5f, -25)) == 0x0001);
    CHECK(float_to_half(std::ldexp(3.0f, -25)) == 0x0002);             // 1.5 units: ties to even (2)
    CHECK(float_to_half(std::ldexp(1023.5f, -24)) == 0x0400);          // rounds up into the normals
    CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);      // tie, even stays
    CHECK(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);  // tie, odd rounds up
    CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);
    CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7c00);
    CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xfc00);
    const uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
    CHECK((nan & 0x7c00) == 0x7c00);
    CHECK((nan & 0x03ff) != 0);
    CHECK((float_to_half(bits_to_float(0x7f800001u)) & 0x3ff) != 0);  // signalling nan stays nan
}

TEST_CASE("half_to_float: known bit patterns") {
    CHECK(half_to_float(0x3c00) == 1.0f);
    CHECK(half_to_float(0xc000) == -2.0f);
    CHECK(half_to_float(0x7bff) == 65504.0f);
    CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));
    CHECK(half_to_float(0x03ff) == std::ldexp(1023.0f, -24));
    CHECK(half_to_float(0x0400) == std::ldexp(1.0f, -14));
    CHECK(std::signbit(half_to_float(0x8000)));
    CHECK(half_to_float(0x7c00) == std::numeric_limits<float>::infinity());
    CHECK(half_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
    CHECK(std::isnan(half_to_float(0x7e00)));
}

TEST_CASE("half -> float -> half is the identity on all 65536 halves") {
    int mismatches = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = half_to_float(static_cast<uint16_t>(h));
        const uint16_t back = float_to_half(f);
        const bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        if (is_nan ? !std::isnan(f) || (back & 0x7c00) != 0x7c00 || !(back & 0x3ff) : back != h) ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("float -> half rounds to the nearest half") {
    // Every float in a range of binades: the chosen half is never farther than its neighbours.
    double worst = 0;
    for (uint32_t u = 0x33000000u; u < 0x477fe000u; u += 0x1235u) {
        const float f = bits_to_float(u);
        const uint16_t h = float_to_half(f);
        const double d = std::fabs(double(half_to_float(h)) - f);
        const double down = std::fabs(double(half_to_float(static_cast<uint16_t>(h - 1))) - f);
        const double up = std::fabs(double(half_to_float(static_cast<uint16_t>(h + 1))) - f);
        if (d > down || d > up) FAIL("float " << f << " -> half " << h << " is not the nearest");
        if (f > 1e-4f) worst = std::max(worst, d / f);
    }
    std::printf("float -> half: worst relative error %.3g (bound 2^-11 = %.3g)\n", worst,
                std::ldexp(1.0, -11));
    CHECK(worst <= std::ldexp(1.0, -11));
}

// ---- round trips -----------------------------------------------------------------------------

TEST_CASE("safetensors round trip: F32, F16, metadata, empty tensors") {
    std::vector<TensorToWrite> tensors = {
        {"a.weight", DType::F32, {2, 3}, {1.0f, -2.5f, 3.25f, 1e-20f, -0.0f, 65504.0f}},
        {"b", DType::F16, {4}, {1.0f, 0.1f, -65504.0f, std::ldexp(1.0f, -24)}},
        {"empty", DType::F32, {0, 5}, {}},
        {"scalar", DType::F32, {}, {42.0f}},
    };
    const std::map<std::string, std::string> metadata = {{"ganzoo", "{\"x\": 1}"}, {"other", "é"}};
    const std::vector<uint8_t> bytes = write_safetensors(tensors, metadata);
    uint64_t header = 0;
    for (int i = 0; i < 8; ++i) header |= uint64_t(bytes[i]) << (8 * i);
    CHECK(header % 8 == 0);  // data stays aligned

    const Safetensors read = read_safetensors(bytes.data(), bytes.size());
    CHECK(read.metadata == metadata);
    REQUIRE(read.tensors.size() == 4);
    CHECK(read.tensors.at("a.weight").shape == std::vector<int64_t>{2, 3});
    CHECK(read.tensors.at("a.weight").values == tensors[0].values);
    CHECK(read.tensors.at("b").dtype == DType::F16);
    CHECK(read.tensors.at("b").values ==
          std::vector<float>{1.0f, half_to_float(0x2e66), -65504.0f, std::ldexp(1.0f, -24)});
    CHECK(read.tensors.at("empty").values.empty());
    CHECK(read.tensors.at("scalar").values == std::vector<float>{42.0f});
}

TEST_CASE("write_safetensors refuses values that do not match the shape") {
    CHECK_THROWS_WITH(write_safetensors({{"w", DType::F32, {2, 2}, {1, 2, 3}}}, {}), Contains("'w'"));
    CHECK_THROWS_WITH(write_safetensors({{"w", DType::F32, {1}, {1}}, {"w", DType::F32, {1}, {1}}}, {}),
                      Contains("twice"));
}

TEST_CASE("read_safetensors accepts tensors in any order, with a standard space-padded header") {
    const auto f = raw_file(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                            R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}   )",
                            8);
    CHECK(read_safetensors(f.data(), f.size()).tensors.size() == 2);
}

// ---- reading no more than a load needs -------------------------------------------------------

TEST_CASE("safetensors_extent: the header first, then the data up to the last tensor's end") {
    const std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                               R"("a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
    auto f = raw_file(header, 8);
    const std::vector<uint8_t> padded_tail(1000, 0xAB);  // never needed
    f.insert(f.end(), padded_tail.begin(), padded_tail.end());
    const uint64_t file_size = f.size();
    CHECK(safetensors_extent(f.data(), 0, file_size) == 8);
    CHECK(safetensors_extent(f.data(), 5, file_size) == 8);
    CHECK(safetensors_extent(f.data(), 8, file_size) == 8 + header.size());
    CHECK(safetensors_extent(f.data(), 8 + header.size() - 1, file_size) == 8 + header.size());
    const uint64_t extent = 8 + header.size() + 8;
    CHECK(safetensors_extent(f.data(), 8 + header.size(), file_size) == extent);
    CHECK(safetensors_extent(f.data(), f.size(), file_size) == extent);
    // What the extent holds loads as the whole file does.
    const Safetensors whole = read_safetensors(f.data(), f.size());
    const Safetensors head = read_safetensors(f.data(), extent);
    CHECK(head.tensors.at("a").values == whole.tensors.at("a").values);
    CHECK(head.tensors.at("b").values == whole.tensors.at("b").values);
    // A header without tensors needs nothing after itself.
    const auto empty = raw_file("{}", 0);
    CHECK(safetensors_extent(empty.data(), empty.size(), empty.size()) == empty.size());
}

TEST_CASE("safetensors_extent refuses from the header what read_safetensors refuses, alike") {
    const auto check_same = [](const std::vector<uint8_t>& f) {
        std::string extent_error = "<no error>";
        try {
            safetensors_extent(f.data(), f.size(), f.size());
        } catch (const Error& e) {
            extent_error = e.what();
        }
        CHECK(extent_error != "<no error>");
        CHECK(extent_error == read_error(f));
    };
    check_same({1, 0, 0});                      // shorter than the length prefix
    auto beyond = raw_file("{}", 0);
    beyond[0] = 200;
    check_same(beyond);                         // header length beyond the file
    check_same(raw_file("{not json", 0));       // not JSON
    check_same(raw_file(R"({"far": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8));
    check_same(raw_file(R"({"first": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                        R"("second": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                        12));
}

// ---- malformed files: one test per case ------------------------------------------------------

TEST_CASE("malformed: file shorter than 8 bytes") {
    const std::vector<uint8_t> f = {1, 0, 0};
    CHECK_THAT(read_error(f), Contains("3 bytes") && Contains("shorter than the 8-byte header length"));
}

TEST_CASE("malformed: header length beyond the file") {
    auto f = raw_file("{}", 0);
    f[0] = 200;
    CHECK_THAT(read_error(f), Contains("header length 200") && Contains("exceeds the 2 bytes"));
}

TEST_CASE("malformed: header length over max_header_bytes") {
    LoadLimits limits;
    limits.max_header_bytes = 16;
    const auto f = raw_file(R"({"__metadata__": {"k": "a long enough value"}})", 0);
    CHECK_THAT(read_error(f, limits), Contains("over the limit of 16 bytes"));
}

TEST_CASE("malformed: header JSON not well-formed") {
    CHECK_THAT(read_error(raw_file(R"({"w": {"dtype": "F32",)", 0)), Contains("not well-formed JSON"));
}

TEST_CASE("malformed: header JSON not an object") {
    CHECK_THAT(read_error(raw_file("[1, 2]", 0)), Contains("must be a JSON object"));
}

TEST_CASE("malformed: entry not an object") {
    CHECK_THAT(read_error(raw_file(R"({"G.0.weight": [1, 2]})", 0)),
               Contains("tensor 'G.0.weight'") && Contains("must be an object"));
}

TEST_CASE("malformed: entry missing dtype") {
    CHECK_THAT(read_error(raw_file(R"({"w1": {"shape": [1], "data_offsets": [0, 4]}})", 4)),
               Contains("tensor 'w1'") && Contains("missing 'dtype'"));
}

TEST_CASE("malformed: entry missing shape") {
    CHECK_THAT(read_error(raw_file(R"({"w2": {"dtype": "F32", "data_offsets": [0, 4]}})", 4)),
               Contains("tensor 'w2'") && Contains("missing 'shape'"));
}

TEST_CASE("malformed: entry missing data_offsets") {
    CHECK_THAT(read_error(raw_file(R"({"w3": {"dtype": "F32", "shape": [1]}})", 4)),
               Contains("tensor 'w3'") && Contains("missing 'data_offsets'"));
}

TEST_CASE("malformed: unknown dtype") {
    CHECK_THAT(
        read_error(raw_file(R"({"G.emb": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", 8)),
        Contains("tensor 'G.emb'") && Contains("dtype 'I64' is not supported"));
    CHECK_THAT(
        read_error(raw_file(R"({"G.bf": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}})", 2)),
        Contains("tensor 'G.bf'"));
}

TEST_CASE("malformed: negative dimension") {
    CHECK_THAT(
        read_error(raw_file(R"({"neg": {"dtype": "F32", "shape": [2, -1], "data_offsets": [0, 0]}})", 0)),
        Contains("tensor 'neg'") && Contains("negative dimension"));
}

TEST_CASE("malformed: shape product overflows") {
    const auto f = raw_file(R"({"huge": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],)"
                            R"( "data_offsets": [0, 0]}})",
                            0);
    CHECK_THAT(read_error(f), Contains("tensor 'huge'") && Contains("overflow"));
}

TEST_CASE("malformed: more tensors than max_tensors") {
    LoadLimits limits;
    limits.max_tensors = 2;
    const auto f = raw_file(R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},)"
                            R"("b": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]},)"
                            R"("c": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}})",
                            0);
    CHECK_THAT(read_error(f, limits), Contains("3 tensors") && Contains("limit of 2"));
}

TEST_CASE("malformed: total elements over max_total_elements") {
    LoadLimits limits;
    limits.max_total_elements = 3;
    const auto f = raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                            R"("big": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}})",
                            16);
    CHECK_THAT(read_error(f, limits), Contains("tensor 'big'") && Contains("limit of 3"));
}

TEST_CASE("malformed: data_offsets begin after end") {
    CHECK_THAT(read_error(raw_file(R"({"rev": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8)),
               Contains("tensor 'rev'") && Contains("begin after end"));
}

TEST_CASE("malformed: data_offsets end beyond the data area") {
    CHECK_THAT(read_error(raw_file(R"({"far": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8)),
               Contains("tensor 'far'") && Contains("beyond the data area of 8 bytes"));
}

TEST_CASE("malformed: byte count differs from shape * dtype size") {
    const auto f =
        raw_file(R"({"G.0.weight": {"dtype": "F32", "shape": [5, 5], "data_offsets": [0, 96]}})", 100);
    CHECK(read_error(f) ==
          "safetensors: tensor 'G.0.weight': data_offsets [0, 96] hold 96 bytes, shape [5, 5] F32 needs 100");
}

TEST_CASE("malformed: overlapping tensors") {
    const auto f = raw_file(R"({"first": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                            R"("second": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                            12);
    CHECK_THAT(read_error(f), Contains("tensor 'second'") && Contains("overlap tensor 'first'"));
}

TEST_CASE("malformed: __metadata__ not an object") {
    CHECK_THAT(read_error(raw_file(R"({"__metadata__": ["ganzoo"]})", 0)),
               Contains("__metadata__ must be an object of strings"));
}

TEST_CASE("malformed: __metadata__ value not a string") {
    CHECK_THAT(read_error(raw_file(R"({"__metadata__": {"ganzoo": {"format": 1}}})", 0)),
               Contains("__metadata__ 'ganzoo' must be a string"));
}

TEST_CASE("malformed: non-integer data_offsets and dims") {
    CHECK_THAT(read_error(raw_file(R"({"f": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}})", 4)),
               Contains("tensor 'f'") && Contains("must hold integers"));
    CHECK_THAT(read_error(raw_file(R"({"g": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 4]}})", 4)),
               Contains("tensor 'g'") && Contains("two non-negative integers"));
}

TEST_CASE("malformed: deeply nested JSON is refused without exhausting the stack") {
    const std::string deep = "{\"deep\": " + std::string(200000, '[') + std::string(200000, ']') + "}";
    CHECK_THAT(read_error(raw_file(deep, 0)), Contains("tensor 'deep'") && Contains("must be an object"));
    const std::string meta = "{\"__metadata__\": {\"ganzoo\": " + std::string(200000, '[') +
                             std::string(200000, ']') + "}}";
    CHECK_THAT(read_error(raw_file(meta, 0)), Contains("__metadata__ 'ganzoo' must be a string"));
}
