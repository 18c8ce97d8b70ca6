// CycleGAN's mechanisms, shared by the member (cyclegan.cpp) and its tests.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "models/family.hpp"

namespace ganzoo::models::cyclegan {

// The history of generated images D is trained on (Shrivastava et al. 2017; CycleGAN §4): while
// fewer than `capacity` are stored, each new fake is stored and returned as it is; once full,
// each new fake is, with probability ½, swapped for a stored one chosen uniformly (the stored
// one is returned, the new one takes its place), else returned as it is. Random draws come from
// LibTorch's generator (the trainer seeds it per step). capacity 0: every fake passes through.
class ImagePool {
public:
    explicit ImagePool(int64_t capacity = 50) : capacity_(capacity) {}
    // fakes [N, C, H, W] (detached) → [N, C, H, W] for D's update.
    torch::Tensor query(const torch::Tensor& fakes);
    int64_t size() const { return static_cast<int64_t>(images_.size()); }
    int64_t capacity() const { return capacity_; }
    // The stored images as one tensor [size, C, H, W] (undefined when empty), for checkpoints.
    torch::Tensor stored() const;
    void restore(const torch::Tensor& images);

private:
    int64_t capacity_;
    std::vector<torch::Tensor> images_;
};

// The paper's schedule (§4, "Training details"): the learning rate stays at its initial value for
// the first half of the run's steps, then decays linearly to 0 at the end. Factor for the step
// that follows `done` completed steps of `total`.
double lr_factor(int64_t done, int64_t total);

using Net = std::function<torch::Tensor(const torch::Tensor&)>;

// The generators' objective on one batch split into domain A images `a` and domain B images `b`
// (either may hold no rows: its terms are then 0):
//   gan_ab = mean (D_B(G_AB(a)) − 1)², gan_ba = mean (D_A(G_BA(b)) − 1)² (least squares, §4);
//   cycle_a = mean |G_BA(G_AB(a)) − a|, cycle_b = mean |G_AB(G_BA(b)) − b| (§3.2, eq. 2);
//   identity_a = mean |G_BA(a) − a|, identity_b = mean |G_AB(b) − b| (§5.2: a generator fed an
//   image of its own target domain should leave it alone).
// fake_a = G_BA(b), fake_b = G_AB(a) (undefined for an empty side), for D's update.
struct GeneratorTerms {
    torch::Tensor gan_ab, gan_ba, cycle_a, cycle_b, identity_a, identity_b;
    torch::Tensor fake_a, fake_b;
    // gan_ab + gan_ba + λ (cycle_a + cycle_b) + λ_id (identity_a + identity_b).
    torch::Tensor total(double lambda_cycle, double lambda_identity) const;
};
GeneratorTerms generator_terms(const Net& g_ab, const Net& g_ba, const Net& d_a, const Net& d_b,
                               const torch::Tensor& a, const torch::Tensor& b, bool with_identity = true);

// One discriminator's least-squares loss, ½ [mean (D(real) − 1)² + mean D(fake)²]; a side with no
// rows contributes 0.
torch::Tensor discriminator_loss(const Net& d, const torch::Tensor& real, const torch::Tensor& fake);

// The domains "A,B" (class names, case-insensitive, or indices) as two distinct class indices.
// Throws std::invalid_argument naming the bad value and the known classes.
std::vector<int64_t> parse_domains(const std::string& spec, const std::vector<std::string>& class_names);

// A residual block (§4, Johnson et al. 2016): x + [pad 1, conv 3×3, IN, ReLU, pad 1, conv 3×3, IN](x),
// reflection padding, instance norm without affine parameters. Exported as its ops then an add.
class ResidualBlockImpl : public torch::nn::Cloneable<ResidualBlockImpl>, public ExportsAsOps {
public:
    explicit ResidualBlockImpl(int64_t channels);
    void reset() override;
    torch::Tensor forward(const torch::Tensor& x);
    std::vector<ExportOp> export_ops() const override;
    int64_t channels = 0;
    torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(ResidualBlock);

// The ResNet generator for `channels`-channel images whose sides are multiples of 4: c7s1-w,
// d2w, d4w (stride-2 3×3 convs), `blocks` residual blocks at 4w, u2w, uw (stride-2 transposed
// convs), c7s1-channels, tanh; instance norm + ReLU after every conv but the last.
torch::nn::Sequential make_generator(int64_t channels, int64_t width, int64_t blocks);
// The PatchGAN discriminator scaled to 28 px: C_w (4×4, s2, no norm), C_2w (4×4, s2, IN), then a
// 3×3 conv to one score per patch: 7×7 scores for 28×28, each seeing 18×18 pixels. LReLU 0.2.
torch::nn::Sequential make_discriminator(int64_t channels, int64_t width);

}  // namespace ganzoo::models::cyclegan
