#include "dist/data_parallel.hpp"

#include <c10/util/Logging.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// The collectives' options and Work, which the process-group headers would bring too: a build
// with neither Gloo nor NCCL (a LibTorch without gloo/ headers) needs them on their own.
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef GANZOO_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef GANZOO_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace ganzoo::dist {
namespace {

std::atomic<bool> g_group_created{false};

std::string flag_error(const std::string& flag, const std::string& value, const std::string& why) {
    return flag + " " + value + ": " + why;
}

// c10d and Gloo messages start with "[file.cc:123] " and may run over several lines: keep
// the first line, without the source location.
std::string clean_message(const std::exception& e) {
    std::string text = e.what();
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) text = c10->what_without_backtrace();
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find("] ");
        if (close != std::string::npos && text.substr(0, close).find(':') != std::string::npos)
            text = text.substr(close + 2);
    }
    const auto newline = text.find('\n');
    if (newline != std::string::npos) text = text.substr(0, newline);
    while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
    return text;
}

// c10d logs each failed connection attempt and timeout to stderr (through glog in Debian's
// build) before it throws: ganzoo reports the exception as one line instead.
// GANZOO_DIST_VERBOSE=1 keeps c10d's own log.
void quiet_c10d_log() {
    if (const char* verbose = std::getenv("GANZOO_DIST_VERBOSE"); verbose && *verbose && *verbose != '0') return;
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = 3;  // glog: fatal messages only
#endif
    FLAGS_caffe2_log_level = 3;
}

#ifdef GANZOO_HAVE_GLOO
bool is_loopback(const std::string& host) {
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}
#endif

// Consecutive tensors of one dtype and device, up to `limit` bytes each (a tensor larger than
// the limit is a bucket of its own).
std::vector<std::vector<torch::Tensor>> buckets_of(const std::vector<torch::Tensor>& tensors, int64_t limit) {
    std::vector<std::vector<torch::Tensor>> buckets;
    int64_t bytes = 0;
    for (const auto& t : tensors) {
        const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
        const bool fits = !buckets.empty() && bytes + size <= limit &&
                          buckets.back().front().scalar_type() == t.scalar_type() &&
                          buckets.back().front().device() == t.device();
        if (!fits) {
            buckets.emplace_back();
            bytes = 0;
        }
        buckets.back().push_back(t);
        bytes += size;
    }
    return buckets;
}

torch::Tensor flatten(const std::vector<torch::Tensor>& bucket) {
    std::vector<torch::Tensor> flat;
    flat.reserve(bucket.size());
    for (const auto& t : bucket) flat.push_back(t.reshape(-1));
    return torch::cat(flat);
}

void unflatten_into(const torch::Tensor& flat, const std::vector<torch::Tensor>& bucket) {
    int64_t offset = 0;
    for (const auto& t : bucket) {
        t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
        offset += t.numel();
    }
}

}  // namespace

Endpoint check_options(const Options& o) {
    if (o.world_size < 1 || o.world_size > 65536)
        throw std::runtime_error(flag_error("--world-size", std::to_string(o.world_size), "must be between 1 and 65536"));
    if (o.rank < 0 || o.rank >= o.world_size)
        throw std::runtime_error(flag_error("--rank", std::to_string(o.rank),
                                            "must be between 0 and --world-size - 1 = " + std::to_string(o.world_size - 1)));
    if (!(o.timeout_s > 0 && o.timeout_s <= 86400)) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", o.timeout_s);
        throw std::runtime_error(flag_error("--dist-timeout", value, "must be more than 0 and at most 86400 seconds"));
    }
    if (!(o.rendezvous_timeout_s >= 0 && o.rendezvous_timeout_s <= 86400)) {
        char value[32];
        std::snprintf(value, sizeof value, "%g", o.rendezvous_timeout_s);
        throw std::runtime_error(flag_error("--rendezvous-timeout", value, "must be between 0 (= --dist-timeout) and 86400 seconds"));
    }
    if (o.backend != "auto" && o.backend != "gloo" && o.backend != "nccl")
        throw std::runtime_error(flag_error("--dist-backend", o.backend, "expected auto, gloo or nccl"));
    if (o.bucket_mb < 1 || o.bucket_mb > 4096)
        throw std::runtime_error(flag_error("--bucket-mb", std::to_string(o.bucket_mb), "must be between 1 and 4096"));
    Endpoint e;
    if (o.master.empty()) {
        if (o.world_size > 1) throw std::runtime_error("--world-size " + std::to_string(o.world_size) + " needs --master ADDR:PORT (rank 0's address)");
        return e;
    }
    const auto colon = o.master.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == o.master.size())
        throw std::runtime_error(flag_error("--master", o.master, "expected ADDR:PORT, e.g. 127.0.0.1:29500"));
    e.host = o.master.substr(0, colon);
    if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') e.host = e.host.substr(1, e.host.size() - 2);
    const std::string port = o.master.substr(colon + 1);
    char* end = nullptr;
    const long value = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || port.find_first_not_of("0123456789") != std::string::npos || value < 1 || value > 65535)
        throw std::runtime_error(flag_error("--master", o.master, "the port must be a number between 1 and 65535"));
    e.port = static_cast<int>(value);
    return e;
}

