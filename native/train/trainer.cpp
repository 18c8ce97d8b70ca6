#include "train/trainer.hpp"

#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "exporter/exporter.hpp"
#include "ganzoo/latent.hpp"
#include "train/collective.hpp"
#include "train/files.hpp"
#include "train/progress.hpp"
#include "train/run_directory.hpp"

namespace fs = std::filesystem;

namespace ganzoo::train {
namespace {

std::string timestamp() {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
    return text;
}

json read_json(const std::string& path) {
    const auto bytes = read_file(path);
    try {
        return json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
        throw std::runtime_error(path + ": not valid JSON (" + e.what() + ")");
    }
}

// The same permutation of the dataset for (seed, epoch) on every machine and every resume:
// Fisher–Yates over splitmix64, not std::shuffle (whose algorithm is unspecified).
std::vector<int64_t> epoch_order(uint64_t seed, int64_t epoch, int64_t count) {
    std::vector<int64_t> order(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) order[i] = i;
    uint64_t state = splitmix64(seed ^ splitmix64(0xE90C0000ull + static_cast<uint64_t>(epoch)));
    for (int64_t i = count - 1; i > 0; --i) {
        state = splitmix64(state);
        const auto j = static_cast<int64_t>(state % static_cast<uint64_t>(i + 1));
        std::swap(order[i], order[j]);
    }
    return order;
}

// Everything the loop needs about the data, kept on the training device.
struct DeviceData {
    data::ImageDataset dataset;
    torch::Tensor pixels;  // uint8 [N, C, H, W]
    torch::Tensor labels;  // int64 [N] or undefined
};

// Keeps only the images of `classes` (a member's training_classes(), e.g. CycleGAN's two
// domains), labels unchanged; a class without images is an error.
void keep_classes(data::ImageDataset& ds, const std::vector<int64_t>& classes) {
    if (!ds.labeled())
        throw std::runtime_error("dataset '" + ds.name + "' is unlabeled, but the model trains on chosen classes " +
                                 "(give a folder with one subfolder per class)");
    std::vector<int64_t> found(classes.size(), 0);
    const int64_t per_image = ds.channels * ds.height * ds.width;
    int64_t kept = 0;
    for (int64_t i = 0; i < ds.count; ++i) {
        const auto at = std::find(classes.begin(), classes.end(), ds.labels[static_cast<size_t>(i)]);
        if (at == classes.end()) continue;
        ++found[static_cast<size_t>(at - classes.begin())];
        std::copy_n(ds.image(i), per_image, ds.pixels.begin() + kept * per_image);
        ds.labels[static_cast<size_t>(kept++)] = ds.labels[static_cast<size_t>(i)];
    }
    for (size_t k = 0; k < classes.size(); ++k)
        if (found[k] == 0) {
            const auto c = classes[k];
            const std::string name = c >= 0 && c < static_cast<int64_t>(ds.class_names.size())
                                         ? "'" + ds.class_names[static_cast<size_t>(c)] + "'"
                                         : std::to_string(c);
            throw std::runtime_error("class " + name + " has no training images in dataset '" + ds.name + "'");
        }
    ds.pixels.resize(static_cast<size_t>(kept * per_image));
    ds.labels.resize(static_cast<size_t>(kept));
    ds.count = kept;
}

DeviceData load_data(const json& config, torch::Device device, const models::GanFamily& family) {
    DeviceData d;
    d.dataset = data::load_dataset(models::config_value<std::string>(config, "data"), data::Split::Train);
    data::truncate(d.dataset, models::config_value<int64_t>(config, "limit"));
    if (const auto classes = family.training_classes(config, d.dataset.class_names); !classes.empty())
        keep_classes(d.dataset, classes);
    const auto& ds = d.dataset;
    d.pixels = torch::from_blob(const_cast<uint8_t*>(ds.pixels.data()),
                                {ds.count, ds.channels, ds.height, ds.width}, torch::kUInt8)
                   .to(device);
    if (ds.labeled())
        d.labels = torch::from_blob(const_cast<int64_t*>(ds.labels.data()), {ds.count}, torch::kInt64)
                       .to(device);
    if (d.pixels.data_ptr() == ds.pixels.data()) d.pixels = d.pixels.clone();  // own the storage
    if (d.labels.defined() && d.labels.data_ptr() == ds.labels.data()) d.labels = d.labels.clone();
    return d;
}

json dataset_document(const data::ImageDataset& ds) {
    return {{"name", ds.name},
            {"classes", ds.class_names},
            {"image", {ds.channels, ds.height, ds.width}},
            {"range", {-1.0, 1.0}},
            {"count", ds.count}};
}

// where the user may only change how long it runs).
json resolve_config(const TrainRequest& request, models::GanFamily& family, const std::string& run_dir) {
    const std::string config_path = run_dir + "/config.json";
    if (request.resume) {
        json config = read_json(config_path);
        if (config.value("family", "") != request.family)
            throw std::runtime_error(config_path + ": run is a '" + config.value("family", "?") +
                                     "' run, not '" + request.family + "'");
        for (const auto& [key, value] : request.overrides.items()) {
            // Repeating the original command with --resume is fine: only a different value is refused.
            const bool same = config["options"].contains(key) && config["options"][key] == value;
            if (!same && key != "epochs" && key != "steps" && key != "stop_step" && key != "threads" && key != "log_every")
                throw std::runtime_error("--" + key +
                                         " cannot change when resuming (only --epochs, --steps, stop_step, --threads)");
            config["options"][key] = value;
        }
        return config;
    }
    json options = loop_defaults();
    const std::string device_name = request.overrides.value("device", std::string("auto"));
    options.update(family.defaults(resolve_device(device_name).is_cuda()));
    for (const auto& [key, value] : request.overrides.items()) {
        if (!options.contains(key))
            throw std::runtime_error("option '" + key + "' is not known to " + request.family);
        // A count (width, steps, ...) given as 8.5 would be stored as it is and read as 8.
        if (options[key].is_number_integer() && !value.is_number_integer())
            throw std::runtime_error("--set " + key + "=" + value.dump() + ": " + key + " takes a whole number");
        options[key] = value;
    }
    return {{"family", request.family},
            {"command", request.command},
            {"commit", source_commit()},
            {"created", timestamp()},
            {"options", options}};
}

}  // namespace

json run_commands(const json& config) {
    json commands = json::array({config.value("command", "")});
    if (config.contains("resumes"))
        for (const auto& r : config["resumes"]) commands.push_back(r.value("command", ""));
    return commands;
}

json loop_defaults() {
    return {{"epochs", 10},      {"steps", 0},        {"batch", 128},        {"seed", 1},
            {"device", "auto"},  {"threads", 0},      {"data", "fashion-mnist"}, {"limit", 0},
            {"checkpoint_every", 500}, {"log_every", 50}, {"sample_count", 64}, {"sample_seed", 0},
            {"ema", 0.0},        {"ema_start", 0},      {"stop_step", 0}};
}

uint64_t average_refresh_seed(const json& options) { return step_seed(models::config_value<uint64_t>(options, "seed"), -2); }

torch::Device resolve_device(const std::string& name) {
    if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    if (name == "cpu") return torch::kCPU;
    if (name.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            throw std::runtime_error("--device " + name + ": CUDA is not available in this LibTorch build or machine");
        return torch::Device(name);
    }
    throw std::runtime_error("--device " + name + ": expected auto, cpu, cuda or cuda:N");
}

std::string loaded_blas() {
    std::string found;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            const std::string name = info->dlpi_name ? info->dlpi_name : "";
            const auto base = fs::path(name).filename().string();
            if (base.find("blas") != std::string::npos || base.find("mkl") != std::string::npos) {
                std::error_code ec;
                const auto real = fs::canonical(name, ec);
                auto& text = *static_cast<std::string*>(out);
                const auto shown = ec ? fs::path(name) : real;
                // Debian's alternatives: /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
                const auto label = shown.parent_path().filename().string() + "/" + shown.filename().string();
                if (text.find(label) == std::string::npos) text += (text.empty() ? "" : ", ") + label;
            }
            return 0;
        },
        &found);
    return found.empty() ? "none loaded" : found;
}

