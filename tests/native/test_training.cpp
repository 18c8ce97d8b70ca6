// The shared training loop on the CPU: a smoke run on 1,000 real images, the run directory
// it leaves, and --resume continuing exactly where an uninterrupted run would be.
#include <filesystem>
#include <fstream>

#include "ganzoo/latent.hpp"
#include "train/files.hpp"
#include "train/trainer.hpp"

// LibTorch pulls in glog, whose CHECK macro would shadow Catch's: Catch comes last.
#undef CHECK
#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using namespace ganzoo;
using namespace ganzoo::train;

namespace {

std::string fresh_dir(const std::string& name) {
    const auto dir = fs::temp_directory_path() / ("ganzoo-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    return dir.string();
}

TrainRequest small_run(const std::string& out, int64_t steps) {
    TrainRequest r;
    r.family = "dcgan";
    r.out = out;
    r.command = "test";
    r.overrides = {{"limit", 1000}, {"steps", steps}, {"batch", 32}, {"width", 16}, {"threads", 1},
                   {"device", "cpu"}, {"seed", 5},    {"checkpoint_every", 7}, {"sample_count", 16}};
    return r;
}

torch::Tensor generated(GanFamily& family) {
    const auto z = normal_latents(3, 0, 8, family.z_dim());
    return family.sample(torch::from_blob(const_cast<float*>(z.data.data()), {8, family.z_dim()}), {}).clone();
}

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("a few dozen CPU steps on 1,000 images: finite losses, a changed generator, a full run directory") {
    const auto dir = fresh_dir("smoke");
    const auto summary = run_training(small_run(dir, 36));
    CHECK(summary.steps == 36);
    CHECK(summary.images_per_s > 0);

    for (const char* file : {"config.json", "log.csv", "summary.json", "report.html", "checkpoints/latest.pt",
                             "samples/epoch_001.png", "samples/epoch_002.png"})
        CHECK(fs::exists(dir + "/" + file));

    const auto log = lines_of(dir + "/log.csv");
    REQUIRE(log.size() == 37);
    CHECK(log[0] == "step,epoch,loss_d,loss_g,d_real,d_fake,images_per_s,elapsed_s");
    for (size_t i = 1; i < log.size(); ++i) {
        CHECK(log[i].find("nan") == std::string::npos);
        CHECK(log[i].find("inf") == std::string::npos);
    }

    // The trained generator against the same initial weights (the loop seeds them from step -1).
    auto trained = load_run(dir);
    CHECK(trained.step == 36);
    auto initial = make_family("dcgan");
    torch::manual_seed(step_seed(5, -1));
    initial->build(trained.config["options"], {1, 28, 28}, 10, torch::kCPU);
    const double change = (generated(*trained.family) - generated(*initial)).abs().mean().item<double>();
    std::printf("mean |G_trained(z) - G_initial(z)| = %.4f\n", change);
    CHECK(change > 1e-3);
    fs::remove_all(dir);
}

TEST_CASE("--resume continues exactly: 10 + 10 steps equal 20 uninterrupted steps on the CPU") {
    const auto whole = fresh_dir("whole"), split = fresh_dir("split");
    run_training(small_run(whole, 20));
    run_training(small_run(split, 10));  // checkpoints at 7 and 10
    auto resumed = small_run(split, 20);
    resumed.resume = true;
    resumed.overrides = {{"steps", 20}};
    CHECK(run_training(resumed).steps == 20);

    auto a = load_run(whole), b = load_run(split);
    const auto pa = a.family->export_spec().nets.front().net->parameters();
    const auto pb = b.family->export_spec().nets.front().net->parameters();
    REQUIRE(pa.size() == pb.size());
    double worst = 0.0;
    for (size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, (pa[i] - pb[i]).abs().max().item<double>());
    std::printf("max |θ_uninterrupted - θ_resumed| = %.3g\n", worst);
    CHECK(worst == 0.0);
    // The log holds every step once.
    CHECK(lines_of(split + "/log.csv").size() == 21);
    fs::remove_all(whole);
    fs::remove_all(split);
}

TEST_CASE("a run directory is never overwritten, and bad options fail with one clear line") {
    const auto dir = fresh_dir("guard");
    run_training(small_run(dir, 2));
    CHECK_THROWS_WITH(run_training(small_run(dir, 2)), Catch::Contains("already holds a run"));
    auto unknown = small_run(fresh_dir("unknown"), 2);
    unknown.overrides["gamma"] = 3;
    CHECK_THROWS_WITH(run_training(unknown), Catch::Contains("option 'gamma' is not known to dcgan"));
    auto no_checkpoint = small_run(fresh_dir("none"), 2);
    no_checkpoint.resume = true;
    CHECK_THROWS_WITH(run_training(no_checkpoint), Catch::Contains("config.json"));
    fs::remove_all(dir);
}
