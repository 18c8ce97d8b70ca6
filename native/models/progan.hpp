// ProGAN — Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
// Stability, and Variation", arXiv 1710.10196. See docs/members/progan.md.
//
// The pieces are here (not hidden in progan.cpp) so that tests/native/test_progan.cpp can check
// each mechanism on its own: pixel norm, the equalized-learning-rate layers, the minibatch
// standard deviation, the growth schedule, and the growing G and D with their fade-in.
#pragma once

#include <cmath>

#include "models/family.hpp"

namespace ganzoo::models::progan {

// §4.2: x / sqrt(mean over channels of x² + eps), at every pixel (dim 1 of [N, C, ...]).
torch::Tensor pixel_norm(const torch::Tensor& x, double eps = 1e-8);

// §3, as the official code computes it (networks.py, minibatch_stddev_layer): the batch is split
// into groups of `group_size` samples (sample n = g·M + m is in group m, M = N / group_size); in
// each group, the standard deviation of every feature at every pixel, averaged into one number,
// is appended to the group's samples as a constant channel: [N, C, H, W] → [N, C + 1, H, W].
// group_size 0, one larger than N, or one that does not divide N: the whole batch is one group.
torch::Tensor minibatch_stddev(const torch::Tensor& x, int64_t group_size = 4);

// He's per-layer constant gain / √fan_in (§4.1) with the official code's default gain √2:
// √(2 / fan_in).
double he_scale(int64_t fan_in, double gain = std::sqrt(2.0));

class PixelNormImpl : public torch::nn::Module, public ExportsAsOps {
public:
    explicit PixelNormImpl(double eps = 1e-8) : eps_(eps) {}
    torch::Tensor forward(const torch::Tensor& x) { return pixel_norm(x, eps_); }
    std::vector<ExportOp> export_ops() const override;

private:
    double eps_;
};
TORCH_MODULE(PixelNorm);

// §4.1, equalized learning rate: the weight is stored N(0, 1) and multiplied by `scale`
// (gain / √fan_in) on every forward pass, so Adam's step is the same relative size in every
// layer. The export writes a plain conv2d / linear with weight·scale. The gains are the
// official code's: √2 by default, 1 for toRGB and D's last layer, √2/4 for G's first dense.
class EqualizedConv2dImpl : public torch::nn::Module, public ExportsAsOps {
public:
    EqualizedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t padding, double gain = std::sqrt(2.0));
    torch::Tensor forward(const torch::Tensor& x);
    std::vector<ExportOp> export_ops() const override;
    torch::Tensor weight, bias;  // [out, in, k, k] ~ N(0, 1), [out] = 0
    double scale;
    int64_t padding;
};
TORCH_MODULE(EqualizedConv2d);

class EqualizedLinearImpl : public torch::nn::Module, public ExportsAsOps {
public:
    EqualizedLinearImpl(int64_t in, int64_t out, double gain = std::sqrt(2.0));
    torch::Tensor forward(const torch::Tensor& x);
    std::vector<ExportOp> export_ops() const override;
    torch::Tensor weight, bias;  // [out, in] ~ N(0, 1), [out] = 0
    double scale;
};
TORCH_MODULE(EqualizedLinear);

// Where training is, as a function of the images the critic has seen (§3, appendix A.1): stage
// 0 (4×4) is trained for `stabilize` images; every later stage k (resolution 4·2^k) is faded
// in over `fade` images, α rising linearly from 0 to 1, then trained at α = 1 for `stabilize`
// images. After the last stage's phase, training stays at the last stage with α = 1.
struct Schedule {
    int64_t stages = 4;
    double fade = 0, stabilize = 0;  // images per phase

    struct Point {
        int64_t stage = 0;
        double alpha = 1.0;
    };
    Point at(double images) const;
    // Images until the last stage's stabilize phase ends.
    double total() const { return stabilize * stages + fade * (stages - 1); }
    // Stages whose α = 1 network exists, i.e. whose fade-in is over (always ≥ 1).
    int64_t finished(double images) const;
};

// Stage k's width (the paper halves the width as the resolution doubles, from a cap at the
// low resolutions): min(4·width, width·2^(stages − 1 − k)); 32, 4 stages → 128, 128, 64, 32.
std::vector<int64_t> stage_channels(int64_t width, int64_t stages);

inline int64_t resolution(int64_t stage) { return int64_t{4} << stage; }