std::string source_commit() {
#ifdef GANZOO_SOURCE_DIR
    const std::string command = "git -C '" GANZOO_SOURCE_DIR "' describe --always --dirty 2>/dev/null";
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char text[128] = {0};
        const bool ok = std::fgets(text, sizeof text, pipe) != nullptr;
        ::pclose(pipe);
        std::string commit = ok ? text : "";
        while (!commit.empty() && (commit.back() == '\n' || commit.back() == '\r')) commit.pop_back();
        if (!commit.empty()) return commit;
    }
#endif
    return "unknown";
}

uint64_t step_seed(uint64_t seed, int64_t step) {
    // manual_seed takes 64 bits, but keep the top bit clear for the Python/CUDA generators.
    return splitmix64(seed ^ splitmix64(static_cast<uint64_t>(step))) >> 1;
}

torch::Tensor images_to_float(const torch::Tensor& pixels) {
    return pixels.to(torch::kFloat).div_(127.5).sub_(1.0);
}

LoadedRun load_run(const std::string& run_dir, torch::Device device) {
    LoadedRun run;
    run.config = read_json(run_dir + "/config.json");
    const auto& options = run.config.at("options");
    run.family = models::make_family(run.config.value("family", ""));
    const auto& dataset = run.config.at("dataset");
    const auto image = dataset.at("image");
    models::ImageShape shape{image[0].get<int64_t>(), image[1].get<int64_t>(), image[2].get<int64_t>()};
    run.family->build(options, shape, static_cast<int64_t>(dataset.at("classes").size()), device);
    run.average = models::make_average(*run.family, options);
    const Checkpoint state =
        RunDirectory(run_dir, false).load_checkpoint(*run.family, run.config.value("family", ""), run.average.get(), device);
    run.step = state.step;
    run.wall_s = state.wall_s;
    return run;
}

