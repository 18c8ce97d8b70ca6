// ganzoo core (private): the op kernels. Shapes include the batch N; every kernel handles
// the whole batch at once (one GEMM per op, never a loop of per-sample GEMMs).
// Callers (graph_run.cpp) have validated shapes at load time; kernels do not re-check.
#pragma once

#include <cstdint>
#include <vector>

#include "ganzoo/tensor.hpp"

namespace ganzoo::ops {

// Kernel window of conv2d / conv_transpose2d, per axis (h, w).
struct Window2d {
    int64_t kernel_h = 1, kernel_w = 1;
    int64_t stride_h = 1, stride_w = 1;
    int64_t pad_h = 0, pad_w = 0;
    int64_t output_pad_h = 0, output_pad_w = 0;  // conv_transpose2d only
};

// A weight packed once, at load, for the GEMM micro-kernels (packed_gemm.hpp): the op's
// kernel reads it as is on every call.
struct PackedWeight {
    std::vector<float> data;
    int64_t rows = 0, cols = 0;  // the logical matrix
};

// weight [out, in] (PyTorch's layout, row-major) -> Wᵀ [in, out] as the GEMM's cols operand.
PackedWeight pack_linear_weight(const float* weight, int64_t out, int64_t in);

// x [N, in] -> [N, out].  weight: pack_linear_weight's, bias: [out] or empty.
Tensor linear(const Tensor& x, const PackedWeight& weight, const std::vector<float>& bias);

// weight: PyTorch's [O, C, kh, kw] (row-major), seen as [O, C*kh*kw] -> the GEMM's rows operand.
PackedWeight pack_conv2d_weight(const float* weight, int64_t out_channels, int64_t depth);

// x [N, C, H, W] -> [N, O, Ho, Wo], Ho = (H + 2 pad - k) / stride + 1.
// weight: pack_conv2d_weight's ([O, C*kh*kw]), bias: [O] or empty.
Tensor conv2d(const Tensor& x, const PackedWeight& weight, const std::vector<float>& bias,
              const Window2d& window);

// weight: PyTorch's [C, O, kh, kw] (row-major), seen as [C, O*kh*kw] -> its transpose
// Wᵀ [O*kh*kw, C] as the GEMM's rows operand.
PackedWeight pack_conv_transpose2d_weight(const float* weight, int64_t in_channels, int64_t rows);

// x [N, C, H, W] -> [N, O, Ho, Wo], Ho = (H - 1) stride - 2 pad + k + output_pad.
// weight_t: pack_conv_transpose2d_weight's ([O*kh*kw, C]).
Tensor conv_transpose2d(const Tensor& x, const PackedWeight& weight_t, const std::vector<float>& bias,
                        int64_t out_channels, const Window2d& window);

// In place, on dim 1 of [N, C, ...]: x = x * scale[c] + shift[c].
void batch_norm(Tensor& x, const std::vector<float>& scale, const std::vector<float>& shift);

// In place, x [N, C, H, W] or [N, F]: x / sqrt(mean over dim 1 of x² + eps), per sample and
// pixel (ProGAN's pixelwise feature normalization).
void pixel_norm(Tensor& x, float eps);

// In place, x [N, C, H, W]: each (sample, channel) plane normalized by its own mean and biased
// variance, (x - μ) / sqrt(σ² + eps) · weight[c] + bias[c]; weight, bias: [C], or both empty
// (PyTorch's InstanceNorm2d without running statistics).
void instance_norm(Tensor& x, const std::vector<float>& weight, const std::vector<float>& bias, float eps);

// Elementwise, in place.
void relu(Tensor& x);
void leaky_relu(Tensor& x, float slope);
void elu(Tensor& x, float alpha);
void tanh(Tensor& x);
void sigmoid(Tensor& x);
void scale(Tensor& x, float factor);
void add(Tensor& x, const Tensor& y);  // same shapes

// Along `axis` (>= 1, counting the batch); the other dimensions agree.
Tensor concat(const std::vector<const Tensor*>& xs, int64_t axis);

// x [N, C, H, W] -> [N, C, H·sh, W·sw]: each pixel repeated sh × sw times (PyTorch's
// Upsample(mode='nearest') with an integer scale factor).
Tensor upsample_nearest(const Tensor& x, int64_t scale_h, int64_t scale_w);

// x [N, C, H, W] -> [N, C, H + 2 pad_h, W + 2 pad_w], mirrored without repeating the edge
// (PyTorch's ReflectionPad2d: row -1 is row 1). Needs pad_h < H and pad_w < W.
Tensor reflection_pad2d(const Tensor& x, int64_t pad_h, int64_t pad_w);

// [N, 1] class indices -> [N, classes]; class weights [N, classes] (a mixture: each row in
// [0, 1], summing to 1, as Model::run checks) pass through. Throws ganzoo::Error (without op
// context) for an index that is not an integer in [0, classes).
Tensor one_hot(const Tensor& x, int64_t classes);

}  // namespace ganzoo::ops
