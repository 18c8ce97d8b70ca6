// The shared training loop on the CPU: a smoke run on 1,000 real images, the run directory
// it leaves, --resume continuing exactly where an uninterrupted run would be, and generator
// averaging (models/average.hpp): its rule, its batch-norm statistics, its checkpoint and export.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "ganzoo/model.hpp"
#include "models/average.hpp"
#include "train/files.hpp"
#include "train/trainer.hpp"
// Last: it brings Catch, whose CHECK glog's would shadow.
#include "member_helpers.hpp"

namespace fs = std::filesystem;
using namespace ganzoo;
using namespace ganzoo::exporter;
using namespace ganzoo::models;
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

namespace {

// One column of a run's log.csv, by its header name.
std::vector<std::string> log_column(const std::string& dir, const std::string& name) {
    const auto rows = lines_of(dir + "/log.csv");
    REQUIRE(!rows.empty());
    auto split = [](const std::string& line) {
        std::vector<std::string> cells;
        std::stringstream in(line);
        for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
        return cells;
    };
    const auto header = split(rows[0]);
    const auto at = std::find(header.begin(), header.end(), name);
    REQUIRE(at != header.end());
    std::vector<std::string> column;
    for (size_t i = 1; i < rows.size(); ++i) column.push_back(split(rows[i]).at(static_cast<size_t>(at - header.begin())));
    return column;
}

TrainRequest tiny_cyclegan(const std::string& out, int64_t steps, int64_t stop_step) {
    TrainRequest r;
    r.family = "cyclegan";
    r.out = out;
    r.command = "test";
    r.overrides = {{"limit", 600}, {"steps", steps}, {"width", 4}, {"d_width", 4}, {"blocks", 1},
                   {"threads", 1}, {"device", "cpu"}, {"seed", 5}, {"checkpoint_every", 100}};
    if (stop_step > 0) r.overrides["stop_step"] = stop_step;
    return r;
}

}  // namespace

// How a run stopped by a time limit (a GPU lend, scripts/gpu-zoo.sh) is re-run as it was: its
// command with stop_step. CycleGAN decays its learning rate over the second half of the run's
// length, so a run of 20 steps stopped at 15 is at half the rate there, not at the end of a decay.
TEST_CASE("stop_step ends a run early, finished, on the schedule of its full length") {
    const auto full = fresh_dir("stop-full"), stopped = fresh_dir("stop-15"), shorter = fresh_dir("stop-short");
    run_training(tiny_cyclegan(full, 20, 0));
    CHECK(run_training(tiny_cyclegan(stopped, 20, 15)).steps == 15);
    run_training(tiny_cyclegan(shorter, 15, 0));

    std::ifstream summary_file(stopped + "/summary.json");
    const auto summary = nlohmann::json::parse(summary_file);
    CHECK(summary.at("steps") == 15);
    CHECK(summary.at("interrupted") == false);
    // Step for step the same run as the full one, learning rate and losses alike (one thread).
    const auto lr_full = log_column(full, "lr"), lr_stopped = log_column(stopped, "lr");
    REQUIRE(lr_full.size() == 20);
    REQUIRE(lr_stopped.size() == 15);
    for (size_t i = 0; i < 15; ++i) CHECK(lr_stopped[i] == lr_full[i]);
    const auto cycle_full = log_column(full, "cycle");
    CHECK(log_column(stopped, "cycle") == std::vector<std::string>(cycle_full.begin(), cycle_full.begin() + 15));
    // … and not a 15-step run, whose rate has decayed to its end by then.
    const double at_stop = std::stod(lr_stopped.back()), short_end = std::stod(log_column(shorter, "lr").back());
    std::printf("lr at step 15: stopped at 15 of 20 %.3g, a run of 15 %.3g\n", at_stop, short_end);
    CHECK(at_stop > 2 * short_end);
    // A stopped run continues to its full length with --resume and stop_step 0.
    auto resumed = tiny_cyclegan(stopped, 20, 0);
    resumed.resume = true;
    resumed.overrides = {{"stop_step", 0}};
    CHECK(run_training(resumed).steps == 20);
    CHECK(log_column(stopped, "lr") == lr_full);
    for (const auto& d : {full, stopped, shorter}) fs::remove_all(d);
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

// ---- generator averaging -------------------------------------------------------------------

namespace {

std::unique_ptr<GanFamily> tiny_dcgan() {
    auto family = make_family("dcgan");
    json options = loop_defaults();
    options.update(family->defaults(false));
    options["width"] = 8;
    options["z_dim"] = 16;
    torch::manual_seed(11);
    family->build(options, {1, 28, 28}, 10, torch::kCPU);
    return family;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& tensors) {
    std::vector<torch::Tensor> out;
    for (const auto& t : tensors) out.push_back(t.detach().clone());
    return out;
}

double max_diff(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>());
    return worst;
}

std::vector<torch::Tensor> averaged(const GeneratorAverage& average) {
    std::vector<torch::Tensor> out;
    for (const auto& [name, t] : average.parameters("G")) out.push_back(t.clone());
    return out;
}

}  // namespace