namespace {

// Loop options outside their range would divide by zero or run forever: refuse them by flag name.
void check_loop_options(const json& options) {
    struct Range { const char* key; int64_t lo, hi; };
    const Range ranges[] = {{"epochs", 0, 1000000},     {"steps", 0, int64_t(1) << 40}, {"stop_step", 0, int64_t(1) << 40},
                            {"batch", 1, 1 << 20},
                            {"threads", 0, 4096},       {"limit", 0, int64_t(1) << 40}, {"checkpoint_every", 1, int64_t(1) << 40},
                            {"log_every", 1, int64_t(1) << 40}, {"sample_count", 1, 4096}};
    for (const auto& r : ranges) {
        const auto value = models::config_value<int64_t>(options, r.key);
        if (value < r.lo || value > r.hi) {
            std::string flag = r.key;
            std::replace(flag.begin(), flag.end(), '_', '-');
            throw std::runtime_error("--" + flag + " " + std::to_string(value) + ": must be between " +
                                     std::to_string(r.lo) + " and " + std::to_string(r.hi));
        }
    }
}

// The first network whose gradients hold a NaN/Inf, with the first such parameter; empty if none.
std::string nonfinite_gradient(models::GanFamily& family) {
    torch::NoGradGuard no_grad;
    for (const auto& [name, module] : family.networks()) {
        std::vector<torch::Tensor> sums;
        // A plain sum carries any NaN/Inf through (±inf meeting gives NaN), without the extra
        // pass and temporary that abs() would cost on every step.
        for (const auto& p : module->parameters())
            if (p.grad().defined()) sums.push_back(p.grad().sum(torch::kDouble));
        if (sums.empty() || std::isfinite(torch::stack(sums).sum().item<double>())) continue;
        for (const auto& p : module->named_parameters()) {
            if (!p.value().grad().defined()) continue;
            const double sum = p.value().grad().sum(torch::kDouble).item<double>();
            if (!std::isfinite(sum))
                return "the gradient of " + name + " (" + name + "." + p.key() + ") holds " +
                       (std::isnan(sum) ? "nan" : "inf");
        }
        return "the gradient of " + name + " is not finite";
    }
    return "";
}


// The parameters `family` would have at options' width, without building it there: from
// builds at widths 4, 8 and 12 (each layer's size is a product of at most two channel counts
// that grow linearly with the width, so the count is a quadratic in it).
double estimated_parameters(const std::string& family, json options, const models::ImageShape& shape, int64_t classes) {
    const double x = static_cast<double>(models::config_value<int64_t>(options, "width"));
    double p[3];
    for (int i = 0; i < 3; ++i) {
        auto small = models::make_family(family);
        options["width"] = 4 * (i + 1);
        small->build(options, shape, classes, torch::kCPU);
        int64_t n = 0;
        for (const auto& [name, module] : small->networks())
            for (const auto& t : module->parameters()) n += t.numel();
        p[i] = static_cast<double>(n);
    }
    const double d1 = (p[1] - p[0]) / 4, d2 = (p[2] - p[1]) / 4, d12 = (d2 - d1) / 8;  // Newton's form
    return p[0] + d1 * (x - 4) + d12 * (x - 4) * (x - 8);
}

// A width past what the machine's memory holds is refused with the estimate, before LibTorch
// fails on an allocation (--width 100000 ended in a raw allocation error): weights, gradients
// and Adam's two moments, 16 bytes a parameter, against the physical memory (CPU training).
void check_network_memory(const std::string& family, const json& options, const models::ImageShape& shape, int64_t classes,
                          const torch::Device& device) {
    if (!options.contains("width") || !device.is_cpu()) return;  // InfoGAN sizes its nets otherwise
    const int64_t width = models::config_value<int64_t>(options, "width");
    if (width <= 64) return;
    const double parameters = estimated_parameters(family, options, shape, classes);
    const double bytes = parameters * 16;
    const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
    if (bytes > memory) {
        char text[256];
        std::snprintf(text, sizeof text,
                      "--width %lld: the networks would hold about %.3g parameters, about %.3g GB with their "
                      "gradients and Adam's moments, over this machine's %.3g GB of memory",
                      static_cast<long long>(width), parameters, bytes / 1e9, memory / 1e9);
        throw std::runtime_error(text);
    }
}

// How many ranks share this machine's cores: torchrun's and `ganzoo launch`'s LOCAL_WORLD_SIZE,
// else all of them when rank 0 is on the loopback address.
int64_t local_world_size(const dist::Options& d, const dist::Endpoint& endpoint) {
    if (const char* text = std::getenv("LOCAL_WORLD_SIZE"); text && std::atoll(text) > 0) return std::atoll(text);
    const bool loopback = endpoint.host == "localhost" || endpoint.host.rfind("127.", 0) == 0 || endpoint.host == "::1";
    return d.distributed() && loopback ? d.world_size : 1;
}

}  // namespace


