#include "export/exporter.hpp"

#include <cmath>
#include <map>
#include <stdexcept>
#include <type_traits>

#include "ganzoo/latent.hpp"

namespace ganzoo::train {
namespace {

namespace nn = torch::nn;

// One op before tensors get their final names: its JSON and its tensors by role.
struct DraftOp {
    json op;
    std::map<std::string, torch::Tensor> tensors;  // "weight", "bias", "scale", "shift"
};

torch::Tensor cpu_double(const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kDouble); }

template <size_t D>
json pair_of(const torch::ExpandingArray<D>& a) {
    return json::array({(*a)[0], (*a)[1]});
}

// LibTorch 1.13 holds conv padding in a c10::variant, 2.x in a std::variant: `visit` found
// by argument-dependent lookup works on both.
template <typename Variant>
json conv_padding(const Variant& padding, const std::string& where) {
    json out;
    visit(
        [&](const auto& p) {
            using P = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<P, torch::ExpandingArray<2>>)
                out = pair_of(p);
            else
                throw std::invalid_argument(where + ": only explicit numeric padding can be exported");
        },
        padding);
    return out;
}

template <typename Options>
void require_plain_conv(const Options& o, const std::string& where) {
    if (o.groups() != 1) throw std::invalid_argument(where + ": grouped convolutions cannot be exported");
    if ((*o.dilation())[0] != 1 || (*o.dilation())[1] != 1)
        throw std::invalid_argument(where + ": dilated convolutions cannot be exported");
    visit(
        [&](const auto& mode) {
            if (!std::is_same_v<std::decay_t<decltype(mode)>, torch::enumtype::kZeros>)
                throw std::invalid_argument(where + ": only zero padding_mode can be exported");
        },
        o.padding_mode());
}

DraftOp batch_norm_op(const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& mean,
                      const torch::Tensor& var, double eps, bool affine, const std::string& where) {
    if (!mean.defined() || !var.defined())
        throw std::invalid_argument(where + ": batch norm without running statistics cannot be exported");
    auto scale = torch::rsqrt(cpu_double(var) + eps);
    auto shift = -cpu_double(mean) * scale;
    if (affine) {
        scale = scale * cpu_double(weight);
        shift = shift * cpu_double(weight) + cpu_double(bias);
    }
    return {{{"op", "batch_norm"}}, {{"scale", scale}, {"shift", shift}}};
}

// Nearest-neighbour upsampling by integer factors (BEGAN); sizes and other modes have no op.
DraftOp upsample_op(const nn::UpsampleOptions& o, const std::string& where) {
    bool nearest = false;
    visit([&](const auto& mode) { nearest = std::is_same_v<std::decay_t<decltype(mode)>, torch::enumtype::kNearest>; },
          o.mode());
    const auto& factors = o.scale_factor();
    if (!nearest || o.size().has_value() || !factors.has_value() || factors->size() != 2)
        throw std::invalid_argument(where + ": only Upsample(mode=nearest) by a 2-D scale factor can be exported");
    json scale = json::array();
    for (double f : *factors) {
        if (f < 1 || f != std::floor(f))
            throw std::invalid_argument(where + ": Upsample scale factor " + std::to_string(f) + " is not a whole number");
        scale.push_back(static_cast<int64_t>(f));
    }
    return {{{"op", "upsample_nearest"}, {"scale", scale}}, {}};
}

