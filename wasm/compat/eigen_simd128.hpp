// Force-included (-include) before every core source in the wasm builds: lets Eigen take its
// SSE path (-msse4.1), which emscripten maps onto SIMD128 (1.3-1.6x faster than -msimd128
// alone, where Eigen 3.4 has no wasm backend). Two x86-only things must not reach em++:
// - the empty register-pinning asm statements in Eigen's GEBP kernel (compiler hints, no
//   code), compiled out here while Eigen/Core is parsed; its include guard keeps them out of
//   every later #include <Eigen/Core>. The standard headers Eigen pulls in come first so that
//   none of their own asm uses is touched;
// - the inline-asm pmin/pmax of old GCC: -fgnuc-version=6.3 selects the intrinsic versions.
// wasm/compat/mmintrin.h is empty on purpose: clang's MMX header refuses non-x86 targets.
#pragma once
#if defined(__EMSCRIPTEN__) && defined(__SSE2__)
#include <cassert>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <immintrin.h>
#define __asm__(...)
#include <Eigen/Core>
#undef __asm__
#endif