// ---- the loop ----------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kWarmupSteps = 5;  // steps left out of the summary's throughput

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
void on_interrupt(int signal_number) {
    g_signal = signal_number;
    g_interrupted = true;
}

// While it lives, SIGINT and SIGTERM ask the loop to stop: a checkpoint, then the end.
class StopRequests {
public:
    StopRequests() {
        g_interrupted = false;
        g_signal = 0;
        previous_ = std::signal(SIGINT, on_interrupt);
        std::signal(SIGTERM, on_interrupt);
    }
    ~StopRequests() {
        std::signal(SIGINT, previous_);
        std::signal(SIGTERM, SIG_DFL);
    }
    StopRequests(const StopRequests&) = delete;
    StopRequests& operator=(const StopRequests&) = delete;
    bool asked() const { return g_interrupted; }

private:
    void (*previous_)(int) = SIG_DFL;
};

// The options' device; data-parallel on CUDA without an index: one GPU per local rank, as
// torchrun's LOCAL_RANK (`ganzoo launch` sets it).
torch::Device training_device(const json& options, const dist::Options& d) {
    torch::Device device = resolve_device(models::config_value<std::string>(options, "device"));
    if (d.distributed() && device.is_cuda() && !device.has_index()) {
        const char* local = std::getenv("LOCAL_RANK");
        const int64_t local_rank = local ? std::atoll(local) : d.rank;
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(
                                                 local_rank % std::max<int64_t>(1, torch::cuda::device_count())));
    }
    return device;
}

// --threads, or this machine's cores shared by the ranks on it.
void set_threads(const json& options, const dist::Options& d, const dist::Endpoint& endpoint) {
    const auto threads = models::config_value<int64_t>(options, "threads");
    const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    torch::set_num_threads(
        static_cast<int>(threads > 0 ? threads : std::max<int64_t>(1, cores / local_world_size(d, endpoint))));
}

// The run in steps. A step takes a global batch of batch × world size images (rank r the rows
// [r·batch, (r+1)·batch)); an epoch's last partial batch is dropped.
struct Schedule {
    int64_t batch = 0, global_batch = 0, steps_per_epoch = 0, total_steps = 0, total_epochs = 0;
    int64_t checkpoint_every = 0;
    uint64_t seed = 0;
};