bool nccl_available() {
#ifdef GANZOO_HAVE_NCCL
    return true;
#else
    return false;
#endif
}

bool process_group_created() { return g_group_created; }

struct DataParallel::Impl {
    Options options;
    Endpoint endpoint;
    std::string backend;
    torch::Device device = torch::kCPU;  // where collectives' tensors live (CPU for Gloo)
    std::chrono::milliseconds timeout{0};
    c10::intrusive_ptr<c10d::Store> store;
    // Each group held by its own type: ProcessGroupGloo derives from ProcessGroup in 1.13 and
    // from Backend in 2.x, and both spell the collectives the same.
#ifdef GANZOO_HAVE_GLOO
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef GANZOO_HAVE_NCCL
    c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
    GradientStats stats;

    std::string where() const { return "rank " + std::to_string(options.rank) + " of " + std::to_string(options.world_size); }

    [[noreturn]] void fail(const std::string& what, const std::exception& e) const {
        throw std::runtime_error(where() + ": " + what + " failed: " + clean_message(e) + " (a rank has exited or stopped answering; --dist-timeout " +
                                 std::to_string(static_cast<int64_t>(options.timeout_s)) + " s, master " + options.master + ")");
    }

    template <class Call>
    c10::intrusive_ptr<c10d::Work> launch(Call call) {
#ifdef GANZOO_HAVE_NCCL
        if (nccl) return call(*nccl);
#endif
#ifdef GANZOO_HAVE_GLOO
        if (gloo) return call(*gloo);
#endif
        (void)call;  // a build without any process group never gets here (the constructor refuses)
        throw std::logic_error("no process group");
    }

    void wait(const std::vector<c10::intrusive_ptr<c10d::Work>>& works, const std::string& what) {
        for (const auto& work : works) {
            try {
                work->wait();
            } catch (const std::exception& e) {
                fail(what, e);
            }
        }
    }

    void allreduce_sum(std::vector<torch::Tensor>& flats, const std::string& what) {
        std::vector<c10::intrusive_ptr<c10d::Work>> works;
        try {
            for (auto& flat : flats) {
                std::vector<torch::Tensor> one{flat};
                works.push_back(launch([&](auto& group) { return group.allreduce(one, c10d::AllreduceOptions()); }));
            }
        } catch (const std::exception& e) {
            fail(what, e);
        }
        wait(works, what);
    }
};

