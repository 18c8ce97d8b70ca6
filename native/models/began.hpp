// BEGAN's equilibrium control (Berthelot et al. 2017, eq. 4) and the optional pulling-away
// term, exposed for tests.
#pragma once

#include <torch/torch.h>

namespace ganzoo::train {

// k_{t+1} = clip(k_t + λ_k·(γ·L(x) − L(G(z))), 0, 1).
double began_k_update(double k, double lambda_k, double gamma, double loss_real, double loss_fake);

// M_global = L(x) + |γ·L(x) − L(G(z))|: the paper's convergence measure (§3.4.1).
double began_convergence(double gamma, double loss_real, double loss_fake);

// EBGAN's pulling-away term (Zhao, Mathieu & LeCun 2017, §2.4) on a batch of encodings s [N, h]:
// the mean squared cosine similarity over the N(N − 1) ordered pairs i ≠ j. 0 when the
// encodings are mutually orthogonal, 1 when they all point the same way; 0 for N < 2.
torch::Tensor pulling_away(const torch::Tensor& s);

}  // namespace ganzoo::train
