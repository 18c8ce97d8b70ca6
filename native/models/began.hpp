// BEGAN's equilibrium control (Berthelot et al. 2017, eq. 4) and the optional pulling-away
// term, exposed for tests.
#pragma once

#include <torch/torch.h>

#include "models/family.hpp"

namespace ganzoo::models {

// k_{t+1} = clip(k_t + λ_k·(γ·L(x) − L(G(z))), 0, 1).
double began_k_update(double k, double lambda_k, double gamma, double loss_real, double loss_fake);

// M_global = L(x) + |γ·L(x) − L(G(z))|: the paper's convergence measure (§3.4.1).
double began_convergence(double gamma, double loss_real, double loss_fake);

// The paper's learning-rate schedule (§4.1: "decayed by a factor of 2 whenever the equilibrium
// measure stalled"), with "stalled" made precise: M_global is averaged over windows of `window`
// steps; a window whose mean is not at least `min_gain` (relative) below the best earlier
// window's halves the learning rate (times `factor`), down to `floor`. window 0: off.
struct StallDecay {
    int64_t window = 0;
    double factor = 0.5, min_gain = 0.01, floor = 1e-6;
    // State (checkpointed).
    double lr = 0, best = 0, sum = 0, count = 0;
    // Adds one step's M_global; returns the learning rate for the next step.
    double update(double m_global);
};

// EBGAN's pulling-away term (Zhao, Mathieu & LeCun 2017, §2.4) on a batch of encodings s [N, h]:
// the mean squared cosine similarity over the N(N − 1) ordered pairs i ≠ j. 0 when the
// encodings are mutually orthogonal, 1 when they all point the same way; 0 for N < 2.
torch::Tensor pulling_away(const torch::Tensor& s);

// The decoder with the paper's optional skip connections (§3.5, its architecture, `skip`): h → Linear → h0
// [n, base]; then per resolution a block of two 3×3 conv + ELU; before each later block, the
// upsampled features are concatenated with h0 upsampled to the same size ([2n, …] into the
// block), so that h0 reaches every scale directly. Then a 3×3 conv to the image.
// G and D's decoder both use it when `skip` is on. Exported as its ops (upsample_nearest of h0,
// concat).
class SkipDecoderImpl : public torch::nn::Cloneable<SkipDecoderImpl>, public ExportsAsOps {
public:
    SkipDecoderImpl(int64_t h_dim, int64_t n, int64_t channels, int64_t base_h, int64_t base_w, int64_t stages);

    void reset() override;
    void pretty_print(std::ostream& stream) const override;
    torch::Tensor forward(const torch::Tensor& h);
    std::vector<ExportOp> export_ops() const override;

    int64_t h_dim, n, channels, base_h, base_w, stages;
    torch::nn::Linear fc{nullptr};
    std::vector<torch::nn::Conv2d> convs;  // two per resolution (stages + 1 blocks), then the output conv
};
TORCH_MODULE(SkipDecoder);

}  // namespace ganzoo::models