Schedule make_schedule(const json& options, int64_t images, const dist::Options& d) {
    Schedule s;
    s.batch = models::config_value<int64_t>(options, "batch");
    s.global_batch = s.batch * d.world_size;
    if (s.batch < 1 || s.global_batch > images)
        throw std::runtime_error("--batch " + std::to_string(s.batch) +
                                 (d.distributed() ? " x --world-size " + std::to_string(d.world_size) + " = " +
                                                        std::to_string(s.global_batch)
                                                  : std::string()) +
                                 " must be between 1 and the dataset size " + std::to_string(images));
    s.steps_per_epoch = images / s.global_batch;
    const auto step_limit = models::config_value<int64_t>(options, "steps");
    s.total_steps = step_limit > 0 ? step_limit : models::config_value<int64_t>(options, "epochs") * s.steps_per_epoch;
    if (s.total_steps < 1) throw std::runtime_error("nothing to train: --epochs and --steps are both 0");
    // stop_step ends the loop early and changes nothing else: a member's own schedule (CycleGAN's
    // learning-rate decay over epochs × steps per epoch) still reads epochs and steps. It is how a
    // run stopped by a time limit (a GPU lend) is re-run as it was: its command + stop_step.
    const auto stop = models::config_value<int64_t>(options, "stop_step");
    if (stop > 0 && stop < s.total_steps) s.total_steps = stop;
    s.total_epochs = (s.total_steps + s.steps_per_epoch - 1) / s.steps_per_epoch;
    s.checkpoint_every = models::config_value<int64_t>(options, "checkpoint_every");
    s.seed = models::config_value<uint64_t>(options, "seed");
    return s;
}

// The member's networks at the run's first weights (seeded from step -1), given its training
// data; returns the generator average when averaging is on.
std::unique_ptr<models::GeneratorAverage> build_member(models::GanFamily& family, const std::string& name, const json& options,
                                               const DeviceData& data, torch::Device device) {
    const auto& ds = data.dataset;
    const models::ImageShape shape{ds.channels, ds.height, ds.width};
    const auto classes = static_cast<int64_t>(ds.class_names.size());
    check_network_memory(name, options, shape, classes, device);
    torch::manual_seed(step_seed(models::config_value<uint64_t>(options, "seed"), -1));
    family.build(options, shape, classes, device);
    family.set_training_data(data.pixels, data.labels);
    return models::make_average(family, options);
}

// Step s's batch: its slice of the epoch's permutation, this rank's rows of it.
class Batches {
public:
    Batches(const DeviceData& data, const Schedule& schedule, int64_t rank, models::BatchShard shard, torch::Device device)
        : data_(data), schedule_(schedule), rank_(rank), shard_(std::move(shard)), device_(device) {}

    models::Batch at(int64_t step) {
        const int64_t epoch = step / schedule_.steps_per_epoch, position = step % schedule_.steps_per_epoch;
        if (order_epoch_ != epoch) {
            order_ = epoch_order(schedule_.seed, epoch, data_.dataset.count);
            order_epoch_ = epoch;
        }
        const int64_t first = position * schedule_.global_batch + rank_ * schedule_.batch;
        const auto index = torch::from_blob(order_.data() + first, {schedule_.batch}, torch::kInt64).to(device_);
        models::Batch b;
        b.images = images_to_float(data_.pixels.index_select(0, index));
        if (data_.labels.defined()) b.labels = data_.labels.index_select(0, index);
        b.shard = shard_;
        return b;
    }

private:
    const DeviceData& data_;
    const Schedule& schedule_;
    int64_t rank_;
    models::BatchShard shard_;
    torch::Device device_;
    std::vector<int64_t> order_;
    int64_t order_epoch_ = -1;
};

// Images per second: a smoothed rate for the console, and for the summary the mean over the
// steps after the warm-up, with those steps' gradient all-reduce time and bytes.
class Speed {
public:
    // Returns the step's own rate.
    double add(double step_s, int64_t images, const StepTraffic& traffic) {
        if (++steps_ > kWarmupSteps) {
            seconds_ += step_s;
            images_ += images;
            allreduce_s_ += traffic.seconds;
            bytes_ += traffic.bytes;
            ++measured_;
        }
        const double instant = static_cast<double>(images) / std::max(step_s, 1e-9);
        rate_ = rate_ == 0.0 ? instant : 0.9 * rate_ + 0.1 * instant;
        return instant;
    }
    double rate() const { return rate_; }
    double images_per_s() const { return seconds_ > 0 ? static_cast<double>(images_) / seconds_ : rate_; }
    double allreduce_ms_per_step() const { return measured_ > 0 ? 1000 * allreduce_s_ / static_cast<double>(measured_) : 0.0; }
    int64_t bytes_per_step() const { return measured_ > 0 ? bytes_ / measured_ : 0; }

private:
    int64_t steps_ = 0, images_ = 0, bytes_ = 0, measured_ = 0;
    double seconds_ = 0, allreduce_s_ = 0, rate_ = 0;
};

