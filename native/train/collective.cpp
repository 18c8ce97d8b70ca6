#include "train/collective.hpp"

#include <chrono>

namespace ganzoo::train {
namespace {

class Group final : public Collective {
public:
    Group(const dist::Options& options, torch::Device device)
        : group_(std::make_unique<dist::DataParallel>(options, device)) {}

    int64_t rank() const override { return group_->rank(); }
    int64_t world_size() const override { return group_->world_size(); }
    std::string backend() const override { return group_->backend(); }

    void join(models::GanFamily& family, const std::string& name, json& config, int64_t global_batch) override {
        dist::DataParallel* g = group_.get();
        if (!family.wrap_optimizers([g](std::unique_ptr<torch::optim::Optimizer> o) { return g->averaging(std::move(o)); }))
            throw std::runtime_error(name + " cannot train data-parallel (its optimizers are not reachable)");
        global_batch_ = global_batch;
        config["distributed"] = {{"world_size", world_size()}, {"backend", backend()}, {"global_batch", global_batch}};
    }

    void share_networks(models::GanFamily& family) override {
        // Same seed, same weights on every rank already; the broadcast makes it a fact (and
        // covers a resume from a checkpoint that only rank 0 could read the same way).
        std::vector<torch::Tensor> tensors;
        for (const auto& [name, module] : family.networks()) {
            for (const auto& p : module->parameters()) tensors.push_back(p);
            for (const auto& b : module->buffers()) tensors.push_back(b);
        }
        group_->broadcast(tensors);
    }

    void average_buffers(models::GanFamily& family) override {
        std::vector<torch::Tensor> buffers;
        for (const auto& [name, module] : family.networks())
            for (const auto& b : module->buffers())
                if (b.is_floating_point()) buffers.push_back(b);
        group_->average(buffers);
    }

    models::BatchShard shard(int64_t batch) const override {
        models::BatchShard s;
        s.global_size = global_batch_;
        s.offset = rank() * batch;
        s.average = [g = group_.get()](std::vector<double> values) { return g->average(std::move(values)); };
        return s;
    }

    StepTraffic agree(models::StepStats& stats, bool interrupted) override {
        // One small all-reduce per step.
        const auto comm = group_->take_gradient_stats();
        std::vector<double> values;
        for (const auto& s : stats) values.push_back(s.second);
        values.push_back(interrupted ? 1.0 : 0.0);
        values.push_back(comm.seconds);
        values = group_->average(values);
        for (size_t i = 0; i < stats.size(); ++i) stats[i].second = values[i];
        stop_ = values[stats.size()] > 0;
        const double seconds = values[stats.size() + 1];
        stats.push_back({"allreduce_ms", seconds * 1000});
        return {seconds, comm.bytes};
    }

    bool stop(bool /*interrupted*/) const override { return stop_; }
    void barrier() override { group_->barrier(); }

    std::string describe(int64_t batch) const override {
        return " (" + std::to_string(world_size()) + " ranks x " + std::to_string(batch) + ", " + backend() + ")";
    }

    void probe(models::GanFamily& family, int64_t repetitions) override {
        if (repetitions <= 0) return;
        std::vector<torch::Tensor> tensors;
        for (const auto& [name, module] : family.networks())
            for (const auto& p : module->parameters()) {
                tensors.push_back(torch::zeros_like(p));
                probe_bytes_ += p.numel() * static_cast<int64_t>(p.element_size());
            }
        group_->barrier();
        const auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < repetitions; ++i) group_->average(tensors);
        probe_ms_ = 1000 * std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                    static_cast<double>(repetitions);
    }

    void summarise(json& summary, double allreduce_ms_per_step, int64_t bytes_per_step) const override {
        summary["world_size"] = world_size();
        summary["global_batch"] = global_batch_;
        summary["backend"] = backend();
        summary["allreduce_ms_per_step"] = allreduce_ms_per_step;
        summary["gradient_bytes_per_step"] = bytes_per_step;
        if (probe_bytes_ > 0) {
            summary["allreduce_probe_ms"] = probe_ms_;
            summary["allreduce_probe_bytes"] = probe_bytes_;
        }
    }

    void abandon() override { (void)group_.release(); }

private:
    std::unique_ptr<dist::DataParallel> group_;
    int64_t global_batch_ = 0;
    bool stop_ = false;
    double probe_ms_ = 0;
    int64_t probe_bytes_ = 0;
};

}  // namespace

std::unique_ptr<Collective> make_collective(const dist::Options& options, torch::Device device) {
    if (!options.distributed()) return std::make_unique<Collective>();
    return std::make_unique<Group>(options, device);
}

}  // namespace ganzoo::train
