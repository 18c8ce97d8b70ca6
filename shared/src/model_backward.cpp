// ganzoo core: Model::run_backward and generate_backward, the gradients with respect to a net's
// inputs (backward.hpp does the work). Their own file: the sampling path (run, generate, the
// wasm bindings) links none of the reverse pass.
#include <string>

#include "backward.hpp"
#include "json_fields.hpp"
#include "model_impl.hpp"

namespace ganzoo {

namespace {

// Whether input i takes a gradient: not a label or code of class indices (read by one_hot ops
// only, given as [N, 1]); class weights in their place do.
std::vector<bool> inputs_taking_gradients(const graph::Net& net, const std::vector<Tensor>& inputs) {
    std::vector<bool> wants(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        bool one_hot_only = true;
        for (const graph::Op& op : net.ops)
            for (int v : op.inputs)
                if (v == static_cast<int>(i) && op.kind != graph::OpKind::OneHot) one_hot_only = false;
        wants[i] = !one_hot_only || inputs[i].dim(1) != 1;
    }
    return wants;
}

}  // namespace

RunGradients Model::Impl::backward(const std::string& net_name, const std::map<std::string, Tensor>& inputs,
                                   const OutputGradient& output_gradient, const char* caller) const {
    const graph::Net& g = net(net_name, caller);
    const std::string context = std::string(caller) + ": net '" + net_name + "'";
    std::vector<Tensor> ordered = ordered_inputs(g, context, inputs);
    const std::vector<bool> wants = inputs_taking_gradients(g, ordered);
    // The caller's dL/d(output), checked before the sweep reads it.
    auto checked_gradient = [&](const Tensor& output) {
        Tensor dy = output_gradient(output);
        if (dy.shape != output.shape || static_cast<int64_t>(dy.data.size()) != dy.numel())
            throw Error(context + ": the output gradient has shape " + detail::shape_string(dy.shape) + " (" +
                        std::to_string(dy.data.size()) + " values), expected the output's " +
                        detail::shape_string(output.shape));
        return dy;
    };
    graph::Gradients grads =
        graph::run_net_backward(g, std::move(ordered), wants, checked_gradient, limits.max_activation_elements);
    RunGradients result;
    result.output = std::move(grads.output);
    for (size_t i = 0; i < wants.size(); ++i)
        if (wants[i]) result.inputs[g.input_names[i]] = std::move(grads.inputs[i]);
    return result;
}

RunGradients Model::run_backward(const std::string& net, const std::map<std::string, Tensor>& inputs,
                                 const OutputGradient& output_gradient) const {
    return impl_->backward(net, inputs, output_gradient, "run_backward");
}

RunGradients Model::run_backward(const std::string& net, const std::map<std::string, Tensor>& inputs,
                                 const Tensor& output_gradient) const {
    return run_backward(net, inputs, [&](const Tensor&) { return output_gradient; });
}

GenerateGradients Model::generate_backward(const GenerateRequest& req, const OutputGradient& output_gradient) const {
    const std::string net_name = !req.net.empty() ? req.net : impl_->info.default_net();
    std::map<std::string, Tensor> inputs;
    try {
        inputs = impl_->request_inputs(req, net_name);
    } catch (const Error& e) {
        // generate()'s checks, under this function's name.
        const std::string what = e.what(), prefix = "generate: ";
        throw Error("generate_backward: " + (what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what));
    }
    RunGradients grads = impl_->backward(net_name, inputs, output_gradient, "generate_backward");
    GenerateGradients result;
    result.output = std::move(grads.output);
    for (auto& [name, gradient] : grads.inputs) {
        if (name == "z") {
            // z entered the net scaled by the truncation.
            if (req.truncation != 1.0f)
                for (float& v : gradient.data) v *= req.truncation;
            result.z = std::move(gradient);
        } else if (name == "label") {
            result.label_weights = std::move(gradient);  // only class weights take a gradient
        } else {
            result.codes[name] = std::move(gradient);
        }
    }
    return result;
}

GenerateGradients Model::generate_backward(const GenerateRequest& req, const Tensor& output_gradient) const {
    return generate_backward(req, [&](const Tensor&) { return output_gradient; });
}

}  // namespace ganzoo
