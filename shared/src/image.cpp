// ganzoo core: generated NCHW floats -> 8-bit RGBA pixels and grids.
#include "ganzoo/image.hpp"

#include <algorithm>
#include <cmath>

#include "ganzoo/error.hpp"

namespace ganzoo {

namespace {

struct ImageBatch {
    int64_t n = 0, c = 0, h = 0, w = 0;
};

ImageBatch check_images(const Tensor& images, float lo, float hi, const char* what) {
    if (images.rank() != 4 || static_cast<int64_t>(images.data.size()) != images.numel())
        throw Error(std::string(what) + ": images must be a [N, C, H, W] tensor");
    const ImageBatch b{images.dim(0), images.dim(1), images.dim(2), images.dim(3)};
    if (b.c != 1 && b.c != 3)
        throw Error(std::string(what) + ": images have " + std::to_string(b.c) +
                    " channels, only 1 (grey) or 3 (RGB) can be shown");
    if (!(lo < hi))
        throw Error(std::string(what) + ": value range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                    "] is empty");
    return b;
}

inline uint8_t to_byte(float v, float lo, float scale) {
    const float x = (v - lo) * scale;
    if (!(x > 0.0f)) return 0;  // also nan
    if (x >= 255.0f) return 255;
    return static_cast<uint8_t>(x + 0.5f);
}

// Writes image `i` of the batch into rgba at (x0, y0) of a canvas `stride` pixels wide.
void put_image(const Tensor& images, const ImageBatch& b, int64_t i, float lo, float hi, uint8_t* rgba,
               int64_t stride, int64_t x0, int64_t y0) {
    const float scale = 255.0f / (hi - lo);
    const int64_t plane = b.h * b.w;
    const float* src = images.data.data() + i * b.c * plane;
    for (int64_t y = 0; y < b.h; ++y) {
        uint8_t* dst = rgba + ((y0 + y) * stride + x0) * 4;
        for (int64_t x = 0; x < b.w; ++x, dst += 4) {
            const int64_t p = y * b.w + x;
            const uint8_t r = to_byte(src[p], lo, scale);
            dst[0] = r;
            dst[1] = b.c == 3 ? to_byte(src[plane + p], lo, scale) : r;
            dst[2] = b.c == 3 ? to_byte(src[2 * plane + p], lo, scale) : r;
            dst[3] = 255;
        }
    }
}

}  // namespace

std::vector<uint8_t> to_rgba8(const Tensor& images, float lo, float hi) {
    const ImageBatch b = check_images(images, lo, hi, "to_rgba8");
    std::vector<uint8_t> rgba(static_cast<size_t>(b.n * b.h * b.w * 4));
    for (int64_t i = 0; i < b.n; ++i)
        put_image(images, b, i, lo, hi, rgba.data() + i * b.h * b.w * 4, b.w, 0, 0);
    return rgba;
}

Grid tile_grid(const Tensor& images, float lo, float hi, int columns, int padding, uint8_t background) {
    const ImageBatch b = check_images(images, lo, hi, "tile_grid");
    if (columns < 1 || padding < 0)
        throw Error("tile_grid: columns must be >= 1 and padding >= 0 (got " + std::to_string(columns) +
                    ", " + std::to_string(padding) + ")");
    Grid grid;
    if (b.n == 0) return grid;
    const int64_t cols = std::min<int64_t>(columns, b.n);
    const int64_t rows = (b.n + cols - 1) / cols;
    grid.width = static_cast<int>(cols * b.w + (cols - 1) * padding);
    grid.height = static_cast<int>(rows * b.h + (rows - 1) * padding);
    grid.rgba.resize(static_cast<size_t>(grid.width) * grid.height * 4);
    for (size_t p = 0; p < grid.rgba.size(); p += 4) {
        grid.rgba[p] = grid.rgba[p + 1] = grid.rgba[p + 2] = background;
        grid.rgba[p + 3] = 255;
    }
    for (int64_t i = 0; i < b.n; ++i)
        put_image(images, b, i, lo, hi, grid.rgba.data(), grid.width, (i % cols) * (b.w + padding),
                  (i / cols) * (b.h + padding));
    return grid;
}

Grid enlarge_grid(const Grid& grid, int scale) {
    if (scale <= 1) return grid;
    Grid out;
    out.width = grid.width * scale;
    out.height = grid.height * scale;
    out.rgba.resize(static_cast<size_t>(out.width) * out.height * 4);
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x)
            std::copy_n(&grid.rgba[(static_cast<size_t>(y / scale) * grid.width + x / scale) * 4], 4,
                        &out.rgba[(static_cast<size_t>(y) * out.width + x) * 4]);
    return out;
}

std::vector<uint8_t> area_resize(const std::vector<uint8_t>& src, int64_t channels, int64_t sh, int64_t sw, int64_t th,
                                 int64_t tw) {
    if (channels < 1 || sh < 1 || sw < 1 || th < 1 || tw < 1 ||
        static_cast<int64_t>(src.size()) != channels * sh * sw)
        throw Error("area_resize: expected " + std::to_string(channels) + "x" + std::to_string(sh) + "x" +
                    std::to_string(sw) + " bytes and a target of at least 1x1");
    // The centre crop with the target's aspect ratio.
    int64_t ch = sh, cw = sw, y0 = 0, x0 = 0;
    if (sh * tw > sw * th) {
        ch = std::max<int64_t>(1, sw * th / tw);
        y0 = (sh - ch) / 2;
    } else {
        cw = std::max<int64_t>(1, sh * tw / th);
        x0 = (sw - cw) / 2;
    }
    std::vector<uint8_t> out(static_cast<size_t>(channels * th * tw));
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < th; ++y)
            for (int64_t x = 0; x < tw; ++x) {
                const double fy0 = double(y) * ch / th, fy1 = double(y + 1) * ch / th;
                const double fx0 = double(x) * cw / tw, fx1 = double(x + 1) * cw / tw;
                double sum = 0, weight = 0;
                for (int64_t sy = static_cast<int64_t>(fy0); sy < fy1 && sy < ch; ++sy) {
                    const double wy = std::min<double>(sy + 1, fy1) - std::max<double>(sy, fy0);
                    for (int64_t sx = static_cast<int64_t>(fx0); sx < fx1 && sx < cw; ++sx) {
                        const double w = wy * (std::min<double>(sx + 1, fx1) - std::max<double>(sx, fx0));
                        sum += w * src[static_cast<size_t>((c * sh + y0 + sy) * sw + x0 + sx)];
                        weight += w;
                    }
                }
                out[static_cast<size_t>((c * th + y) * tw + x)] =
                    static_cast<uint8_t>(std::lround(weight > 0 ? sum / weight : 0.0));
            }
    return out;
}

}  // namespace ganzoo
