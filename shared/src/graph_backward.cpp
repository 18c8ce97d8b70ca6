// ganzoo core: the recording run of a net and its reverse sweep. A run of its own rather than
// flags in run_net: the forward path keeps freeing values at their last use and computing in
// place, at no cost for a backward it never takes.
#include <algorithm>
#include <string>

#include "backward.hpp"
#include "ganzoo/error.hpp"

namespace ganzoo::graph {

namespace {

std::vector<int64_t> with_batch(int64_t n, const std::vector<int64_t>& per_sample) {
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), per_sample.begin(), per_sample.end());
    return shape;
}

// What an op's backward reads besides dy.
bool needs_input(OpKind kind) {
    return kind == OpKind::LeakyRelu || kind == OpKind::Elu || kind == OpKind::PixelNorm ||
           kind == OpKind::InstanceNorm;
}
bool needs_output(OpKind kind) {
    return kind == OpKind::Relu || kind == OpKind::Tanh || kind == OpKind::Sigmoid;
}

// One op of the forward, as run_net computes it; `in` are its inputs. The ops that compute in
// place work on a copy of the first, or on the first itself where `movable` (nothing reads it
// after this op).
Tensor forward_op(const Op& op, const std::vector<Tensor*>& in, bool movable) {
    auto own = [&]() -> Tensor { return movable ? std::move(*in[0]) : *in[0]; };
    Tensor out;
    switch (op.kind) {
        case OpKind::Linear:
            return ops::linear(*in[0], op.packed_weight, op.bias);
        case OpKind::Conv2d:
            return ops::conv2d(*in[0], op.packed_weight, op.bias, op.window);
        case OpKind::ConvTranspose2d:
            return ops::conv_transpose2d(*in[0], op.packed_weight, op.bias, op.out_channels, op.window);
        case OpKind::UpsampleNearest:
            return ops::upsample_nearest(*in[0], op.scale_h, op.scale_w);
        case OpKind::ReflectionPad2d:
            return ops::reflection_pad2d(*in[0], op.pad_h, op.pad_w);
        case OpKind::Concat:
            return ops::concat({in.begin(), in.end()}, op.axis);
        case OpKind::OneHot:
            try {
                return ops::one_hot(*in[0], op.classes);
            } catch (const Error& e) {
                throw Error(op.context + ": " + e.what());
            }
        case OpKind::Reshape:
            return own();
        case OpKind::BatchNorm:
            out = own();
            ops::batch_norm(out, op.scale, op.shift);
            return out;
        case OpKind::Relu:
            out = own();
            ops::relu(out);
            return out;
        case OpKind::LeakyRelu:
            out = own();
            ops::leaky_relu(out, op.slope);
            return out;
        case OpKind::Elu:
            out = own();
            ops::elu(out, op.alpha);
            return out;
        case OpKind::Tanh:
            out = own();
            ops::tanh(out);
            return out;
        case OpKind::Sigmoid:
            out = own();
            ops::sigmoid(out);
            return out;
        case OpKind::Scale:
            out = own();
            ops::scale(out, op.factor);
            return out;
        case OpKind::PixelNorm:
            out = own();
            ops::pixel_norm(out, op.eps);
            return out;
        case OpKind::InstanceNorm:
            out = own();
            ops::instance_norm(out, op.norm_weight, op.norm_bias, op.eps);
            return out;
        case OpKind::Add:
            out = own();
            ops::add(out, *in[1]);
            return out;
    }
    return out;
}

