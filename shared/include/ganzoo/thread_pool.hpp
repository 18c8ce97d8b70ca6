// ganzoo core: a fixed set of threads that run one job in parts, shared by what splits a batch
// into slices of samples (the threaded WebAssembly sampling build, projection). Samples are
// independent in every op of the core (each output is summed in the same order whatever the
// batch: shared/src/packed_gemm.hpp), so a batch run in slices gives the same floats as in one call.
//
//   ThreadPool pool(4);                      // 3 workers started; the caller is part 0
//   pool.run([&](int part) { ... });         // part = 0 .. pool.size()-1, returns when all are done
//
// Where the build has no threads (WebAssembly without -pthread) a pool is one part, the caller.
// Under emscripten the workers come from the runtime's pre-started pool (-sPTHREAD_POOL_SIZE),
// and the caller must itself be a Web Worker: run() blocks.
#pragma once

#include <exception>
#include <functional>

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define GANZOO_HAS_THREADS 1
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>
#else
#define GANZOO_HAS_THREADS 0
#endif

namespace ganzoo {

class ThreadPool {
public:
    // threads < 1 counts as 1.
    explicit ThreadPool(int threads) {
#if GANZOO_HAS_THREADS
        for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
#else
        (void)threads;
#endif
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ~ThreadPool() {
#if GANZOO_HAS_THREADS
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
#endif
    }

#if GANZOO_HAS_THREADS
    int size() const { return static_cast<int>(workers_.size()) + 1; }
#else
    int size() const { return 1; }
#endif

    // job(i) for every i in [0, size()), part 0 on the calling thread; returns when every part has
    // finished, rethrowing the first error (the caller's own first).
    void run(const std::function<void(int)>& job) {
#if GANZOO_HAS_THREADS
        if (workers_.empty()) return job(0);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            pending_ = size() - 1;
            ++generation_;
            error_ = nullptr;
        }
        wake_.notify_all();
        std::exception_ptr mine;
        try {
            job(0);
        } catch (...) {
            mine = std::current_exception();
        }
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        job_ = nullptr;
        if (mine) std::rethrow_exception(mine);
        if (error_) std::rethrow_exception(error_);
#else
        job(0);
#endif
    }

private:
#if GANZOO_HAS_THREADS
    void work(int part) {
        uint64_t seen = 0;
        for (;;) {
            const std::function<void(int)>* job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                job = job_;
            }
            std::exception_ptr error;
            try {
                (*job)(part);
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex_);
            if (error && !error_) error_ = error;
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* job_ = nullptr;
    int pending_ = 0;
    uint64_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
#endif
};

}  // namespace ganzoo
