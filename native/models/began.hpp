// BEGAN's equilibrium control (Berthelot et al. 2017, eq. 4), exposed for tests.
#pragma once

namespace ganzoo::train {

// k_{t+1} = clip(k_t + λ_k·(γ·L(x) − L(G(z))), 0, 1).
double began_k_update(double k, double lambda_k, double gamma, double loss_real, double loss_fake);

// M_global = L(x) + |γ·L(x) − L(G(z))|: the paper's convergence measure (§3.4.1).
double began_convergence(double gamma, double loss_real, double loss_fake);

}  // namespace ganzoo::train
