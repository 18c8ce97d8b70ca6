// BEGAN's equilibrium control (Berthelot et al. 2017, eq. 4) and the optional pulling-away
// term, exposed for tests.
#pragma once

#include <torch/torch.h>

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

}  // namespace ganzoo::models
