// Linked into the wasm limit test (tests/wasm/limits.sh) beside wasm/bindings.cpp: replaces the
// scalar and array operator new to record, while a probe is running, the largest single
// allocation and the bytes allocated in all. Every tensor, activation and JSON value the core
// makes goes through operator new, so a load that refuses "before allocating" shows up here as
// small numbers (the native counterpart is tests/core/test_limits.cpp).
#include <cstddef>
#include <cstdlib>
#include <new>

#include <emscripten/emscripten.h>

namespace {
bool g_probing = false;
size_t g_largest = 0, g_total = 0;

void* allocate(size_t size) {
    if (g_probing) {
        g_total += size;
        if (size > g_largest) g_largest = size;
    }
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t size) { return allocate(size); }
void* operator new[](size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

extern "C" {
EMSCRIPTEN_KEEPALIVE void probe_start() {
    g_largest = g_total = 0;
    g_probing = true;
}
EMSCRIPTEN_KEEPALIVE void probe_stop() { g_probing = false; }
// Doubles: size_t is 32-bit here and cwrap's 'number' would read values >= 2^31 as negative.
EMSCRIPTEN_KEEPALIVE double probe_largest() { return static_cast<double>(g_largest); }
EMSCRIPTEN_KEEPALIVE double probe_total() { return static_cast<double>(g_total); }
}
