// to_rgba8 and tile_grid.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ganzoo/error.hpp"
#include "ganzoo/image.hpp"

using namespace ganzoo;
using Catch::Matchers::Contains;

TEST_CASE("to_rgba8 maps [lo, hi] to [0, 255], clamps, and greys to R=G=B") {
    const Tensor grey({1, 1, 1, 6}, {-1.0f, 1.0f, 0.0f, -3.0f, 7.0f, NAN});
    const std::vector<uint8_t> px = to_rgba8(grey, -1.0f, 1.0f);
    REQUIRE(px.size() == 6 * 4);
    const uint8_t expected[] = {0, 255, 128, 0, 255, 0};
    for (int i = 0; i < 6; ++i) {
        CHECK(px[i * 4 + 0] == expected[i]);
        CHECK(px[i * 4 + 1] == expected[i]);
        CHECK(px[i * 4 + 2] == expected[i]);
        CHECK(px[i * 4 + 3] == 255);
    }
    // Range [0, 1], RGB planes.
    const Tensor rgb({2, 3, 1, 1}, {1.0f, 0.0f, 0.5f, 0.2f, 0.4f, 0.6f});
    const std::vector<uint8_t> c = to_rgba8(rgb, 0.0f, 1.0f);
    CHECK(std::vector<uint8_t>(c.begin(), c.end()) ==
          std::vector<uint8_t>{255, 0, 128, 255, 51, 102, 153, 255});
}

// The same table as browser_test.mjs's toRgba test: the page makes RGBA with a JavaScript port
// of to_rgba8 (web/ganzoo.js), and both must give these bytes. The float just below 0.5 is where
// float32 and double part ways: x + 0.5f is 1 - 2^-25, halfway, and rounds (to even) to 1.0f.
TEST_CASE("to_rgba8 rounds in float32: the edge values the page's port must agree on") {
    auto grey = [](std::vector<float> v, float lo, float hi) {
        const int64_t n = static_cast<int64_t>(v.size());
        const std::vector<uint8_t> px = to_rgba8(Tensor({n, 1, 1, 1}, std::move(v)), lo, hi);
        std::vector<int> r;
        for (size_t i = 0; i < px.size(); i += 4) r.push_back(px[i]);
        return r;
    };
    CHECK(grey({0.0f, 1e-30f, std::nextafter(0.5f, 0.0f), 0.5f, 1.49f, 254.5f, std::nextafter(254.5f, 0.0f), 254.9f,
                255.0f, 300.0f, -3.0f}, 0.0f, 255.0f) == std::vector<int>{0, 0, 1, 1, 1, 255, 254, 255, 255, 255, 0});
    CHECK(grey({-1.0f, 1.0f, 0.0f, -0.5f, 0.5f, NAN, -INFINITY, INFINITY, -2.0f, 2.0f}, -1.0f, 1.0f) ==
          std::vector<int>{0, 255, 128, 64, 191, 0, 0, 255, 0, 255});
}

TEST_CASE("to_rgba8 refuses what it cannot show") {
    CHECK_THROWS_WITH(to_rgba8(Tensor::zeros({1, 2, 2, 2}), -1, 1), Contains("2 channels"));
    CHECK_THROWS_WITH(to_rgba8(Tensor::zeros({4, 4}), -1, 1), Contains("[N, C, H, W]"));
    CHECK_THROWS_WITH(to_rgba8(Tensor::zeros({1, 1, 2, 2}), 1, 1), Contains("range"));
}

TEST_CASE("tile_grid places images in rows with padding of background grey") {
    // 5 images 2x3 (HxW), 3 columns, padding 1: 2 rows -> width 3*3+2 = 11, height 2*2+1 = 5.
    Tensor images = Tensor::zeros({5, 1, 2, 3});
    for (int64_t i = 0; i < 5; ++i)
        for (int64_t p = 0; p < 6; ++p)
            images.data[i * 6 + p] = static_cast<float>(i) / 4.0f;  // image i: i*255/4
    const Grid g = tile_grid(images, 0.0f, 1.0f, 3, 1, 32);
    REQUIRE(g.width == 11);
    REQUIRE(g.height == 5);
    REQUIRE(g.rgba.size() == 11 * 5 * 4);
    auto at = [&](int x, int y) { return g.rgba[(y * g.width + x) * 4]; };
    CHECK(at(0, 0) == 0);    // image 0
    CHECK(at(4, 1) == 64);   // image 1 (x 4..6)
    CHECK(at(8, 0) == 128);  // image 2 (x 8..10)
    CHECK(at(0, 3) == 191);  // image 3, second row (y 3..4)
    CHECK(at(6, 4) == 255);  // image 4
    CHECK(at(3, 0) == 32);   // padding column
    CHECK(at(0, 2) == 32);   // padding row
    CHECK(at(9, 3) == 32);   // the empty sixth cell
    CHECK(g.rgba[(2 * g.width + 0) * 4 + 3] == 255);
    // More columns than images: one row of N.
    const Grid one_row = tile_grid(images, 0.0f, 1.0f, 8, 0);
    CHECK(one_row.width == 15);
    CHECK(one_row.height == 2);
    CHECK_THROWS_WITH(tile_grid(images, 0.0f, 1.0f, 0), Contains("columns"));
}

TEST_CASE("enlarge_grid repeats each pixel scale x scale times") {
    Grid g;
    g.width = 2;
    g.height = 1;
    g.rgba = {10, 10, 10, 255, 200, 200, 200, 255};
    const Grid big = enlarge_grid(g, 3);
    REQUIRE(big.width == 6);
    REQUIRE(big.height == 3);
    auto at = [&](int x, int y) { return big.rgba[(y * big.width + x) * 4]; };
    CHECK(at(0, 0) == 10);
    CHECK(at(2, 2) == 10);
    CHECK(at(3, 0) == 200);
    CHECK(at(5, 2) == 200);
    CHECK(enlarge_grid(g, 1).rgba == g.rgba);
}

TEST_CASE("area_resize centre-crops to the target's aspect ratio, then averages the pixels each covers") {
    // 1x2x4 (H x W) to 1x1: the centre 2x2 (columns 1, 2), mean of 10, 20, 50, 60 = 35.
    const std::vector<uint8_t> src{0, 10, 20, 30, 40, 50, 60, 70};
    CHECK(area_resize(src, 1, 2, 4, 1, 1) == std::vector<uint8_t>{35});
    // 1x2x2 to 1x4x4: each source pixel covers 2x2 target pixels.
    const std::vector<uint8_t> up = area_resize({0, 100, 200, 255}, 1, 2, 2, 4, 4);
    CHECK(up == std::vector<uint8_t>{0, 0, 100, 100, 0, 0, 100, 100, 200, 200, 255, 255, 200, 200, 255, 255});
    // A third of a pixel each way: 3x3 to 2x2 weighs the shared middle row and column by half.
    const std::vector<uint8_t> third = area_resize({0, 0, 0, 0, 90, 0, 0, 0, 0}, 1, 3, 3, 2, 2);
    CHECK(third == std::vector<uint8_t>{10, 10, 10, 10});
    CHECK_THROWS_WITH(area_resize({1, 2, 3}, 1, 2, 2, 1, 1), Contains("area_resize"));
}
