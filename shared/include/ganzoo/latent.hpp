// ganzoo core: portable latents (counter-based RNG) and interpolation.
//
// The latent of sample `index` under `seed` depends only on (seed, index, dim): the
// same z natively and in WebAssembly, whatever the batch size. Spec: docs/format.md.
#pragma once

#include <cstdint>
#include <string>

#include "ganzoo/tensor.hpp"

namespace ganzoo {

uint64_t splitmix64(uint64_t x);

// Standard normal latents for samples first_index .. first_index+count-1: shape [count, dim].
Tensor normal_latents(uint64_t seed, int64_t first_index, int64_t count, int64_t dim);

// Uniform [0,1) stream for auxiliary inputs (codes, labels), independent from the normal
// stream: shape [count, dim].
Tensor uniform_latents(uint64_t seed, int64_t first_index, int64_t count, int64_t dim);

enum class InterpolationMode { Lerp, Slerp };
InterpolationMode parse_interpolation_mode(const std::string& name);  // "lerp" | "slerp"

// steps >= 2 latents from a to b inclusive (a, b: shape [1, dim] or [dim]): shape [steps, dim].
// slerp falls back to lerp when a and b are (anti)parallel.
Tensor interpolate(const Tensor& a, const Tensor& b, int64_t steps, InterpolationMode mode);

}  // namespace ganzoo