// The step's first non-finite figure, else the first network whose gradients hold a NaN/Inf;
// empty when the step is sound.
std::string nonfinite_problem(const models::StepStats& stats, models::GanFamily& family) {
    for (const auto& [name, value] : stats)
        if (!std::isfinite(value)) return name + " is " + (std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
    return nonfinite_gradient(family);
}

std::runtime_error nonfinite_error(int64_t step, const std::string& problem, int64_t last_checkpoint,
                                   const std::string& checkpoints) {
    return std::runtime_error(
        "step " + std::to_string(step) + ": " + problem + "; training stopped, " +
        (last_checkpoint > 0 ? "the last good checkpoint is " + checkpoints + "/latest.pt (step " +
                                   std::to_string(last_checkpoint) + ", resume with --resume)"
                             : std::string("no checkpoint was written yet")) +
        "; try a lower --lr, another --seed or a smaller --batch");
}

// What the loop runs on, as run_training set it up.
struct Setup {
    const TrainRequest& request;
    models::GanFamily& family;
    models::GeneratorAverage* average;
    RunDirectory& dir;
    Collective& collective;
    const json& config;   // config.json: what the live snapshots are exported with
    const json& options;
    const Schedule& schedule;
    Batches& batches;
    torch::Device device;
    std::string blas;
    Checkpoint state;  // where the run starts: step 0, or the resumed checkpoint's
};

class Loop {
public:
    explicit Loop(Setup setup) : s_(setup), state_(setup.state), last_checkpoint_(setup.state.step) {
        if (s_.request.live.on() && s_.collective.rank() == 0)
            live_ = std::make_unique<LiveWriter>(
                s_.dir.path(), s_.request.live,
                json{{"run", std::filesystem::path(s_.dir.path()).filename().string()},
                     {"family", s_.request.family},
                     {"steps", s_.schedule.total_steps},
                     {"epochs", s_.schedule.total_epochs},
                     {"sample_seed", s_.options.at("sample_seed")},
                     {"generator", s_.average ? "average" : "live"}});
        live_log_every_ = models::config_value<int64_t>(s_.options, "log_every");
        live_epoch_ = s_.state.step / s_.schedule.steps_per_epoch;
    }

    TrainSummary run(Progress& progress) {
        try {
            return train(progress);
        } catch (...) {
            if (live_) live_->status(live_progress(live_epoch_, live_stats_), "failed");
            throw;
        }
    }

    double elapsed() const { return state_.wall_s + seconds_since(started_); }

private:
    // The paper's loop: for each step, a batch, the member's update, the checks, the log; at the
    // end of each epoch a grid; now and then a checkpoint.
    TrainSummary train(Progress& progress) {
        const Schedule& plan = s_.schedule;
        const FaultPlan& faults = s_.request.faults;
        bool interrupted = false;
        {
            const StopRequests stops;
            while (state_.step < plan.total_steps && !s_.collective.stop(stops.asked())) {
                const int64_t epoch = state_.step / plan.steps_per_epoch, next = state_.step + 1;
                faults.before_step(s_.collective.rank(), next);
                const auto step_start = Clock::now();
                torch::manual_seed(step_seed(plan.seed, state_.step));
                models::Batch batch = s_.batches.at(state_.step);
                faults.poison_batch(batch, next);
                models::StepStats stats = s_.family.train_step(batch);
                faults.poison_gradients(s_.family, next);
                const StepTraffic traffic = s_.collective.agree(stats, stops.asked());
                if (const std::string problem = nonfinite_problem(stats, s_.family); !problem.empty()) {
                    s_.dir.flush_log();
                    throw nonfinite_error(next, problem, last_checkpoint_, s_.dir.checkpoints());
                }
                state_.step = next;
                if (s_.average) s_.average->update(state_.step);
                const double instant = speed_.add(seconds_since(step_start), plan.global_batch, traffic);
                const int64_t critic_per_g = s_.family.critic_steps_per_generator_step();
                s_.dir.log_step(state_.step, epoch + 1, stats, instant, elapsed(), critic_per_g);
                progress.update(state_.step, plan.total_steps, epoch + 1, plan.total_epochs, stats, speed_.rate(), eta_s(),
                                critic_per_g);
                const bool epoch_done = state_.step % plan.steps_per_epoch == 0, last = state_.step == plan.total_steps;
                if (epoch_done || last) {
                    s_.collective.average_buffers(s_.family);
                    s_.dir.write_epoch(s_.family, s_.average, s_.options, epoch + 1, s_.request.family);
                }
                if (epoch_done || last || state_.step % plan.checkpoint_every == 0) checkpoint();
                if (live_) live_step(epoch + 1, stats);
            }
            interrupted = s_.collective.stop(stops.asked());
            if (interrupted) {
                checkpoint();
                progress.message(std::string(g_signal == SIGTERM ? "stopped (SIGTERM)" : g_signal == SIGINT ? "interrupted (Ctrl-C)" : "stopped by a peer rank") +
                                 " at step " + std::to_string(state_.step) + ": checkpoint written; continue with: ganzoo train " +
                                 s_.request.family + " --resume --out " + s_.dir.path());
            }
            if (live_) live_finish(interrupted, progress);
        }
        return finish(interrupted);
    }

    static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

    double eta_s() const {
        return (s_.schedule.total_steps - state_.step) * s_.schedule.global_batch / std::max(speed_.rate(), 1e-9);
    }

    json live_progress(int64_t epoch, const models::StepStats& stats) const {
        json row = json::object();
        for (const auto& [key, value] : stats) row[key] = value;
        return {{"step", state_.step},          {"epoch", epoch},     {"images_per_s", speed_.rate()},
                {"elapsed_s", elapsed()},        {"eta_s", eta_s()},   {"row", row}};
    }

    // After a step: a snapshot when one is due (the status with it), else the status on each
    // logged row.
    void live_step(int64_t epoch, const models::StepStats& stats) {
        live_epoch_ = epoch;
        live_stats_ = stats;
        if (live_->snapshot_due(state_.step, elapsed()))
            live_->snapshot(state_.step, elapsed(), [&] { return snapshot(); }, live_progress(epoch, stats));
        else if (state_.step % live_log_every_ == 0)
            live_->status(live_progress(epoch, stats));
    }

    std::vector<uint8_t> snapshot() {
        exporter::RunExportOptions how;
        how.device = s_.device.str();
        return exporter::export_run(s_.family, s_.average, s_.config, state_.step, elapsed(), how);
    }

    // The end of the run, or a stop: the newest weights and the final state.
    void live_finish(bool interrupted, Progress& progress_out) {
        json progress = live_progress(live_epoch_, live_stats_);
        progress["eta_s"] = interrupted ? json(nullptr) : json(0);
        if (live_->last_snapshot_step() != state_.step)
            live_->snapshot(state_.step, elapsed(), [&] { return snapshot(); }, progress);
        live_->status(progress, interrupted ? "stopped" : "finished");
        char line[160];
        std::snprintf(line, sizeof line, "live: %lld snapshots to %s/live, %.1f s (%.2f %% of the wall time)",
                      static_cast<long long>(live_->snapshots()), s_.dir.path().c_str(), live_->seconds_spent(),
                      100.0 * live_->seconds_spent() / std::max(elapsed(), 1e-9));
        progress_out.message(line);
    }

    void checkpoint() {
        s_.collective.average_buffers(s_.family);
        s_.dir.save_checkpoint(s_.family, s_.request.family, s_.average, {state_.step, elapsed()});
        last_checkpoint_ = state_.step;
    }

    // Every rank done, the figures gathered; summary.json.
    TrainSummary finish(bool interrupted) {
        s_.collective.barrier();  // every rank is done before rank 0 reports
        s_.request.faults.write_parameters(s_.family, s_.collective.rank());
        s_.collective.probe(s_.family, s_.request.faults.allreduce_probe());
        TrainSummary summary;
        summary.run_dir = s_.dir.path();
        summary.steps = state_.step;
        summary.wall_s = elapsed();
        summary.images_per_s = speed_.images_per_s();
        summary.device = s_.device.str();
        summary.blas = s_.blas;
        summary.rank = s_.collective.rank();
        summary.world_size = s_.collective.world_size();
        summary.backend = s_.collective.backend();
        summary.allreduce_ms_per_step = speed_.allreduce_ms_per_step();
        summary.gradient_bytes_per_step = speed_.bytes_per_step();
        json document = {{"steps", summary.steps},       {"batch", s_.schedule.batch},
                         {"threads", torch::get_num_threads()}, {"wall_s", summary.wall_s},
                         {"images_per_s", summary.images_per_s}, {"blas", summary.blas},
                         {"device", summary.device},     {"interrupted", interrupted}};
        if (const int64_t per = s_.family.critic_steps_per_generator_step(); per > 0) {
            document["critic_steps"] = summary.steps;
            document["generator_steps"] = summary.steps / per;
        }
        document["commands"] = run_commands(s_.config);
        s_.collective.summarise(document, summary.allreduce_ms_per_step, summary.gradient_bytes_per_step);
        s_.dir.write_summary(document);
        if (interrupted) throw Interrupted(g_signal != 0 ? g_signal.load() : SIGINT);
        return summary;
    }

    Setup s_;
    Checkpoint state_;
    int64_t last_checkpoint_;
    Speed speed_;
    const Clock::time_point started_ = Clock::now();
    std::unique_ptr<LiveWriter> live_;  // null unless --live, and on rank 0
    int64_t live_log_every_ = 1;         // the status is rewritten with each logged row
    int64_t live_epoch_ = 0;             // the newest step's epoch and values, for the final status
    models::StepStats live_stats_;
};

}  // namespace