DraftOp translate(const std::shared_ptr<nn::Module>& module, const std::string& where) {
    if (auto m = std::dynamic_pointer_cast<nn::LinearImpl>(module)) {
        DraftOp d{{{"op", "linear"}}, {{"weight", cpu_double(m->weight)}}};
        if (m->options.bias()) d.tensors["bias"] = cpu_double(m->bias);
        return d;
    }
    if (auto m = std::dynamic_pointer_cast<nn::Conv2dImpl>(module)) {
        require_plain_conv(m->options, where);
        DraftOp d{{{"op", "conv2d"},
                   {"stride", pair_of(m->options.stride())},
                   {"padding", conv_padding(m->options.padding(), where)}},
                  {{"weight", cpu_double(m->weight)}}};
        if (m->options.bias()) d.tensors["bias"] = cpu_double(m->bias);
        return d;
    }
    if (auto m = std::dynamic_pointer_cast<nn::ConvTranspose2dImpl>(module)) {
        require_plain_conv(m->options, where);
        DraftOp d{{{"op", "conv_transpose2d"},
                   {"stride", pair_of(m->options.stride())},
                   {"padding", conv_padding(m->options.padding(), where)},
                   {"output_padding", pair_of(m->options.output_padding())}},
                  {{"weight", cpu_double(m->weight)}}};
        if (m->options.bias()) d.tensors["bias"] = cpu_double(m->bias);
        return d;
    }
    if (auto m = std::dynamic_pointer_cast<ExportsAsChannelAffine>(module)) {
        const auto [scale, shift] = m->channel_affine();
        if (!scale.defined() || !shift.defined() || scale.dim() != 1 || !scale.sizes().equals(shift.sizes()))
            throw std::invalid_argument(where + ": " + module->name() + " gave no per-channel scale and shift");
        return {{{"op", "batch_norm"}}, {{"scale", cpu_double(scale)}, {"shift", cpu_double(shift)}}};
    }
    if (auto m = std::dynamic_pointer_cast<nn::BatchNorm2dImpl>(module))
        return batch_norm_op(m->weight, m->bias, m->running_mean, m->running_var, m->options.eps(),
                             m->options.affine(), where);
    if (auto m = std::dynamic_pointer_cast<nn::BatchNorm1dImpl>(module))
        return batch_norm_op(m->weight, m->bias, m->running_mean, m->running_var, m->options.eps(),
                             m->options.affine(), where);
    if (auto m = std::dynamic_pointer_cast<nn::UnflattenImpl>(module)) {
        if (m->options.dim() != 1) throw std::invalid_argument(where + ": only Unflatten(dim=1) can be exported");
        return {{{"op", "reshape"}, {"shape", m->options.sizes()}}, {}};
    }
    if (std::dynamic_pointer_cast<nn::FlattenImpl>(module)) return {{{"op", "reshape"}, {"shape", {-1}}}, {}};
    if (auto m = std::dynamic_pointer_cast<nn::UpsampleImpl>(module)) return upsample_op(m->options, where);
    if (std::dynamic_pointer_cast<nn::ReLUImpl>(module)) return {{{"op", "relu"}}, {}};
    if (auto m = std::dynamic_pointer_cast<nn::LeakyReLUImpl>(module))
        return {{{"op", "leaky_relu"}, {"slope", m->options.negative_slope()}}, {}};
    if (auto m = std::dynamic_pointer_cast<nn::ELUImpl>(module))
        return {{{"op", "elu"}, {"alpha", m->options.alpha()}}, {}};
    if (std::dynamic_pointer_cast<nn::TanhImpl>(module)) return {{{"op", "tanh"}}, {}};
    if (std::dynamic_pointer_cast<nn::SigmoidImpl>(module)) return {{{"op", "sigmoid"}}, {}};
    throw std::invalid_argument(where + ": module " + module->name() + " has no ganzoo op");
}

// y = (x W + b)·scale + shift, folded into W and b. `per_channel` repeats each scale over
// the output features of one channel (a linear layer reshaped to [C, H, W]).
void fold_into(DraftOp& layer, const DraftOp& norm, int64_t per_channel) {
    auto scale = norm.tensors.at("scale").repeat_interleave(per_channel);
    auto shift = norm.tensors.at("shift").repeat_interleave(per_channel);
    auto& weight = layer.tensors.at("weight");
    const std::string kind = layer.op.at("op");
    // The output channel is dim 0 of linear/conv2d weights and dim 1 of conv_transpose2d's.
    std::vector<int64_t> view(weight.dim(), 1);
    view[kind == "conv_transpose2d" ? 1 : 0] = -1;
    weight = weight * scale.view(view);
    auto bias = layer.tensors.count("bias") ? layer.tensors.at("bias") : torch::zeros_like(scale);
    layer.tensors["bias"] = bias * scale + shift;
}