// dx of each input of `op` from dy (empty where an input gets none); `values` hold what the
// op's backward needs (needs_input, needs_output).
std::vector<Tensor> backward_op(const Op& op, Tensor dy, const std::vector<Tensor>& values,
                                const std::vector<std::vector<int64_t>>& shapes) {
    const auto id = [&](size_t k) { return static_cast<size_t>(op.inputs[k]); };
    const Tensor& x = values[id(0)];
    const Tensor& y = values[static_cast<size_t>(op.output)];
    std::vector<Tensor> dx(op.inputs.size());
    switch (op.kind) {
        case OpKind::Linear:
            dx[0] = ops::linear_backward(dy, op.packed_weight);
            break;
        case OpKind::Conv2d:
            dx[0] = ops::conv2d_backward(dy, op.packed_weight, op.window, shapes[id(0)][2], shapes[id(0)][3]);
            break;
        case OpKind::ConvTranspose2d:
            dx[0] = ops::conv_transpose2d_backward(dy, op.packed_weight, op.window);
            break;
        case OpKind::UpsampleNearest:
            dx[0] = ops::upsample_nearest_backward(dy, op.scale_h, op.scale_w);
            break;
        case OpKind::ReflectionPad2d:
            dx[0] = ops::reflection_pad2d_backward(dy, op.pad_h, op.pad_w);
            break;
        case OpKind::Concat: {
            std::vector<std::vector<int64_t>> in_shapes;
            for (size_t k = 0; k < op.inputs.size(); ++k) in_shapes.push_back(shapes[id(k)]);
            dx = ops::concat_backward(dy, in_shapes, op.axis);
            break;
        }
        case OpKind::OneHot:
            // Class weights passed through (the forward returned them as they were); a label of
            // class indices is discrete: no gradient.
            if (shapes[id(0)] == dy.shape) dx[0] = std::move(dy);
            break;
        case OpKind::Reshape:
            dx[0] = std::move(dy);
            break;
        case OpKind::BatchNorm:
            ops::batch_norm_backward(dy, op.scale);
            dx[0] = std::move(dy);
            break;
        case OpKind::Relu:
            ops::relu_backward(dy, y);
            dx[0] = std::move(dy);
            break;
        case OpKind::LeakyRelu:
            ops::leaky_relu_backward(dy, x, op.slope);
            dx[0] = std::move(dy);
            break;
        case OpKind::Elu:
            ops::elu_backward(dy, x, op.alpha);
            dx[0] = std::move(dy);
            break;
        case OpKind::Tanh:
            ops::tanh_backward(dy, y);
            dx[0] = std::move(dy);
            break;
        case OpKind::Sigmoid:
            ops::sigmoid_backward(dy, y);
            dx[0] = std::move(dy);
            break;
        case OpKind::Scale:
            ops::scale_backward(dy, op.factor);
            dx[0] = std::move(dy);
            break;
        case OpKind::PixelNorm:
            ops::pixel_norm_backward(dy, x, op.eps);
            dx[0] = std::move(dy);
            break;
        case OpKind::InstanceNorm:
            ops::instance_norm_backward(dy, x, op.norm_weight, op.eps);
            dx[0] = std::move(dy);
            break;
        case OpKind::Add:
            dx[0] = dy;
            dx[1] = std::move(dy);
            break;
    }
    for (size_t k = 0; k < dx.size(); ++k) {
        if (dx[k].data.empty() && dx[k].shape.empty()) continue;  // no gradient for this input
        dx[k].shape = shapes[id(k)];
        // The kernels' own invariant, checked because a mismatch would corrupt the sweep.
        if (static_cast<int64_t>(dx[k].data.size()) != dx[k].numel())
            throw Error(op.context + ": its backward gave " + std::to_string(dx[k].data.size()) +
                        " values for input " + std::to_string(k) + ", which has " + std::to_string(dx[k].numel()));
    }
    return dx;
}

// g += d, or g = d when g holds nothing yet.
void accumulate(Tensor& g, Tensor d) {
    if (g.shape.empty()) {
        g = std::move(d);
        return;
    }
    for (size_t i = 0; i < g.data.size(); ++i) g.data[i] += d.data[i];
}

}  // namespace

