#include "exporter/exporter.hpp"

#include <cmath>
#include <map>
#include <stdexcept>
#include <type_traits>

#include "ganzoo/latent.hpp"
#include "train/trainer.hpp"

namespace ganzoo::exporter {
namespace {

namespace nn = torch::nn;
using models::ExportNet;
using models::ExportOp;
using models::ExportsAsChannelAffine;
using models::ExportsAsOps;
using models::GeneratorInputs;

// One op before tensors and local values get their final names: its JSON and its tensors by
// role ("weight", "bias", "scale", "shift").
using DraftOp = ExportOp;

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
    if (auto m = std::dynamic_pointer_cast<nn::InstanceNorm2dImpl>(module)) {
        if (m->options.track_running_stats())
            throw std::invalid_argument(where + ": instance norm with running statistics cannot be exported");
        DraftOp d{{{"op", "instance_norm"}, {"eps", m->options.eps()}}, {}};
        if (m->options.affine()) {
            d.tensors["weight"] = cpu_double(m->weight);
            d.tensors["bias"] = cpu_double(m->bias);
        }
        return d;
    }
    if (auto m = std::dynamic_pointer_cast<nn::ReflectionPad2dImpl>(module)) {
        const auto& p = *m->options.padding();  // left, right, top, bottom
        if (p[0] != p[1] || p[2] != p[3])
            throw std::invalid_argument(where + ": only symmetric ReflectionPad2d can be exported");
        return {{{"op", "reflection_pad2d"}, {"padding", json::array({p[2], p[0]})}}, {}};
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

// Marks the first op of a module that wrote its own ops: the key holds the module's local
// name for its input, resolved to the previous op's output once the ops have their places.
constexpr const char* kModuleInput = "$module_input";

// The ops of an ExportsAsOps module, with its local '$' names made unique to `tag`.
std::vector<DraftOp> module_ops(const ExportsAsOps& module, const std::string& tag, const std::string& where) {
    auto ops = module.export_ops();
    if (ops.empty()) throw std::invalid_argument(where + ": the module wrote no ops");
    const auto local = [&](const json& name) -> json {
        if (!name.is_string()) throw std::invalid_argument(where + ": value name " + name.dump() + " is not a string");
        const std::string s = name;
        return s.size() > 1 && s[0] == '$' ? json("$" + tag + "." + s.substr(1)) : name;
    };
    for (auto& draft : ops) {
        auto& op = draft.op;
        if (!op.is_object() || !op.contains("op"))
            throw std::invalid_argument(where + ": an op without \"op\": " + op.dump());
        if (op.contains("in")) {
            if (!op["in"].is_array()) throw std::invalid_argument(where + ": \"in\" must be a list: " + op.dump());
            json in = json::array();
            for (const auto& name : op["in"]) in.push_back(local(name));
            op["in"] = in;
        }
        if (op.contains("out")) {
            if (op["out"] == "$in") throw std::invalid_argument(where + ": \"$in\" is the module's input, not an output");
            op["out"] = local(op["out"]);
        }
    }
    ops.front().op[kModuleInput] = "$" + tag + ".in";
    return ops;
}

// Gives module-local names their final form: "$m3.in" → the value before module 3's first op
// (an explicit "out" or the default "#k"), "$m3.h" → "m3.h". `first_input` is what the first
// op reads when nothing precedes it.
void resolve_local_names(json& ops, const std::string& first_input) {
    std::map<std::string, std::string> module_inputs;
    std::string previous = first_input;
    const auto final_name = [&](const std::string& name) {
        if (name.empty() || name[0] != '$') return name;
        const auto input = module_inputs.find(name);
        return input != module_inputs.end() ? input->second : name.substr(1);
    };
    for (size_t k = 0; k < ops.size(); ++k) {
        auto& op = ops[k];
        if (op.contains(kModuleInput)) {
            module_inputs[op[kModuleInput].get<std::string>()] = previous;
            op.erase(kModuleInput);
        }
        if (op.contains("in"))
            for (auto& name : op["in"]) name = final_name(name.get<std::string>());
        if (op.contains("out")) op["out"] = final_name(op["out"].get<std::string>());
        previous = op.contains("out") ? op["out"].get<std::string>() : "#" + std::to_string(k);
    }
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
        // Named values (a module's own ops) may be read again later, e.g. by a skip connection:
        // folding would change them, so only unnamed chains fold.
        const bool unnamed = !op.op.contains("in") && !op.op.contains(kModuleInput) &&
                             (out.empty() || !out.back().op.contains("out"));
        if (is_norm && unnamed && !out.empty()) {
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
        for (const auto& child : net.net->children()) {
            const std::string where = "net '" + net.name + "' module " + std::to_string(index);
            if (std::dynamic_pointer_cast<models::TrainingOnly>(child)) {
                ++index;  // the identity at inference
                continue;
            }
            if (auto own = std::dynamic_pointer_cast<ExportsAsOps>(child)) {
                for (auto& op : module_ops(*own, "m" + std::to_string(index), where)) drafts.push_back(std::move(op));
            } else {
                drafts.push_back(translate(child, where));
            }
            ++index;
        }
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
        if (net.inputs.empty()) throw std::invalid_argument("export: net '" + net.name + "' declares no inputs");
        resolve_local_names(ops, net.inputs.front());
        nets[net.name] = {{"inputs", net.inputs}, {"ops", ops}};
    }
    json dataset = options.dataset;
    if (!spec.image.empty()) {
        if (spec.image.size() != 3) throw std::invalid_argument("export: the image shape must be [C, H, W]");
        dataset["image"] = spec.image;
    }
    json document = {{"format", "ganzoo-graph"},
                           {"version", 1},
                           {"family", options.family},
                           {"name", options.name},
                           {"dataset", dataset},
                           {"inputs", spec.inputs},
                           {"nets", nets},
                           {"training", options.training}};
    if (!check.is_null()) document["check"] = check;
    return write_safetensors(tensors, {{"ganzoo", document.dump()}});
}

std::vector<uint8_t> export_run(GanFamily& family, GeneratorAverage* average, const json& config, int64_t step,
                                double wall_s, const RunExportOptions& how) {
    const auto& options = config.at("options");
    const int64_t world = config.contains("distributed") ? config["distributed"].value("world_size", int64_t{1}) : 1;
    const auto steps_per_epoch =
        std::max<int64_t>(1, config.at("dataset").at("count").get<int64_t>() / (options.at("batch").get<int64_t>() * world));
    ExportOptions eo;
    eo.dtype = how.dtype;
    eo.family = config.at("family");
    eo.name = how.name.empty() ? eo.family + "-" + config.at("dataset").at("name").get<std::string>() : how.name;
    eo.dataset = config.at("dataset");
    eo.dataset.erase("count");
    eo.training = {{"command", config.value("command", "")},
                   {"commands", train::run_commands(config)},
                   {"epochs", static_cast<double>(step) / steps_per_epoch},
                   {"steps", step},
                   {"batch", options.at("batch")},
                   {"device", how.device.empty() ? options.value("device", "auto") : how.device},
                   {"wall_time_s", wall_s},
                   {"commit", config.value("commit", "unknown")},
                   {"metrics", json::object()}};
    // The averaged generator when the run keeps one (unless raw): the grids showed it too.
    const bool averaged = average && !how.raw;
    eo.training["generator"] = averaged ? "average" : "live";
    if (average) eo.training["ema"] = average->settings().decay;
    const auto applied = averaged ? average->apply(train::average_refresh_seed(options)) : nullptr;
    return export_model(family, eo);
}

}  // namespace ganzoo::exporter