json resolved_config(const TrainRequest& request) {
    const auto family = models::make_family(request.family);
    json config = resolve_config(request, *family, request.out);
    check_loop_options(config["options"]);
    config.erase("created");
    config.erase("commit");
    return config;
}

TrainSummary run_training(const TrainRequest& request) {
    const dist::Endpoint endpoint = dist::check_options(request.dist);
    auto family = models::make_family(request.family);
    RunDirectory dir(request.out.empty() ? "runs/" + request.family + "-" + timestamp() : request.out,
                     request.dist.rank == 0);  // only rank 0 writes the run directory
    dir.refuse_overwrite(request.resume);
    json config = resolve_config(request, *family, dir.path());
    json& options = config["options"];
    check_loop_options(options);

    const torch::Device device = training_device(options, request.dist);
    set_threads(options, request.dist, endpoint);
    const DeviceData data = load_data(options, device, *family);
    const auto& ds = data.dataset;
    config["dataset"] = dataset_document(ds);
    const Schedule schedule = make_schedule(options, ds.count, request.dist);
    const auto average = build_member(*family, request.family, options, data, device);
    dir.open(request.resume);
    const Checkpoint start =
        request.resume ? dir.load_checkpoint(*family, request.family, average.get(), device) : Checkpoint{};
    // Every command of the run: `command` is the first, each --resume adds itself here.
    if (request.resume)
        config["resumes"].push_back(
            {{"command", request.command}, {"at_step", start.step}, {"time", timestamp()}, {"commit", source_commit()}});

    // Join the process group once the options, the data and the networks are known good on
    // this rank, so that a bad option fails at once instead of after a rendezvous.
    const auto collective = make_collective(request.dist, device);
    collective->join(*family, request.family, config, schedule.global_batch);
    try {
        collective->share_networks(*family);
        dir.write_config(config);
        const std::string blas = device.is_cuda() ? "cuBLAS" : loaded_blas();
        Progress progress(models::config_value<int64_t>(options, "log_every"), collective->rank() == 0);
        progress.message("ganzoo: training " + request.family + " on " + ds.name + " (" + std::to_string(ds.count) +
                         " images " + std::to_string(ds.height) + "x" + std::to_string(ds.width) + ") on " +
                         device.str() + ", " + std::to_string(torch::get_num_threads()) + " threads, BLAS " + blas +
                         "; " + std::to_string(schedule.total_steps) +
                         (family->critic_steps_per_generator_step() > 0
                              ? " critic steps (" + std::to_string(schedule.total_steps / family->critic_steps_per_generator_step()) +
                                    " generator steps)"
                              : " steps") +
                         " of " +
                         std::to_string(schedule.global_batch) + collective->describe(schedule.batch) + " -> " +
                         dir.path() + (request.resume ? " (resumed at step " + std::to_string(start.step) + ")" : ""));
        dir.open_log(start.step);
        Batches batches(data, schedule, collective->rank(), collective->shard(schedule.batch), device);
        Loop loop({request, *family, average.get(), dir, *collective, config, options, schedule, batches, device, blas, start});
        return loop.run(progress);
    } catch (...) {
        collective->abandon();
        throw;
    }
}

}  // namespace ganzoo::train
