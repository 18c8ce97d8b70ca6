// Generation jobs: a list of steps (each one core call on a small batch), run off the UI's frame.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ganzoo/model.hpp"

namespace ganzoo::studio {

using Clock = std::chrono::steady_clock;
inline double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Images {
    int width = 0, height = 0, count = 0;
    std::vector<uint8_t> rgba;  // count images of width*height*4, one after the other
    const uint8_t* image(int i) const { return rgba.data() + static_cast<size_t>(i) * width * height * 4; }
};

using Step = std::function<ganzoo::Tensor(const ganzoo::Model&)>;

struct Job {
    std::shared_ptr<const ganzoo::Model> model;
    std::vector<Step> steps;
    float lo = -1, hi = 1;
    uint64_t id = 0;
};

struct Result {
    uint64_t id = 0;
    Images images;
    double ms = 0;  // time in the core
    std::string error;
};

// kProject: the projection (project_panel.cpp), on a Worker of its own so that the grid keeps
// generating while it runs.
enum Slot { kGrid = 0, kInterp = 1, kCycle = 2, kProject = 3, kSlots = 4 };

// Threaded: a thread of its own runs the steps. Not threaded (the browser): pump() runs them on
// the caller's thread within a time budget. A slot's new job replaces its pending or running one
// (the running one stops between steps); cancel() drops every slot's jobs and results, so that
// nothing submitted before it is ever taken after it.
class Worker {
public:
    explicit Worker(bool threaded);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    bool threaded() const { return thread_.joinable(); }
    uint64_t submit(Slot slot, Job job);
    // Every job submitted so far is dropped: pending ones never start, a running one stops at its
    // next step and leaves no result, results not yet taken are discarded.
    void cancel();
    std::optional<Result> take(Slot slot);
    bool busy() const;
    float progress(Slot slot) const;
    // Runs steps until budget_ms has passed (at least one step when there is work).
    void pump(double budget_ms);

private:
    struct Active {
        Slot slot;
        Job job;
        size_t next = 0;
        Result result;
    };

    bool start_next();
    bool run_one_step();
    void loop();

    std::thread thread_;
    std::condition_variable cv_;
    bool quit_ = false;
    mutable std::mutex mu_;
    std::optional<Job> pending_[kSlots];
    std::optional<Result> done_[kSlots];
    uint64_t latest_[kSlots] = {};
    uint64_t next_id_ = 0;
    std::optional<Active> active_;
    bool running_ = false;
    int running_slot_ = -1, steps_done_ = 0, steps_total_ = 0;
};

}  // namespace ganzoo::studio
