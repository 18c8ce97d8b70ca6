// WGAN-GP — Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved Training of
// Wasserstein GANs", arXiv 1704.00028.
//
// What the paper changed from WGAN (models/wasserstein.cpp, each a recipe key):
//   - weight clipping is gone (`clip` 0); the critic is pushed towards 1-Lipschitz by a
//     penalty λ·E[(‖∇D(x̂)‖₂ − 1)²] on random interpolates x̂ between real and fake samples,
//     λ = 10 (`gp_lambda`), differentiated through with a double backward;
//   - no batch norm in the critic, since the penalty is per sample: layer norm instead, as
//     the paper recommends (`critic_norm` "layer" or "none");
//   - Adam, lr 1e-4, β = (0, 0.9); n_critic = 5; batch 64.
// The generator is DCGAN's, batch norm kept (the paper does).
#include "models/wasserstein.hpp"

namespace ganzoo::models {

GANZOO_REGISTER_FAMILY(wgan_gp, {"wgan-gp", "WGAN-GP (Gulrajani et al. 2017)", [] {
                                     return std::make_unique<Wgan>(
                                         "wgan-gp", json{{"z_dim", 100},
                                                         {"width", 64},
                                                         {"batch", 64},
                                                         {"n_critic", 5},
                                                         {"optimizer", "adam"},
                                                         {"lr", 1e-4},
                                                         {"beta1", 0.0},
                                                         {"beta2", 0.9},
                                                         {"clip", 0.0},
                                                         {"gp_lambda", 10.0},
                                                         {"critic_norm", "layer"},
                                                         {"generator_norm", "batch"}});
                                 }});

}  // namespace ganzoo::models
