// The DCGAN-shaped convolutional networks that several members share (DCGAN, WGAN, WGAN-GP):
// G projects z to a small feature map and doubles it with transposed convolutions; D mirrors it
// with strided convolutions down to one output. See dcgan.cpp for the paper's recipe.
#pragma once

#include <torch/torch.h>

#include <string>

#include "models/family.hpp"

namespace ganzoo::models {

// Shapes of the ×2 ladder for an image: `stages` halvings take the side down to base_h × base_w
// (≤ 8); G's first feature map has `top_channels` = width · 2^(stages−1).
struct LadderShapes {
    int64_t stages, base_h, base_w, top_channels;
};
// Throws std::invalid_argument (prefixed with `who`) when the image cannot be halved to ≤ 8.
LadderShapes ladder_shapes(const ImageShape& shape, int64_t width, const std::string& who);

// z[z_dim] → Linear → [top, base_h, base_w] → BN → ReLU → (ConvT k4 s2 → BN → ReLU)… → ConvT → tanh.
// Without `batch_norm` the BNs are left out (and the layers before them get biases): each
// sample's output then depends on its own z only, which data-parallel training needs to equal
// a single process exactly (docs/distributed.md).
torch::nn::Sequential make_dcgan_generator(int64_t z_dim, int64_t width, const ImageShape& shape,
                                           const std::string& who, bool batch_norm = true);

// How D normalizes its hidden layers: DCGAN and WGAN use batch norm; WGAN-GP's per-sample
// gradient penalty forbids it (a sample's score must not depend on the others): layer norm
// over [C, H, W] or nothing.
enum class CriticNorm { Batch, Layer, None };
CriticNorm critic_norm_from(const std::string& name);  // "batch" | "layer" | "none"

// x → Conv k4 s2 → LReLU(0.2) → (Conv k4 s2 → norm → LReLU)… → flatten → Linear → one score
// (a logit for DCGAN, the critic's value for the WGANs: never a sigmoid here).
torch::nn::Sequential make_dcgan_discriminator(int64_t width, const ImageShape& shape, CriticNorm norm,
                                               const std::string& who);

}  // namespace ganzoo::models