DataParallel::DataParallel(const Options& options, torch::Device device) : impl_(std::make_unique<Impl>()) {
    auto& s = *impl_;
    s.options = options;
    s.endpoint = check_options(options);
    s.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
    s.backend = options.backend == "auto" ? (device.is_cuda() && nccl_available() ? "nccl" : "gloo") : options.backend;
    if (s.backend == "nccl") {
        if (!device.is_cuda()) throw std::runtime_error("--dist-backend nccl needs --device cuda (NCCL reduces GPU tensors)");
        if (!nccl_available())
            throw std::runtime_error("--dist-backend nccl: this build has no NCCL (ProcessGroupNCCL was not found when it was configured); use --dist-backend gloo");
        s.device = device;
    }
#ifndef GANZOO_HAVE_GLOO
    if (s.backend == "gloo")
        throw std::runtime_error("--dist-backend gloo: this LibTorch has no Gloo headers (gloo/context.h was not found when it was configured)");
#endif

    quiet_c10d_log();
    // Rendezvous: rank 0 serves the store and waits (up to the timeout) for every rank.
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(s.endpoint.port);
    store_options.isServer = options.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(options.world_size);
    store_options.waitWorkers = true;
    const double join_s = options.rendezvous_timeout_s > 0 ? options.rendezvous_timeout_s : options.timeout_s;
    store_options.timeout = std::chrono::milliseconds(static_cast<int64_t>(join_s * 1000));
    const std::string hint = options.rank == 0 ? " (is the port free? did every rank start with the same --master and --world-size?)"
                                               : " (is rank 0 running, with the same --master and --world-size?)";
    try {
        s.store = c10::make_intrusive<c10d::TCPStore>(s.endpoint.host, store_options);
    } catch (const std::exception& e) {
        throw std::runtime_error(s.where() + ": rendezvous at " + options.master + " failed: " + clean_message(e) + hint);
    }
    // Every rank counts itself in and waits for the others, so that ranks which start seconds
    // apart meet here (under the rendezvous timeout) and then create the group together.
    const auto join_deadline = std::chrono::steady_clock::now() + store_options.timeout;
    int64_t joined = 0;
    try {
        joined = s.store->add("ganzoo/joined", 1);
        while (joined < options.world_size && std::chrono::steady_clock::now() < join_deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            joined = s.store->add("ganzoo/joined", 0);
        }
    } catch (const std::exception& e) {
        throw std::runtime_error(s.where() + ": rendezvous at " + options.master + " failed: " + clean_message(e) + hint);
    }
    if (joined < options.world_size) {
        char waited[32];
        std::snprintf(waited, sizeof waited, "%g", join_s);
        throw std::runtime_error(s.where() + ": rendezvous at " + options.master + " failed: " + std::to_string(joined) + " of " +
                                 std::to_string(options.world_size) + " ranks joined within " + waited + " s" + hint);
    }

    try {
#ifdef GANZOO_HAVE_NCCL
        if (s.backend == "nccl") {
            auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
            nccl_options->timeout = s.timeout;
            s.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(s.store, static_cast<int>(options.rank),
                                                                 static_cast<int>(options.world_size), nccl_options);
        }
#endif
#ifdef GANZOO_HAVE_GLOO
        if (s.backend == "gloo") {
            auto gloo_options = c10d::ProcessGroupGloo::Options::create(s.timeout);
            // GLOO_SOCKET_IFNAME picks the interface as in PyTorch; on one machine, loopback.
            if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
                gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
            else if (is_loopback(s.endpoint.host))
                gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
            else
                gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
            s.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(s.store, static_cast<int>(options.rank),
                                                                 static_cast<int>(options.world_size), gloo_options);
        }
#endif
    } catch (const std::exception& e) {
        // The group's creation is where the ranks exchange addresses through the store: a
        // rank that never came shows up here, as a timeout.
        throw std::runtime_error(s.where() + ": rendezvous at " + options.master + " failed while creating the " + s.backend +
                                 " process group: " + clean_message(e) + " (did all " + std::to_string(options.world_size) +
                                 " ranks start with the same --master and --world-size within --dist-timeout " +
                                 std::to_string(static_cast<int64_t>(options.timeout_s)) + " s?)");
    }
    g_group_created = true;
}

DataParallel::~DataParallel() = default;

int64_t DataParallel::rank() const { return impl_->options.rank; }
int64_t DataParallel::world_size() const { return impl_->options.world_size; }
const std::string& DataParallel::backend() const { return impl_->backend; }

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard no_grad;
    auto& s = *impl_;
    for (const auto& bucket : buckets_of(tensors, s.options.bucket_mb << 20)) {
        std::vector<torch::Tensor> flat{flatten(bucket)};
        try {
            s.wait({s.launch([&](auto& group) { return group.broadcast(flat, c10d::BroadcastOptions()); })},
                   "broadcast from rank 0");
        } catch (const std::runtime_error&) {
            throw;
        } catch (const std::exception& e) {
            s.fail("broadcast from rank 0", e);
        }
        unflatten_into(flat[0], bucket);
    }
}

