#include "models/family.hpp"

#include <stdexcept>

#include "models/parts.hpp"

namespace ganzoo::models {

namespace {
std::vector<FamilyInfo>& registry() {
    static std::vector<FamilyInfo> list;
    return list;
}
}  // namespace

bool register_family(FamilyInfo info) {
    registry().push_back(std::move(info));
    return true;
}

const std::vector<FamilyInfo>& families() { return registry(); }

std::unique_ptr<GanFamily> make_family(const std::string& name) {
    std::string known;
    for (const auto& info : registry()) {
        if (info.name == name) return info.make();
        known += (known.empty() ? "" : ", ") + info.name;
    }
    throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
}

void init_dcgan_weights(torch::nn::Module& module) {
    torch::NoGradGuard no_grad;
    for (auto& m : module.modules(/*include_self=*/true)) {
        const std::string kind = m->name();
        const bool is_norm = kind.find("BatchNorm") != std::string::npos;
        const bool is_weighted = kind.find("Conv") != std::string::npos ||
                                 kind.find("Linear") != std::string::npos;
        if (!is_norm && !is_weighted) continue;
        for (auto& p : m->named_parameters(/*recurse=*/false)) {
            if (p.key() == "weight") {
                if (is_norm)
                    p.value().normal_(1.0, 0.02);
                else
                    p.value().normal_(0.0, 0.02);
            } else if (p.key() == "bias") {
                p.value().zero_();
            }
        }
    }
}

void GeneratorCritic::finish_with_adam(const json& config, torch::Device device) {
    G_->to(device);
    D_->to(device);
    const auto adam = recipe_adam(config);
    opt_G_ = std::make_unique<torch::optim::Adam>(G_->parameters(), adam);
    opt_D_ = std::make_unique<torch::optim::Adam>(D_->parameters(), adam);
    device_ = device;
}

torch::Tensor GeneratorCritic::sample(const torch::Tensor& z, const GeneratorInputs& /*inputs*/) {
    return eval_forward(G_, z.to(device_));
}

void GeneratorCritic::save(torch::serialize::OutputArchive& archive) {
    write_parts<torch::nn::Module>(archive, {{"G", G_.get()}, {"D", D_.get()}});
    write_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
    for (const auto& [name, value] : checkpoint_scalars()) write_number(archive, name, *value);
}

void GeneratorCritic::load(torch::serialize::InputArchive& archive) {
    read_parts<torch::nn::Module>(archive, {{"G", G_.get()}, {"D", D_.get()}});
    read_parts<torch::optim::Optimizer>(archive, {{"opt_G", opt_G_.get()}, {"opt_D", opt_D_.get()}});
    // A scalar that a checkpoint predates (a run from before the member kept it) keeps the value
    // build() gave it.
    for (const auto& [name, value] : checkpoint_scalars()) {
        torch::Tensor t;
        if (archive.try_read(name, t)) *value = t.item<double>();
    }
}

ExportSpec GeneratorCritic::export_spec() {
    return {{{"z", {{"dim", z_dim_}, {"distribution", "normal"}}}}, {{"G", {"z"}, G_}}, {}};
}

std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> GeneratorCritic::networks() {
    return {{"G", G_.ptr()}, {"D", D_.ptr()}};
}

bool GeneratorCritic::wrap_optimizers(const OptimizerWrap& wrap) {
    opt_G_ = wrap(std::move(opt_G_));
    opt_D_ = wrap(std::move(opt_D_));
    return true;
}

namespace {
torch::Tensor shard_rows(const Batch& batch, std::vector<int64_t> row_shape,
                         torch::Tensor (*draw)(at::IntArrayRef, const at::TensorOptions&)) {
    const int64_t rows = batch.images.size(0);
    const int64_t global = batch.shard.global_size > 0 ? batch.shard.global_size : rows;
    row_shape.insert(row_shape.begin(), global);
    auto noise = draw(row_shape, batch.images.options());
    return global == rows ? noise : noise.narrow(0, batch.shard.offset, rows);
}
}  // namespace

torch::Tensor batch_randn(const Batch& batch, std::vector<int64_t> row_shape) {
    return shard_rows(batch, std::move(row_shape), [](at::IntArrayRef s, const at::TensorOptions& o) {
        return torch::randn(s, o);
    });
}

torch::Tensor batch_rand(const Batch& batch, std::vector<int64_t> row_shape) {
    return shard_rows(batch, std::move(row_shape), [](at::IntArrayRef s, const at::TensorOptions& o) {
        return torch::rand(s, o);
    });
}

std::vector<double> average_over_ranks(const Batch& batch, std::vector<double> values) {
    return batch.shard.average ? batch.shard.average(std::move(values)) : values;
}

NamedNetworks GanFamily::generators() {
    NamedNetworks out;
    for (auto& [name, module] : networks())
        if (!name.empty() && name[0] == 'G') out.emplace_back(name, module);
    return out;
}

namespace {
thread_local bool t_refresh_batch_norm = false;
}  // namespace

BatchNormRefresh::BatchNormRefresh() : previous_(t_refresh_batch_norm) { t_refresh_batch_norm = true; }
BatchNormRefresh::~BatchNormRefresh() { t_refresh_batch_norm = previous_; }
bool BatchNormRefresh::active() { return t_refresh_batch_norm; }

void for_each_batch_norm(torch::nn::Module& module, const std::function<void(torch::nn::Module&)>& visit) {
    for (auto& m : module.modules(/*include_self=*/true))
        if (m->as<torch::nn::BatchNorm1d>() || m->as<torch::nn::BatchNorm2d>() || m->as<torch::nn::BatchNorm3d>())
            visit(*m);
}

torch::Tensor eval_forward(torch::nn::Sequential& net, const torch::Tensor& input) {
    torch::NoGradGuard no_grad;
    const bool was_training = net->is_training();
    net->eval();
    if (BatchNormRefresh::active()) for_each_batch_norm(*net, [](torch::nn::Module& bn) { bn.train(); });
    auto out = net->forward(input);
    net->train(was_training);
    return out;
}

}  // namespace ganzoo::models
