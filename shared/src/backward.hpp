// ganzoo core (private): the reverse pass. Each op's backward (the gradient of a scalar loss
// with respect to the op's input, given the gradient with respect to its output) and the
// recording run of a net that applies them in reverse (graph_backward.cpp).
//
// Only gradients with respect to inputs (z, codes, images, class weights): the weights are
// constants here. Nothing of the forward path (run_net, Model::run/generate, the wasm bindings)
// calls into this header, so a link that does not ask for gradients leaves all of it out.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "graph.hpp"
#include "ops.hpp"

namespace ganzoo::ops {

// Every backward takes dy, the gradient with respect to the op's output, with the output's
// shape (batch included), and returns dx, or overwrites dy with it (in place) when dx has the
// same shape. `x` is the op's input, `y` its output, as the forward computed them.

// linear: dy [N, out] -> dx [N, in] = dy · W. weight: the forward's (pack_linear_weight).
Tensor linear_backward(const Tensor& dy, const PackedWeight& weight);

// conv2d: dy [N, O, Ho, Wo] -> dx [N, C, h, w], a conv_transpose2d with the same weight.
// weight: the forward's (pack_conv2d_weight); h, w: the forward's input size (a stride > 1
// leaves the last rows or columns out of every window, where dx is 0).
Tensor conv2d_backward(const Tensor& dy, const PackedWeight& weight, const Window2d& window, int64_t h, int64_t w);

// conv_transpose2d: dy [N, O, Ho, Wo] -> dx [N, C, H, W], a conv2d with the same weight.
// weight_t: the forward's (pack_conv_transpose2d_weight).
Tensor conv_transpose2d_backward(const Tensor& dy, const PackedWeight& weight_t, const Window2d& window);

// In place: dy becomes dx.
void batch_norm_backward(Tensor& dy, const std::vector<float>& scale);
void relu_backward(Tensor& dy, const Tensor& y);
void leaky_relu_backward(Tensor& dy, const Tensor& x, float slope);
void elu_backward(Tensor& dy, const Tensor& x, float alpha);
void tanh_backward(Tensor& dy, const Tensor& y);
void sigmoid_backward(Tensor& dy, const Tensor& y);
void scale_backward(Tensor& dy, float factor);
void pixel_norm_backward(Tensor& dy, const Tensor& x, float eps);
void instance_norm_backward(Tensor& dy, const Tensor& x, const std::vector<float>& weight, float eps);

// concat: dy split along `axis` into pieces of the inputs' shapes (batch included).
std::vector<Tensor> concat_backward(const Tensor& dy, const std::vector<std::vector<int64_t>>& input_shapes,
                                    int64_t axis);

// upsample_nearest: dy [N, C, H·sh, W·sw] -> dx [N, C, H, W], each pixel the sum of its copies.
Tensor upsample_nearest_backward(const Tensor& dy, int64_t scale_h, int64_t scale_w);

// reflection_pad2d: dy [N, C, H + 2 ph, W + 2 pw] -> dx [N, C, H, W]: the inside, plus every
// mirrored pixel added back onto the pixel it copies.
Tensor reflection_pad2d_backward(const Tensor& dy, int64_t pad_h, int64_t pad_w);

}  // namespace ganzoo::ops

namespace ganzoo::graph {

struct Gradients {
    Tensor output;               // as run_net returns it
    std::vector<Tensor> inputs;  // by input, in net.input_names order; empty where not wanted
};

// Runs `net` on `inputs` (as run_net, shapes already checked) keeping what the backward needs,
// then sweeps the ops in reverse from output_gradient(output) (which returns the output's
// shape: the caller checks), summing the gradients of a value read more than once. wants[i]:
// whether input i gets its gradient; a one_hot op passes one on only for class weights (a label
// of indices has none). `max_elements` (LoadLimits::max_activation_elements) bounds what it
// keeps for the sweep plus the forward's largest activation; beyond it, throws ganzoo::Error
// naming the net before allocating.
Gradients run_net_backward(const Net& net, std::vector<Tensor> inputs, const std::vector<bool>& wants,
                           const std::function<Tensor(const Tensor& output)>& output_gradient,
                           uint64_t max_elements);

}  // namespace ganzoo::graph