void DataParallel::average(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard no_grad;
    auto& s = *impl_;
    const auto buckets = buckets_of(tensors, s.options.bucket_mb << 20);
    std::vector<torch::Tensor> flats;
    for (const auto& bucket : buckets) flats.push_back(flatten(bucket));
    s.allreduce_sum(flats, "all-reduce");
    for (size_t i = 0; i < buckets.size(); ++i) {
        flats[i].div_(static_cast<double>(s.options.world_size));
        unflatten_into(flats[i], buckets[i]);
    }
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters) {
    std::vector<torch::Tensor> grads;
    int64_t bytes = 0;
    for (const auto& p : parameters)
        if (p.grad().defined()) {
            grads.push_back(p.grad());
            bytes += p.grad().numel() * static_cast<int64_t>(p.grad().element_size());
        }
    if (grads.empty()) return;
    const auto start = std::chrono::steady_clock::now();
    average(grads);
    auto& stats = impl_->stats;
    stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.bytes += bytes;
    stats.calls += static_cast<int64_t>(buckets_of(grads, impl_->options.bucket_mb << 20).size());
}

std::vector<double> DataParallel::average(std::vector<double> values) {
    if (values.empty()) return values;
    auto& s = *impl_;
    std::vector<torch::Tensor> flat{torch::tensor(values, torch::TensorOptions().dtype(torch::kDouble)).to(s.device)};
    s.allreduce_sum(flat, "all-reduce of the step's scalars");
    const auto summed = flat[0].to(torch::kCPU);
    for (size_t i = 0; i < values.size(); ++i)
        values[i] = summed[static_cast<int64_t>(i)].item<double>() / static_cast<double>(s.options.world_size);
    return values;
}

void DataParallel::barrier() {
    auto& s = *impl_;
    try {
        c10d::BarrierOptions barrier_options;
        // NCCL's barrier guesses the GPU from the rank unless told; LOCAL_RANK may differ.
        if (s.backend == "nccl") barrier_options.device_ids = {s.device.index()};
        s.wait({s.launch([&](auto& group) { return group.barrier(barrier_options); })}, "barrier");
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        s.fail("barrier", e);
    }
}

DataParallel::GradientStats DataParallel::take_gradient_stats() {
    const GradientStats taken = impl_->stats;
    impl_->stats = {};
    return taken;
}

namespace {

// Steps like the optimizer it wraps, after averaging the gradients of its parameters over the
// ranks. Its own parameter groups hold the same tensors, so zero_grad() clears the right ones.
class AveragingOptimizer final : public torch::optim::Optimizer {
public:
    AveragingOptimizer(std::unique_ptr<torch::optim::Optimizer> inner, DataParallel& group)
        : Optimizer(std::vector<torch::optim::OptimizerParamGroup>(inner->param_groups()), inner->defaults().clone()),
          inner_(std::move(inner)),
          group_(group) {}

    torch::Tensor step(LossClosure closure = nullptr) override {
        std::vector<torch::Tensor> params;
        for (const auto& g : inner_->param_groups())
            for (const auto& p : g.params()) params.push_back(p);
        group_.average_gradients(params);
        // A member that schedules its learning rate sets it on this optimizer's groups (copies
        // of the inner one's): pass the options on.
        auto& inner_groups = inner_->param_groups();
        for (size_t i = 0; i < inner_groups.size() && i < param_groups().size(); ++i)
            inner_groups[i].set_options(param_groups()[i].options().clone());
        return inner_->step(std::move(closure));
    }

    void save(torch::serialize::OutputArchive& archive) const override { inner_->save(archive); }
    void load(torch::serialize::InputArchive& archive) override { inner_->load(archive); }

private:
    std::unique_ptr<torch::optim::Optimizer> inner_;
    DataParallel& group_;
};

}  // namespace

std::unique_ptr<torch::optim::Optimizer> DataParallel::averaging(std::unique_ptr<torch::optim::Optimizer> inner) {
    return std::make_unique<AveragingOptimizer>(std::move(inner), *this);
}

}  // namespace ganzoo::dist
