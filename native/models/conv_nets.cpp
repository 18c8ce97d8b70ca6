#include "models/conv_nets.hpp"

namespace ganzoo::models {
namespace {

// How many ×2 stages take the image side down to its base (≤ 8): 28 → 7 is 2, 32 → 4 is 3.
int64_t count_stages(int64_t side) {
    int64_t stages = 0;
    while (side % 2 == 0 && side > 8) {
        side /= 2;
        ++stages;
    }
    return stages;
}

}  // namespace

LadderShapes ladder_shapes(const ImageShape& shape, int64_t width, const std::string& who) {
    const int64_t stages = count_stages(std::min(shape.height, shape.width));
    if (stages < 1)
        throw std::invalid_argument(who + ": image side " + std::to_string(shape.height) + " must be even and > 8");
    const int64_t scale = int64_t{1} << stages;
    if (shape.height % scale != 0 || shape.width % scale != 0)
        throw std::invalid_argument(who + ": image " + std::to_string(shape.height) + "x" +
                                    std::to_string(shape.width) + " is not divisible by " + std::to_string(scale));
    return {stages, shape.height / scale, shape.width / scale, width << (stages - 1)};
}

torch::nn::Sequential make_dcgan_generator(int64_t z_dim, int64_t width, const ImageShape& shape,
                                           const std::string& who, bool batch_norm) {
    namespace nn = torch::nn;
    const LadderShapes s = ladder_shapes(shape, width, who);
    nn::Sequential g;
    // Project and reshape; no bias, the batch norm that follows has one.
    g->push_back(nn::Linear(nn::LinearOptions(z_dim, s.top_channels * s.base_h * s.base_w).bias(!batch_norm)));
    g->push_back(nn::Unflatten(nn::UnflattenOptions(1, {s.top_channels, s.base_h, s.base_w})));
    if (batch_norm) g->push_back(nn::BatchNorm2d(s.top_channels));
    g->push_back(nn::ReLU());
    int64_t channels = s.top_channels;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        g->push_back(nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(channels, channels / 2, 4).stride(2).padding(1).bias(!batch_norm)));
        if (batch_norm) g->push_back(nn::BatchNorm2d(channels / 2));
        g->push_back(nn::ReLU());
        channels /= 2;
    }
    // Output layer: no batch norm (the paper), tanh to [-1, 1].
    g->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(channels, shape.channels, 4).stride(2).padding(1)));
    g->push_back(nn::Tanh());
    return g;
}

CriticNorm critic_norm_from(const std::string& name) {
    if (name == "batch") return CriticNorm::Batch;
    if (name == "layer") return CriticNorm::Layer;
    if (name == "none") return CriticNorm::None;
    throw std::invalid_argument("config: 'critic_norm' must be \"batch\", \"layer\" or \"none\", got \"" + name + "\"");
}

torch::nn::Sequential make_dcgan_discriminator(int64_t width, const ImageShape& shape, CriticNorm norm,
                                               const std::string& who) {
    namespace nn = torch::nn;
    const LadderShapes s = ladder_shapes(shape, width, who);
    nn::Sequential d;
    // Input layer: no normalization (the paper).
    d->push_back(nn::Conv2d(nn::Conv2dOptions(shape.channels, width, 4).stride(2).padding(1)));
    d->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
    int64_t channels = width, h = shape.height / 2, w = shape.width / 2;
    for (int64_t stage = 1; stage < s.stages; ++stage) {
        h /= 2;
        w /= 2;
        // A bias is redundant in front of batch norm, not in front of layer norm or nothing.
        d->push_back(nn::Conv2d(
            nn::Conv2dOptions(channels, channels * 2, 4).stride(2).padding(1).bias(norm != CriticNorm::Batch)));
        if (norm == CriticNorm::Batch) d->push_back(nn::BatchNorm2d(channels * 2));
        if (norm == CriticNorm::Layer) d->push_back(nn::LayerNorm(nn::LayerNormOptions({channels * 2, h, w})));
        d->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
        channels *= 2;
    }
    d->push_back(nn::Flatten());
    d->push_back(nn::Linear(channels * s.base_h * s.base_w, 1));
    return d;
}

}  // namespace ganzoo::models