// Folds every batch_norm that directly follows conv2d / conv_transpose2d / linear, or a
// linear followed by a reshape (DCGAN's "project and reshape"). Others stay as ops.
std::vector<DraftOp> fold_batch_norm(std::vector<DraftOp> ops) {
    std::vector<DraftOp> out;
    for (auto& op : ops) {
        const bool is_norm = op.op.at("op") == "batch_norm";
        const auto channels = is_norm ? op.tensors.at("scale").numel() : 0;
        if (is_norm && !out.empty()) {
            const std::string prev = out.back().op.at("op");
            if (prev == "conv2d" || prev == "conv_transpose2d" || prev == "linear") {
                if (prev != "linear" || out.back().tensors.at("weight").size(0) == channels) {
                    fold_into(out.back(), op, 1);
                    continue;
                }
            }
            if (prev == "reshape" && out.size() >= 2 && out[out.size() - 2].op.at("op") == "linear") {
                const auto features = out[out.size() - 2].tensors.at("weight").size(0);
                const auto shape = out.back().op.at("shape");
                if (shape.size() >= 2 && shape[0].get<int64_t>() == channels && features % channels == 0) {
                    fold_into(out[out.size() - 2], op, features / channels);
                    continue;
                }
            }
        }
        out.push_back(std::move(op));
    }
    return out;
}

std::vector<float> to_floats(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

json golden_case(GanFamily& family, const ExportOptions& options, const std::string& net) {
    const auto latents = normal_latents(options.check_seed, 0, options.check_count, family.z_dim());
    auto z = torch::from_blob(const_cast<float*>(latents.data.data()),
                              {options.check_count, family.z_dim()}, torch::kFloat)
                 .clone();
    // The member's other inputs, one grid row per sample: every class (or code value) in turn.
    const GeneratorInputs inputs = family.grid_inputs(options.check_count, 1);
    const auto out = family.sample(z, inputs).to(torch::kCPU, torch::kDouble);
    const auto values = to_floats(out.flatten().slice(0, 0, options.check_values));
    json check = {{"net", net},
                  {"seed", options.check_seed},
                  {"first_index", 0},
                  {"count", options.check_count},
                  {"values", values},
                  {"mean", out.mean().item<double>()},
                  {"l2", out.norm().item<double>()},
                  {"tolerance", options.dtype == DType::F32 ? 1e-4 : 2e-2}};
    for (const auto& [name, tensor] : inputs) {
        if (name == "label") {
            const auto labels = tensor.to(torch::kCPU, torch::kLong).contiguous();
            check["labels"] = std::vector<int64_t>(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + labels.numel());
        } else {
            check["codes"][name] = to_floats(tensor);
        }
    }
    return check;
}

}  // namespace

std::vector<uint8_t> export_model(GanFamily& family, const ExportOptions& options) {
    const ExportSpec spec = family.export_spec();
    if (spec.nets.empty()) throw std::invalid_argument("export: the model declares no networks");
    return export_graphs(spec, options, golden_case(family, options, spec.nets.front().name));
}

std::vector<uint8_t> export_graphs(const ExportSpec& spec, const ExportOptions& options, const json& check) {
    if (spec.nets.empty()) throw std::invalid_argument("export: no networks to write");
    json nets = json::object();
    std::vector<TensorToWrite> tensors;
    for (const auto& net : spec.nets) {
        std::vector<DraftOp> drafts;
        size_t index = 0;
        for (const auto& child : net.net->children())
            drafts.push_back(translate(child, "net '" + net.name + "' module " + std::to_string(index++)));
        json ops = net.prelude.is_array() ? net.prelude : json::array();
        auto folded = fold_batch_norm(std::move(drafts));
        for (size_t k = 0; k < folded.size(); ++k) {
            json op = folded[k].op;
            for (const auto& [role, tensor] : folded[k].tensors) {
                const std::string name = net.name + "." + std::to_string(k) + "." + role;
                op[role] = name;
                tensors.push_back({name, options.dtype,
                                   std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end()),
                                   to_floats(tensor)});
            }
            ops.push_back(std::move(op));
        }
        nets[net.name] = {{"inputs", net.inputs}, {"ops", ops}};
    }
    const json document = {{"format", "ganzoo-graph"},
                           {"version", 1},
                           {"family", options.family},
                           {"name", options.name},
                           {"dataset", options.dataset},
                           {"inputs", spec.inputs},
                           {"nets", nets},
                           {"training", options.training},
                           {"check", check}};
    return write_safetensors(tensors, {{"ganzoo", document.dump()}});
}

}  // namespace ganzoo::train
