// The wasm bindings' threads (bindings.cpp, project_bindings.cpp): the -pthread builds run a batch's
// slices on one pool, started with the module (-sPTHREAD_POOL_SIZE; the caller is a Web Worker, so
// blocking is allowed) and kept for the worker's life: threads started and joined per call would
// return to emscripten's pool only through the worker's event loop. One thread without -pthread.
#pragma once

#ifdef __EMSCRIPTEN_PTHREADS__
#include <algorithm>
#include <emscripten/threading.h>

#include "ganzoo/thread_pool.hpp"

#ifndef GANZOO_MAX_THREADS
#define GANZOO_MAX_THREADS 8  // keep in step with -sPTHREAD_POOL_SIZE (wasm/CMakeLists.txt)
#endif

// navigator.hardwareConcurrency, capped by the pool the runtime pre-started.
inline int thread_count() {
    static const int n = std::clamp(emscripten_num_logical_cores(), 1, GANZOO_MAX_THREADS);
    return n;
}
inline ganzoo::ThreadPool& pool() {
    static ganzoo::ThreadPool p(thread_count());  // never joined: it lives as long as the worker
    return p;
}
#else
inline int thread_count() { return 1; }
#endif
