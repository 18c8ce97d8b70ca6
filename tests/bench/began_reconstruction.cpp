// BEGAN's equilibrium on Fashion-MNIST, measured (docs/members/began.md, "What γ asks of this
// data"): for a BEGAN run's last checkpoint, the autoencoder D's reconstruction error
// L(v) = mean |v − D(v)| (the paper's pixel loss, as the trainer computes it) of the real test
// images, class by class, and of G's samples. The equilibrium asks E[L(G(z))] = γ·E[L(x)]: a class
// whose real images D already reconstructs near γ·E[L(x)] meets it as it is, and G can settle there.
// Then brightness: the mean intensity of the test images and of G's samples, and L of the test
// images dimmed to G's intensity (an image at lower contrast on the black background is easier
// for the autoencoder: a way to meet γ without drawing any class).
//
//   began_reconstruction RUN [--data fashion-mnist] [--samples 1000] [--seed 1]
//
// Built with the native tree (tests/bench/CMakeLists.txt: not part of `make test`); prints a table.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "train/trainer.hpp"

using namespace ganzoo;

namespace {

// L(v) per image: mean |v − D(v)| over its pixels, in batches.
std::vector<double> reconstruction_errors(torch::nn::SequentialImpl& d, const torch::Tensor& images) {
    torch::NoGradGuard no_grad;
    std::vector<double> out;
    for (int64_t at = 0; at < images.size(0); at += 500) {
        const auto v = images.slice(0, at, std::min<int64_t>(at + 500, images.size(0)));
        const auto e = (d.forward(v) - v).abs().flatten(1).mean(1).to(torch::kDouble).contiguous();
        out.insert(out.end(), e.data_ptr<double>(), e.data_ptr<double>() + e.numel());
    }
    return out;
}

int run(int argc, char** argv) {
    std::string run_dir, data = "fashion-mnist";
    int64_t samples = 1000;
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--data") data = value();
        else if (a == "--samples") samples = std::stoll(value());
        else if (a == "--seed") seed = std::stoull(value());
        else if (a == "-h" || a == "--help") {
            std::puts("began_reconstruction RUN [--data fashion-mnist] [--samples 1000] [--seed 1]");
            return 0;
        } else if (run_dir.empty() && a[0] != '-') run_dir = a;
        else throw std::runtime_error("unknown argument '" + a + "'");
    }
    if (run_dir.empty()) throw std::runtime_error("usage: began_reconstruction RUN [--data fashion-mnist] [--samples N] [--seed S]");
    if (samples < 1) throw std::runtime_error("--samples must be >= 1");
    torch::set_num_threads(1);

    const train::LoadedRun loaded = train::load_run(run_dir);
    if (loaded.config.value("family", "") != "began") throw std::runtime_error(run_dir + " is not a BEGAN run");
    std::shared_ptr<torch::nn::SequentialImpl> d;
    for (const auto& [name, module] : loaded.family->networks())
        if (name == "D") d = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(module);
    if (!d) throw std::runtime_error(run_dir + ": no autoencoder D");
    d->eval();
    const double gamma = loaded.config.at("options").value("gamma", 0.5);

    const data::ImageDataset test = data::load_dataset(data, data::Split::Test);
    if (!test.labeled()) throw std::runtime_error(data + ": the test split has no labels");
    const auto pixels = torch::from_blob(const_cast<uint8_t*>(test.pixels.data()),
                                         {test.count, test.channels, test.height, test.width}, torch::kUInt8);
    const auto real_images = train::images_to_float(pixels.clone());
    const std::vector<double> real = reconstruction_errors(*d, real_images);

    torch::manual_seed(seed);
    const auto z = torch::randn({samples, loaded.family->z_dim()});
    const auto fakes = loaded.family->sample(z, {}).to(torch::kCPU);
    const std::vector<double> fake = reconstruction_errors(*d, fakes);

    const auto& names = data::fashion_mnist_classes();
    std::vector<double> sum(10, 0.0);
    std::vector<int64_t> count(10, 0);
    double all = 0;
    for (int64_t i = 0; i < test.count; ++i) {
        const auto k = static_cast<size_t>(test.labels[static_cast<size_t>(i)]);
        sum[k] += real[static_cast<size_t>(i)], ++count[k], all += real[static_cast<size_t>(i)];
    }
    all /= static_cast<double>(test.count);
    double g = 0;
    for (const double e : fake) g += e;
    g /= static_cast<double>(fake.size());
    std::printf("%s: step %lld, gamma %.2f\n", run_dir.c_str(), static_cast<long long>(loaded.step), gamma);
    std::printf("| class | test images | L(x) | L(x) / E[L(x)] |\n|---|---|---|---|\n");
    for (size_t k = 0; k < 10; ++k)
        std::printf("| %s | %lld | %.4f | %.2f |\n", k < names.size() ? names[k].c_str() : std::to_string(k).c_str(),
                    static_cast<long long>(count[k]), sum[k] / static_cast<double>(count[k]),
                    sum[k] / static_cast<double>(count[k]) / all);
    std::printf("| all | %lld | %.4f | 1.00 |\n", static_cast<long long>(test.count), all);
    std::printf("gamma * E[L(x)] = %.4f; E[L(G(z))] over %lld samples = %.4f (%.2f of E[L(x)])\n", gamma * all,
                static_cast<long long>(samples), g, g / all);

    // Brightness: the mean intensity ((v + 1) / 2, in [0, 1]) and the mean of each image's
    // brightest pixel, of the test images and of G's samples; then the test images dimmed to G's
    // mean intensity (v' = −1 + c·(v + 1), the black background kept), and their L: does dimming a
    // real image alone make it as easy as γ asks?
    const auto intensity = [](const torch::Tensor& v) { return ((v + 1) / 2).mean().item<double>(); };
    const auto brightest = [](const torch::Tensor& v) { return ((v.flatten(1).amax(1) + 1) / 2).mean().item<double>(); };
    const double real_mean = intensity(real_images), fake_mean = intensity(fakes);
    std::printf("mean intensity: test images %.3f, G's samples %.3f (%.2f of the test images'); mean brightest pixel: "
                "%.3f and %.3f\n", real_mean, fake_mean, fake_mean / real_mean, brightest(real_images), brightest(fakes));
    const double c = fake_mean / real_mean;
    const std::vector<double> dimmed = reconstruction_errors(*d, (real_images + 1) * c - 1);
    double l_dimmed = 0;
    for (const double e : dimmed) l_dimmed += e;
    l_dimmed /= static_cast<double>(dimmed.size());
    std::printf("test images dimmed to G's mean intensity (x %.2f): L = %.4f (%.2f of E[L(x)]; gamma asks %.2f)\n", c,
                l_dimmed, l_dimmed / all, gamma);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "began_reconstruction: %s\n", e.what());
        return 1;
    }
}
