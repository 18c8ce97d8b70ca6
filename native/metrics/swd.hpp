// The sliced Wasserstein distance of Karras et al. 2018 (arXiv 1710.10196, §5 and appendix D;
// their metrics/sliced_wasserstein.py), LibTorch-free, on Eigen:
//
//   1. a Laplacian pyramid of every image: a 5×5 binomial blur ([1 4 6 4 1]/16 per axis, mirror
//      edges) and every second pixel gives the next level (cv2.pyrDown); each level but the
//      coarsest keeps itself minus its coarser neighbour upsampled (zeros between pixels, the
//      same blur ×4: cv2.pyrUp), the coarsest is the low-pass image. Levels halve while the size
//      is even and the half is at least the neighbourhood (7): the paper stops at 16 px, which
//      for Fashion-MNIST's 28 px would leave only 28 → 14; we go 28 → 14 → 7, and at 7 px the one
//      7×7 neighbourhood is the whole low-pass image.
//   2. descriptors: 7×7 neighbourhoods at random positions (the same positions for every set
//      measured with the same seed), normalized per channel by the mean and standard deviation of
//      that channel over all descriptors of that level and set;
//   3. per level, the SWD between two descriptor sets: random unit directions (`directions` per
//      repeat, `repeats` repeats; the paper's code: 128 × 4), both sets projected, sorted, the mean
//      absolute difference; the mean over repeats, ×10³ as the paper reports it.
//
// The paper draws 128 descriptors per image per level from 16,384 images (2M per level); the
// defaults here (8 per image, at most 4,096 images: 32,768 per level at 28 and 14 px, one per
// image at 7 px) take ~10 s of one core for a model, its floor and the test set together.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "ganzoo/tensor.hpp"

namespace ganzoo::metrics {

constexpr int64_t kSwdNeighbourhood = 7;

// Pyramid sizes for an image side: 28 → {28, 14, 7}, 32 → {32, 16, 8}, 7 → {7}.
std::vector<int64_t> swd_resolutions(int64_t side);

// images [n, C, H, W] → [n, C, H/2, W/2] (H, W even) and back to [n, C, 2h, 2w].
Tensor pyramid_down(const Tensor& images);
Tensor pyramid_up(const Tensor& images);

// `levels` tensors, finest first: band-pass levels, then the low-pass image.
std::vector<Tensor> laplacian_pyramid(const Tensor& images, int levels);
// The inverse: the coarsest level upsampled and added to the next, down to the finest.
Tensor reconstruct_laplacian_pyramid(const std::vector<Tensor>& pyramid);

struct SwdOptions {
    int64_t per_image = 8;   // descriptors per image per level (all positions when a level has fewer)
    int repeats = 4;
    int directions = 128;    // per repeat
    uint64_t seed = 1;       // descriptor positions and directions
};

// Per level (finest first), the normalized descriptors [N, C·7·7] of images [n, C, H, W] (square).
std::vector<Eigen::MatrixXf> swd_descriptors(const Tensor& images, const SwdOptions& options);

// The SWD between `reference` and each of `others` (same shape), ×10³, for the level `level`
// (which seeds the directions). The reference is projected and sorted once for all of them.
std::vector<double> sliced_wasserstein(const Eigen::MatrixXf& reference, const std::vector<const Eigen::MatrixXf*>& others,
                                       int level, const SwdOptions& options);

// Both image sets [n, C, H, W] (same shape): the SWD ×10³ per level, finest first.
std::vector<double> sliced_wasserstein_distance(const Tensor& a, const Tensor& b, const SwdOptions& options = {});

}  // namespace ganzoo::metrics
