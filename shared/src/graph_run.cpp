// ganzoo core: running a validated net on a batch; values are freed after their last use and
// elementwise ops reuse their input's storage when nothing else reads it.
#include <algorithm>

#include "ganzoo/error.hpp"
#include "graph.hpp"

#ifdef GANZOO_PROFILE
// Profiling builds only (compiled with -DGANZOO_PROFILE: the wasm preset's ganzoo_core_bench_profile,
// tests/bench): the wall time of every op, summed by (position, op name) over run_net calls.
// Nothing of it exists in other builds.
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
namespace ganzoo::graph {
namespace {
std::mutex profile_mutex;
std::map<std::pair<int, std::string>, double> profile_ms;
}  // namespace
// Declared by its one user (tests/bench/core_bench.cpp): returns the sums so far and resets them.
std::map<std::pair<int, std::string>, double> take_op_profile() {
    std::lock_guard<std::mutex> lock(profile_mutex);
    return std::exchange(profile_ms, {});
}
}  // namespace ganzoo::graph
#endif

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
#ifdef GANZOO_PROFILE
        const auto op_start = std::chrono::steady_clock::now();
#endif
        switch (op.kind) {
            case OpKind::Linear:
                out = ops::linear(input(0), op.packed_weight, op.bias);
                break;
            case OpKind::Conv2d:
                out = ops::conv2d(input(0), op.packed_weight, op.bias, op.window);
                break;
            case OpKind::ConvTranspose2d:
                out = ops::conv_transpose2d(input(0), op.packed_weight, op.bias, op.out_channels, op.window);
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
            case OpKind::UpsampleNearest:
                out = ops::upsample_nearest(input(0), op.scale_h, op.scale_w);
                break;
            case OpKind::PixelNorm:
                out = take(0);
                ops::pixel_norm(out, op.eps);
                break;
            case OpKind::InstanceNorm:
                out = take(0);
                ops::instance_norm(out, op.norm_weight, op.norm_bias, op.eps);
                break;
            case OpKind::ReflectionPad2d:
                out = ops::reflection_pad2d(input(0), op.pad_h, op.pad_w);
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
#ifdef GANZOO_PROFILE
        {
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - op_start).count();
            std::lock_guard<std::mutex> lock(profile_mutex);
            profile_ms[{op.index, op.name}] += ms;
        }
#endif
        values[static_cast<size_t>(op.output)] = with_batch(std::move(out), n, op.out_shape);
        for (int id : op.inputs)
            if (id != net.output && net.last_use[static_cast<size_t>(id)] == op.index)
                values[static_cast<size_t>(id)] = Tensor();
    }
    return std::move(values[static_cast<size_t>(net.output)]);
}

}  // namespace ganzoo::graph
