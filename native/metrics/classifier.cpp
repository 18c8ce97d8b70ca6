#include "metrics/classifier.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "data/dataset.hpp"
#include "exporter/exporter.hpp"
#include "train/files.hpp"

namespace ganzoo::metrics {

using json = nlohmann::json;
namespace {

namespace nn = torch::nn;

nn::Sequential conv_block(nn::Sequential net, int64_t in, int64_t out, int64_t kernel, int64_t stride) {
    net->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(1).bias(false)));
    net->push_back(nn::BatchNorm2d(out));
    net->push_back(nn::ReLU());
    return net;
}

// uint8 NCHW pixels → float in [-1, 1], as the generators draw them.
torch::Tensor to_unit_range(const data::ImageDataset& ds) {
    return torch::from_blob(const_cast<uint8_t*>(ds.pixels.data()), {ds.count, ds.channels, ds.height, ds.width},
                            torch::kUInt8)
               .to(torch::kFloat)
               .div(127.5)
               .sub(1.0);
}

torch::Tensor labels_of(const data::ImageDataset& ds) {
    return torch::from_blob(const_cast<int64_t*>(ds.labels.data()), {ds.count}, torch::kInt64).clone();
}

double accuracy(ClassifierNets& nets, const torch::Tensor& images, const torch::Tensor& labels, torch::Device device) {
    torch::NoGradGuard no_grad;
    nets.features->eval();
    nets.logits->eval();
    int64_t correct = 0;
    for (int64_t first = 0; first < images.size(0); first += 1000) {
        const auto x = images.slice(0, first, first + 1000).to(device);
        const auto predicted = nets.logits->forward(nets.features->forward(x)).argmax(1).to(torch::kCPU);
        correct += predicted.eq(labels.slice(0, first, first + 1000)).sum().item<int64_t>();
    }
    nets.features->train();
    nets.logits->train();
    return static_cast<double>(correct) / static_cast<double>(images.size(0));
}

