// InfoGAN's mutual-information term, shared by the member (infogan.cpp) and its tests.
#pragma once

#include <torch/torch.h>

namespace ganzoo::models::infogan {

// The variational lower bound's loss L_I (to minimise; −L_I + H(c) bounds I(c; G(z, c))):
//   categorical: cross-entropy of Q's logits [N, K] against the drawn category [N] (int64);
//   continuous: the negative log-likelihood of the drawn values c [N, M] under Q's factored
//   Gaussian (mean [N, M], log σ [N, M]), per code, averaged over the batch:
//     log σ + (c − μ)² / (2σ²) + ½ log 2π.
// Each part is a mean over the batch (summed over the M continuous codes).
struct InfoLoss {
    torch::Tensor categorical, continuous;
};
InfoLoss info_loss(const torch::Tensor& logits, const torch::Tensor& category, const torch::Tensor& mean,
                   const torch::Tensor& log_std, const torch::Tensor& continuous);

}  // namespace ganzoo::models::infogan