Gradients run_net_backward(const Net& net, std::vector<Tensor> inputs, const std::vector<bool>& wants,
                           const std::function<Tensor(const Tensor& output)>& output_gradient,
                           uint64_t max_elements) {
    const size_t values_count = net.value_names.size();
    const int64_t n = inputs.front().dim(0);

    // Which values depend on a wanted input (only their ops are swept), and which of them the
    // sweep reads (kept by the recording run).
    std::vector<bool> depends(values_count, false), keep(values_count, false);
    for (size_t i = 0; i < inputs.size(); ++i) depends[i] = wants[i];
    for (const Op& op : net.ops) {
        bool any = false;
        for (int v : op.inputs) any = any || depends[static_cast<size_t>(v)];
        depends[static_cast<size_t>(op.output)] = any;
        if (!any) continue;
        if (needs_input(op.kind)) keep[static_cast<size_t>(op.inputs[0])] = true;
        if (needs_output(op.kind)) keep[static_cast<size_t>(op.output)] = true;
    }

    // What the recording run keeps, on top of what the forward needs at once: within the limit
    // on a run's values, checked before allocating.
    uint64_t kept = 0;
    for (size_t v = 0; v < values_count; ++v)
        if (keep[v]) {
            const auto& shape = v < inputs.size() ? net.input_shapes[v] : net.ops[v - inputs.size()].out_shape;
            int64_t size = 1;
            for (int64_t d : shape) size *= d;
            kept += static_cast<uint64_t>(size);
        }
    const uint64_t per_sample = kept + static_cast<uint64_t>(net.max_elements_per_sample);
    if (static_cast<uint64_t>(n) > max_elements / per_sample)
        throw Error("net '" + net.name + "': a backward of " + std::to_string(n) + " samples keeps " +
                    std::to_string(static_cast<uint64_t>(n) * kept) + " values for the reverse pass besides " +
                    std::to_string(static_cast<uint64_t>(n) * static_cast<uint64_t>(net.max_elements_per_sample)) +
                    " for its largest activation, over the limit of " + std::to_string(max_elements));

    // The recording run: values kept for the sweep, the others freed at their last use.
    std::vector<Tensor> values(values_count);
    std::vector<std::vector<int64_t>> shapes(values_count);
    for (size_t i = 0; i < inputs.size(); ++i) {
        shapes[i] = inputs[i].shape;
        values[i] = std::move(inputs[i]);
    }
    for (const Op& op : net.ops) {
        std::vector<Tensor*> in;
        for (int v : op.inputs) in.push_back(&values[static_cast<size_t>(v)]);
        const auto first = static_cast<size_t>(op.inputs[0]);
        const bool movable = std::count(op.inputs.begin(), op.inputs.end(), op.inputs[0]) == 1 &&
                             net.last_use[first] == op.index && !keep[first];
        Tensor out = forward_op(op, in, movable);
        out.shape = with_batch(n, op.out_shape);
        const auto o = static_cast<size_t>(op.output);
        shapes[o] = out.shape;
        values[o] = std::move(out);
        for (int v : op.inputs)
            if (net.last_use[static_cast<size_t>(v)] == op.index && !keep[static_cast<size_t>(v)])
                values[static_cast<size_t>(v)] = Tensor();
    }

    Gradients result;
    result.output = values[static_cast<size_t>(net.output)];
    // The sweep: each op's dy is complete once every later op has run (they are in order).
    std::vector<Tensor> grads(values_count);
    grads[static_cast<size_t>(net.output)] = output_gradient(result.output);
    for (auto op = net.ops.rbegin(); op != net.ops.rend(); ++op) {
        Tensor& dy = grads[static_cast<size_t>(op->output)];
        if (!depends[static_cast<size_t>(op->output)] || dy.shape.empty()) continue;  // nothing flows here
        std::vector<Tensor> dx = backward_op(*op, std::move(dy), values, shapes);
        dy = Tensor();
        if (needs_output(op->kind)) values[static_cast<size_t>(op->output)] = Tensor();
        for (size_t k = 0; k < dx.size(); ++k) {
            const auto v = static_cast<size_t>(op->inputs[k]);
            if (depends[v] && !dx[k].shape.empty()) accumulate(grads[v], std::move(dx[k]));
        }
    }
    result.inputs.resize(net.input_names.size());
    for (size_t i = 0; i < net.input_names.size(); ++i)
        if (wants[i]) result.inputs[i] = grads[i].shape.empty() ? Tensor::zeros(shapes[i]) : std::move(grads[i]);
    return result;
}

}  // namespace ganzoo::graph
