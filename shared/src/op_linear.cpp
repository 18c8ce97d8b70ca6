// ganzoo core: linear, y = x Wᵀ + b as one GEMM over the batch.
#include "ops.hpp"

namespace ganzoo::ops {

Tensor linear(const Tensor& x, const ColMatrix& weight, const std::vector<float>& bias) {
    const Eigen::Index n = static_cast<Eigen::Index>(x.dim(0));
    const Eigen::Index in = weight.cols(), out = weight.rows();
    Tensor y = Tensor::zeros({x.dim(0), static_cast<int64_t>(out)});
    // Row-major [N, in] is column-major [in, N]: Yᵀ [out, N] = W [out, in] · Xᵀ [in, N].
    Eigen::Map<const ColMatrix> xt(x.data.data(), in, n);
    Eigen::Map<ColMatrix> yt(y.data.data(), out, n);
    yt.noalias() = weight * xt;
    if (!bias.empty()) yt.colwise() += Eigen::Map<const Eigen::VectorXf>(bias.data(), out);
    return y;
}

}  // namespace ganzoo::ops
