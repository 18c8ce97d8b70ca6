#include "models/average.hpp"

#include <algorithm>
#include <stdexcept>

#include "ganzoo/latent.hpp"

namespace ganzoo::models {

AverageSettings average_settings(const json& config) {
    AverageSettings s;
    if (config.contains("ema")) s.decay = config_value<double>(config, "ema");
    if (config.contains("ema_start")) s.start = config_value<int64_t>(config, "ema_start");
    if (!(s.decay >= 0.0 && s.decay < 1.0))
        throw std::invalid_argument("config: ema must be in [0, 1) (the decay of the generator average; 0 = off), got " +
                                    config.at("ema").dump());
    if (s.start < 0) throw std::invalid_argument("config: ema_start must be >= 0, got " + std::to_string(s.start));
    return s;
}

double average_decay(const AverageSettings& settings, int64_t step) {
    if (!settings.enabled() || step <= settings.start) return 0.0;
    const double t = static_cast<double>(step - settings.start);
    return std::min(settings.decay, (1.0 + t) / (10.0 + t));
}

int64_t reestimate_batch_norm(GanFamily& family, const NamedNetworks& networks, uint64_t seed, int64_t batches,
                              int64_t rows) {
    // Each layer's momentum, set to 1/(b + 1) before batch b: the running statistics become the
    // plain average over the batches. (An unset momentum means the same in PyTorch, but Debian's
    // LibTorch 1.13 then leaves the statistics at zero: docs/toolchain.md.)
    struct Layer {
        std::function<void(double)> set_momentum;
        std::function<void()> restore;
    };
    std::vector<Layer> layers;
    for (const auto& [name, module] : networks)
        for_each_batch_norm(*module, [&layers](torch::nn::Module& m) {
            auto take = [](auto* bn) {
                const auto momentum = bn->options.momentum();
                bn->reset_running_stats();
                return Layer{[bn](double value) { bn->options.momentum(value); },
                             [bn, momentum] { bn->options.momentum() = momentum; }};
            };
            if (auto* bn1 = m.as<torch::nn::BatchNorm1d>()) layers.push_back(take(bn1));
            else if (auto* bn2 = m.as<torch::nn::BatchNorm2d>()) layers.push_back(take(bn2));
            else if (auto* bn3 = m.as<torch::nn::BatchNorm3d>()) layers.push_back(take(bn3));
        });
    if (layers.empty()) return 0;
    {
        BatchNormRefresh refresh;
        torch::NoGradGuard no_grad;
        for (int64_t b = 0; b < batches; ++b) {
            for (auto& layer : layers) layer.set_momentum(1.0 / static_cast<double>(b + 1));
            const auto latents = normal_latents(seed, static_cast<uint64_t>(b * rows), rows, family.z_dim());
            const auto z = torch::from_blob(const_cast<float*>(latents.data.data()), {rows, family.z_dim()}, torch::kFloat);
            family.sample(z, family.prior_inputs(rows, seed + static_cast<uint64_t>(b)));
        }
    }
    for (auto& layer : layers) layer.restore();
    return static_cast<int64_t>(layers.size());
}

std::unique_ptr<GeneratorAverage> make_average(GanFamily& family, const json& config) {
    const auto settings = average_settings(config);
    if (!settings.enabled()) return nullptr;
    auto average = std::make_unique<GeneratorAverage>(family, settings);
    family.attach_average(average.get());
    return average;
}

GeneratorAverage::GeneratorAverage(GanFamily& family, AverageSettings settings) : family_(family), settings_(settings) {
    for (auto& [name, module] : family.generators()) nets_.push_back({name, module, {}});
    reset();
}

void GeneratorAverage::reset() {
    torch::NoGradGuard no_grad;
    for (auto& net : nets_) {
        net.average.clear();
        for (const auto& p : net.module->named_parameters())
            net.average.emplace_back(p.key(), p.value().detach().clone());
    }
}

void GeneratorAverage::update(int64_t step) {
    const double beta = average_decay(settings_, step);
    torch::NoGradGuard no_grad;
    for (auto& net : nets_) {
        const auto live = net.module->parameters();
        for (size_t i = 0; i < live.size(); ++i) {
            auto& avg = net.average[i].second;
            if (beta == 0.0)
                avg.copy_(live[i]);
            else
                avg.mul_(beta).add_(live[i], 1.0 - beta);  // β·avg + (1 − β)·G
        }
    }
}

std::vector<std::pair<std::string, torch::Tensor>> GeneratorAverage::parameters(const std::string& network) const {
    for (const auto& net : nets_)
        if (net.name == network) return net.average;
    return {};
}

void GeneratorAverage::save(torch::serialize::OutputArchive& archive) const {
    for (const auto& net : nets_) {
        torch::serialize::OutputArchive sub;
        for (const auto& [name, tensor] : net.average) sub.write(name, tensor);
        archive.write(net.name, sub);
    }
}

void GeneratorAverage::load(torch::serialize::InputArchive& archive) {
    torch::NoGradGuard no_grad;
    for (auto& net : nets_) {
        torch::serialize::InputArchive sub;
        archive.read(net.name, sub);
        for (auto& [name, tensor] : net.average) {
            torch::Tensor stored;
            sub.read(name, stored);
            if (!stored.sizes().equals(tensor.sizes()))
                throw std::runtime_error("checkpoint: the average of " + net.name + "." + name + " has another shape");
            tensor.copy_(stored);
        }
    }
}

GeneratorAverage::Applied::~Applied() {
    torch::NoGradGuard no_grad;
    for (auto& [live, value] : saved_) live.copy_(value);
}

std::unique_ptr<GeneratorAverage::Applied> GeneratorAverage::apply(uint64_t seed) {
    std::unique_ptr<Applied> applied(new Applied());
    {
        torch::NoGradGuard no_grad;
        for (auto& net : nets_) {
            const auto live = net.module->parameters();
            for (size_t i = 0; i < live.size(); ++i) {
                applied->saved_.emplace_back(live[i], live[i].detach().clone());
                live[i].copy_(net.average[i].second);
            }
            for (auto& b : net.module->buffers()) applied->saved_.emplace_back(b, b.clone());
        }
    }
    NamedNetworks networks;
    for (auto& net : nets_) networks.emplace_back(net.name, net.module);
    reestimate_batch_norm(family_, networks, seed);
    return applied;
}

}  // namespace ganzoo::models