std::vector<float> floats(const torch::Tensor& t) {
    const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

ClassifierNets make_classifier(const models::ImageShape& shape, int64_t classes, int64_t feature_dim) {
    // 28 → 28 → 14 → 7 → 4: strided convolutions (the core has no pooling), batch norm, ReLU.
    ClassifierNets nets;
    nets.features = nn::Sequential();
    conv_block(nets.features, shape.channels, 32, 3, 1);
    conv_block(nets.features, 32, 64, 4, 2);
    conv_block(nets.features, 64, 128, 4, 2);
    conv_block(nets.features, 128, 128, 3, 2);
    auto side = [](int64_t s) { return ((s / 2) / 2 + 1) / 2; };  // k4 s2 p1 halves; k3 s2 p1 rounds up
    const int64_t flat = 128 * side(shape.height) * side(shape.width);
    nets.features->push_back(nn::Flatten());
    nets.features->push_back(nn::Linear(nn::LinearOptions(flat, feature_dim).bias(false)));
    nets.features->push_back(nn::BatchNorm1d(feature_dim));
    nets.features->push_back(nn::ReLU());
    nets.logits = nn::Sequential(nn::Linear(feature_dim, classes));
    return nets;
}

ClassifierResult train_classifier(const ClassifierOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    if (o.epochs < 1 || o.batch < 1 || !(o.lr > 0))
        throw std::invalid_argument("train-classifier: epochs and batch must be >= 1 and lr > 0");
    if (o.threads > 0) torch::set_num_threads(o.threads);
    torch::manual_seed(o.seed);
    const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;

    data::ImageDataset train = data::load_dataset(o.data, data::Split::Train);
    data::truncate(train, o.limit);
    const data::ImageDataset test = data::load_dataset(o.data, data::Split::Test);
    if (!train.labeled() || !test.labeled() || train.class_names.size() < 2)
        throw std::invalid_argument("train-classifier: " + o.data + " has no class labels");
    const models::ImageShape shape{train.channels, train.height, train.width};
    const auto classes = static_cast<int64_t>(train.class_names.size());
    const auto images = to_unit_range(train), labels = labels_of(train);
    const auto test_images = to_unit_range(test), test_labels = labels_of(test);

    ClassifierNets nets = make_classifier(shape, classes);
    nets.features->to(device);
    nets.logits->to(device);
    std::vector<torch::Tensor> parameters = nets.features->parameters();
    for (const auto& p : nets.logits->parameters()) parameters.push_back(p);
    torch::optim::Adam adam(parameters, torch::optim::AdamOptions(o.lr));

    // The learning rate falls linearly to 0 over the run.
    const int64_t per_epoch = (train.count + o.batch - 1) / o.batch, total = per_epoch * o.epochs;
    ClassifierResult result;
    for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto order = torch::randperm(train.count, torch::kLong);
        double loss_sum = 0;
        for (int64_t b = 0; b < per_epoch; ++b, ++result.steps) {
            for (auto& group : adam.param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(o.lr * (1.0 - double(result.steps) / total));
            const auto index = order.slice(0, b * o.batch, (b + 1) * o.batch);
            auto x = images.index_select(0, index);
            const auto flip = torch::rand({x.size(0), 1, 1, 1}) < 0.5;  // left-right mirror images are still garments
            x = torch::where(flip, x.flip({3}), x).to(device);
            const auto y = labels.index_select(0, index).to(device);
            const auto f = torch::dropout(nets.features->forward(x), 0.3, /*train=*/true);
            const auto loss = torch::nn::functional::cross_entropy(nets.logits->forward(f), y);
            adam.zero_grad();
            loss.backward();
            adam.step();
            loss_sum += loss.item<double>();
        }
        result.test_accuracy = accuracy(nets, test_images, test_labels, device);
        std::printf("epoch %lld/%lld: train loss %.4f, test accuracy %.2f%%\n", static_cast<long long>(epoch),
                    static_cast<long long>(o.epochs), loss_sum / per_epoch, 100.0 * result.test_accuracy);
        std::fflush(stdout);
    }
    result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Export: features and logits, with a golden case on the first two test images.
    nets.features->eval();
    nets.logits->eval();
    nets.features->to(torch::kCPU);
    nets.logits->to(torch::kCPU);
    const int64_t feature_dim = nets.logits->children().front()->as<nn::Linear>()->options.in_features();
    models::ExportSpec spec{{{"image", {{"shape", {shape.channels, shape.height, shape.width}}}},
                     {"features", {{"shape", {feature_dim}}}}},
                    {{"features", {"image"}, nets.features}, {"logits", {"features"}, nets.logits}},
                    {}};
    const auto probe = test_images.slice(0, 0, 2);
    torch::Tensor features;
    {
        torch::NoGradGuard no_grad;
        features = nets.features->forward(probe).to(torch::kDouble);
    }
    const double scale = std::max(1.0, features.abs().max().item<double>());
    const json check = {{"net", "features"},
                        {"seed", 0},
                        {"count", 2},
                        {"codes", {{"image", floats(probe)}}},
                        {"values", floats(features.flatten().slice(0, 0, 64))},
                        {"mean", features.mean().item<double>()},
                        {"l2", features.norm().item<double>()},
                        {"tolerance", 2e-2 * scale}};
    exporter::ExportOptions eo;
    eo.dtype = DType::F16;
    eo.family = "classifier";
    eo.name = "classifier-" + train.name;
    eo.dataset = {{"name", train.name},
                  {"classes", train.class_names},
                  {"image", {shape.channels, shape.height, shape.width}},
                  {"range", {-1.0, 1.0}}};
    eo.training = {{"command", o.command},
                   {"epochs", o.epochs},
                   {"steps", result.steps},
                   {"batch", o.batch},
                   {"device", device.is_cuda() ? "cuda" : "cpu"},
                   {"wall_time_s", result.wall_s},
                   {"metrics", {{"test_accuracy", result.test_accuracy}, {"test_images", test.count}}}};
    train::write_file_atomically(o.output, exporter::export_graphs(spec, eo, check));
    return result;
}

}  // namespace ganzoo::metrics