TEST_CASE("generator averaging: the decay rule and the update against a hand computation") {
    const AverageSettings s{0.9, 2};
    // Through ema_start the average copies G; then min(β, (1 + t) / (10 + t)), t = step − start.
    CHECK(average_decay(s, 1) == 0.0);
    CHECK(average_decay(s, 2) == 0.0);
    CHECK(average_decay(s, 3) == Approx(2.0 / 11.0));
    CHECK(average_decay(s, 12) == Approx(11.0 / 20.0));
    CHECK(average_decay(s, 1000) == Approx(0.9));
    CHECK(average_decay(AverageSettings{0.0, 0}, 50) == 0.0);
    CHECK_THROWS_WITH(average_settings(json{{"ema", 1.0}}), Catch::Contains("ema must be in [0, 1)"));
    CHECK_THROWS_WITH(average_settings(json{{"ema", 0.5}, {"ema_start", -1}}), Catch::Contains("ema_start must be >= 0"));

    auto family = tiny_dcgan();
    auto G = testing::network(*family, "G");
    GeneratorAverage average(*family, s);
    const auto theta0 = copies(G->parameters());
    CHECK(max_diff(averaged(average), theta0) == 0.0);  // it starts at G

    auto set_all = [&](double value) {
        torch::NoGradGuard no_grad;
        for (auto& p : G->parameters()) p.fill_(value);
    };
    set_all(1.0);
    average.update(1);  // ≤ start: a copy
    for (const auto& t : averaged(average)) CHECK(t.eq(1.0).all().item<bool>());
    set_all(3.0);
    average.update(2);
    set_all(5.0);
    average.update(3);  // β = 2/11: 2/11·3 + 9/11·5
    for (const auto& t : averaged(average)) CHECK(t.sub(2.0 / 11 * 3 + 9.0 / 11 * 5).abs().max().item<double>() < 1e-5);
    set_all(-1.0);
    average.update(4);  // β = 3/12 on the previous average
    const double expected = 3.0 / 12 * (2.0 / 11 * 3 + 9.0 / 11 * 5) + 9.0 / 12 * -1.0;
    for (const auto& t : averaged(average)) CHECK(t.sub(expected).abs().max().item<double>() < 1e-5);
    // The live weights are untouched by the average.
    for (const auto& p : G->parameters()) CHECK(p.eq(-1.0).all().item<bool>());
}

