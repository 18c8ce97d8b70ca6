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
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "ganzoo/image.hpp"
#include "ganzoo/latent.hpp"
#include "train/files.hpp"
#include "train/report.hpp"

namespace fs = std::filesystem;

namespace ganzoo::train {
namespace {

constexpr int64_t kWarmupSteps = 5;
constexpr int kCheckpointVersion = 1;

std::atomic<bool> g_interrupted{false};

void on_interrupt(int) { g_interrupted = true; }

std::string timestamp() {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
    return text;
}

std::string format_duration(double seconds) {
    const auto s = static_cast<int64_t>(std::max(0.0, seconds));
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                      static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(s / 60),
                      static_cast<long long>(s % 60));
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

DeviceData load_data(const json& config, torch::Device device, const GanFamily& family) {
    DeviceData d;
    d.dataset = data::load_dataset(config_value<std::string>(config, "data"), data::Split::Train);
    data::truncate(d.dataset, config_value<int64_t>(config, "limit"));
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

// Progress on a terminal: one line redrawn in place; otherwise a plain line now and then.
class Progress {
public:
    explicit Progress(int64_t log_every) : tty_(::isatty(STDOUT_FILENO) != 0), log_every_(log_every) {}

    void update(int64_t step, int64_t total, int64_t epoch, int64_t epochs, const StepStats& stats,
                double images_per_s, double eta_s) {
        const bool last = step == total;
        if (!tty_ && step % log_every_ != 0 && !last) return;
        std::ostringstream line;
        line << "epoch " << epoch << "/" << epochs << " ";
        if (tty_) {
            constexpr int kWidth = 24;
            const int filled = static_cast<int>(kWidth * step / std::max<int64_t>(total, 1));
            line << "[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] ";
        }
        line << "step " << step << "/" << total;
        char number[32];
        for (const auto& [name, value] : stats) {
            std::snprintf(number, sizeof number, "%.4f", value);
            line << " " << name << " " << number;
        }
        std::snprintf(number, sizeof number, "%.0f", images_per_s);
        line << " | " << number << " img/s | ETA " << format_duration(eta_s);
        if (tty_)
            std::cout << "\r" << line.str() << "\033[K" << (last ? "\n" : "") << std::flush;
        else
            std::cout << line.str() << std::endl;
    }

    void message(const std::string& text) {
        if (tty_) std::cout << "\r\033[K";
        std::cout << text << std::endl;
    }

private:
    bool tty_;
    int64_t log_every_;
};

// log.csv: a header from the first step's stats, then one row per step. On resume the rows
// after the checkpoint's step are dropped, so the log never holds a step twice.
class StepLog {
public:
    StepLog(const std::string& path, int64_t resume_step) : path_(path) {
        if (resume_step > 0 && fs::exists(path)) {
            // A run killed mid-write can leave a torn last row: keep only whole rows (ending in a
            // newline, as many fields as the header) of steps 1..resume_step, in order.
            const auto bytes = read_file(path);
            const std::string text(bytes.begin(), bytes.end());
            size_t begin = text.find('\n');
            header_ = text.substr(0, begin == std::string::npos ? 0 : begin);
            const auto fields = std::count(header_.begin(), header_.end(), ',');
            std::string kept;
            int64_t expected = 1;
            while (begin != std::string::npos && !header_.empty()) {
                const size_t end = text.find('\n', begin + 1);
                if (end == std::string::npos) break;
                const std::string line = text.substr(begin + 1, end - begin - 1);
                begin = end;
                char* stop = nullptr;
                const long long step = std::strtoll(line.c_str(), &stop, 10);
                if (step != expected || *stop != ',' || std::count(line.begin(), line.end(), ',') != fields) break;
                if (step > resume_step) break;
                kept += line + "\n";
                ++expected;
            }
            write_text_atomically(path, header_.empty() ? std::string() : header_ + "\n" + kept);
        } else if (fs::exists(path)) {
            fs::remove(path);
        }
        out_.open(path, std::ios::app);
        if (!out_) throw std::runtime_error(path + ": cannot open for writing");
    }

    void append(int64_t step, int64_t epoch, const StepStats& stats, double images_per_s, double elapsed_s) {
        if (header_.empty()) {
            header_ = "step,epoch";
            for (const auto& s : stats) header_ += "," + s.first;
            header_ += ",images_per_s,elapsed_s";
            out_ << header_ << "\n" << std::flush;
        }
        std::string row = std::to_string(step) + "," + std::to_string(epoch);
        char number[32];
        for (const auto& s : stats) {
            std::snprintf(number, sizeof number, "%.6g", s.second);
            row += std::string(",") + number;
        }
        std::snprintf(number, sizeof number, "%.1f,%.2f", images_per_s, elapsed_s);
        row += std::string(",") + number + "\n";
        // One write per row: a killed run leaves whole rows, never a torn one.
        out_ << row << std::flush;
    }

    void flush() { out_.flush(); }

private:
    std::string path_, header_;
    std::ofstream out_;
};

struct Checkpoint {
    int64_t step = 0;
    double wall_s = 0.0;
};

// `average`: the generator average, saved beside the model when averaging is on.
// What a checkpoint was written by: the member's name (as bytes) and every parameter's shape,
// so that a resume with another member's or another width's checkpoint is refused with the
// shapes named, before LibTorch's load fails inside ('unflatten: ...', 'INTERNAL ASSERT FAILED').
torch::Tensor name_tensor(const std::string& name) {
    return torch::tensor(std::vector<int64_t>(name.begin(), name.end()), torch::kLong);
}

std::string shape_text(c10::IntArrayRef shape) {
    std::string text = "[";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

void save_record(GanFamily& family, const std::string& family_name, torch::serialize::OutputArchive& archive) {
    archive.write("family", name_tensor(family_name));
    torch::serialize::OutputArchive shapes;
    for (const auto& [net, module] : family.networks())
        for (const auto& p : module->named_parameters())
            shapes.write(net + "." + p.key(), torch::tensor(p.value().sizes().vec(), torch::kLong));
    archive.write("shapes", shapes);
}

void check_record(GanFamily& family, const std::string& family_name, torch::serialize::InputArchive& archive,
                  const std::string& path) {
    torch::Tensor written;
    if (!archive.try_read("family", written)) return;  // written before the record existed
    const auto bytes = written.to(torch::kCPU);
    std::string name;
    for (int64_t i = 0; i < bytes.numel(); ++i) name += static_cast<char>(bytes[i].item<int64_t>());
    if (name != family_name)
        throw std::runtime_error(path + ": a checkpoint of " + name + ", but this run trains " + family_name +
                                 " (a checkpoint from another run?)");
    torch::serialize::InputArchive shapes;
    if (!archive.try_read("shapes", shapes)) return;
    for (const auto& [net, module] : family.networks())
        for (const auto& p : module->named_parameters()) {
            const std::string key = net + "." + p.key();
            torch::Tensor stored;
            if (!shapes.try_read(key, stored))
                throw std::runtime_error(path + ": the checkpoint has no " + key + " (" + shape_text(p.value().sizes()) +
                                         " in this run's networks): a checkpoint from another run or recipe?");
            const auto dims = stored.to(torch::kCPU).contiguous();
            const std::vector<int64_t> saved(dims.data_ptr<int64_t>(), dims.data_ptr<int64_t>() + dims.numel());
            if (c10::IntArrayRef(saved) != p.value().sizes())
                throw std::runtime_error(path + ": the checkpoint's " + key + " is " + shape_text(saved) +
                                         ", this run's config builds " + shape_text(p.value().sizes()) +
                                         " (a checkpoint from another run, or a changed --width?)");
        }
}

void save_checkpoint(GanFamily& family, const std::string& family_name, const GeneratorAverage* average,
                     const std::string& dir, const Checkpoint& state) {
    torch::serialize::OutputArchive archive;
    archive.write("version", torch::tensor(static_cast<int64_t>(kCheckpointVersion)));
    save_record(family, family_name, archive);
    archive.write("step", torch::tensor(state.step));
    archive.write("wall_s", torch::tensor(state.wall_s, torch::kDouble));
    torch::serialize::OutputArchive model;
    family.save(model);
    archive.write("model", model);
    if (average) {
        torch::serialize::OutputArchive ema;
        average->save(ema);
        archive.write("ema", ema);
    }
    std::vector<uint8_t> payload;
    archive.save_to([&payload](const void* data, size_t size) {
        payload.insert(payload.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
        return size;
    });
    // Checksummed, then written to latest.pt.tmp and renamed: a kill at any moment leaves the
    // previous checkpoint or the new one, and a damaged file is refused on load, never half-read.
    write_file_atomically(dir + "/latest.pt", seal_checkpoint(payload));
}

// A checkpoint without an average (written before averaging was on) starts it at the loaded G.
Checkpoint load_checkpoint(GanFamily& family, const std::string& family_name, GeneratorAverage* average,
                           const std::string& dir, torch::Device device) {
    const std::string path = dir + "/latest.pt";
    if (!fs::exists(path))
        throw std::runtime_error(path + ": no checkpoint to resume from (start without --resume)");
    torch::serialize::InputArchive archive;
    Checkpoint state;
    try {
        const auto payload = open_checkpoint(read_file(path), path);
        archive.load_from(reinterpret_cast<const char*>(payload.data()), payload.size(), device);
        torch::Tensor version, step, wall;
        archive.read("version", version);
        if (version.item<int64_t>() != kCheckpointVersion)
            throw std::runtime_error("checkpoint version " + std::to_string(version.item<int64_t>()) +
                                     " is not " + std::to_string(kCheckpointVersion));
        check_record(family, family_name, archive, path);
        archive.read("step", step);
        archive.read("wall_s", wall);
        state.step = step.item<int64_t>();
        state.wall_s = wall.item<double>();
        torch::serialize::InputArchive model;
        archive.read("model", model);
        family.load(model);
        if (average) {
            torch::serialize::InputArchive ema;
            if (archive.try_read("ema", ema))
                average->load(ema);
            else
                average->reset();
        }
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + ": cannot load checkpoint (" + std::string(e.what_without_backtrace()) + ")");
    }
    return state;
}

// With `average` (averaging on), the grid is the averaged generator's, as export writes it.
void write_sample_grid(GanFamily& family, GeneratorAverage* average, const json& config, const std::string& path) {
    const auto applied = average ? average->apply(average_refresh_seed(config)) : nullptr;
    const auto count = config_value<int64_t>(config, "sample_count");
    const auto latents = normal_latents(config_value<uint64_t>(config, "sample_seed"), 0, count, family.z_dim());
    const auto z = torch::from_blob(const_cast<float*>(latents.data.data()), {count, family.z_dim()},
                                    torch::kFloat);
    const int64_t columns = family.grid_columns(count);
    const auto images =
        family.sample(z, family.grid_inputs(count, columns)).to(torch::kCPU, torch::kFloat).contiguous();
    ganzoo::Tensor batch{std::vector<int64_t>(images.sizes().begin(), images.sizes().end()),
                         std::vector<float>(images.data_ptr<float>(), images.data_ptr<float>() + images.numel())};
    write_png(path, tile_grid(batch, -1.0f, 1.0f, static_cast<int>(columns)));
}

// The options of a new run (defaults < recipe < user), or of a resumed one (its config.json,
// where the user may only change how long it runs).
json resolve_config(const TrainRequest& request, GanFamily& family, const std::string& run_dir) {
    const std::string config_path = run_dir + "/config.json";
    if (request.resume) {
        json config = read_json(config_path);
        if (config.value("family", "") != request.family)
            throw std::runtime_error(config_path + ": run is a '" + config.value("family", "?") +
                                     "' run, not '" + request.family + "'");
        for (const auto& [key, value] : request.overrides.items()) {
            // Repeating the original command with --resume is fine: only a different value is refused.
            const bool same = config["options"].contains(key) && config["options"][key] == value;
            if (!same && key != "epochs" && key != "steps" && key != "threads" && key != "log_every")
                throw std::runtime_error("--" + key + " cannot change when resuming (only --epochs, --steps, --threads)");
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

json loop_defaults() {
    return {{"epochs", 10},      {"steps", 0},        {"batch", 128},        {"seed", 1},
            {"device", "auto"},  {"threads", 0},      {"data", "fashion-mnist"}, {"limit", 0},
            {"checkpoint_every", 500}, {"log_every", 50}, {"sample_count", 64}, {"sample_seed", 0},
            {"ema", 0.0},        {"ema_start", 0}};
}

uint64_t average_refresh_seed(const json& options) { return step_seed(config_value<uint64_t>(options, "seed"), -2); }

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
    run.family = make_family(run.config.value("family", ""));
    const auto& dataset = run.config.at("dataset");
    const auto image = dataset.at("image");
    ImageShape shape{image[0].get<int64_t>(), image[1].get<int64_t>(), image[2].get<int64_t>()};
    run.family->build(options, shape, static_cast<int64_t>(dataset.at("classes").size()), device);
    run.average = make_average(*run.family, options);
    const Checkpoint state =
        load_checkpoint(*run.family, run.config.value("family", ""), run.average.get(), run_dir + "/checkpoints", device);
    run.step = state.step;
    run.wall_s = state.wall_s;
    return run;
}

namespace {

// Loop options outside their range would divide by zero or run forever: refuse them by flag name.
void check_loop_options(const json& options) {
    struct Range { const char* key; int64_t lo, hi; };
    const Range ranges[] = {{"epochs", 0, 1000000},     {"steps", 0, int64_t(1) << 40}, {"batch", 1, 1 << 20},
                            {"threads", 0, 4096},       {"limit", 0, int64_t(1) << 40}, {"checkpoint_every", 1, int64_t(1) << 40},
                            {"log_every", 1, int64_t(1) << 40}, {"sample_count", 1, 4096}};
    for (const auto& r : ranges) {
        const auto value = config_value<int64_t>(options, r.key);
        if (value < r.lo || value > r.hi) {
            std::string flag = r.key;
            std::replace(flag.begin(), flag.end(), '_', '-');
            throw std::runtime_error("--" + flag + " " + std::to_string(value) + ": must be between " +
                                     std::to_string(r.lo) + " and " + std::to_string(r.hi));
        }
    }
}

// Test hook: GANZOO_INJECT_NONFINITE=loss:N poisons step N's batch with a NaN (its losses turn
// NaN); grad:N turns one gradient of the first network NaN after step N, losses left finite.
struct Injection {
    std::string what;
    int64_t step = -1;
};

Injection injection_from_environment() {
    Injection i;
    if (const char* text = std::getenv("GANZOO_INJECT_NONFINITE")) {
        const std::string spec = text;
        const auto colon = spec.find(':');
        if (colon != std::string::npos) {
            i.what = spec.substr(0, colon);
            i.step = std::atoll(spec.c_str() + colon + 1);
        }
    }
    return i;
}

// The first network whose gradients hold a NaN/Inf, with the first such parameter; empty if none.
std::string nonfinite_gradient(GanFamily& family) {
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

}  // namespace

namespace {

// Test hook for the dead-rank tests: GANZOO_DIST_FAULT=die:R:N kills rank R (SIGKILL, as a crash
// would) at the start of step N; hang:R:N makes it stop answering (sleeps) instead.
void maybe_fault(int64_t rank, int64_t step) {
    const char* text = std::getenv("GANZOO_DIST_FAULT");
    if (!text) return;
    char kind[8] = {0};
    long long fault_rank = -1, fault_step = -1;
    if (std::sscanf(text, "%7[a-z]:%lld:%lld", kind, &fault_rank, &fault_step) != 3) return;
    if (fault_rank != rank || fault_step != step) return;
    if (std::string(kind) == "die") ::kill(::getpid(), SIGKILL);
    if (std::string(kind) == "hang") std::this_thread::sleep_for(std::chrono::hours(1));
}

// Test hook: GANZOO_DIST_PARAMETERS_OUT=DIR makes every rank write its final parameters to
// DIR/rank<R>.pt (an archive keyed "G.0.weight", ...), so a test can compare the ranks.
void maybe_write_parameters(GanFamily& family, int64_t rank) {
    const char* dir = std::getenv("GANZOO_DIST_PARAMETERS_OUT");
    if (!dir || !*dir) return;
    torch::serialize::OutputArchive archive;
    for (const auto& [name, module] : family.networks())
        for (const auto& p : module->named_parameters()) archive.write(name + "." + p.key(), p.value().detach().cpu());
    fs::create_directories(dir);
    archive.save_to(std::string(dir) + "/rank" + std::to_string(rank) + ".pt");
}

// PATH.tmp files a failed write left (a full disk; a kill between the write and the rename):
// never a file's only copy, since the rename publishes it, but they hold the space the next
// write may need. Removed under the run's lock, before anything is written.
void remove_stale_temporaries(const std::string& run_dir) {
    std::error_code error;
    for (fs::recursive_directory_iterator it(run_dir, error), end; !error && it != end; it.increment(error)) {
        std::error_code kind;
        if (it->path().extension() == ".tmp" && it->is_regular_file(kind)) fs::remove(it->path(), kind);
    }
}

// The parameters `family` would have at options' width, without building it there: from
// builds at widths 4, 8 and 12 (each layer's size is a product of at most two channel counts
// that grow linearly with the width, so the count is a quadratic in it).
double estimated_parameters(const std::string& family, json options, const ImageShape& shape, int64_t classes) {
    const double x = static_cast<double>(config_value<int64_t>(options, "width"));
    double p[3];
    for (int i = 0; i < 3; ++i) {
        auto small = make_family(family);
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
void check_network_memory(const std::string& family, const json& options, const ImageShape& shape, int64_t classes,
                          const torch::Device& device) {
    if (!options.contains("width") || !device.is_cpu()) return;  // InfoGAN sizes its nets otherwise
    const int64_t width = config_value<int64_t>(options, "width");
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

TrainSummary run_training(const TrainRequest& request) {
    const dist::Options& dopt = request.dist;
    const dist::Endpoint endpoint = dist::check_options(dopt);
    const bool distributed = dopt.distributed();
    const bool writer = dopt.rank == 0;  // only rank 0 writes the run directory
    const int64_t rank = dopt.rank, world = dopt.world_size;

    auto family = make_family(request.family);
    const std::string run_dir = request.out.empty() ? "runs/" + request.family + "-" + timestamp() : request.out;
    const std::string checkpoints = run_dir + "/checkpoints";
    if (!request.resume && fs::exists(checkpoints + "/latest.pt"))
        throw std::runtime_error(run_dir + " already holds a run: pass --resume to continue it, or choose another --out");
    json config = resolve_config(request, *family, run_dir);
    json& options = config["options"];
    check_loop_options(options);

    torch::Device device = resolve_device(config_value<std::string>(options, "device"));
    if (distributed && device.is_cuda() && !device.has_index()) {
        // One GPU per local rank, as torchrun's LOCAL_RANK; `ganzoo launch` sets it.
        const char* local = std::getenv("LOCAL_RANK");
        const int64_t local_rank = local ? std::atoll(local) : rank;
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % std::max<int64_t>(1, torch::cuda::device_count())));
    }
    const auto threads = config_value<int64_t>(options, "threads");
    const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    torch::set_num_threads(static_cast<int>(threads > 0 ? threads : std::max<int64_t>(1, cores / local_world_size(dopt, endpoint))));

    DeviceData data = load_data(options, device, *family);
    const auto& ds = data.dataset;
    config["dataset"] = dataset_document(ds);
    const auto batch = config_value<int64_t>(options, "batch");
    const int64_t global_batch = batch * world;  // one step: rank r takes rows [r·batch, (r+1)·batch)
    if (batch < 1 || global_batch > ds.count)
        throw std::runtime_error(distributed ? "--batch " + std::to_string(batch) + " x --world-size " + std::to_string(world) + " = " +
                                                   std::to_string(global_batch) + " must be between 1 and the dataset size " +
                                                   std::to_string(ds.count)
                                             : "--batch " + std::to_string(batch) + " must be between 1 and the dataset size " +
                                                   std::to_string(ds.count));
    const int64_t steps_per_epoch = ds.count / global_batch;  // the last partial batch is dropped
    const auto epochs = config_value<int64_t>(options, "epochs");
    const auto step_limit = config_value<int64_t>(options, "steps");
    const int64_t total_steps = step_limit > 0 ? step_limit : epochs * steps_per_epoch;
    const int64_t total_epochs = (total_steps + steps_per_epoch - 1) / steps_per_epoch;
    if (total_steps < 1) throw std::runtime_error("nothing to train: --epochs and --steps are both 0");
    const auto seed = config_value<uint64_t>(options, "seed");

    check_network_memory(request.family, options, {ds.channels, ds.height, ds.width},
                         static_cast<int64_t>(ds.class_names.size()), device);
    torch::manual_seed(step_seed(seed, -1));  // initial weights
    family->build(options, {ds.channels, ds.height, ds.width}, static_cast<int64_t>(ds.class_names.size()), device);
    family->set_training_data(data.pixels, data.labels);
    const std::unique_ptr<GeneratorAverage> average = make_average(*family, options);

    std::optional<RunLock> lock;  // rank 0's: the other ranks of a launch share its directory
    if (writer) {
        fs::create_directories(checkpoints);
        fs::create_directories(run_dir + "/samples");
        lock.emplace(run_dir);
        remove_stale_temporaries(run_dir);
        // Checked again under the lock: another train may have started the run since.
        if (!request.resume && fs::exists(checkpoints + "/latest.pt"))
            throw std::runtime_error(run_dir + " already holds a run: pass --resume to continue it, or choose another --out");
    }
    Checkpoint state;
    if (request.resume) state = load_checkpoint(*family, request.family, average.get(), checkpoints, device);

    // Join the process group once the options, the data and the networks are known good on
    // this rank, so that a bad option fails at once instead of after a rendezvous.
    std::unique_ptr<dist::DataParallel> group;
    if (distributed) {
        group = std::make_unique<dist::DataParallel>(dopt, device);
        dist::DataParallel* g = group.get();
        if (!family->wrap_optimizers([g](std::unique_ptr<torch::optim::Optimizer> o) { return g->averaging(std::move(o)); }))
            throw std::runtime_error(request.family + " cannot train data-parallel (its optimizers are not reachable)");
        config["distributed"] = {{"world_size", world}, {"backend", group->backend()}, {"global_batch", global_batch}};
    } else {
        config.erase("distributed");  // a distributed run resumed by one process
    }
    // Floating buffers (batch norm's running statistics) of every network.
    auto network_buffers = [&family] {
        std::vector<torch::Tensor> buffers;
        for (const auto& [name, module] : family->networks())
            for (const auto& b : module->buffers())
                if (b.is_floating_point()) buffers.push_back(b);
        return buffers;
    };
    try {
        if (group) {
            // Same seed, same weights on every rank already; the broadcast makes it a fact
            // (and covers a resume from a checkpoint that only rank 0 could read the same way).
            std::vector<torch::Tensor> tensors;
            for (const auto& [name, module] : family->networks()) {
                for (const auto& p : module->parameters()) tensors.push_back(p);
                for (const auto& b : module->buffers()) tensors.push_back(b);
            }
            group->broadcast(tensors);
        }
        if (writer) write_text_atomically(run_dir + "/config.json", config.dump(2) + "\n");

        const std::string blas = device.is_cuda() ? "cuBLAS" : loaded_blas();
        Progress progress(config_value<int64_t>(options, "log_every"));
        if (writer)
            progress.message("ganzoo: training " + request.family + " on " + ds.name + " (" + std::to_string(ds.count) +
                             " images " + std::to_string(ds.height) + "x" + std::to_string(ds.width) + ") on " +
                             device.str() + ", " + std::to_string(torch::get_num_threads()) + " threads, BLAS " + blas +
                             "; " + std::to_string(total_steps) + " steps of " + std::to_string(global_batch) +
                             (distributed ? " (" + std::to_string(world) + " ranks x " + std::to_string(batch) + ", " +
                                                group->backend() + ")"
                                          : std::string()) +
                             " -> " + run_dir +
                             (request.resume ? " (resumed at step " + std::to_string(state.step) + ")" : ""));
        std::unique_ptr<StepLog> log;
        if (writer) log = std::make_unique<StepLog>(run_dir + "/log.csv", state.step);

        g_interrupted = false;
        auto previous_handler = std::signal(SIGINT, on_interrupt);
        std::signal(SIGTERM, on_interrupt);

        using clock = std::chrono::steady_clock;
        const auto run_start = clock::now();
        double measured_s = 0.0, rate = 0.0, measured_allreduce_s = 0.0;
        int64_t measured_images = 0, measured_steps = 0, measured_bytes = 0, steps_this_run = 0;
        std::vector<int64_t> order;
        int64_t order_epoch = -1;
        auto elapsed = [&] { return state.wall_s + std::chrono::duration<double>(clock::now() - run_start).count(); };
        int64_t last_checkpoint_step = state.step;
        const Injection injection = injection_from_environment();
        // Batch-norm statistics are per rank (each normalises its own shard, as DDP without
        // SyncBatchNorm); their running estimates are averaged before rank 0 samples or saves.
        auto sync_buffers = [&] {
            if (group) group->average(network_buffers());
        };
        auto checkpoint = [&] {
            sync_buffers();
            if (writer) {
                log->flush();
                save_checkpoint(*family, request.family, average.get(), checkpoints, {state.step, elapsed()});
            }
            last_checkpoint_step = state.step;
        };
        BatchShard shard;
        if (group) {
            shard.global_size = global_batch;
            shard.offset = rank * batch;
            shard.average = [g = group.get()](std::vector<double> values) { return g->average(std::move(values)); };
        }

        bool stop = false;  // a signal on any rank stops every rank after the same step
        while (state.step < total_steps && !stop && !(g_interrupted && !group)) {
            const int64_t epoch = state.step / steps_per_epoch;
            const int64_t position = state.step % steps_per_epoch;
            if (order_epoch != epoch) {
                order = epoch_order(seed, epoch, ds.count);
                order_epoch = epoch;
            }
            if (group) maybe_fault(rank, state.step + 1);
            const auto step_start = clock::now();
            torch::manual_seed(step_seed(seed, state.step));
            const auto index =
                torch::from_blob(order.data() + position * global_batch + rank * batch, {batch}, torch::kInt64).to(device);
            Batch b;
            b.images = images_to_float(data.pixels.index_select(0, index));
            if (data.labels.defined()) b.labels = data.labels.index_select(0, index);
            b.shard = shard;
            if (injection.what == "loss" && injection.step == state.step + 1) b.images[0].fill_(NAN);
            StepStats stats = family->train_step(b);
            if (injection.what == "grad" && injection.step == state.step + 1 && !family->networks().empty()) {
                torch::NoGradGuard no_grad;
                for (auto& p : family->networks().front().second->parameters())
                    if (p.grad().defined()) {
                        p.grad().view(-1)[0].fill_(NAN);
                        break;
                    }
            }
            double allreduce_s = 0.0;
            int64_t gradient_bytes = 0;
            if (group) {
                // One small all-reduce per step: the logged figures become the global batch's
                // (a NaN on any rank reaches all), and a stop asked of any rank reaches all.
                const auto comm = group->take_gradient_stats();
                std::vector<double> values;
                for (const auto& s : stats) values.push_back(s.second);
                values.push_back(g_interrupted ? 1.0 : 0.0);
                values.push_back(comm.seconds);
                values = group->average(values);
                for (size_t i = 0; i < stats.size(); ++i) stats[i].second = values[i];
                stop = values[stats.size()] > 0;
                allreduce_s = values[stats.size() + 1];
                gradient_bytes = comm.bytes;
                stats.push_back({"allreduce_ms", allreduce_s * 1000});
            }
            std::string problem;
            for (const auto& [name, value] : stats)
                if (problem.empty() && !std::isfinite(value))
                    problem = name + " is " + (std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
            if (problem.empty()) problem = nonfinite_gradient(*family);
            if (!problem.empty()) {
                if (log) log->flush();
                throw std::runtime_error(
                    "step " + std::to_string(state.step + 1) + ": " + problem + "; training stopped, " +
                    (last_checkpoint_step > 0 ? "the last good checkpoint is " + checkpoints + "/latest.pt (step " +
                                                    std::to_string(last_checkpoint_step) + ", resume with --resume)"
                                              : std::string("no checkpoint was written yet")) +
                    "; try a lower --lr, another --seed or a smaller --batch");
            }
            ++state.step;
            if (average) average->update(state.step);
            const double step_s = std::chrono::duration<double>(clock::now() - step_start).count();
            ++steps_this_run;
            if (steps_this_run > kWarmupSteps) {
                measured_s += step_s;
                measured_images += global_batch;
                measured_allreduce_s += allreduce_s;
                measured_bytes += gradient_bytes;
                ++measured_steps;
            }
            const double instant = global_batch / std::max(step_s, 1e-9);
            rate = rate == 0.0 ? instant : 0.9 * rate + 0.1 * instant;
            if (writer) {
                log->append(state.step, epoch + 1, stats, instant, elapsed());
                progress.update(state.step, total_steps, epoch + 1, total_epochs, stats, rate,
                                (total_steps - state.step) * global_batch / std::max(rate, 1e-9));
            }

            const bool epoch_done = state.step % steps_per_epoch == 0;
            if (epoch_done || state.step == total_steps) {
                sync_buffers();
                if (writer) {
                    char name[64];
                    std::snprintf(name, sizeof name, "/samples/epoch_%03lld.png", static_cast<long long>(epoch + 1));
                    write_sample_grid(*family, average.get(), options, run_dir + name);
                    log->flush();
                    write_report(run_dir, request.family + " — " + run_dir);
                }
            }
            if (epoch_done || state.step == total_steps ||
                state.step % config_value<int64_t>(options, "checkpoint_every") == 0)
                checkpoint();
        }
        // Under a process group only the synchronised flag counts: a signal after the last
        // step's all-reduce must not send one rank into a collective the others skip.
        const bool interrupted = group ? stop : g_interrupted.load();
        if (interrupted) {
            checkpoint();
            if (writer)
                progress.message("interrupted at step " + std::to_string(state.step) +
                                 "; checkpoint written, continue with --resume");
        }
        std::signal(SIGINT, previous_handler);
        std::signal(SIGTERM, SIG_DFL);
        if (group) group->barrier();  // every rank is done before rank 0 reports
        maybe_write_parameters(*family, rank);
        // Benchmark probe (scripts/bench-dist.sh): GANZOO_DIST_PROBE_ALLREDUCE=K times K
        // back-to-back all-reduces of every parameter's size after a barrier, i.e. the
        // transfer alone, without the wait for a slower rank that the per-step figure includes.
        double probe_ms = 0.0;
        int64_t probe_bytes = 0;
        if (const char* probe = std::getenv("GANZOO_DIST_PROBE_ALLREDUCE"); group && probe && std::atoi(probe) > 0) {
            std::vector<torch::Tensor> tensors;
            for (const auto& [name, module] : family->networks())
                for (const auto& p : module->parameters()) {
                    tensors.push_back(torch::zeros_like(p));
                    probe_bytes += p.numel() * static_cast<int64_t>(p.element_size());
                }
            const int reps = std::atoi(probe);
            group->barrier();
            const auto start = clock::now();
            for (int i = 0; i < reps; ++i) group->average(tensors);
            probe_ms = 1000 * std::chrono::duration<double>(clock::now() - start).count() / reps;
        }

        TrainSummary summary;
        summary.run_dir = run_dir;
        summary.steps = state.step;
        summary.wall_s = elapsed();
        summary.images_per_s = measured_s > 0 ? measured_images / measured_s : rate;
        summary.blas = blas;
        summary.device = device.str();
        summary.rank = rank;
        summary.world_size = world;
        if (group) {
            summary.backend = group->backend();
            summary.allreduce_ms_per_step = measured_steps > 0 ? 1000 * measured_allreduce_s / measured_steps : 0.0;
            summary.gradient_bytes_per_step = measured_steps > 0 ? measured_bytes / measured_steps : 0;
        }
        json summary_doc = {{"steps", summary.steps},       {"batch", batch},
                            {"threads", torch::get_num_threads()}, {"wall_s", summary.wall_s},
                            {"images_per_s", summary.images_per_s}, {"blas", summary.blas},
                            {"device", summary.device},     {"interrupted", interrupted}};
        if (group) {
            summary_doc["world_size"] = world;
            summary_doc["global_batch"] = global_batch;
            summary_doc["backend"] = summary.backend;
            summary_doc["allreduce_ms_per_step"] = summary.allreduce_ms_per_step;
            summary_doc["gradient_bytes_per_step"] = summary.gradient_bytes_per_step;
            if (probe_bytes > 0) {
                summary_doc["allreduce_probe_ms"] = probe_ms;
                summary_doc["allreduce_probe_bytes"] = probe_bytes;
            }
        }
        if (writer) write_text_atomically(run_dir + "/summary.json", summary_doc.dump(2) + "\n");
        if (interrupted) throw std::runtime_error("interrupted");
        return summary;
    } catch (...) {
        // A process group whose peers are gone can block in its destructor: leave it to the
        // process's exit (ganzoo's main exits with _Exit once a group was created).
        if (group) (void)group.release();
        throw;
    }
}

}  // namespace ganzoo::train
