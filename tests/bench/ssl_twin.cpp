// The semi-supervised twin (docs/members/improved-dcgan.md, "The twin test"): Improved DCGAN's
// semi-supervised step, recorded so that tests/bench/ssl_twin.py can replay it in plain PyTorch
// and find the first number in which ganzoo's step and the reference's part.
//
// It builds the member as `ganzoo train improved-dcgan --labels 100` would with the recipe's keys
// given here (every --set KEY=JSON), hands it Fashion-MNIST's training set, and runs --steps
// steps of batch 100 on training images it draws itself (a CPU generator seeded with --seed).
// Before step t it seeds the global generator with --seed·1000 + t; after the step it draws the
// step's z and labelled rows again from that seed, so it can write them (this holds while the
// recipe's noise is off: with σ > 0, D's noise layers draw between the two). It writes OUT, a
// `torch.save`-readable dict: the member's parameters and buffers before step 1 ("init/<net>.<name>")
// and after every step ("step<t>/<net>.<name>"), each step's image rows, z, labelled rows and
// logged statistics.
//
//   ssl_twin OUT [--steps 5] [--seed 1] [--set KEY=JSON ...]
//
// Built with the native tree (tests/native/CMakeLists.txt); the CTest native.ssl_twin runs it
// with ssl_twin.py for three steps.
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "models/family.hpp"
#include "train/trainer.hpp"

using namespace ganzoo;
using json = nlohmann::json;

namespace {

void record(c10::Dict<std::string, torch::Tensor>& out, const std::string& prefix, models::GanFamily& family) {
    for (auto& [net, module] : family.networks()) {
        for (const auto& p : module->named_parameters()) out.insert(prefix + net + "." + p.key(), p.value().detach().clone());
        for (const auto& b : module->named_buffers()) out.insert(prefix + net + "." + b.key(), b.value().detach().clone());
    }
}

int run(int argc, char** argv) {
    std::string out_path;
    int64_t steps = 5;
    uint64_t seed = 1;
    json overrides = json::object();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--steps") steps = std::stoll(value());
        else if (a == "--seed") seed = std::stoull(value());
        else if (a == "--set") {
            const std::string kv = value();
            const auto eq = kv.find('=');
            if (eq == std::string::npos) throw std::runtime_error("--set needs KEY=JSON, got '" + kv + "'");
            overrides[kv.substr(0, eq)] = json::parse(kv.substr(eq + 1));
        } else if (a == "-h" || a == "--help") {
            std::puts("ssl_twin OUT [--steps 5] [--seed 1] [--set KEY=JSON ...]");
            return 0;
        } else if (out_path.empty() && a[0] != '-') out_path = a;
        else throw std::runtime_error("unknown argument '" + a + "'");
    }
    if (out_path.empty()) throw std::runtime_error("usage: ssl_twin OUT [--steps N] [--seed S] [--set KEY=JSON ...]");
    if (steps < 1) throw std::runtime_error("--steps must be >= 1");
    torch::set_num_threads(1);

    const data::ImageDataset train_set = data::load_dataset("fashion-mnist", data::Split::Train);
    const auto pixels = torch::from_blob(const_cast<uint8_t*>(train_set.pixels.data()),
                                         {train_set.count, train_set.channels, train_set.height, train_set.width},
                                         torch::kUInt8).clone();
    const auto labels = torch::tensor(train_set.labels, torch::kLong);

    auto family = models::make_family("improved-dcgan");
    json options = train::loop_defaults();
    options.update(family->defaults(false));
    options.update({{"labels", 100}, {"minibatch_kernels", 0}});
    for (const auto& [key, value] : overrides.items())
        if (!options.contains(key)) throw std::runtime_error("--set " + key + ": not a key of improved-dcgan's recipe");
    options.update(overrides);
    torch::manual_seed(seed);
    const models::ImageShape shape{train_set.channels, train_set.height, train_set.width};
    family->build(options, shape, static_cast<int64_t>(train_set.class_names.size()), torch::kCPU);
    family->set_training_data(pixels, labels);

    c10::Dict<std::string, torch::Tensor> out;
    record(out, "init/", *family);
    const int64_t batch = models::config_value<int64_t>(options, "batch");
    const int64_t z_dim = family->z_dim();
    const int64_t labelled = models::config_value<int64_t>(options, "labels");
    const int64_t labelled_batch = models::config_value<int64_t>(options, "labelled_batch");
    auto rows_generator = at::detail::createCPUGenerator(seed);
    for (int64_t t = 1; t <= steps; ++t) {
        const auto rows = torch::randperm(train_set.count, rows_generator, torch::kLong).narrow(0, 0, batch);
        models::Batch b;
        b.images = train::images_to_float(pixels.index_select(0, rows));
        b.labels = labels.index_select(0, rows);
        const uint64_t step_seed = seed * 1000 + static_cast<uint64_t>(t);
        torch::manual_seed(step_seed);
        const models::StepStats stats = family->train_step(b);
        torch::manual_seed(step_seed);
        const auto z = torch::randn({batch, z_dim});
        const auto labelled_rows = torch::randint(labelled, {labelled_batch}, torch::kLong);
        const std::string prefix = "step" + std::to_string(t) + "/";
        out.insert(prefix + "rows", rows);
        out.insert(prefix + "z", z);
        out.insert(prefix + "labelled_rows", labelled_rows);
        for (const auto& [name, v] : stats) out.insert(prefix + "stat." + name, torch::tensor(v, torch::kDouble));
        record(out, prefix, *family);
        std::printf("step %lld:", static_cast<long long>(t));
        for (const auto& [name, v] : stats) std::printf(" %s %.6g", name.c_str(), v);
        std::printf("\n");
    }
    const std::vector<char> bytes = torch::pickle_save(out);
    std::ofstream f(out_path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + out_path);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ssl_twin: %s\n", e.what());
        return 1;
    }
}
