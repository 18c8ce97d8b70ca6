// Data-parallel training on PyTorch's own distributed engine (c10d): a TCPStore rendezvous, a
// Gloo process group on the CPU or an NCCL one on CUDA, gradients averaged in buckets every
// step, parameters broadcast from rank 0. docs/distributed.md tells how to run it.
//
// This header stays free of the c10d headers (only data_parallel.cpp includes them), so the
// trainer and the CLI compile the same against LibTorch 1.13 and 2.x.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ganzoo::dist {

// What `ganzoo train --world-size N --rank R --master ADDR:PORT` asks for.
struct Options {
    int64_t world_size = 1;
    int64_t rank = 0;
    std::string master;            // "ADDR:PORT"; needed when world_size > 1
    double timeout_s = 300;        // --dist-timeout: every collective (and the rendezvous, by default)
    double rendezvous_timeout_s = 0;  // --rendezvous-timeout: how long ranks wait for each other to start; 0 = timeout_s
    std::string backend = "auto";  // auto | gloo | nccl
    int64_t bucket_mb = 25;        // gradients are all-reduced in flat buckets of at most this size

    bool distributed() const { return world_size > 1; }
};

// Checks the options and splits --master; throws std::runtime_error with a one-line message
// naming the flag.
struct Endpoint {
    std::string host;
    int port = 0;
};
Endpoint check_options(const Options& options);

// Whether this build can use NCCL (ProcessGroupNCCL was found at configure time).
bool nccl_available();

// Set once a process group exists: a failing rank then leaves with _Exit, since tearing
// down a process group whose peers are gone can block (ganzoo's main reads it).
bool process_group_created();

// A joined process group. Every call is a collective: each rank must make the same calls,
// with tensors of the same shapes, in the same order. Failures (a rank gone, the timeout)
// throw std::runtime_error naming this rank, the operation and the timeout.
class DataParallel {
public:
    // Joins: rank 0 hosts the TCPStore at `master`; every rank counts itself in and waits (up to
    // the rendezvous timeout) until all have, then creates the process group, whose own timeout
    // (--dist-timeout) then bounds every collective. `device` picks the backend under "auto" (CUDA: NCCL).
    DataParallel(const Options& options, torch::Device device);
    ~DataParallel();
    DataParallel(const DataParallel&) = delete;
    DataParallel& operator=(const DataParallel&) = delete;

    int64_t rank() const;
    int64_t world_size() const;
    const std::string& backend() const;  // "gloo" or "nccl"

    // Rank 0's values into every rank's tensors (in place; bucketed).
    void broadcast(const std::vector<torch::Tensor>& tensors);
    // Sum over ranks / world size, in place, in flat buckets (one all-reduce per bucket, not
    // per tensor). Tensors must be dense and share a dtype within a bucket.
    void average(const std::vector<torch::Tensor>& tensors);
    // Each parameter's gradient averaged over the ranks (undefined gradients are skipped: every
    // rank runs the same code, so they are undefined on every rank).
    void average_gradients(const std::vector<torch::Tensor>& parameters);
    // Scalars averaged over the ranks (one small all-reduce).
    std::vector<double> average(std::vector<double> values);
    void barrier();

    // An optimizer whose step() averages its parameters' gradients first; save/load are the
    // wrapped optimizer's, so checkpoints are the same with or without data parallelism.
    std::unique_ptr<torch::optim::Optimizer> averaging(std::unique_ptr<torch::optim::Optimizer> inner);

    // Gradient all-reduce accounting since the last take_gradient_stats() call.
    struct GradientStats {
        double seconds = 0;   // wall time inside the gradient all-reduces (launch to wait)
        int64_t bytes = 0;    // gradient bytes reduced (per rank)
        int64_t calls = 0;    // all-reduce calls (buckets)
    };
    GradientStats take_gradient_stats();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ganzoo::dist
