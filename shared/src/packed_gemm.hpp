// ganzoo core (private): the 128-bit GEMM micro-kernels shared by linear and conv_transpose2d,
// and the packed operand layouts they read.
//
// GCC/Clang vector extensions: SSE natively, SIMD128 under em++. Our own kernels rather than
// Eigen's: V8 compiles Eigen's 12x4 GEBP kernel to code that spills (docs/web-bench.md).
//
//   rows operand  (A, M x K): ceil(M / kMr) blocks of [K][kMr], zero rows past M
//   cols operand  (B, K x N): ceil(N / kNr) tiles of [K][kNr], zero columns past N
//   result        (C, M x N): row-major with a leading dimension ldc
//
// Every C element is the sum over k in order (k = 0, 1, ...), one float product at a time: the
// kernels differ in tile shape, never in summation order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ganzoo::ops::gemm {

// Four floats; unaligned loads and stores are fine on every target we build for.
typedef float v4f __attribute__((vector_size(16), aligned(4)));

inline v4f load4(const float* p) { return *reinterpret_cast<const v4f*>(p); }
inline void store4(float* p, v4f v) { *reinterpret_cast<v4f*>(p) = v; }
inline v4f splat(float s) { return v4f{s, s, s, s}; }  // not v4f{} + s: 0 + -0 is +0

// Tile: kMr rows of A (broadcast) x kNr columns of B (kNv vectors). 8 vector accumulators:
// V8 keeps SIMD128 values in 16 registers, and 4x2 ran faster under it than 2x4, 6x2, 4x3, 3x3
// or 8x1 (Eigen's 12x4 spills).
constexpr int64_t kMr = 4;
constexpr int64_t kNv = 2;
constexpr int64_t kNr = 4 * kNv;

// c[kMr x kNr] (row stride ldc) = a[K][kMr] · b[K][kNr], both packed.
// Not inlined: V8 tiers a wasm function up only between calls, so a small kernel called per
// tile reaches optimized code during the first GEMM. Callers call it through a volatile
// pointer for the same reason (else the compiler may inline it after all).
__attribute__((noinline)) inline void kernel_4x8(int64_t k_size, const float* a, const float* b, float* c,
                                                 int64_t ldc) noexcept {
    static_assert(kMr == 4 && kNv == 2, "the accumulators below are written out for a 4x2 tile");
    // Named accumulators rather than an array: GCC then keeps them in place across iterations.
    v4f c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
    // One k per iteration: unrolled by two, this loop ran 1.5x slower in Chromium 156 (though
    // 10% faster under node 20's older V8), see docs/web-bench.md.
    for (int64_t k = 0; k < k_size; ++k, a += kMr, b += kNr) {
        const v4f b0 = load4(b), b1 = load4(b + 4);
        const v4f a0 = splat(a[0]), a1 = splat(a[1]), a2 = splat(a[2]), a3 = splat(a[3]);
        c00 += a0 * b0;
        c01 += a0 * b1;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c30 += a3 * b0;
        c31 += a3 * b1;
    }
    store4(c, c00);
    store4(c + 4, c01);
    store4(c + ldc, c10);
    store4(c + ldc + 4, c11);
    store4(c + 2 * ldc, c20);
    store4(c + 2 * ldc + 4, c21);
    store4(c + 3 * ldc, c30);
    store4(c + 3 * ldc + 4, c31);
}

// One row of A against four consecutive tiles of B (tile stride K*kNr): c[0 .. 4*kNr) =
// a[0 .. K) · b. Eight independent accumulators, as in kernel_4x8: a single row (batch 1)
// with one tile at a time would be bound by the latency of its two adds.
__attribute__((noinline)) inline void kernel_1x32(int64_t k_size, const float* a, const float* b, float* c) noexcept {
    const int64_t ts = k_size * kNr;
    const float* b1 = b + ts;
    const float* b2 = b + 2 * ts;
    const float* b3 = b + 3 * ts;
    v4f c0 = {}, c1 = {}, c2 = {}, c3 = {}, c4 = {}, c5 = {}, c6 = {}, c7 = {};
    for (int64_t k = 0; k < k_size; ++k, b += kNr, b1 += kNr, b2 += kNr, b3 += kNr) {
        const v4f ak = splat(a[k]);
        c0 += ak * load4(b);
        c1 += ak * load4(b + 4);
        c2 += ak * load4(b1);
        c3 += ak * load4(b1 + 4);
        c4 += ak * load4(b2);
        c5 += ak * load4(b2 + 4);
        c6 += ak * load4(b3);
        c7 += ak * load4(b3 + 4);
    }
    store4(c, c0);
    store4(c + 4, c1);
    store4(c + 8, c2);
    store4(c + 12, c3);
    store4(c + 16, c4);
    store4(c + 20, c5);
    store4(c + 24, c6);
    store4(c + 28, c7);
}

// One row of A against one tile of B: c[0 .. kNr) = a[0 .. K) · b.
__attribute__((noinline)) inline void kernel_1x8(int64_t k_size, const float* a, const float* b, float* c) noexcept {
    v4f c0 = {}, c1 = {};
    for (int64_t k = 0; k < k_size; ++k, b += kNr) {
        const v4f ak = splat(a[k]);
        c0 += ak * load4(b);
        c1 += ak * load4(b + 4);
    }
    store4(c, c0);
    store4(c + 4, c1);
}

// A (M x K) as the rows operand; element (i, k) is src[i * row_stride + k * depth_stride].
// Returns ceil(M / kMr) * kMr * K floats.
inline std::vector<float> pack_rows(const float* src, int64_t m, int64_t k_size, int64_t row_stride,
                                    int64_t depth_stride) {
    const int64_t blocks = (m + kMr - 1) / kMr;
    std::vector<float> packed(static_cast<size_t>(blocks * kMr * k_size), 0.0f);
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t rows = std::min(kMr, m - blk * kMr);
        float* dst = packed.data() + blk * k_size * kMr;
        for (int64_t k = 0; k < k_size; ++k, dst += kMr)
            for (int64_t i = 0; i < rows; ++i) dst[i] = src[(blk * kMr + i) * row_stride + k * depth_stride];
    }
    return packed;
}

// B (K x N) as the cols operand; element (k, j) is src[k * depth_stride + j * col_stride].
// Returns ceil(N / kNr) * kNr * K floats.
inline std::vector<float> pack_cols(const float* src, int64_t k_size, int64_t n, int64_t depth_stride,
                                    int64_t col_stride) {
    const int64_t tiles = (n + kNr - 1) / kNr;
    std::vector<float> packed(static_cast<size_t>(tiles * kNr * k_size), 0.0f);
    for (int64_t t = 0; t < tiles; ++t) {
        const int64_t cols = std::min(kNr, n - t * kNr);
        float* dst = packed.data() + t * k_size * kNr;
        for (int64_t k = 0; k < k_size; ++k, dst += kNr)
            for (int64_t j = 0; j < cols; ++j) dst[j] = src[k * depth_stride + (t * kNr + j) * col_stride];
    }
    return packed;
}

}  // namespace ganzoo::ops::gemm