// The generator (Table 2, scaled): z → pixel norm → linear to C₀×4×4 → conv 3×3, each layer
// followed by leaky ReLU 0.2 and pixel norm; stage k adds upsample ×2 + two conv 3×3; every
// stage has its own toRGB (1×1 conv, linear). channels[k] is stage k's width.
class GeneratorImpl : public torch::nn::Module {
public:
    GeneratorImpl(int64_t z_dim, std::vector<int64_t> channels, int64_t image_channels);
    // The image at `stage`'s resolution; for α < 1 (a stage > 0 fading in) the blend
    // (1 − α)·upsample(toRGB_{k−1}(h_{k−1})) + α·toRGB_k(block_k(h_{k−1})).
    torch::Tensor forward(const torch::Tensor& z, int64_t stage, double alpha);
    // The α = 1 network of `stage` as one Sequential of exportable modules (shared with this
    // generator), followed by nearest upsampling by `upsample` when > 1.
    torch::nn::Sequential stage_net(int64_t stage, int64_t upsample = 1) const;
    int64_t stages() const { return static_cast<int64_t>(blocks_.size()); }
    torch::nn::Sequential block(int64_t k) const { return blocks_[k]; }
    EqualizedConv2d to_rgb(int64_t k) const { return to_rgb_[k]; }

private:
    std::vector<torch::nn::Sequential> blocks_;
    std::vector<EqualizedConv2d> to_rgb_;
};
TORCH_MODULE(Generator);

// The critic, the generator's mirror: fromRGB (1×1 conv + leaky ReLU) at the stage's
// resolution, blocks of two conv 3×3 + 2×2 average pooling down to 4×4, then the minibatch
// standard deviation channel, conv 3×3, conv 4×4 and a linear layer to one score.
class DiscriminatorImpl : public torch::nn::Module {
public:
    // mbstd_group: the minibatch-stddev group size (minibatch_stddev).
    DiscriminatorImpl(std::vector<int64_t> channels, int64_t image_channels, int64_t mbstd_group = 4);
    // x at `stage`'s resolution; for α < 1 the features entering block k−1 are
    // (1 − α)·fromRGB_{k−1}(avgpool(x)) + α·block_k(fromRGB_k(x)).
    torch::Tensor forward(const torch::Tensor& x, int64_t stage, double alpha);
    torch::nn::Sequential from_rgb(int64_t k) const { return from_rgb_[k]; }
    torch::nn::Sequential block(int64_t k) const { return blocks_[k]; }  // k ≥ 1
    torch::nn::Sequential head() const { return head_; }                 // after the stddev channel
    int64_t mbstd_group() const { return mbstd_group_; }

private:
    std::vector<torch::nn::Sequential> from_rgb_, blocks_;
    torch::nn::Sequential head_{nullptr};
    int64_t mbstd_group_ = 4;
};
TORCH_MODULE(Discriminator);

// The real images the critic sees at (stage, α): x padded to the full resolution with the
// background −1, box-filtered down to the stage's resolution and, while a stage fades in,
// blended with the previous resolution's image upsampled (appendix A.1).
torch::Tensor real_images_at(const torch::Tensor& full, int64_t stage, double alpha);

class Progan : public GanFamily {
public:
    json defaults(bool cuda) const override;
    void build(const json& config, const ImageShape& shape, int64_t num_classes, torch::Device device) override;
    StepStats train_step(const Batch& batch) override;
    int64_t critic_steps_per_generator_step() const override { return 1; }  // WGAN-GP's loss, n_critic = 1
    torch::Tensor sample(const torch::Tensor& z, const GeneratorInputs& inputs) override;
    int64_t z_dim() const override { return z_dim_; }
    void save(torch::serialize::OutputArchive& archive) override;
    void load(torch::serialize::InputArchive& archive) override;
    ExportSpec export_spec() override;
    std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> networks() override;
    bool wrap_optimizers(const OptimizerWrap& wrap) override;

    const Schedule& schedule() const { return schedule_; }
    double images_seen() const { return images_seen_; }
    Schedule::Point point() const { return schedule_.at(images_seen_); }
    Generator& generator() { return G_; }
    // Stage k's finished network: the copy of G taken when stage k + 1 began fading in, or the
    // live G while stage k is still the newest (or the run predates the copies).
    Generator stage_generator(int64_t k) const;
    // The copies taken so far (entry k is null until stage k + 1 begins).
    std::vector<Generator> snapshots() const { return snapshots_; }
    // Copies G for every stage before `stage` that has none yet (train_step calls it first).
    void take_snapshots(int64_t stage);
    Discriminator& discriminator() { return D_; }
    // Real training images (as the trainer gives them) padded to the full resolution.
    torch::Tensor pad(const torch::Tensor& images) const;

private:
    int64_t z_dim_ = 0, channels_ = 1, full_ = 32, pad_h_ = 0, pad_w_ = 0;
    double gp_lambda_ = 10, drift_ = 0.001, images_seen_ = 0;
    Schedule schedule_;
    torch::Device device_ = torch::kCPU;
    int64_t width_ = 0;
    Generator G_{nullptr};
    Discriminator D_{nullptr};
    // §3's growth leaves every earlier stage's toRGB untrained once the next stage fades in,
    // while the shared trunk keeps learning, so the live G read at a lower resolution is not the
    // model as it was at that stage. A copy of G at each stage's end is what gets exported.
    std::vector<Generator> snapshots_;
    Generator copy_generator() const;
    std::unique_ptr<torch::optim::Optimizer> opt_G_, opt_D_;
};

}  // namespace ganzoo::models::progan
