// ganzoo core: turning generated NCHW floats into 8-bit pixels, and resampling pixels.
#pragma once

#include <cstdint>
#include <vector>

#include "ganzoo/tensor.hpp"

namespace ganzoo {

// Maps [lo, hi] to [0, 255] (clamped, rounded to nearest) for an image batch [N, C, H, W]
// with C = 1 or 3. Returns N*H*W*4 RGBA bytes, image after image (grey -> R=G=B, A=255).
std::vector<uint8_t> to_rgba8(const Tensor& images, float lo, float hi);

struct Grid {
    int width = 0, height = 0;   // pixels
    std::vector<uint8_t> rgba;   // width*height*4
};

// Tiles a batch [N, C, H, W] into a grid of `columns` columns with `padding` pixels
// of `background` grey between cells (none around the border); fewer than `columns`
// images make one row of N. Empty cells of the last row are background.
Grid tile_grid(const Tensor& images, float lo, float hi, int columns, int padding = 2,
               uint8_t background = 32);

// Nearest-neighbour enlargement, `scale` times in each direction (1 keeps the grid), so that
// 28-pixel samples can be looked at.
Grid enlarge_grid(const Grid& grid, int scale);

// An image of any size as one of `th` x `tw`: centre-cropped to the target's aspect ratio, then
// resized by area averaging (each output pixel the mean of the source pixels it covers, rounded).
// `src` holds channels x sh x sw bytes (CHW); returns channels x th x tw.
std::vector<uint8_t> area_resize(const std::vector<uint8_t>& src, int64_t channels, int64_t sh, int64_t sw,
                                 int64_t th, int64_t tw);

}  // namespace ganzoo