TEST_CASE("generator averaging: applied, G holds the average with batch-norm statistics re-estimated for it; "
          "export writes that generator; the live G comes back") {
    auto family = tiny_dcgan();
    auto G = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(testing::network(*family, "G"));
    REQUIRE(G);
    GeneratorAverage average(*family, {0.9, 0});
    // A reference average kept by hand beside a few real training steps.
    std::vector<torch::Tensor> reference = copies(G->parameters());
    torch::manual_seed(3);
    for (int64_t step = 1; step <= 12; ++step) {
        family->train_step(testing::random_batch(16));
        average.update(step);
        const double beta = std::min(0.9, (1.0 + step) / (10.0 + step));
        const auto live = G->parameters();
        for (size_t i = 0; i < live.size(); ++i) reference[i] = beta * reference[i] + (1 - beta) * live[i].detach();
    }
    const auto live_params = copies(G->parameters());
    const auto live_buffers = copies(G->buffers());
    CHECK(max_diff(averaged(average), reference) < 1e-6);
    CHECK(max_diff(averaged(average), live_params) > 1e-4);  // 12 steps apart: they differ

    const uint64_t seed = 77;
    ExportOptions eo;
    eo.dtype = DType::F32;
    eo.family = "dcgan";
    eo.name = "dcgan-test";
    eo.dataset = {{"name", "test"}, {"classes", json::array()}, {"image", {1, 28, 28}}, {"range", {-1, 1}}};
    std::vector<uint8_t> averaged_file;
    {
        const auto applied = average.apply(seed);
        CHECK(max_diff(copies(G->parameters()), reference) < 1e-6);
        // The first batch norm's running mean is the mean of its input over the generated batches.
        auto bn = (*G)[2]->as<torch::nn::BatchNorm2d>();
        REQUIRE(bn);
        torch::Tensor sum;
        for (int64_t b = 0; b < kRefreshBatches; ++b) {
            const auto z = normal_latents(seed, static_cast<uint64_t>(b * kRefreshRows), kRefreshRows, family->z_dim());
            torch::NoGradGuard no_grad;
            const auto pre = (*G)[1]->as<torch::nn::Unflatten>()->forward(
                (*G)[0]->as<torch::nn::Linear>()->forward(torch::from_blob(const_cast<float*>(z.data.data()), {kRefreshRows, family->z_dim()})));
            const auto mean = pre.mean({0, 2, 3});
            sum = sum.defined() ? sum + mean : mean;
        }
        const auto mean = sum / double(kRefreshBatches);
        const double error = (bn->running_mean - mean).abs().max().item<double>() / mean.abs().max().item<double>();
        std::printf("re-estimated running mean vs the generated batches' mean: relative %.2e\n", error);
        CHECK(error < 1e-5);
        CHECK((bn->running_mean - live_buffers[0]).abs().max().item<double>() > 1e-3);  // not the live G's
        averaged_file = export_model(*family, eo);
    }
    // Restored, buffers included.
    CHECK(max_diff(copies(G->parameters()), live_params) == 0.0);
    CHECK(max_diff(copies(G->buffers()), live_buffers) == 0.0);
    const auto live_file = export_model(*family, eo);

    // The exported file runs the reference average (through the inference core): a second DCGAN
    // given the reference weights and the same statistics pass reproduces it.
    auto twin = tiny_dcgan();
    auto twin_G = testing::network(*twin, "G");
    {
        torch::NoGradGuard no_grad;
        const auto params = twin_G->parameters();
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(reference[i]);
    }
    REQUIRE(reestimate_batch_norm(*twin, twin->generators(), seed) == 2);
    const auto z = normal_latents(5, 0, 6, twin->z_dim());
    const auto expected = twin->sample(torch::from_blob(const_cast<float*>(z.data.data()), {6, twin->z_dim()}), {});
    GenerateRequest req;
    req.seed = 5;
    req.count = 6;
    const auto from_average = Model::load(averaged_file.data(), averaged_file.size()).generate(req);
    const auto from_live = Model::load(live_file.data(), live_file.size()).generate(req);
    const double diff = testing::max_abs_diff(expected, from_average);
    std::printf("exported average vs the reference average: max diff %.2e; vs the live G's file: %.2e\n", diff,
                testing::max_abs_diff(expected, from_live));
    CHECK(diff < 1e-4);
    CHECK(testing::max_abs_diff(expected, from_live) > 1e-2);
}

TEST_CASE("generator averaging: --resume continues the average exactly (10 + 10 steps = 20)") {
    const auto whole = fresh_dir("ema-whole"), split = fresh_dir("ema-split");
    auto with_ema = [](TrainRequest r) {
        r.overrides["ema"] = 0.95;
        r.overrides["ema_start"] = 3;
        return r;
    };
    run_training(with_ema(small_run(whole, 20)));
    run_training(with_ema(small_run(split, 10)));
    auto resumed = small_run(split, 20);
    resumed.resume = true;
    resumed.overrides = {{"steps", 20}};
    CHECK(run_training(resumed).steps == 20);

    auto a = load_run(whole), b = load_run(split);
    REQUIRE(a.average);
    REQUIRE(b.average);
    const double worst = max_diff(averaged(*a.average), averaged(*b.average));
    std::printf("max |avg_uninterrupted - avg_resumed| = %.3g\n", worst);
    CHECK(worst == 0.0);
    CHECK(max_diff(averaged(*a.average), copies(testing::network(*a.family, "G")->parameters())) > 1e-4);
    // The files export writes (the average, statistics re-estimated) are the same bytes.
    ExportOptions eo;
    eo.family = "dcgan";
    eo.name = "t";
    eo.dataset = a.config["dataset"];
    std::vector<uint8_t> fa, fb;
    {
        const auto applied = a.average->apply(average_refresh_seed(a.config["options"]));
        fa = export_model(*a.family, eo);
    }
    {
        const auto applied = b.average->apply(average_refresh_seed(b.config["options"]));
        fb = export_model(*b.family, eo);
    }
    CHECK(fa == fb);
    fs::remove_all(whole);
    fs::remove_all(split);
}
