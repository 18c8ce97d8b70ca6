// ganzoo core: running a validated net on a batch; values are freed after their last use and
// elementwise ops reuse their input's storage when nothing else reads it.
#include <algorithm>

#include "ganzoo/error.hpp"
#include "graph.hpp"

namespace ganzoo::graph {

namespace {

Tensor with_batch(Tensor t, int64_t n, const std::vector<int64_t>& per_sample) {
    t.shape.assign(1, n);
    t.shape.insert(t.shape.end(), per_sample.begin(), per_sample.end());
    return t;
}

}  // namespace

Tensor run_net(const Net& net, std::vector<Tensor> inputs) {
    std::vector<Tensor> values(net.value_names.size());
    for (size_t i = 0; i < inputs.size(); ++i) values[i] = std::move(inputs[i]);
    const int64_t n = values.front().dim(0);

    for (const Op& op : net.ops) {
        // The k-th input, moved out when this op is its last reader (and reads it once).
        auto take = [&](size_t k) -> Tensor {
            const int id = op.inputs[k];
            const bool once = std::count(op.inputs.begin(), op.inputs.end(), id) == 1;
            if (once && id != net.output && net.last_use[static_cast<size_t>(id)] == op.index)
                return std::move(values[static_cast<size_t>(id)]);
            return values[static_cast<size_t>(id)];
        };
        auto input = [&](size_t k) -> const Tensor& { return values[static_cast<size_t>(op.inputs[k])]; };

        Tensor out;
        switch (op.kind) {
            case OpKind::Linear:
                out = ops::linear(input(0), op.col_weight, op.bias);
                break;
            case OpKind::Conv2d:
                out = ops::conv2d(input(0), op.row_weight, op.bias, op.window);
                break;
            case OpKind::ConvTranspose2d:
                out = ops::conv_transpose2d(input(0), op.col_weight, op.bias, op.out_channels, op.window);
                break;
            case OpKind::Reshape:
                out = take(0);
                break;
            case OpKind::BatchNorm:
                out = take(0);
                ops::batch_norm(out, op.scale, op.shift);
                break;
            case OpKind::Relu:
                out = take(0);
                ops::relu(out);
                break;
            case OpKind::LeakyRelu:
                out = take(0);
                ops::leaky_relu(out, op.slope);
                break;
            case OpKind::Elu:
                out = take(0);
                ops::elu(out, op.alpha);
                break;
            case OpKind::Tanh:
                out = take(0);
                ops::tanh(out);
                break;
            case OpKind::Sigmoid:
                out = take(0);
                ops::sigmoid(out);
                break;
            case OpKind::Scale:
                out = take(0);
                ops::scale(out, op.factor);
                break;
            case OpKind::Add:
                out = take(0);
                ops::add(out, input(1));
                break;
            case OpKind::Concat: {
                std::vector<const Tensor*> xs;
                for (size_t k = 0; k < op.inputs.size(); ++k) xs.push_back(&input(k));
                out = ops::concat(xs, op.axis);
                break;
            }
            case OpKind::OneHot:
                try {
                    out = ops::one_hot(input(0), op.classes);
                } catch (const Error& e) {
                    throw Error(op.context + ": " + e.what());
                }
                break;
        }
        values[static_cast<size_t>(op.output)] = with_batch(std::move(out), n, op.out_shape);
        for (int id : op.inputs)
            if (id != net.output && net.last_use[static_cast<size_t>(id)] == op.index)
                values[static_cast<size_t>(id)] = Tensor();
    }
    return std::move(values[static_cast<size_t>(net.output)]);
}

}  // namespace ganzoo::graph
