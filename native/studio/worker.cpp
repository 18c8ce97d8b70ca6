#include "worker.hpp"

#include <stdexcept>

#include "ganzoo/image.hpp"

namespace ganzoo::studio {

Worker::Worker(bool threaded) {
    if (threaded) thread_ = std::thread([this] { loop(); });
}

Worker::~Worker() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

uint64_t Worker::submit(Slot slot, Job job) {
    std::lock_guard<std::mutex> lock(mu_);
    job.id = ++next_id_;
    latest_[slot] = job.id;
    pending_[slot] = std::move(job);
    cv_.notify_all();
    return latest_[slot];
}

void Worker::cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s = 0; s < kSlots; ++s) {
        latest_[s] = ++next_id_;  // an id no job has: the running one is superseded
        pending_[s].reset();
        done_[s].reset();
    }
}

std::optional<Result> Worker::take(Slot slot) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_[slot]) return std::nullopt;
    std::optional<Result> r = std::move(done_[slot]);
    done_[slot].reset();
    return r;
}

bool Worker::busy() const {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s = 0; s < kSlots; ++s)
        if (pending_[s] || done_[s]) return true;
    return running_;
}

float Worker::progress(Slot slot) const {
    std::lock_guard<std::mutex> lock(mu_);
    return running_slot_ == slot && steps_total_ > 0 ? float(steps_done_) / float(steps_total_) : 0.0f;
}

void Worker::pump(double budget_ms) {
    const auto start = Clock::now();
    do {
        if (!active_) {
            if (!start_next()) return;
        }
        if (!run_one_step()) active_.reset();
    } while (ms_since(start) < budget_ms);
}

// Takes the next pending job (lowest slot first); false when there is nothing to do.
bool Worker::start_next() {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s = 0; s < kSlots; ++s)
        if (pending_[s]) {
            active_ = Active{Slot(s), std::move(*pending_[s]), 0, {}};
            pending_[s].reset();
            active_->result.id = active_->job.id;
            running_ = true;
            running_slot_ = s;
            steps_done_ = 0;
            steps_total_ = static_cast<int>(active_->job.steps.size());
            return true;
        }
    return false;
}

// One step of the active job; false when the job is over (finished, failed or superseded).
bool Worker::run_one_step() {
    Active& a = *active_;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (latest_[a.slot] != a.job.id) {  // superseded
            running_ = false;
            return false;
        }
    }
    bool over = a.next >= a.job.steps.size();
    if (!over) {
        try {
            const auto t0 = Clock::now();
            const ganzoo::Tensor images = a.job.steps[a.next](*a.job.model);
            a.result.ms += ms_since(t0);
            if (images.rank() != 4) throw std::runtime_error("the net's output is not a batch of images");
            const auto rgba = ganzoo::to_rgba8(images, a.job.lo, a.job.hi);
            Images& out = a.result.images;
            out.width = static_cast<int>(images.dim(3));
            out.height = static_cast<int>(images.dim(2));
            out.count += static_cast<int>(images.dim(0));
            out.rgba.insert(out.rgba.end(), rgba.begin(), rgba.end());
        } catch (const std::exception& e) {
            a.result.error = e.what();
            over = true;
        }
        ++a.next;
        over = over || a.next >= a.job.steps.size();
    }
    std::lock_guard<std::mutex> lock(mu_);
    steps_done_ = static_cast<int>(a.next);
    if (over) {
        if (latest_[a.slot] == a.job.id) done_[a.slot] = std::move(a.result);
        running_ = false;
        return false;
    }
    return true;
}

// The thread: waits for a job, runs its steps, until the destructor asks it to stop.
void Worker::loop() {
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] {
                if (quit_) return true;
                for (int s = 0; s < kSlots; ++s)
                    if (pending_[s]) return true;
                return false;
            });
            if (quit_) return;
        }
        if (!start_next()) continue;
        while (run_one_step()) {
            std::lock_guard<std::mutex> lock(mu_);
            if (quit_) return;
        }
        active_.reset();
    }
}

}  // namespace ganzoo::studio
