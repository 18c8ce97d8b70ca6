// WGAN — Arjovsky, Chintala & Bottou, "Wasserstein GAN", arXiv 1701.07875.
//
// What the paper changed from DCGAN, all in models/wasserstein.cpp and each a recipe key:
//   - the discriminator becomes a critic: no sigmoid, it scores; the loss is the Wasserstein-1
//     estimate E[D(x)] − E[D(G(z))], which tracks sample quality (logged as `wasserstein`);
//   - the critic is kept K-Lipschitz by clipping every parameter to [−c, c] after each of its
//     steps, c = 0.01 (`clip`);
//   - the critic trains n_critic = 5 times per generator step (`n_critic`), each on a fresh
//     real batch;
//   - RMSprop, lr 5e-5 (momentum-based optimizers made the critic unstable, §4.2).
// The networks are DCGAN's (the paper's own experiments use them, batch norm included), at
// the same width as our DCGAN, batch 64 as in Algorithm 1. The reference code's extra trick —
// 100 critic steps for the first 25 generator steps and every 500th — is not in Algorithm 1
// and not used here.
#include "models/wasserstein.hpp"

namespace ganzoo::models {

GANZOO_REGISTER_FAMILY(wgan, {"wgan", "WGAN (Arjovsky et al. 2017)", [] {
                                  return std::make_unique<Wgan>(
                                      "wgan", json{{"z_dim", 100},
                                                   {"width", 64},
                                                   {"batch", 64},
                                                   {"n_critic", 5},
                                                   {"optimizer", "rmsprop"},
                                                   {"lr", 5e-5},
                                                   {"beta1", 0.5},
                                                   {"beta2", 0.999},
                                                   {"clip", 0.01},
                                                   {"gp_lambda", 0.0},
                                                   {"critic_norm", "batch"},
                                                   {"generator_norm", "batch"}});
                              }});

}  // namespace ganzoo::models
